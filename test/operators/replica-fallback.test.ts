/**
 * replicaFallback on a 3-node emulator with 2 replicas, nodes stopped (not failed over), so
 * that reads from the active copy really fail: 'first' stands the first replica in, 'all'
 * gives every replica's answer, the stopped one's failure included.
 */
import test from 'ava';
import { from, lastValueFrom, toArray } from 'rxjs';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { connect, type Couchbase } from '../../src/index.js';
import { NotFoundError } from '../../src/errors/index.js';
import { getEach, needsReplica, replicaFallback, type MaybeReplica } from '../../src/operators/index.js';
import { freshKey } from '../helpers/harness.js';

let emu: Emulator;
let cb: Couchbase;
const keys = Array.from({ length: 30 }, (_, i) => freshKey(`fallback-${i}`));

test.before(async () => {
  emu = await startEmulator({ nodes: 3, replicas: 2, views: false });
  cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password, timeout: 1 });
  await cb.setMulti(keys.map((k): [string, string] => [k, `value of ${k}`]), { replicateTo: 2 });
});

test.after.always(async () => {
  await cb?.close();
  await emu?.stop();
});

const read = (mode: 'first' | 'all') => lastValueFrom(from(keys).pipe(getEach<string>(cb, { quiet: true }), replicaFallback<string>(cb, { mode }), toArray()));

test.serial("one node stopped: 'first' reads the keys it was active for from a replica; the others come from the active copy", async (t) => {
  await emu.stopNode(2);
  try {
    const results = await read('first');
    t.is(results.length, keys.length);
    t.true(results.every((r) => r.success && r.value === `value of ${r.key}`), 'every key has its value');
    const fromReplica = results.filter((r) => r.replica).map((r) => r.key);
    t.true(fromReplica.length > 0 && fromReplica.length < keys.length, `${fromReplica.length} of ${keys.length} keys were active on the stopped node`);
    // Those keys' active reads really fail, with an error that calls for a replica.
    const direct = await cb.get(fromReplica[0]!).then(() => undefined, (e: { rc: number }) => e);
    t.truthy(direct && needsReplica(direct.rc), `active read: ${String(direct)}`);
    const single = await lastValueFrom(cb.get<string>(fromReplica[0]!).pipe(replicaFallback(cb)));
    t.true(single.replica && single.value === `value of ${fromReplica[0]}`);
  } finally {
    await emu.startNode(2);
  }
});

test.serial("two nodes stopped: 'all' gives every replica's answer, the stopped replica's failure included", async (t) => {
  await emu.stopNode(1);
  await emu.stopNode(2);
  try {
    const results: MaybeReplica<string>[] = await read('all');
    const byKey = new Map<string, MaybeReplica<string>[]>();
    for (const r of results) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    t.is(byKey.size, keys.length, 'every key answered');
    const fellBack = [...byKey.values()].filter((rs) => rs.some((r) => r.replica));
    t.true(fellBack.length > 0, 'some keys were active on a stopped node');
    for (const rs of fellBack) {
      // Active on a stopped node: its two replicas live on the running node and the other stopped one.
      t.is(rs.length, 2, `${rs[0]!.key}: ${rs.map(String).join(' ')}`);
      t.true(rs.every((r) => r.replica));
      t.is(rs.filter((r) => r.success && r.value === `value of ${r.key}`).length, 1);
      t.true(rs.some((r) => !r.success && needsReplica(r.rc)), 'the stopped replica answers with its failure');
    }
    for (const rs of byKey.values()) if (!fellBack.includes(rs)) t.true(rs.length === 1 && rs[0]!.success && !rs[0]!.replica);
  } finally {
    await emu.startNode(1);
    await emu.startNode(2);
  }
});

test.serial('a missing key is no reason to read replicas', async (t) => {
  await t.throwsAsync(lastValueFrom(cb.get(freshKey('missing')).pipe(replicaFallback(cb))), { instanceOf: NotFoundError });
});
