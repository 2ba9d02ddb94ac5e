import test from 'ava';
import {
  CouchbaseError, DeltaBadvalError, DurabilityError, FMT_BYTES, FMT_UTF8, KeyExistsError, NotFoundError, NotStoredError,
  ObserveStatus, TemporaryFailError, TimeoutError, OperationResult, ValueResult,
} from '../../src/index.js';
import { fakeConnect, freshKey } from './helpers.js';

test('the seed CRUD example flow', async (t) => {
  const { cb } = await fakeConnect({ bucket: 'default' });
  const key = freshKey('demo_key');
  const set = await cb.set(key, 'demo_value');
  t.true(set instanceof OperationResult);
  t.regex(String(set), new RegExp(`^OperationResult<RC=0x0, Key=${key}, CAS=0x[0-9a-f]+>$`));
  const got = await cb.get(key);
  t.true(got instanceof ValueResult);
  t.is(got.value, 'demo_value');
  t.is(got.cas, set.cas);
  t.regex(String(got), new RegExp(`^ValueResult<RC=0x0, Key=${key}, Value='demo_value', CAS=0x${set.cas.toString(16)}, Flags=0x2000000>$`));
  const e = await t.throwsAsync(cb.add(key, 'another value'), { instanceOf: KeyExistsError });
  t.true(e instanceof CouchbaseError);
  t.is(e!.key, key);
  await cb.replace(key, 'new value');
  t.is((await cb.get(key)).value, 'new value');
  await cb.delete(key);
  await t.throwsAsync(cb.get(key), { instanceOf: NotFoundError });
  await cb.add(key, 'added_value');
  t.is((await cb.get(key)).value, 'added_value');
  await cb.close();
});

test('quiet per call and per connection; rc and success on the result', async (t) => {
  const { cb } = await fakeConnect();
  const r = await cb.get(freshKey(), { quiet: true });
  t.false(r.success);
  t.is(CouchbaseError.rcToExctype(r.rc), NotFoundError);
  cb.quiet = true;
  t.false((await cb.get(freshKey())).success);
  t.false((await cb.delete(freshKey())).success);
  await t.throwsAsync(cb.get(freshKey(), { quiet: false }), { instanceOf: NotFoundError });
  // quiet never hides other failures
  await t.throwsAsync(cb.replace(freshKey(), 1), { instanceOf: NotFoundError });
  await cb.close();
  const { cb: cb2 } = await fakeConnect({ quiet: true });
  t.true(cb2.quiet);
  t.false((await cb2.get(freshKey())).success);
  await cb2.close();
});

test('CAS: optimistic locking', async (t) => {
  const { cb } = await fakeConnect();
  const k = freshKey();
  const first = await cb.set(k, { friends: {} });
  await cb.set(k, { friends: { a: 1 } });
  await t.throwsAsync(cb.set(k, { friends: { b: 1 } }, { cas: first.cas }), { instanceOf: KeyExistsError });
  const cur = await cb.get(k);
  await t.notThrowsAsync(cb.set(k, { friends: { b: 1 } }, { cas: cur.cas }));
  await t.throwsAsync(cb.delete(k, { cas: first.cas }), { instanceOf: KeyExistsError });
  await t.throwsAsync(cb.add(k, 1, { cas: 5n } as object), { message: /cas/ });
  await cb.close();
});

test('expiry: ttl on set, touch, get-and-touch', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const k = freshKey();
  await cb.set(k, 1, { ttl: 10 });
  cluster.advance(11);
  await t.throwsAsync(cb.get(k), { instanceOf: NotFoundError });
  await cb.set(k, 1, { ttl: 10 });
  await cb.touch(k, { ttl: 100 });
  cluster.advance(50);
  t.is((await cb.get(k)).value, 1);
  await cb.get(k, { ttl: 5 });
  cluster.advance(6);
  t.false((await cb.get(k, { quiet: true })).success);
  await cb.set(k, 1, { ttl: 10 });
  await cb.touch(k, { ttl: 0 });
  cluster.advance(3600);
  t.is((await cb.get(k)).value, 1);
  await t.throwsAsync(cb.touch(freshKey(), { ttl: 1 }), { instanceOf: NotFoundError });
  await cb.close();
});

test('counters', async (t) => {
  const { cb } = await fakeConnect();
  const k = freshKey();
  await t.throwsAsync(cb.incr(k), { instanceOf: NotFoundError });
  t.is((await cb.incr(k, { initial: 10 })).value, 10);
  t.is((await cb.incr(k)).value, 11);
  t.is((await cb.incr(k, { amount: 5 })).value, 16);
  t.is((await cb.decr(k, { amount: 100 })).value, 0);
  t.is((await cb.get(k)).value, 0);
  await cb.set(k, (2n ** 60n).toString(), { format: FMT_UTF8 });
  const big = await cb.incr(k, { amount: 1n });
  t.is(big.value, 2n ** 60n + 1n);
  await cb.set(k, 'not a number', { format: FMT_UTF8 });
  await t.throwsAsync(cb.incr(k), { instanceOf: DeltaBadvalError });
  await cb.set(k, 41);
  t.is((await cb.incr(k)).value, 42);
  await cb.close();
});

