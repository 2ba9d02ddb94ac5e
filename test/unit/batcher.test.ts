import { connectWithAddon } from '../../src/connection.js';
import test from 'ava';
import { Couchbase, MAX_OUTSTANDING, type CouchbaseError } from '../../src/index.js';
import { FakeCluster } from '../helpers/fake-native.js';
import { fakeConnect, freshKey } from './helpers.js';

test('commands issued in one tick coalesce into one batch', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const ks = [freshKey(), freshKey(), freshKey()];
  await Promise.all([cb.set(ks[0]!, 1), cb.set(ks[1]!, 2), cb.get(ks[0]!, { quiet: true }), cb.incr(ks[2]!, { initial: 1 })]);
  t.is(cluster.submits.length, 1);
  t.is(cluster.submits[0]!.count, 4);
  await cb.close();
});

test('a 10,000-key getMulti is one submit by default', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const keys = Array.from({ length: 10000 }, (_, i) => `key-${i}`);
  const mr = await cb.getMulti(keys, { quiet: true });
  t.is(mr.size, 10000);
  t.is(cluster.submits.length, 1);
  t.is(cluster.submits[0]!.count, 10000);
  t.is(cluster.connections[0]!.options.maxOutstanding, MAX_OUTSTANDING);
  t.is(cb.batchStats.maxOutstanding, MAX_OUTSTANDING);
  await cb.close();
});

test('outstanding commands are bounded by the native connection; the rest are queued there, one submit', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const kv: Record<string, number> = {};
  for (let i = 0; i < 10000; i++) kv[`b-${i}`] = i;
  const mr = await cb.setMulti(kv);
  t.true(mr.allOk);
  t.is(cb.batchStats.maxOutstanding, MAX_OUTSTANDING);
  t.is(cluster.submits.length, 1);
  t.is(cb.batchStats.queued, 0);
  const back = await cb.getMulti(Object.keys(kv));
  t.is(back.get('b-9999')!.value, 9999);
  await cb.close();
});

test('default bound is 512 (measured by the native engineer)', (t) => {
  t.is(MAX_OUTSTANDING, 512);
});

test('keys$.pipe(bufferTime) → getMulti costs one batch per buffer', async (t) => {
  const { bufferTime, from, mergeMap, filter, lastValueFrom, toArray } = await import('rxjs');
  const { cb, cluster } = await fakeConnect();
  await cb.setMulti({ a: 1, b: 2, c: 3 });
  const before = cluster.submits.length;
  const out = await lastValueFrom(from(['a', 'b', 'c']).pipe(
    bufferTime(5), filter((ks) => ks.length > 0), mergeMap((ks) => cb.getMulti(ks)), toArray()));
  t.is(out.length, 1);
  t.is(cluster.submits.length - before, 1);
  await cb.close();
});

test('submit rejections (rc per command) fail just those commands', async (t) => {
  const cluster = new FakeCluster();
  const cb = await connectWithAddon(cluster.addon, { host: '127.0.0.1' });
  const conn = cluster.connections[0]!;
  const submit = conn.submit.bind(conn);
  conn.submit = (batch) => {
    const rcs = submit(batch);
    if (batch.count > 1) rcs[1] = 1010; // LCB_ERR_NO_MATCHING_SERVER for the second command
    return rcs;
  };
  // quiet suppresses only "not found": the rejected key still fails the call
  const e = await t.throwsAsync<CouchbaseError>(cb.getMulti(['x', 'y', 'z'], { quiet: true }));
  const mr = e!.allResults!;
  t.is(mr.get('y')!.rc, 1010);
  t.is(mr.get('x')!.rc, 301);
  t.is(cb.batchStats.outstanding, 0);
  await cb.close();
});

test('no per-operation timers: 5,000 queued operations add no Timeout handles', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  cluster.hold = true;
  const ps = Array.from({ length: 5000 }, (_, i) => cb.set(`t-${i}`, i).toPromise());
  await new Promise((r) => setImmediate(r));
  t.is(cb.batchStats.outstanding, 5000);
  t.is(cb.batchStats.inflight, MAX_OUTSTANDING);
  t.is(cb.batchStats.queued, 5000 - MAX_OUTSTANDING);
  t.is(cluster.submits.length, 1);
  t.true(timers() - before < 5);
  cluster.release();
  // responses arrive batch by batch; each refills the in-flight window
  const holdEach = async () => { while (cb.batchStats.outstanding > 0) { await new Promise((r) => setImmediate(r)); cluster.release(); } };
  await holdEach();
  await Promise.all(ps);
  t.is(cb.batchStats.maxOutstanding, MAX_OUTSTANDING);
  await cb.close();
});

