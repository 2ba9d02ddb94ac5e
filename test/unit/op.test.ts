import test from 'ava';
import { firstValueFrom, retry, lastValueFrom, Observable } from 'rxjs';
import { NotFoundError, Op, TemporaryFailError } from '../../src/index.js';
import { fakeConnect, freshKey } from './helpers.js';

const tick = () => new Promise((r) => setImmediate(r));

test('an Op is lazy: nothing is sent until subscribed or awaited', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const op = cb.set(freshKey(), 1);
  await tick();
  await tick();
  t.is(cluster.submits.length, 0);
  t.true(op instanceof Observable);
  await op;
  t.is(cluster.submits.length, 1);
  await cb.close();
});

test('await runs once; each subscribe runs again', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const k = freshKey();
  const op = cb.incr(k, { initial: 1 });
  t.is((await op).value, 1);
  t.is(await firstValueFrom(op).then((r) => r.value), 2);
  t.is(await lastValueFrom(op).then((r) => r.value), 3);
  t.is(cluster.submits.length, 3);
  await cb.close();
});

test('emits exactly once then completes', async (t) => {
  const { cb } = await fakeConnect();
  const events: string[] = [];
  await new Promise<void>((resolve) => {
    cb.set(freshKey(), 1).subscribe({ next: () => events.push('next'), complete: () => { events.push('complete'); resolve(); } });
  });
  t.deepEqual(events, ['next', 'complete']);
  await cb.close();
});

test('retry() re-runs the operation', async (t) => {
  const { cb } = await fakeConnect({}, { nodes: 1 });
  const k = freshKey();
  await cb.set(k, 'v');
  const locked = await cb.lock(k, { ttl: 1 });
  let attempts = 0;
  const op = new Op<unknown>((s) => {
    attempts++;
    if (attempts === 2) cb.unlock(k, locked.cas).subscribe();
    return cb.set(k, 'w').subscribe(s);
  });
  const r = await lastValueFrom(op.pipe(retry({ count: 5, delay: 5 })));
  t.true((r as { success: boolean }).success);
  t.true(attempts >= 2);
  // and the error was the locked one
  await cb.lock(k, { ttl: 1 });
  await t.throwsAsync(cb.set(k, 'x'), { instanceOf: TemporaryFailError });
  await cb.close();
});

test('unsubscribing before the reply drops interest; the command is not resent', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const k = freshKey();
  cluster.hold = true;
  let got = 0;
  const sub = cb.set(k, 1).subscribe({ next: () => got++, error: () => got++ });
  await tick();
  t.is(cluster.submits.length, 1);
  sub.unsubscribe();
  cluster.release();
  await tick();
  t.is(got, 0);
  t.is(cluster.submits.length, 1);
  t.is(cb.batchStats.outstanding, 0);
  // unsubscribed before the flush: never sent
  const sub2 = cb.set(freshKey(), 2).subscribe();
  sub2.unsubscribe();
  await tick();
  t.is(cluster.submits.length, 1);
  await cb.close();
});

test.serial('an awaited operation fails with the stack of the async functions awaiting it', async (t) => {
  const { cb } = await fakeConnect();
  async function loadUser(): Promise<unknown> {
    return await cb.get(freshKey());
  }
  const e = await loadUser().then(() => undefined, (error: Error) => error);
  t.true(e instanceof NotFoundError);
  // the first frame of the user's code is the awaiting function (above it at most node's own
  // microtask runner, when the fake delivers from a timer)
  const frames = e!.stack!.split('\n').slice(1).filter((f) => !f.includes('(node:internal/'));
  t.regex(frames[0]!, /at async loadUser .*op\.test\.ts/);
  t.notRegex(e!.stack!, /batcher\.ts|fake-native\.ts|op\.ts/);
  const viaToPromise = await (async function viaToPromise() {
    try {
      await cb.get(freshKey()).toPromise();
    } catch (error) {
      return error as Error;
    }
  })();
  t.regex(viaToPromise!.stack!, /\n\s+at async viaToPromise .*op\.test\.ts/);
  await cb.close();
});

