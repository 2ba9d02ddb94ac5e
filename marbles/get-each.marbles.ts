/** @test {getEach} batching windows, the in-flight bound, ordering, errors and the teardown checklist. */
import test from 'ava';
import { NEVER, Observable, of } from 'rxjs';
import type { Response } from '../src/batcher.js';
import { ArgumentError, LcbStatus, NotFoundError, TimeoutError } from '../src/errors/index.js';
import { ValueResult } from '../src/results.js';
import { CallSite } from '../src/op.js';
import { getEachOn, type GetEachOptions } from '../src/operators/get-each.js';
import { FakeCore } from './helpers/fake-core.js';
import { marbleScheduler } from './helpers/scheduler.js';

type Cold = (marbles: string, values?: Record<string, unknown>) => Observable<unknown>;
const site = new CallSite(test);

/** A fake core where key k answers `marble` (its `r` is k's value, `x` a failure) after its latency. */
function core(now: () => number, cold: Cold, replies: Record<string, string>, failures: Record<string, number> = {}): FakeCore {
  const fake: FakeCore = new FakeCore(now, (key) =>
    cold(replies[key] ?? replies['*']!, { r: fake.value(key.toUpperCase()), x: fake.failure(failures[key] ?? LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND) }) as Observable<Response>);
  return fake;
}
const getEach = (fake: FakeCore, options?: GetEachOptions) => getEachOn(fake, options, site);

test('keys of one tick go out as one batch; at most `concurrency` in flight; the next go out as slots free', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
    const fake = core(() => ts.now(), cold, { '*': '-----r' });
    const keys = hot('(abcd)|');
    const v = { A: fake.valueResult('a', 'A'), B: fake.valueResult('b', 'B'), C: fake.valueResult('c', 'C'), D: fake.valueResult('d', 'D') };
    expectObservable(keys.pipe(getEach(fake, { concurrency: 2 }))).toBe('-----(AB)-(CD|)', v);
    expectSubscriptions(keys.subscriptions).toBe('^-----!');
    ts.flush();
    t.deepEqual(fake.sent, [{ at: 0, keys: ['a', 'b'] }, { at: 5, keys: ['c', 'd'] }]);
    t.is(fake.maxInflight, 2);
    t.is(fake.inflight, 0);
  });
});

test('results in completion order by default, in source order with `ordered`', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { a: '----r', b: '-r' });
    const v = { A: fake.valueResult('a', 'A'), B: fake.valueResult('b', 'B') };
    expectObservable((cold('ab|') as Observable<never>).pipe(getEach(fake)) as Observable<unknown>).toBe('--B-(A|)', v);
    expectObservable((cold('ab|') as Observable<never>).pipe(getEach(fake, { ordered: true })) as Observable<unknown>).toBe('----(AB|)', v);
  });
});

test('with `ordered`, a result waiting for an earlier key still holds its slot', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { a: '-----r', b: '-r', c: '-----r' });
    const v = { A: fake.valueResult('a', 'A'), B: fake.valueResult('b', 'B'), C: fake.valueResult('c', 'C') };
    expectObservable((cold('(abc)|') as Observable<never>).pipe(getEach(fake, { concurrency: 2, ordered: true })) as Observable<unknown>).toBe('-----(AB)-(C|)', v);
    ts.flush();
    t.deepEqual(fake.sent, [{ at: 0, keys: ['a', 'b'] }, { at: 5, keys: ['c'] }]);
  });
});

test('a missing key errors the stream by default; quiet: true emits it as a failed result and goes on', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { a: '-r', m: '--x' });
    const missing = new ValueResult('m', LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND);
    const error = new NotFoundError('<Key="m", RC=0x12D[LCB_ERR_DOCUMENT_NOT_FOUND: Document is not found]>', { key: 'm' });
    expectObservable((cold('am|') as Observable<never>).pipe(getEach(fake)) as Observable<unknown>).toBe('-A-#', { A: fake.valueResult('a', 'A') }, error);
    expectObservable((cold('am|') as Observable<never>).pipe(getEach(fake, { quiet: true })) as Observable<unknown>).toBe('-A-(M|)', { A: fake.valueResult('a', 'A'), M: missing });
  });
});

