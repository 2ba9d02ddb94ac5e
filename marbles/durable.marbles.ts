/** @test {durable} grouping per tick, backoff, fast impossible failures, DurabilityErrors, quiet, teardown. */
import test from 'ava';
import { Observable, of } from 'rxjs';
import { ArgumentError, DurabilityError, LcbStatus, NotSupportedError } from '../src/errors/index.js';
import { CallSite } from '../src/op.js';
import { durableOn, type DurableOptions } from '../src/operators/durable.js';
import { OperationResult, type Result } from '../src/results.js';
import { FakeCore } from './helpers/fake-core.js';
import { observed, type NodeState } from './helpers/observe.js';
import { marbleScheduler } from './helpers/scheduler.js';

type Cold = (marbles: string, values?: Record<string, unknown>) => Observable<unknown>;
const site = new CallSite(test);
const backoff = { initial: 0.005, factor: 1, max: 0.005 };
const pending: NodeState[] = [{ state: 'found', cas: 7n }, { state: 'missing' }];
const done: NodeState[] = [{ state: 'persisted', cas: 7n }, { state: 'found', cas: 7n }];

/**
 * A core whose observe rounds answer after 1 ms; `nodes(key, n)` says what the n-th round of
 * that key sees (default: durable from its round `durableAt[key]`).
 */
function core(now: () => number, cold: Cold, durableAt: Record<string, number>, nodes?: (key: string, n: number) => NodeState[]) {
  const rounds: Array<{ at: number; keys: string[] }> = [];
  const seen = new Map<string, number>();
  const fake = new FakeCore(now, () => of(), (keys) => {
    rounds.push({ at: now(), keys: [...keys] });
    const answers = keys.map((k) => {
      const n = seen.get(k) ?? 0;
      seen.set(k, n + 1);
      return observed(k, nodes?.(k, n) ?? (n >= (durableAt[k] ?? Infinity) ? done : pending));
    });
    return cold('-(a|)', { a: answers }) as never;
  });
  return Object.assign(fake, { rounds });
}
const durable = (fake: FakeCore, options: DurableOptions) => durableOn<Result>(fake, options, site);
const r = (k: string) => new OperationResult(k, 0, 7n);

test('each result comes out once durable; results of one tick share the observe rounds', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { a: 1, b: 0 });
    expectObservable(cold('ab|', { a: r('a'), b: r('b') }).pipe(durable(fake, { persistTo: 1, replicateTo: 1, backoff })) as Observable<unknown>)
      .toBe('--b----(a|)', { a: r('a'), b: r('b') });
    const together = core(() => ts.now(), cold, { a: 1, b: 0 });
    expectObservable(cold('(ab|)', { a: r('a'), b: r('b') }).pipe(durable(together, { persistTo: 1, replicateTo: 1, backoff })) as Observable<unknown>)
      .toBe('-b-----(a|)', { a: r('a'), b: r('b') });
    ts.flush();
    t.deepEqual(fake.rounds, [{ at: 0, keys: ['a'] }, { at: 1, keys: ['b'] }, { at: 6, keys: ['a'] }]);
    t.deepEqual(together.rounds, [{ at: 0, keys: ['a', 'b'] }, { at: 6, keys: ['a'] }]);
  });
});

test('a requirement the cluster cannot meet fails at the first round', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { a: 0 });
    const error = new DurabilityError("durability impossible: persistTo=0, replicateTo=2 but the key's vBucket has 2 node(s) (1 replica(s))", { key: 'a' });
    expectObservable(cold('a|', { a: r('a') }).pipe(durable(fake, { replicateTo: 2 })) as Observable<unknown>).toBe('-#', undefined, error);
  });
});

test('the timeout is a DurabilityError naming the key and what was reached', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, {});
    const error = new DurabilityError('endure: durability requirements (persistTo=1, replicateTo=1) not met within 0.012s (reached: persisted on 0, replicated to 0)', { key: 'a' });
    expectObservable(cold('a|', { a: r('a') }).pipe(durable(fake, { persistTo: 1, replicateTo: 1, timeout: 0.012, backoff })) as Observable<unknown>)
      .toBe('-------------#', undefined, error);
    ts.flush();
    t.deepEqual(fake.rounds.map((x) => x.at), [0, 6, 12]);
  });
});

