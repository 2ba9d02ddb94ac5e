/**
 * Key-value round trips on the NativeAddon against a real memcached (memcached:// scheme).
 */
import test from 'ava';

import { NativeOp } from '../../src/binding.js';
import { startMemcached, type Memcached } from '../helpers/memcached.js';
import { freshKey, native, RC, TestConnection } from './_support.js';

let mc: Memcached;
let c: TestConnection;

test.before(async () => {
  mc = await startMemcached();
  c = new TestConnection(mc.connectionString);
  const { rc, detail } = await c.connect();
  if (rc !== 0) throw new Error(`connect failed: ${rc} ${detail}`);
});

test.after.always(async () => {
  await c?.close();
  await mc?.stop();
});

test('lcbVersion and strerror', (t) => {
  t.regex(native.lcbVersion, /^3\.\d+\.\d+/);
  t.deepEqual(native.strerror(RC.NOT_FOUND).name, 'LCB_ERR_DOCUMENT_NOT_FOUND');
  t.true(native.strerror(RC.TIMEOUT).description.length > 0);
  t.is(native.strerror(123456).name, 'LCB_ERR_UNKNOWN');
});

test('serverNodes lists the memcached', (t) => {
  t.deepEqual(c.conn.serverNodes(), [`127.0.0.1:${mc.port}`]);
});

test('set then get returns value, flags and cas', async (t) => {
  const key = freshKey();
  const set = await c.one({ op: NativeOp.Set, key, value: 'hello', flags: 0x2000006 });
  t.is(set.rc, RC.SUCCESS);
  t.true(set.final);
  t.not(set.cas, 0n);
  const got = await c.one({ op: NativeOp.Get, key });
  t.is(got.rc, RC.SUCCESS);
  t.is(got.data.toString(), 'hello');
  t.is(got.flags, 0x2000006);
  t.is(got.cas, set.cas);
});

test('binary values and keys survive the round trip', async (t) => {
  const key = Buffer.from([0x6b, 0xc3, 0xa9, 0x01, 0x7f, 0x20]).toString('latin1') + freshKey();
  const value = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i & 0xff));
  t.is((await c.one({ op: NativeOp.Set, key, value })).rc, RC.SUCCESS);
  const got = await c.one({ op: NativeOp.Get, key });
  t.true(got.data.equals(value));
});

test('get of a missing key', async (t) => {
  const r = await c.one({ op: NativeOp.Get, key: freshKey() });
  t.is(r.rc, RC.NOT_FOUND);
  t.is(r.data.length, 0);
});

test('add only when absent, replace only when present', async (t) => {
  const key = freshKey();
  t.is((await c.one({ op: NativeOp.Replace, key, value: 'x' })).rc, RC.NOT_FOUND);
  t.is((await c.one({ op: NativeOp.Add, key, value: 'a' })).rc, RC.SUCCESS);
  t.is((await c.one({ op: NativeOp.Add, key, value: 'b' })).rc, RC.EXISTS);
  t.is((await c.one({ op: NativeOp.Replace, key, value: 'c' })).rc, RC.SUCCESS);
  t.is((await c.one({ op: NativeOp.Get, key })).data.toString(), 'c');
});

test('cas mismatch on set and delete', async (t) => {
  const key = freshKey();
  const first = await c.one({ op: NativeOp.Set, key, value: '1' });
  await c.one({ op: NativeOp.Set, key, value: '2' });
  const stale = await c.one({ op: NativeOp.Set, key, value: '3', cas: first.cas });
  t.not(stale.rc, RC.SUCCESS);
  t.is(stale.rc, RC.CAS_MISMATCH);
  t.not((await c.one({ op: NativeOp.Delete, key, cas: first.cas })).rc, RC.SUCCESS);
  const current = await c.one({ op: NativeOp.Get, key });
  t.is(current.data.toString(), '2');
  t.is((await c.one({ op: NativeOp.Set, key, value: '4', cas: current.cas })).rc, RC.SUCCESS);
});

test('delete', async (t) => {
  const key = freshKey();
  await c.one({ op: NativeOp.Set, key, value: 'x' });
  t.is((await c.one({ op: NativeOp.Delete, key })).rc, RC.SUCCESS);
  t.is((await c.one({ op: NativeOp.Get, key })).rc, RC.NOT_FOUND);
  t.is((await c.one({ op: NativeOp.Delete, key })).rc, RC.NOT_FOUND);
});