test('queued commands older than the timeout fail with TimeoutError when their turn comes', async (t) => {
  const { TimeoutError } = await import('../../src/index.js');
  const { cb, cluster } = await fakeConnect({ timeout: 0.05, maxOutstanding: 1 });
  cluster.hold = true;
  const first = cb.set('q1', 1).toPromise();
  const second = cb.set('q2', 2).toPromise();
  await new Promise((r) => setTimeout(r, 80));
  cluster.release();
  await t.notThrowsAsync(first);
  await t.throwsAsync(second, { instanceOf: TimeoutError });
  await cb.close();
});

test('the in-flight table finds colliding seqs and grows', async (t) => {
  const { InflightTable, Pending } = await import('../../src/batcher.js');
  const table = new InflightTable(8);
  const noop = () => {};
  const a = new Pending(1, undefined, noop);
  const b = new Pending(9, undefined, noop); // same slot as 1
  table.set(a);
  table.set(b);
  t.is(table.get(1), a);
  t.is(table.get(9), b);
  t.is(table.get(17), undefined);
  table.delete(1);
  t.is(table.get(1), undefined);
  t.is(table.get(9), b);
  for (let s = 100; s < 200; s++) table.set(new Pending(s, undefined, noop));
  t.is(table.size, 101);
  t.is(table.get(9), b);
  t.is(table.get(150)!.seq, 150);
  t.is(table.values().length, 101);
  table.delete(9);
  table.delete(9);
  t.is(table.size, 100);
  table.clear();
  t.is(table.size, 0);
});

test('a single response in the native scratch buffer: a non-final one is copied out, a final one is read during the handler', async (t) => {
  const { Batcher } = await import('../../src/batcher.js');
  const { NativeOp, ONE_BLOCK } = await import('../../src/binding.js');
  const submitted: number[] = [];
  let block: ArrayBuffer | undefined;
  let onResponse: ((data: ArrayBuffer | undefined, text: string | undefined) => void) | undefined;
  const native = {
    submit: () => t.fail('a tick of one command goes through submitOne'),
    bindOne: (b: ArrayBuffer, cb: typeof onResponse) => {
      block = b;
      onResponse = cb;
      return () => {
        submitted.push(new DataView(block!).getUint32(ONE_BLOCK.seq, true));
        return 0;
      };
    },
  } as unknown as ConstructorParameters<typeof Batcher>[0];
  const batcher = new Batcher(native);
  /** What the addon does for a delivery of one response: its numbers into the block, then the call. */
  const deliver = (seq: number, final: boolean, data: ArrayBuffer, length: number) => {
    const v = new DataView(block!);
    v.setUint32(ONE_BLOCK.response.seq, seq, true);
    v.setInt32(ONE_BLOCK.response.rc, 0, true);
    v.setUint32(ONE_BLOCK.response.final, final ? 1 : 0, true);
    v.setUint32(ONE_BLOCK.response.dataLength, length, true);
    onResponse!(data, undefined);
  };
  const kept: Buffer[] = [];
  const readAtFinal: string[] = [];
  // the way execute() and the operators keep non-final responses until the final one
  batcher.enqueue({ op: NativeOp.Observe, key: Buffer.from('a') }, (r) => {
    if (!r.final) kept.push(r.data);
    else readAtFinal.push(r.data.toString());
  });
  await new Promise((r) => setImmediate(r));
  t.is(submitted.length, 1);
  const scratch = new ArrayBuffer(64);
  const bytes = new Uint8Array(scratch);
  bytes.set(Buffer.from('first'));
  deliver(submitted[0]!, false, scratch, 5);
  bytes.set(Buffer.from('later'));
  deliver(submitted[0]!, false, scratch, 5);
  bytes.set(Buffer.from('final'));
  deliver(submitted[0]!, true, scratch, 5);
  bytes.fill(0);
  t.deepEqual(kept.map((b) => b.toString()), ['first', 'later']);
  t.deepEqual(readAtFinal, ['final']);
  // bytes of their own (an ArrayBuffer of exactly their size) are used as they are
  const own = new ArrayBuffer(3);
  new Uint8Array(own).set(Buffer.from('own'));
  batcher.enqueue({ op: NativeOp.Get, key: Buffer.from('c') }, (r) => kept.push(r.data));
  await new Promise((r) => setImmediate(r));
  deliver(submitted[1]!, true, own, 3);
  t.is(kept[2]!.toString(), 'own');
});
