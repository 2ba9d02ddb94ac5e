/** @test {storeEach} batching and the bound, pairs and Items, failures, durability holding slots, teardown. */
import test from 'ava';
import { of, type Observable } from 'rxjs';
import type { Response } from '../src/batcher.js';
import { NativeOp } from '../src/binding.js';
import { ArgumentError, DurabilityError, KeyExistsError, LcbStatus } from '../src/errors/index.js';
import { Item } from '../src/items.js';
import { CallSite } from '../src/op.js';
import { storeEachOn, type StoreEachOptions } from '../src/operators/store-each.js';
import type { StoreInput } from '../src/operators/internal/store-input.js';
import { OperationResult } from '../src/results.js';
import { FakeCore } from './helpers/fake-core.js';
import { observed } from './helpers/observe.js';
import { marbleScheduler } from './helpers/scheduler.js';

type Cold = (marbles: string, values?: Record<string, unknown>) => Observable<unknown>;
const site = new CallSite(test);
const doc = (k: string): StoreInput => [k, { k }];

/** Stores answer after `latency`; keys in `exists` fail with LCB_ERR_DOCUMENT_EXISTS. Observe: durable from round `durableAt`. */
function core(now: () => number, cold: Cold, latency: string, exists: string[] = [], durableAt = 0): FakeCore & { rounds: Array<{ at: number; keys: string[] }> } {
  const rounds: Array<{ at: number; keys: string[] }> = [];
  const fake: FakeCore = new FakeCore(now, (key) =>
    cold(latency, { r: exists.includes(key) ? fake.failure(LcbStatus.LCB_ERR_DOCUMENT_EXISTS) : fake.stored(7n) }) as Observable<Response>,
  (keys) => {
    const round = rounds.length;
    rounds.push({ at: now(), keys: [...keys] });
    const state = round >= durableAt ? 'persisted' : 'found';
    return cold('-(a|)', { a: keys.map((k) => observed(k, [{ state, cas: 7n }, { state: round >= durableAt ? 'found' : 'missing', cas: 7n }])) }) as never;
  });
  return Object.assign(fake, { rounds });
}
const storeEach = (fake: FakeCore, options?: StoreEachOptions) => storeEachOn(fake, options, site);
const ok = (k: string) => new OperationResult(k, 0, 7n);

test('documents of one tick go out as one batch; at most `concurrency` in flight', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '----r');
    expectObservable(cold('(abc)|', { a: doc('a'), b: doc('b'), c: doc('c') }).pipe(storeEach(fake, { concurrency: 2 })) as Observable<unknown>)
      .toBe('----(AB)(C|)', { A: ok('a'), B: ok('b'), C: ok('c') });
    ts.flush();
    t.deepEqual(fake.sent, [{ at: 0, keys: ['a', 'b'] }, { at: 4, keys: ['c'] }]);
    t.true(fake.batches.flat().every((s) => s.op === NativeOp.Set));
  });
});

test('a failed document errors the stream; with quiet it is a failed result and the ingestion goes on', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '---r', ['b']);
    const docs = { a: doc('a'), b: doc('b') };
    const error = new KeyExistsError('<Key="b", RC=0x131[LCB_ERR_DOCUMENT_EXISTS: Document already exists]>', { key: 'b' });
    expectObservable(cold('ab|', docs).pipe(storeEach(fake, { mode: 'add' })) as Observable<unknown>).toBe('---A#', { A: ok('a') }, error);
    expectObservable(cold('ab|', docs).pipe(storeEach(fake, { mode: 'add', quiet: true })) as Observable<unknown>)
      .toBe('---A(B|)', { A: ok('a'), B: new OperationResult('b', LcbStatus.LCB_ERR_DOCUMENT_EXISTS, 0n) });
    ts.flush();
    t.true(fake.batches.flat().every((s) => s.op === NativeOp.Add));
  });
});

test('an Item is stored with its own CAS, and the result emitted is the Item, updated', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '-r');
    const item = new Item('i', { v: 1 });
    item.cas = 3n;
    const updated = Object.assign(new Item('i', { v: 1 }), { cas: 7n, flags: fake.codec.encodeValue({ v: 1 }, fake.defaultFormat)[1] });
    expectObservable(cold('i|', { i: item }).pipe(storeEach(fake)) as Observable<unknown>).toBe('-(i|)', { i: updated });
    ts.flush();
    // A set with a CAS goes out as a replace with that CAS.
    t.is(fake.batches[0]![0]!.op, NativeOp.Replace);
  });
});