test('incr and decr, with and without initial', async (t) => {
  const key = freshKey();
  t.is((await c.one({ op: NativeOp.Incr, key, delta: 1n })).rc, RC.NOT_FOUND);
  const created = await c.one({ op: NativeOp.Incr, key, delta: 5n, initial: 10n, aux: 1 });
  t.is(created.rc, RC.SUCCESS);
  t.is(created.u64, 10n);
  t.is((await c.one({ op: NativeOp.Incr, key, delta: 5n })).u64, 15n);
  t.is((await c.one({ op: NativeOp.Decr, key, delta: 3n })).u64, 12n);
  t.is((await c.one({ op: NativeOp.Decr, key, delta: 100n })).u64, 0n);
  t.is((await c.one({ op: NativeOp.Get, key })).data.toString().trim(), '0'); // memcached pads decr results
  t.deepEqual(await c.run([{ op: NativeOp.Incr, key, delta: 1n << 63n }]), [{ submitRc: RC.INVALID_ARGUMENT }]);
});

test('append and prepend', async (t) => {
  const key = freshKey();
  t.is((await c.one({ op: NativeOp.Append, key, value: 'x' })).rc, RC.NOT_STORED);
  await c.one({ op: NativeOp.Set, key, value: 'mid', flags: 7 });
  t.is((await c.one({ op: NativeOp.Append, key, value: '>>' })).rc, RC.SUCCESS);
  t.is((await c.one({ op: NativeOp.Prepend, key, value: '<<' })).rc, RC.SUCCESS);
  const got = await c.one({ op: NativeOp.Get, key });
  t.is(got.data.toString(), '<<mid>>');
  t.is(got.flags, 7);
});

test('touch and get-and-touch set a new expiry', async (t) => {
  const key = freshKey();
  await c.one({ op: NativeOp.Set, key, value: 'v', expiry: 100 });
  t.is((await c.one({ op: NativeOp.Touch, key, expiry: 1 })).rc, RC.SUCCESS);
  t.is((await c.one({ op: NativeOp.Touch, key: freshKey(), expiry: 1 })).rc, RC.NOT_FOUND);
  const gat = await c.one({ op: NativeOp.Get, key, expiry: 1 });
  t.is(gat.rc, RC.SUCCESS);
  t.is(gat.data.toString(), 'v');
  await new Promise((r) => setTimeout(r, 2100));
  t.is((await c.one({ op: NativeOp.Get, key })).rc, RC.NOT_FOUND);
});

test('expiry on store', async (t) => {
  const key = freshKey();
  await c.one({ op: NativeOp.Set, key, value: 'v', expiry: 1 });
  t.is((await c.one({ op: NativeOp.Get, key })).rc, RC.SUCCESS);
  await new Promise((r) => setTimeout(r, 2100));
  t.is((await c.one({ op: NativeOp.Get, key })).rc, RC.NOT_FOUND);
});

test('stats: one response per stat, final on the last', async (t) => {
  const [replies] = await c.run([{ op: NativeOp.Stats, key: '' }]);
  if (!Array.isArray(replies)) return t.fail(`submit rc ${replies.submitRc}`);
  t.true(replies.length > 20);
  t.deepEqual(replies.map((r) => r.final), [...Array(replies.length - 1).fill(false), true]);
  const byName = new Map(replies.map((r) => [r.text!.split('\t')[1], r.data.toString()]));
  t.true(replies.every((r) => r.rc === 0 && r.text!.startsWith(`127.0.0.1:${mc.port}\t`)));
  t.regex(byName.get('version')!, /^1\.\d+/);
  t.regex(byName.get('pid')!, /^\d+$/);
});

test('stats of a group', async (t) => {
  const [replies] = await c.run([{ op: NativeOp.Stats, key: 'settings' }]);
  if (!Array.isArray(replies)) return t.fail();
  t.true(replies.some((r) => r.text!.endsWith('\tmaxbytes')));
  t.true(replies[replies.length - 1].final);
});

