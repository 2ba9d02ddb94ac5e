// A node failed over with no replica to promote leaves its vBuckets without a master (-1 in the
// map Couchbase Server sends). A command for such a vBucket must fail, typed, within its timeout.
// libcouchbase parks it in its fallback pipeline, which only an implicit flush used to empty:
// with the explicit flushing this client does, the command never completed.
// native/patches/0011-flush-fallback-pipeline.patch is the fix.
import test from 'ava';
import { startEmulator } from '../../emulator/index.js';
import { connect, CouchbaseError } from '../../src/index.js';

const KEYS = Array.from({ length: 40 }, (_, i) => `nm-${i}`);

test('operations on vBuckets left without a master fail typed within the timeout, the others succeed', async (t) => {
  t.timeout(60_000);
  const emu = await startEmulator({ nodes: 2, replicas: 0, buckets: ['default'], views: false });
  const cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password, timeout: 1 });
  try {
    await cb.setMulti(Object.fromEntries(KEYS.map((k) => [k, k])));
    const map = emu.cluster.bucket('default')!.map;
    const orphaned = new Set(KEYS.filter((k) => map[emu.cluster.bucket('default')!.vbucketOf(k)]![0] === 1));
    t.true(orphaned.size > 0 && orphaned.size < KEYS.length);
    await emu.failover(1);
    // Until the client holds the new map, commands still go to node 1 and come back NOT_MY_VBUCKET
    // with it; the point is what happens once the map says "no master".
    for (let i = 0; i < 3; i++) await Promise.race([Promise.allSettled(KEYS.map((k) => Promise.resolve(cb.get(k)))), new Promise((r) => setTimeout(r, 3000))]);
    const outcomes = await Promise.all(KEYS.map(async (k) => {
      const started = performance.now();
      const r = await Promise.race([
        Promise.resolve(cb.get(k)).then(() => 'ok', (e: unknown) => (e instanceof CouchbaseError ? e.constructor.name : `untyped ${String(e)}`)),
        new Promise<string>((resolve) => setTimeout(() => resolve('hung'), 10_000)),
      ]);
      return { k, r, ms: performance.now() - started };
    }));
    const hung = outcomes.filter((o) => o.r === 'hung').map((o) => o.k);
    t.deepEqual(hung, [], 'every command completes');
    for (const o of outcomes) {
      if (orphaned.has(o.k)) t.not(o.r, 'ok', `${o.k} has no master: it cannot be read`);
      else t.is(o.r, 'ok', `${o.k} is on the surviving node`);
    }
    t.true(outcomes.every((o) => !o.r.startsWith('untyped')));
    t.log(`orphaned keys: ${[...new Set(outcomes.filter((o) => orphaned.has(o.k)).map((o) => o.r))].join(', ')}; slowest ${Math.max(...outcomes.map((o) => o.ms)).toFixed(0)} ms`);
  } finally {
    await cb.close();
    await emu.stop();
  }
});