test('a CAS that changes while polling is a DurabilityError; with quiet the result carries it and the stream goes on', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const changed = (k: string, n: number): NodeState[] => (k === 'a' && n > 0 ? [{ state: 'found', cas: 8n }, { state: 'missing' }] : k === 'b' ? done : pending);
    const error = new DurabilityError('endure: the key was modified again (CAS changed from 0x7 to 0x8 on the master) before it became durable', { key: 'a' });
    const fake = core(() => ts.now(), cold, {}, changed);
    expectObservable(cold('a|', { a: r('a') }).pipe(durable(fake, { persistTo: 1, backoff })) as Observable<unknown>).toBe('-------#', undefined, error);
    const quiet = core(() => ts.now(), cold, {}, changed);
    expectObservable(cold('(ab|)', { a: r('a'), b: r('b') }).pipe(durable(quiet, { persistTo: 1, backoff, quiet: true })) as Observable<unknown>)
      .toBe('-b-----(a|)', { a: new OperationResult('a', LcbStatus.LCB_ERR_CAS_MISMATCH, 7n), b: r('b') });
  });
});

test('failed results pass through untouched and are not observed; a non-result is an ArgumentError', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { a: 0 });
    const failed = new OperationResult('f', LcbStatus.LCB_ERR_DOCUMENT_EXISTS);
    expectObservable(cold('fa|', { f: failed, a: r('a') }).pipe(durable(fake, { persistTo: 1 })) as Observable<unknown>).toBe('f-(a|)', { f: failed, a: r('a') });
    expectObservable((cold('x', { x: 'key' }) as Observable<unknown> as Observable<never>).pipe(durable(fake, { persistTo: 1 })) as Observable<unknown>).toBe('#', undefined,
      new ArgumentError('durable: expected mutation results (Result objects)'));
    ts.flush();
    t.deepEqual(fake.rounds.map((x) => x.keys), [['a']]);
  });
});

test('empty, never, and a source error passing at once', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, {});
    const boom = new Error('upstream');
    expectObservable((cold('|') as Observable<never>).pipe(durable(fake, { persistTo: 1 })) as Observable<unknown>).toBe('|');
    expectObservable((cold('-') as Observable<never>).pipe(durable(fake, { persistTo: 1 })) as Observable<unknown>).toBe('-');
    expectObservable(cold('a#', { a: r('a') }, boom).pipe(durable(fake, { persistTo: 1 })) as Observable<unknown>).toBe('-#', undefined, boom);
    ts.flush();
    t.deepEqual(fake.rounds.map((x) => x.at), [0]);
  });
});

test('early unsubscribe stops the polling: no round, no timer, no emission after', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { a: 3 });
    expectObservable(cold('a|', { a: r('a') }).pipe(durable(fake, { persistTo: 1, backoff })) as Observable<unknown>, '^-------!').toBe('');
    ts.flush();
    t.deepEqual(fake.rounds.map((x) => x.at), [0, 6]);
  });
});

test('synchronous unsubscribe: no poll starts and nothing is left scheduled', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold }) => {
    const fake = core(() => ts.now(), cold, { a: 0 });
    const seen: unknown[] = [];
    of(r('a')).pipe(durable(fake, { persistTo: 1 })).subscribe({ next: (x) => seen.push(x), complete: () => seen.push('done') }).unsubscribe();
    ts.flush();
    t.deepEqual(seen, []);
    t.deepEqual(fake.rounds, []);
  });
});

test('options are checked when the operator is made', (t) => {
  const fake = new FakeCore(() => 0, () => of());
  t.throws(() => durable(fake, {}), { instanceOf: ArgumentError, message: /give persistTo and\/or replicateTo/ });
  t.throws(() => durable(fake, { persistTo: 1, backoff: { factor: 0 } }), { instanceOf: ArgumentError, message: /factor/ });
  fake.memcached = true;
  t.throws(() => durable(fake, { persistTo: 1 }), { instanceOf: NotSupportedError });
});

test('a synchronous source stops as soon as the operator fails', (t) => {
  const fake = new FakeCore(() => 0, () => of());
  let sent = 0;
  const endless = new Observable<unknown>((subscriber) => {
    for (let i = 0; !subscriber.closed; i++) {
      sent++;
      subscriber.next(i === 2 ? 'not a result' : new OperationResult(`k${i}`, LcbStatus.LCB_ERR_DOCUMENT_EXISTS));
    }
  });
  let error: unknown;
  (endless as Observable<Result>).pipe(durable(fake, { persistTo: 1 })).subscribe({ error: (e) => (error = e) });
  t.true(error instanceof ArgumentError);
  t.is(sent, 4, 'the source stops at the value after the failure');
});