test('append/prepend (seed example) and errors', async (t) => {
  const { cb } = await fakeConnect();
  const k = freshKey();
  await cb.set(k, 'Hello', { format: FMT_UTF8 });
  await cb.append(k, ' World!');
  t.is((await cb.get(k)).value, 'Hello World!');
  await cb.prepend(k, 'Why, ');
  t.is((await cb.get(k)).value, 'Why, Hello World!');
  const b = freshKey();
  await cb.set(b, Buffer.from([1]), { format: FMT_BYTES });
  await cb.append(b, Buffer.from([2]), { format: FMT_BYTES });
  t.deepEqual((await cb.get(b)).value, Buffer.from([1, 2]));
  await t.throwsAsync(cb.append(freshKey(), 'x'), { instanceOf: NotStoredError });
  await cb.close();
});

test('pessimistic locking', async (t) => {
  const { cb } = await fakeConnect();
  const k = freshKey();
  await cb.set(k, { friends: {} });
  const locked = await cb.lock(k, { ttl: 5 });
  t.deepEqual(locked.value, { friends: {} });
  await t.throwsAsync(cb.lock(k), { instanceOf: TemporaryFailError });
  await t.throwsAsync(cb.set(k, 1), { instanceOf: TemporaryFailError });
  await cb.set(k, { friends: { x: 1 } }, { cas: locked.cas }); // a store with the CAS unlocks
  await t.notThrowsAsync(cb.set(k, 2));
  const l2 = await cb.lock(k);
  await cb.unlock(k, l2.cas);
  await t.notThrowsAsync(cb.set(k, 3));
  await t.throwsAsync(cb.unlock(k, l2.cas), { instanceOf: TemporaryFailError }); // not locked
  await t.throwsAsync(cb.lock(k, { ttl: 31 }), { message: /'ttl'/ });
  await cb.close();
});

test('replica reads', async (t) => {
  const { cb } = await fakeConnect({}, { nodes: 3, replicas: 2, replicateDelayMs: 0 });
  const k = freshKey();
  await cb.set(k, 'v');
  t.is((await cb.get(k, { replica: true })).value, 'v');
  t.is((await cb.getReplica(k)).value, 'v');
  t.is((await cb.getReplica(k, { index: 1 })).value, 'v');
  await t.throwsAsync(cb.getReplica(k, { index: 2 }));
  await t.throwsAsync(cb.getReplica(freshKey()), { instanceOf: NotFoundError });
  t.false((await cb.getReplica(freshKey(), { quiet: true })).success);
  await cb.close();
});

test('observe and endure', async (t) => {
  const { cb } = await fakeConnect({}, { nodes: 3, replicas: 2, persistDelayMs: 300, replicateDelayMs: 100 });
  const k = freshKey();
  const s = await cb.set(k, 'v');
  const o = await cb.observe(k);
  t.is(o.value.length, 3);
  t.true(o.value[0]!.master);
  t.is(o.value[0]!.status, ObserveStatus.FOUND);
  t.is(o.value[0]!.cas, s.cas);
  const r = await cb.endure(k, { persistTo: 3, replicateTo: 2, cas: s.cas });
  t.true(r.success);
  const o2 = await cb.observe(k);
  t.true(o2.value.every((i) => i.status === ObserveStatus.PERSISTED));
  // durable stores
  t.true((await cb.set(freshKey(), 1, { persistTo: 1, replicateTo: 1 })).success);
  // more replicas than exist
  const e = await t.throwsAsync(cb.set(freshKey(), 1, { replicateTo: 3 }), { instanceOf: DurabilityError });
  t.regex(e!.message, /2 replica/);
  await t.throwsAsync(cb.endure(k, { persistTo: 4 }), { instanceOf: DurabilityError });
  // removal
  await cb.delete(k, { persistTo: 1, replicateTo: 2 });
  t.true((await cb.endure(k, { persistTo: 1, replicateTo: 2, checkRemoved: true })).success);
  await t.throwsAsync(cb.endure(k, { replicateTo: 1, timeout: 0.05 }), { instanceOf: TimeoutError });
  await cb.close();
});

test('endure times out when the cluster is too slow', async (t) => {
  const { cb } = await fakeConnect({}, { nodes: 2, replicas: 1, persistDelayMs: 60_000, replicateDelayMs: 60_000 });
  const k = freshKey();
  const s = await cb.set(k, 1);
  await t.throwsAsync(cb.endure(k, { persistTo: 1, cas: s.cas, timeout: 0.05, interval: 0.01 }), { instanceOf: TimeoutError });
  await cb.close();
});

test('stats', async (t) => {
  const { cb } = await fakeConnect({}, { nodes: 2 });
  await cb.set(freshKey(), 1);
  const st = await cb.stats();
  t.deepEqual(Object.keys(st.pid!).sort(), cb.serverNodes.sort());
  t.is(st.curr_items!['127.0.0.1:11210'], '1');
  t.truthy((await cb.stats('memory')).mem_used);
  await cb.close();
});

test('timeout property is settable', async (t) => {
  const { cb, cluster } = await fakeConnect({ timeout: 5 });
  t.is(cb.timeout, 5);
  t.is(cluster.connections[0]!.options.operationTimeoutUs, 5_000_000);
  cb.timeout = 4.2;
  t.is(cb.timeout, 4.2);
  t.is(cluster.connections[0]!.operationTimeoutUs, 4_200_000);
  t.throws(() => { cb.timeout = -1; });
  await cb.close();
  const { cb: d } = await fakeConnect();
  t.is(d.timeout, 2.5);
  await d.close();
});