test("by default a missing key follows the connection's quiet; any other failure errors even then", (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { m: '-x', s: '--x' }, { s: LcbStatus.LCB_ERR_TIMEOUT });
    fake.quiet = true;
    const missing = new ValueResult('m', LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND);
    const timeout = new TimeoutError('<Key="s", RC=0xC9[LCB_ERR_TIMEOUT: The request was not completed by the user-defined timeout]>', { key: 's' });
    expectObservable((cold('(ms)|') as Observable<never>).pipe(getEach(fake)) as Observable<unknown>).toBe('-M#', { M: missing }, timeout);
    expectObservable((cold('m|') as Observable<never>).pipe(getEach(fake, { quiet: false })) as Observable<unknown>).toBe('-#', undefined,
      new NotFoundError('<Key="m", RC=0x12D[LCB_ERR_DOCUMENT_NOT_FOUND: Document is not found]>', { key: 'm' }));
  });
});

test('a source error passes at once and drops the keys in flight', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { '*': '---r' });
    const boom = new Error('source failed');
    expectObservable((cold('a-#', undefined, boom) as Observable<never>).pipe(getEach(fake)) as Observable<unknown>).toBe('--#', undefined, boom);
    ts.flush();
    t.is(fake.inflight, 0);
    t.is(fake.cancelled, 1);
  });
});

test('a bad key is an ArgumentError; the keys in flight are dropped', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { '*': '---r' });
    expectObservable(cold('ab|', { a: 'a', b: '' }).pipe(getEach(fake)) as Observable<unknown>).toBe('-#', undefined,
      new ArgumentError('getEach: key must not be empty'));
    ts.flush();
    t.is(fake.inflight, 0);
  });
});

test('empty completes at once, never never ends, and nothing is sent for either', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const fake = core(() => ts.now(), cold, { '*': '-r' });
    expectObservable((cold('|') as Observable<never>).pipe(getEach(fake)) as Observable<unknown>).toBe('|');
    expectObservable((cold('-') as Observable<never>).pipe(getEach(fake)) as Observable<unknown>).toBe('-');
    ts.flush();
    t.deepEqual(fake.sent, []);
  });
});

test('early unsubscribe: the key in flight is dropped, the queued ones are never sent, nothing is emitted after', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
    const fake = core(() => ts.now(), cold, { '*': '---r' });
    const keys = hot('(abc)---d|');
    expectObservable(keys.pipe(getEach(fake, { concurrency: 1 })), '^----!').toBe('---A-', { A: fake.valueResult('a', 'A') });
    expectSubscriptions(keys.subscriptions).toBe('^----!');
    ts.flush();
    t.deepEqual(fake.sent, [{ at: 0, keys: ['a'] }, { at: 3, keys: ['b'] }]);
    t.is(fake.inflight, 0);
  });
});

test('synchronous unsubscribe: no reply is delivered and nothing stays in flight or scheduled', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold }) => {
    const fake = core(() => ts.now(), cold, { '*': '-r' });
    const seen: unknown[] = [];
    of('a', 'b', 'c').pipe(getEach(fake, { concurrency: 2 })).subscribe({ next: (r) => seen.push(r), complete: () => seen.push('done') }).unsubscribe();
    t.is(fake.inflight, 0);
    ts.flush();
    t.deepEqual(seen, []);
    t.deepEqual(fake.sent, [{ at: 0, keys: ['a', 'b'] }]);
  });
});

test('options are checked when the operator is made', (t) => {
  const fake = new FakeCore(() => 0, () => of());
  t.throws(() => getEach(fake, { concurrency: 0 }), { instanceOf: ArgumentError, message: /concurrency/ });
  t.throws(() => getEach(fake, { quiet: 'yes' as never }), { instanceOf: ArgumentError, message: /quiet/ });
  t.throws(() => getEach(fake, { batch: 5 } as never), { instanceOf: ArgumentError, message: /unknown option 'batch'/ });
});

test('a synchronous source stops as soon as the operator fails', (t) => {
  const fake = new FakeCore(() => 0, () => NEVER);
  let sent = 0;
  const endless = new Observable<string>((subscriber) => {
    for (let i = 0; !subscriber.closed; i++) {
      sent++;
      subscriber.next(i === 3 ? '' : `k${i}`);
    }
  });
  let error: unknown;
  endless.pipe(getEach(fake, { concurrency: 10 })).subscribe({ error: (e) => (error = e) });
  t.true(error instanceof ArgumentError);
  t.is(sent, 5, 'the source stops at the value after the failure');
  t.is(fake.inflight, 0);
});
