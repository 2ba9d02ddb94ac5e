/** @test {retryTransient} which errors retry, the backoff schedule with cap and jitter, the retry limit, teardown. */
import test from 'ava';
import { defer, type Observable } from 'rxjs';
import { ArgumentError, LcbStatus, NotFoundError, TemporaryFailError, TimeoutError } from '../src/errors/index.js';
import { retryTransient } from '../src/operators/retry-transient.js';
import { marbleScheduler } from './helpers/scheduler.js';

type Cold = (marbles: string, values?: Record<string, unknown>, error?: unknown) => Observable<unknown>;
const locked = new TemporaryFailError('locked', { key: 'k', rc: LcbStatus.LCB_ERR_DOCUMENT_LOCKED });

/** A cold source failing with `errors[n]` on its n-th subscription (1 ms in), then emitting a. Records when each subscription started. */
function flaky(cold: Cold, now: () => number, errors: unknown[]) {
  const at: number[] = [];
  const source = defer(() => {
    const n = at.push(now()) - 1;
    return n < errors.length ? cold('-#', undefined, errors[n]) : cold('-(a|)');
  });
  return { source, at };
}

test('a TemporaryFailError (a locked key) resubscribes after 10 ms, then 20 ms: the operation is sent again', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { source, at } = flaky(cold, () => ts.now(), [locked, locked]);
    expectObservable(source.pipe(retryTransient({ initialDelay: 0.01, jitter: 0 }))).toBe('33ms (a|)');
    ts.flush();
    t.deepEqual(at, [0, 11, 32]);
  });
});

test('TimeoutError is retried too; the delay doubles up to maxDelay', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const slow = new TimeoutError('timed out', { key: 'k' });
    const { source, at } = flaky(cold, () => ts.now(), [slow, slow, slow, slow]);
    expectObservable(source.pipe(retryTransient({ initialDelay: 0.01, maxDelay: 0.015, jitter: 0 }))).toBe('60ms (a|)');
    ts.flush();
    t.deepEqual(at, [0, 11, 27, 43, 59]);
  });
});

test('jitter takes a random share off each delay (injectable random)', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { source, at } = flaky(cold, () => ts.now(), [locked, locked]);
    // jitter 0.5 × random 0.5: each delay is 75 % of 20 ms, then of 40 ms.
    expectObservable(source.pipe(retryTransient({ initialDelay: 0.02, jitter: 0.5, random: () => 0.5 }))).toBe('48ms (a|)');
    ts.flush();
    t.deepEqual(at, [0, 16, 47]);
  });
});

test('after maxRetries the last error is passed on', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { source, at } = flaky(cold, () => ts.now(), [locked, locked, locked]);
    expectObservable(source.pipe(retryTransient({ maxRetries: 2, initialDelay: 0.01, jitter: 0 }))).toBe('33ms #', undefined, locked);
    ts.flush();
    t.deepEqual(at, [0, 11, 32]);
  });
});

test('any other error passes at once, without a retry', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const missing = new NotFoundError('missing', { key: 'k' });
    const { source, at } = flaky(cold, () => ts.now(), [missing]);
    expectObservable(source.pipe(retryTransient())).toBe('-#', undefined, missing);
    ts.flush();
    t.deepEqual(at, [0]);
  });
});

test('values and completion pass through; empty and never too', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    expectObservable(cold('-a-b|').pipe(retryTransient())).toBe('-a-b|');
    expectObservable(cold('|').pipe(retryTransient())).toBe('|');
    expectObservable(cold('-').pipe(retryTransient())).toBe('-');
  });
});

test('unsubscribing during a wait clears its timer: no resubscription, nothing left scheduled', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { source, at } = flaky(cold, () => ts.now(), [locked]);
    expectObservable(source.pipe(retryTransient({ initialDelay: 0.01, jitter: 0 })), '^----!').toBe('');
    ts.flush();
    t.deepEqual(at, [0]);
    t.is(ts.actions.length, 0);
  });
});

test('synchronous unsubscribe: nothing emitted, nothing scheduled', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold }) => {
    const { source, at } = flaky(cold, () => ts.now(), [locked]);
    const seen: unknown[] = [];
    source.pipe(retryTransient()).subscribe({ next: (x) => seen.push(x), error: (e) => seen.push(e) }).unsubscribe();
    ts.flush();
    t.deepEqual(seen, []);
    t.deepEqual(at, [0]);
  });
});

test('options are checked when the operator is made', (t) => {
  t.throws(() => retryTransient({ jitter: 2 }), { instanceOf: ArgumentError, message: /jitter/ });
  t.throws(() => retryTransient({ initialDelay: 1, maxDelay: 0.5 }), { instanceOf: ArgumentError, message: /maxDelay/ });
  t.throws(() => retryTransient({ retries: 3 } as never), { instanceOf: ArgumentError, message: /unknown option 'retries'/ });
});
