/**
 * Pull sources, without a server: with the marbles' fake core answering in real time, the
 * RxJS operators pull a pullable source one key per free slot, and the IxJS operators pull no
 * faster than their consumer takes results; leaving early closes the source and drops what is
 * in flight.
 */
import test from 'ava';
import { AsyncIterableX, from as ixFrom } from 'ix/asynciterable';
import { Subject, defer, firstValueFrom, from, take, toArray } from 'rxjs';
import type { Response } from '../../src/batcher.js';
import { CallSite } from '../../src/op.js';
import { getEachOn, getRun, readGetEach } from '../../src/operators/get-each.js';
import { pullable } from '../../src/operators/pullable.js';
import { BulkAsyncIterable } from '../../src/ix/internal/bulk-iterable.js';
import type { ValueResult } from '../../src/results.js';
import { FakeCore } from '../../marbles/helpers/fake-core.js';

const site = new CallSite(test);
const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The fake core's clock as the real batcher sees time: commands enqueued before its
 * process.nextTick flush share a batch, so this clock moves on at that point.
 */
function batcherTicks(): () => number {
  let tickNo = 0;
  let scheduled = false;
  return () => {
    if (!scheduled) {
      scheduled = true;
      process.nextTick(() => {
        scheduled = false;
        tickNo++;
      });
    }
    return tickNo;
  };
}

/** A fake core whose replies wait until `release()`. */
function held() {
  const replies = new Subject<void>();
  const fake: FakeCore = new FakeCore(batcherTicks(), (key) =>
    defer(() => new Promise<Response>((resolve) => replies.subscribe(() => resolve(fake.value(key))))));
  return { fake, release: () => replies.next() };
}

/** An endless key source that counts what was taken from it and whether it was closed. */
function keys() {
  const state = { pulled: 0, closed: false };
  function* gen() {
    try {
      for (;;) yield `k${state.pulled++}`;
    } finally {
      state.closed = true;
    }
  }
  return { state, gen };
}

/** getEach on a fake core as an IxJS operator. */
function ixGetEach(fake: FakeCore, concurrency: number, ordered = false) {
  const spec = readGetEach('getEach', { concurrency, ordered });
  return (source: AsyncIterable<string>) => new BulkAsyncIterable<string, ValueResult>(source, { ...spec, site }, () => getRun(fake, 'getEach', spec));
}

test('RxJS: a pullable source is pulled one key per free slot, never ahead', async (t) => {
  const { fake, release } = held();
  const { state, gen } = keys();
  const got: string[] = [];
  const sub = pullable(gen()).pipe(getEachOn(fake, { concurrency: 3 }, site)).subscribe((r) => got.push(r.key));
  await tick();
  t.is(state.pulled, 3);
  t.is(fake.inflight, 3);
  t.deepEqual(fake.sent, [{ at: fake.batches[0]![0]!.at, keys: ['k0', 'k1', 'k2'] }], 'the keys pulled in one tick go out as one batch');
  release();
  await tick();
  t.deepEqual(got, ['k0', 'k1', 'k2']);
  t.is(state.pulled, 6);
  sub.unsubscribe();
  await tick();
  t.true(state.closed, 'unsubscribing closes the source');
  t.is(fake.inflight, 0);
});

test('RxJS: a plain Observable pushes; what does not fit waits, and still comes out in full', async (t) => {
  const fake: FakeCore = new FakeCore(() => Date.now(), (key) => defer(async () => fake.value(key)));
  const all = Array.from({ length: 50 }, (_, i) => `p${i}`);
  const got = await firstValueFrom(from(all).pipe(getEachOn(fake, { concurrency: 4, ordered: true }, site), toArray()));
  t.deepEqual(got.map((r) => r.key), all);
  t.is(fake.maxInflight, 4);
});

test('IxJS: a slow consumer holds the reads back; slots free only as results are taken', async (t) => {
  const { fake, release } = held();
  const { state, gen } = keys();
  const it = ixGetEach(fake, 2)(ixFrom(gen()))[Symbol.asyncIterator]();
  const first = it.next();
  await tick();
  t.is(state.pulled, 2);
  release();
  t.is((await first).value!.key, 'k0');
  await tick();
  t.is(state.pulled, 2, 'k1 waits to be taken: nothing more is read while the consumer is busy');
  t.is(fake.inflight, 0);
  t.is((await it.next()).value!.key, 'k1');
  await tick();
  t.is(state.pulled, 3, 'taking k1 let one more key in');
  t.is(fake.inflight, 1);
  await it.return!();
  await tick();
  t.true(state.closed, 'leaving the loop closes the source');
  t.is(fake.inflight, 0, 'and drops the key in flight');
});

test('IxJS: results in order with `ordered`; a for await over a finite source ends', async (t) => {
  const fake: FakeCore = new FakeCore(() => Date.now(), (key) =>
    defer(() => new Promise<Response>((resolve) => setTimeout(() => resolve(fake.value(key)), key === 'a' ? 20 : 1))));
  const ordered: string[] = [];
  for await (const r of ixGetEach(fake, 4, true)(ixFrom(['a', 'b', 'c']))) ordered.push(r.key);
  t.deepEqual(ordered, ['a', 'b', 'c']);
  const asDone: string[] = [];
  for await (const r of ixGetEach(fake, 4)(ixFrom(['a', 'b', 'c']))) asDone.push(r.key);
  t.is(asDone[2], 'a');
});

test('IxJS: an abort signal ends the iteration with AbortError and closes the source', async (t) => {
  const { fake } = held();
  const { state, gen } = keys();
  const controller = new AbortController();
  const source: AsyncIterableX<ValueResult> = ixGetEach(fake, 2)(ixFrom(gen()));
  const it = source[Symbol.asyncIterator](controller.signal);
  const pending = it.next();
  await tick();
  controller.abort();
  await t.throwsAsync(pending, { name: 'AbortError' });
  await tick();
  t.true(state.closed);
  t.is(fake.inflight, 0);
});

test('IxJS: a failed key is thrown from the loop, with the keys in flight dropped', async (t) => {
  const fake: FakeCore = new FakeCore(() => Date.now(), (key) =>
    defer(async () => (key === 'bad' ? fake.failure(301) : fake.value(key))));
  const got: string[] = [];
  await t.throwsAsync(async () => {
    for await (const r of ixGetEach(fake, 1)(ixFrom(['a', 'bad', 'c']))) got.push(r.key);
  }, { name: 'NotFoundError' });
  t.deepEqual(got, ['a']);
  t.is(fake.inflight, 0);
});

test('RxJS: a finite pullable source completes once its last result is out', async (t) => {
  const fake: FakeCore = new FakeCore(batcherTicks(), (key) => defer(() => new Promise<Response>((resolve) => setTimeout(() => resolve(fake.value(key)), 2))));
  const got = await firstValueFrom(pullable(['a', 'b', 'c', 'd', 'e']).pipe(getEachOn(fake, { concurrency: 2, ordered: true }, site), toArray()));
  t.deepEqual(got.map((r) => r.key), ['a', 'b', 'c', 'd', 'e']);
  t.is(fake.maxInflight, 2);
});

test('RxJS: take() on an endless pullable source completes and closes it', async (t) => {
  const fake: FakeCore = new FakeCore(() => Date.now(), (key) => defer(async () => fake.value(key)));
  const { state, gen } = keys();
  const got = await firstValueFrom(pullable(gen()).pipe(getEachOn(fake, { concurrency: 8 }, site), take(100), toArray()));
  t.is(got.length, 100);
  await tick();
  t.true(state.closed);
  t.true(state.pulled <= 100 + 8, `pulled ${state.pulled}`);
});
