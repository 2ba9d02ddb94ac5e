/**
 * The cluster-only operations on the NativeAddon against the embedded emulator (couchbase://,
 * 3 nodes, 2 replicas): observe, replica reads in every mode, lock/unlock, stats per server.
 */
import test from 'ava';

import { startEmulator, type Emulator } from '../../emulator/index.js';
import { NativeOp } from '../../src/binding.js';
import { freshKey, RC, TestConnection, type Reply } from './_support.js';

let emu: Emulator;
let c: TestConnection;

test.before(async () => {
  emu = await startEmulator({ nodes: 3, replicas: 2 });
  c = new TestConnection(`${emu.connectionString}/default`, { username: emu.username, password: emu.password });
  const { rc, detail } = await c.connect();
  if (rc !== 0) throw new Error(`connect ${rc} ${detail}`);
});

test.after.always(async () => {
  await c?.close();
  await emu?.stop();
});

async function all(cmd: Parameters<TestConnection['run']>[0][number]): Promise<Reply[]> {
  const [r] = await c.run([cmd]);
  if (!Array.isArray(r)) throw new Error(`submit rc ${r.submitRc}`);
  return r;
}

async function stored(value = 'v'): Promise<{ key: string; cas: bigint }> {
  const key = freshKey('cluster');
  const set = await c.one({ op: NativeOp.Set, key, value, flags: 3 });
  if (set.rc !== 0) throw new Error(`set rc ${set.rc}`);
  await new Promise((r) => setTimeout(r, 50)); // replication
  return { key, cas: set.cas };
}

test('serverNodes lists every node', (t) => {
  t.is(c.conn.serverNodes().length, 3);
});

test('observe: one response per node of the vBucket, one of them the master, final on the last', async (t) => {
  const { key, cas } = await stored();
  const replies = await all({ op: NativeOp.Observe, key });
  t.is(replies.length, 3);
  t.deepEqual(replies.map((r) => r.final), [false, false, true]);
  t.is(replies.filter((r) => r.aux & 0x100).length, 1);
  t.true(replies.every((r) => r.rc === 0 && r.cas === cas && /^127\.0\.0\.1:\d+$/.test(r.text ?? '')));
  t.is(new Set(replies.map((r) => r.text)).size, 3);
  t.true(replies.every((r) => (r.aux & 0xff) === 0x00 || (r.aux & 0xff) === 0x01));
  const missing = await all({ op: NativeOp.Observe, key: freshKey('none') });
  t.true(missing.every((r) => (r.aux & 0xff) === 0x80));
});

test('replica reads: any, all, by index', async (t) => {
  const { key } = await stored('replicated');
  const any = await all({ op: NativeOp.GetReplica, key, aux: -1 });
  t.is(any.length, 1);
  t.is(any[0].data.toString(), 'replicated');
  t.is(any[0].flags, 3);
  const every = await all({ op: NativeOp.GetReplica, key, aux: -2 });
  t.true(every.length >= 2);
  t.true(every[every.length - 1].final);
  t.true(every.every((r) => r.rc === 0 && r.data.toString() === 'replicated'));
  for (const index of [0, 1]) {
    const one = await all({ op: NativeOp.GetReplica, key, aux: index });
    t.is(one.length, 1);
    t.is(one[0].data.toString(), 'replicated');
  }
  t.deepEqual(await c.run([{ op: NativeOp.GetReplica, key, aux: 7 }]), [{ submitRc: RC.INVALID_ARGUMENT }]);
});

test('lock, write while locked, unlock', async (t) => {
  const { key } = await stored('locked');
  const lock = await c.one({ op: NativeOp.GetAndLock, key, expiry: 10 });
  t.is(lock.rc, 0);
  t.is(lock.data.toString(), 'locked');
  // a locked key fails at once (not retried until the operation timeout)
  const t0 = Date.now();
  t.is((await c.one({ op: NativeOp.Set, key, value: 'x' })).rc, RC.LOCKED);
  t.is((await c.one({ op: NativeOp.GetAndLock, key, expiry: 10 })).rc, RC.LOCKED);
  t.true(Date.now() - t0 < 1000);
  t.is((await c.one({ op: NativeOp.Unlock, key, cas: lock.cas })).rc, 0);
  t.is((await c.one({ op: NativeOp.Set, key, value: 'y' })).rc, 0);
});

test('stats: responses from every server, final on the last', async (t) => {
  const replies = await all({ op: NativeOp.Stats, key: '' });
  t.is(new Set(replies.map((r) => r.text?.split('\t')[0])).size, 3);
  t.deepEqual(replies.map((r) => r.final), [...Array(replies.length - 1).fill(false), true]);
});
