/** @test {replicaFallback} which failures fall back, 'first' and 'all', the result path, teardown. */
import test from 'ava';
import { of, type Observable } from 'rxjs';
import type { Response } from '../src/batcher.js';
import { NativeOp } from '../src/binding.js';
import { ArgumentError, LcbStatus, NetworkError, NotFoundError, NotSupportedError, TemporaryFailError, TimeoutError } from '../src/errors/index.js';
import { CallSite } from '../src/op.js';
import { replicaFallbackOn, type ReplicaFallbackOptions } from '../src/operators/replica-fallback.js';
import { ValueResult } from '../src/results.js';
import { FakeCore } from './helpers/fake-core.js';
import { marbleScheduler } from './helpers/scheduler.js';

type Cold = (marbles: string, values?: Record<string, unknown>) => Observable<unknown>;
const site = new CallSite(test);
const timeout = (key: string) => new TimeoutError('get timed out', { key });

/** Replica reads answer `marble`: r = the value "R", s = a second replica's value "S", n = not found there, t = timed out there. */
function core(now: () => number, cold: Cold, marble: string): FakeCore {
  const fake: FakeCore = new FakeCore(now, (_key, cmd) => cold(marble, {
    r: fake.value('R', 5n, cmd.aux !== -2),
    s: fake.value('S', 6n),
    n: fake.failure(LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND),
    t: fake.failure(LcbStatus.LCB_ERR_TIMEOUT),
  }) as Observable<Response>);
  return fake;
}
const fallback = (fake: FakeCore, options?: ReplicaFallbackOptions) => replicaFallbackOn(fake, options, site);
const replica = (r: ValueResult) => Object.assign(r, { replica: true });

test("'first': a get that timed out is read from the first replica to answer, marked as a replica read", (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '--r');
    expectObservable((cold('--#', undefined, timeout('k')) as Observable<never>).pipe(fallback(fake)) as Observable<unknown>)
      .toBe('----(R|)', { R: replica(fake.valueResult('k', 'R', 5n)) });
    ts.flush();
    t.deepEqual(fake.batches, [[{ at: 2, op: NativeOp.GetReplica, key: 'k', aux: -1 }]]);
  });
});

/** Replica reads by index: replica 0 answers R after 2 ms, replica 1 times out after 4 ms, and the map has no replica 2. */
function replicas(now: () => number, cold: Cold, two = true): FakeCore {
  const fake: FakeCore = new FakeCore(now, (_key, cmd) => {
    if (cmd.aux === 0) return cold('--r', { r: fake.value('R', 5n) }) as Observable<Response>;
    if (cmd.aux === 1 && two) return cold('----t', { t: fake.failure(LcbStatus.LCB_ERR_TIMEOUT) }) as Observable<Response>;
    return cold('n', { n: fake.failure(LcbStatus.LCB_ERR_NO_MATCHING_SERVER) }) as Observable<Response>;
  });
  return fake;
}

test("'all': every replica's answer, a failed one included; one read per replica the map lists", (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = replicas(() => ts.now(), cold);
    const timedOut = replica(new ValueResult('k', LcbStatus.LCB_ERR_TIMEOUT));
    expectObservable((cold('--#', undefined, timeout('k')) as Observable<never>).pipe(fallback(fake, { mode: 'all' })) as Observable<unknown>)
      .toBe('----R-(X|)', { R: replica(fake.valueResult('k', 'R', 5n)), X: timedOut });
    ts.flush();
    t.deepEqual(fake.batches, [[0, 1, 2].map((aux) => ({ at: 2, op: NativeOp.GetReplica, key: 'k', aux }))]);
  });
});

test("'all' when the map lists no replica: the original failure stands", (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const none: FakeCore = new FakeCore(() => ts.now(), () => cold('n', { n: none.failure(LcbStatus.LCB_ERR_NO_MATCHING_SERVER) }) as Observable<Response>);
    const failed = new ValueResult('b', LcbStatus.LCB_ERR_TIMEOUT);
    expectObservable((cold('--#', undefined, timeout('k')) as Observable<never>).pipe(fallback(none, { mode: 'all' })) as Observable<unknown>)
      .toBe('--#', undefined, timeout('k'));
    expectObservable((cold('b|', { b: failed }) as Observable<ValueResult>).pipe(fallback(none, { mode: 'all' })) as Observable<unknown>)
      .toBe('b|', { b: failed });
  });
});