// The addon sends what it is given (the TypeScript layer refuses these on memcached://):
// memcached answers no GET_LOCKED and the socket is lost, so this runs on its own connection.
test('observe, lock and replica reads on memcached: an rc each, no crash', async (t) => {
  const own = new TestConnection(mc.connectionString, { operationTimeoutUs: 500_000 });
  t.is((await own.connect()).rc, RC.SUCCESS);
  const key = freshKey();
  await own.one({ op: NativeOp.Set, key, value: 'v' });
  const results = await own.run([
    { op: NativeOp.Observe, key },
    { op: NativeOp.GetReplica, key, aux: -1 },
    { op: NativeOp.GetAndLock, key, expiry: 5 },
  ]);
  for (const r of results) {
    const rc = Array.isArray(r) ? r[r.length - 1].rc : r.submitRc;
    t.not(rc, RC.SUCCESS);
  }
  await own.close();
  t.is((await c.one({ op: NativeOp.Get, key })).data.toString(), 'v');
});

test('unlock without a cas is refused at submit', async (t) => {
  const [r] = await c.run([{ op: NativeOp.Unlock, key: freshKey() }]);
  t.false(Array.isArray(r));
  t.not((r as { submitRc: number }).submitRc, RC.SUCCESS);
});

test('a batch is one submit and its responses arrive together', async (t) => {
  const keys = Array.from({ length: 200 }, () => freshKey('batch'));
  await c.run(keys.map((key, i) => ({ op: NativeOp.Set, key, value: String(i) })));
  const before = c.deliveries.length;
  const results = await c.run(keys.map((key) => ({ op: NativeOp.Get, key })));
  t.deepEqual(results.map((r) => (Array.isArray(r) ? r[0].data.toString() : 'x')), keys.map((_, i) => String(i)));
  // 200 responses in far fewer deliveries than responses
  t.true(c.deliveries.length - before < 50);
});

test('empty key is an rc, not a crash', async (t) => {
  const [r] = await c.run([{ op: NativeOp.Get, key: '' }]);
  t.false(Array.isArray(r) && r[0].rc === 0);
});

test('10,000 commands in one submit: libcouchbase never has more than the bound outstanding', async (t) => {
  // A connection of its own: the shared one carries the other tests' commands, which would be
  // in flight whenever they happen to be when this one looks.
  const own = new TestConnection(mc.connectionString);
  t.teardown(() => own.close());
  t.is((await own.connect()).rc, RC.SUCCESS);
  const keys = Array.from({ length: 10000 }, () => freshKey('bound'));
  const before = own.conn.stats!();
  t.is(before.bound, 512);
  const sets = await own.run(keys.map((key, i) => ({ op: NativeOp.Set, key, value: String(i) })));
  t.true(sets.every((r) => Array.isArray(r) && r[0]!.rc === RC.SUCCESS));
  const gets = await own.run(keys.map((key) => ({ op: NativeOp.Get, key })));
  t.true(gets.every((r, i) => Array.isArray(r) && r[0]!.rc === RC.SUCCESS && r[0]!.data.toString() === String(i)));
  const after = own.conn.stats!();
  t.is(after.maxInflight, 512);
  t.is(after.inflight, 0);
  t.is(after.queued, 0);
});

test('maxOutstanding sets the bound', async (t) => {
  const small = new TestConnection(mc.connectionString, { maxOutstanding: 16 });
  t.is((await small.connect()).rc, RC.SUCCESS);
  const keys = Array.from({ length: 1000 }, () => freshKey('small'));
  const pending = small.run(keys.map((key) => ({ op: NativeOp.Get, key })));
  t.like(small.conn.stats!(), { inflight: 16, queued: 1000 - 16, bound: 16 });
  const results = await pending;
  t.true(results.every((r) => Array.isArray(r) && r[0]!.rc === RC.NOT_FOUND));
  t.is(small.conn.stats!().maxInflight, 16);
  await small.close();
});

test('maxOutstanding must be an integer >= 1', (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN, '8']) {
    t.throws(() => new native.Connection({ connstr: mc.connectionString, operationTimeoutUs: 1, configTimeoutUs: 1, maxOutstanding: bad as number }, () => {}), { instanceOf: TypeError });
  }
});