test.serial('a recorded call site (setCallSiteFrames) is the stack of an operation nobody awaits', async (t) => {
  const { setCallSiteFrames } = await import('../../src/index.js');
  const { CallSite } = await import('../../src/op.js');
  const { cb } = await fakeConnect();
  try {
    setCallSiteFrames(5);
    const e = await firstValueFrom(cb.get(freshKey())).then(() => undefined, (error: Error) => error);
    t.regex(e!.stack!.split('\n')[1]!, /op\.test\.ts/);
  } finally {
    setCallSiteFrames(5);
    CallSite.perOperation = false;
  }
  await cb.close();
});

test('Op supports .catch and toPromise', async (t) => {
  const { cb } = await fakeConnect();
  const r = await cb.get(freshKey()).catch((e) => e);
  t.true(r instanceof NotFoundError);
  await cb.close();
});

test('then() follows the Promise rules: callbacks later, never inside then; their result or throw settles the promise it returns', async (t) => {
  const { ObjectDestroyedError } = await import('../../src/index.js');
  const { cb } = await fakeConnect();
  await cb.set('then-k', { a: 1 });
  // a value, mapped; a callback left out passes the value or the error on
  t.is(await cb.get('then-k').then((r) => (r.value as { a: number }).a + 1), 2);
  t.deepEqual((await cb.get('then-k').then()).value, { a: 1 });
  await t.throwsAsync(cb.get(freshKey()).then((r) => r), { instanceOf: NotFoundError });
  t.true((await cb.get(freshKey()).then(undefined, (e) => e)) instanceof NotFoundError);
  // a callback that throws rejects the returned promise
  await t.throwsAsync(cb.get('then-k').then(() => { throw new RangeError('from the callback'); }), { instanceOf: RangeError, message: 'from the callback' });
  // a thenable returned by the callback is followed
  t.is(await cb.get('then-k').then(() => Promise.resolve('followed')), 'followed');
  const closed = cb.close();
  // settled inside then() (the connection is closed): the callback still runs later, not during then()
  const calls: string[] = [];
  const p = cb.get('then-k').then(() => calls.push('fulfilled'), (e) => calls.push(e instanceof ObjectDestroyedError ? 'closed' : 'other'));
  calls.push('then returned');
  await p;
  t.deepEqual(calls, ['then returned', 'closed']);
  await closed;
});

test.serial('recorded call sites: shared per method in one synchronous run, exact with everyCall', async (t) => {
  const { setCallSiteFrames } = await import('../../src/index.js');
  const { CallSite } = await import('../../src/op.js');
  const { cb } = await fakeConnect();
  const line = (e: Error | undefined) => /op\.test\.ts:(\d+)/.exec(e!.stack!.split('\n')[1]!)?.[1];
  try {
    setCallSiteFrames(5, { everyCall: true });
    const a = cb.get(freshKey());
    const b = cb.get(freshKey());
    const [ea, eb] = await Promise.all([t.throwsAsync(a), t.throwsAsync(b)]);
    t.truthy(line(ea));
    t.not(line(ea), line(eb));
    setCallSiteFrames(5, { everyCall: false });
    const ops = [freshKey(), freshKey()].map((k) => cb.get(k));
    const es = await Promise.all(ops.map((o) => t.throwsAsync(o)));
    t.is(line(es[0]), line(es[1]));
    t.truthy(line(es[0]));
    setCallSiteFrames(0);
    const off = await t.throwsAsync(cb.get(freshKey()));
    t.notRegex(off!.stack!.split('\n')[1] ?? '', /op\.test\.ts/);
  } finally {
    setCallSiteFrames(5, { everyCall: false });
    CallSite.perOperation = false;
  }
  await cb.close();
});