test('network and node-down errors fall back too; a missing key, a locked key and other errors pass as they are', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '-r');
    const R = replica(fake.valueResult('k', 'R', 5n));
    const refused = new NetworkError('connection refused', { key: 'k', rc: LcbStatus.LCB_ERR_CONNECTION_REFUSED });
    const moved = new TemporaryFailError('no matching server', { key: 'k', rc: LcbStatus.LCB_ERR_NO_MATCHING_SERVER });
    const missing = new NotFoundError('not found', { key: 'k' });
    const locked = new TemporaryFailError('locked', { key: 'k', rc: LcbStatus.LCB_ERR_DOCUMENT_LOCKED });
    expectObservable((cold('#', undefined, refused) as Observable<never>).pipe(fallback(fake)) as Observable<unknown>).toBe('-(R|)', { R });
    expectObservable((cold('#', undefined, moved) as Observable<never>).pipe(fallback(fake)) as Observable<unknown>).toBe('-(R|)', { R });
    expectObservable((cold('--#', undefined, missing) as Observable<never>).pipe(fallback(fake)) as Observable<unknown>).toBe('--#', undefined, missing);
    expectObservable((cold('--#', undefined, locked) as Observable<never>).pipe(fallback(fake)) as Observable<unknown>).toBe('--#', undefined, locked);
  });
});

test("'first' on the error path: the replica's own failure is the error", (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '-n');
    expectObservable((cold('-#', undefined, timeout('k')) as Observable<never>).pipe(fallback(fake)) as Observable<unknown>).toBe('--#', undefined,
      new NotFoundError('<Key="k", RC=0x12D[LCB_ERR_DOCUMENT_NOT_FOUND: Document is not found]>', { key: 'k' }));
  });
});

test('the result path: failed results of a quiet stream are read from replicas, the rest pass through', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '--r');
    const a = fake.valueResult('a', 'A');
    const b = new ValueResult('b', LcbStatus.LCB_ERR_TIMEOUT);
    const m = new ValueResult('m', LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND);
    expectObservable(cold('abm|', { a, b, m }).pipe(fallback(fake)) as Observable<unknown>)
      .toBe('a-m(B|)', { a, m, B: replica(fake.valueResult('b', 'R', 5n)) });
    const lost = core(() => ts.now(), cold, '--n');
    expectObservable(cold('b|', { b: new ValueResult('b', LcbStatus.LCB_ERR_TIMEOUT) }).pipe(fallback(lost)) as Observable<unknown>)
      .toBe('--(B|)', { B: replica(new ValueResult('b', LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND)) });
  });
});

test('empty, never, and values of a healthy get pass through untouched', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, '-r');
    const a = fake.valueResult('a', 'A');
    expectObservable((cold('|') as Observable<never>).pipe(fallback(fake)) as Observable<unknown>).toBe('|');
    expectObservable((cold('-') as Observable<never>).pipe(fallback(fake)) as Observable<unknown>).toBe('-');
    expectObservable(cold('-(a|)', { a }).pipe(fallback(fake)) as Observable<unknown>).toBe('-(a|)', { a });
    ts.flush();
    t.deepEqual(fake.batches, []);
  });
});

test('early unsubscribe drops the replica read in flight; nothing is emitted after', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = replicas(() => ts.now(), cold);
    expectObservable((cold('-#', undefined, timeout('k')) as Observable<never>).pipe(fallback(fake, { mode: 'all' })) as Observable<unknown>, '^--!').toBe('');
    ts.flush();
    t.is(fake.inflight, 0);
    t.is(fake.cancelled, 2, 'replicas 0 and 1 were still to answer');
  });
});

test('synchronous unsubscribe: the read is never answered', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold }) => {
    const fake = core(() => ts.now(), cold, '-r');
    const seen: unknown[] = [];
    of(new ValueResult('b', LcbStatus.LCB_ERR_TIMEOUT)).pipe(fallback(fake)).subscribe({ next: (x) => seen.push(x), complete: () => seen.push('done') }).unsubscribe();
    t.is(fake.inflight, 0);
    ts.flush();
    t.deepEqual(seen, []);
  });
});

test('options are checked when made; on memcached:// the replica read is NotSupportedError', (t) => {
  const ts = marbleScheduler(t);
  const fake = new FakeCore(() => 0, () => of());
  t.throws(() => fallback(fake, { mode: 'any' as never }), { instanceOf: ArgumentError, message: /'mode' must be 'first' or 'all'/ });
  fake.memcached = true;
  ts.run(({ cold, expectObservable }) => {
    expectObservable((cold('#', undefined, timeout('k')) as Observable<never>).pipe(fallback(fake)) as Observable<unknown>).toBe('#', undefined,
      new NotSupportedError('replicaFallback: replica reads are not supported on a memcached:// connection', { key: 'k' }));
  });
});