test('with persistTo/replicateTo a result comes once durable, and the document holds its slot until then', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '-r', [], 1);
    // a: stored at 1; observed at 1 (not yet) and, after the default 10 ms backoff, at 12
    // (durable): emitted at 13, and only then is b sent.
    expectObservable(cold('(ab)|', { a: doc('a'), b: doc('b') }).pipe(storeEach(fake, { persistTo: 1, replicateTo: 1, concurrency: 1 })) as Observable<unknown>)
      .toBe('-------------a-(b|)', { a: ok('a'), b: ok('b') });
    ts.flush();
    t.deepEqual(fake.sent, [{ at: 0, keys: ['a'] }, { at: 13, keys: ['b'] }]);
    t.deepEqual(fake.rounds, [{ at: 1, keys: ['a'] }, { at: 12, keys: ['a'] }, { at: 14, keys: ['b'] }]);
  });
});

test('the stores of one tick are observed together; a requirement the cluster cannot meet fails at the first round', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '-r');
    const docs = { a: doc('a'), b: doc('b') };
    const error = new DurabilityError("durability impossible: persistTo=1, replicateTo=2 but the key's vBucket has 2 node(s) (1 replica(s))", { key: 'a' });
    expectObservable(cold('(ab|)', docs).pipe(storeEach(fake, { replicateTo: 2, persistTo: 1 })) as Observable<unknown>).toBe('--#', undefined, error);
    expectObservable(cold('(ab|)', docs).pipe(storeEach(fake, { replicateTo: 2, persistTo: 1, quiet: true })) as Observable<unknown>)
      .toBe('--(ab|)', { a: new OperationResult('a', LcbStatus.LCB_ERR_DURABILITY_TOO_MANY, 7n), b: new OperationResult('b', LcbStatus.LCB_ERR_DURABILITY_TOO_MANY, 7n) });
    ts.flush();
    t.deepEqual(fake.rounds, [{ at: 1, keys: ['a', 'b'] }, { at: 1, keys: ['a', 'b'] }]);
  });
});

test('early unsubscribe while polling: no more observe rounds, no emission', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '-r', [], 5);
    expectObservable(cold('a|', { a: doc('a') }).pipe(storeEach(fake, { persistTo: 1 })) as Observable<unknown>, '^-----!').toBe('');
    ts.flush();
    t.deepEqual(fake.rounds.map((r) => r.at), [1]);
    t.is(fake.inflight, 0);
  });
});

test('synchronous unsubscribe: nothing delivered, nothing in flight, no poll started', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold }) => {
    const fake = core(() => ts.now(), cold, '-r');
    const seen: unknown[] = [];
    of(doc('a'), doc('b')).pipe(storeEach(fake, { persistTo: 1 })).subscribe({ next: (r) => seen.push(r), complete: () => seen.push('done') }).unsubscribe();
    t.is(fake.inflight, 0);
    ts.flush();
    t.deepEqual(seen, []);
    t.deepEqual(fake.rounds, []);
  });
});

test('empty and never; a malformed input is an ArgumentError', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '-r');
    expectObservable((cold('|') as Observable<never>).pipe(storeEach(fake)) as Observable<unknown>).toBe('|');
    expectObservable((cold('-') as Observable<never>).pipe(storeEach(fake)) as Observable<unknown>).toBe('-');
    expectObservable((cold('x|', { x: ['only a key'] }) as Observable<unknown> as Observable<never>).pipe(storeEach(fake)) as Observable<unknown>).toBe('#', undefined,
      new ArgumentError('storeEach: expected [key, value] pairs or Items'));
  });
});

test('options are checked when the operator is made', (t) => {
  const fake = new FakeCore(() => 0, () => of());
  t.throws(() => storeEach(fake, { mode: 'upsert' as never }), { instanceOf: ArgumentError, message: /'mode' must be 'set' or 'add' or 'replace'/ });
  t.throws(() => storeEach(fake, { replicateTo: 4 }), { instanceOf: ArgumentError, message: /replicateTo/ });
  t.throws(() => storeEach(fake, { persist_to: 1 } as never), { instanceOf: ArgumentError, message: /did you mean 'persistTo'/ });
});
