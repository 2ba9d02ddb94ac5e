import {
  DurabilityError, ObserveStatus, TemporaryFailError, NotFoundError, NotSupportedError,
} from '../../src/index.js';
import { freshKey, serverSuite } from '../helpers/harness.js';

const emu = serverSuite('emulator', { nodes: 3, replicas: 2 });

emu.test('pessimistic locking', async (t, { cb }) => {
  const k = freshKey();
  await cb.set(k, { friends: {} });
  const locked = await cb.lock(k, { ttl: 15 });
  t.deepEqual(locked.value, { friends: {} });
  // The seed: a locked key fails at once with TemporaryFailError (not after libcouchbase retried
  // until the timeout; see /work/notes/ts-requests.md #1).
  const t0 = Date.now();
  await t.throwsAsync(cb.lock(k), { instanceOf: TemporaryFailError });
  await t.throwsAsync(cb.set(k, 1), { instanceOf: TemporaryFailError });
  t.true(Date.now() - t0 < 1000, `locked-key errors took ${Date.now() - t0} ms: they must fail fast`);
  await cb.set(k, { friends: { x: 1 } }, { cas: locked.cas });
  const l2 = await cb.lock(k);
  await cb.unlock(k, l2.cas);
  await t.notThrowsAsync(cb.set(k, 3));
  const lm = await cb.lockMulti([k]);
  t.true((await cb.unlockMulti(lm)).allOk);
}, 'lock');

emu.test('replica reads', async (t, { cb }) => {
  const k = freshKey();
  await cb.set(k, 'v', { replicateTo: 2 });
  t.is((await cb.get(k, { replica: true })).value, 'v');
  t.is((await cb.getReplica(k)).value, 'v');
  t.is((await cb.getReplica(k, { index: 0 })).value, 'v');
  t.is((await cb.getReplica(k, { index: 1 })).value, 'v');
  await t.throwsAsync(cb.getReplica(freshKey()), { instanceOf: NotFoundError });
  t.is((await cb.getReplicaMulti([k])).get(k)!.value, 'v');
}, 'replica');

emu.test('observe', async (t, { cb }) => {
  const k = freshKey();
  const s = await cb.set(k, 'v');
  const o = await cb.observe(k);
  t.is(o.value.length, 3);
  t.true(o.value[0]!.master);
  t.is(o.value[0]!.cas, s.cas);
  t.true([ObserveStatus.FOUND, ObserveStatus.PERSISTED].includes(o.value[0]!.status as 0 | 1));
  const missing = await cb.observe(freshKey());
  t.is(missing.value[0]!.status, ObserveStatus.NOT_FOUND);
  t.is((await cb.observeMulti([k])).get(k)!.value.length, 3);
}, 'observe');

emu.test('durability: persistTo/replicateTo, endure, impossible requirements', async (t, { cb }) => {
  const k = freshKey();
  const s = await cb.set(k, 'v', { persistTo: 3, replicateTo: 2 });
  t.true(s.success);
  t.true((await cb.endure(k, { persistTo: 1, replicateTo: 2, cas: s.cas })).success);
  await t.throwsAsync(cb.set(freshKey(), 1, { replicateTo: 3 }), { instanceOf: DurabilityError });
  await cb.delete(k, { persistTo: 1, replicateTo: 1 });
  t.true((await cb.endure(k, { persistTo: 1, replicateTo: 2, checkRemoved: true })).success);
  const m = await cb.setMulti({ [freshKey()]: 1, [freshKey()]: 2 }, { replicateTo: 1 });
  t.true(m.allOk);
  t.true((await cb.endureMulti(m, { persistTo: 2 })).allOk);
}, 'durability');

const mc = serverSuite('memcached');
mc.test('observe, replicas, locks and durability are NotSupportedError; the connection stays usable', async (t, { cb }) => {
  const k = freshKey();
  await cb.set(k, 1);
  const ops = [
    cb.observe(k), cb.getReplica(k), cb.get(k, { replica: true }), cb.lock(k), cb.unlock(k, 5n), cb.lockMulti([k]),
    cb.endure(k, { persistTo: 1, timeout: 0.5 }), cb.set(k, 2, { persistTo: 1 }), cb.delete(k, { replicateTo: 1 }),
  ];
  for (const op of ops) await t.throwsAsync(op, { instanceOf: NotSupportedError });
  t.is((await cb.get(k)).value, 1);
});
