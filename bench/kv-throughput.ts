/**
 * Key-value throughput, side by side in one run:
 *   couchbase-rx against memcached and against the emulator: 100,000 small JSON docs stored with
 *   setMulti then read with getMulti (windows of 1,000), and read with plain get() calls issued in
 *   the same tick (windows of 1,000 awaited with Promise.all);
 *   the official couchbase@4.7.1 SDK against the same emulator: upsert then get, Promise.all
 *   over windows of 1,000.
 * Prints ops/s, a table with the ratios to the official SDK, the targets, and the machine load
 * (load average before and after: the box is shared, numbers move with it).
 * Each phase runs `rounds` times (default 3) and reports the median pass.
 * Run: `npx tsx bench/kv-throughput.ts [docs=100000] [window=1000] [rounds=3]`.
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connect, type Couchbase } from '../src/index.js';
import { startEmulator } from '../emulator/index.js';
import { startMemcached } from '../test/helpers/memcached.js';

const docs = Number(process.argv[2] ?? 100_000);
const window = Number(process.argv[3] ?? 1_000);
/** Each phase runs this many times for every client alike; the median pass is reported (the first one warms the JIT). */
const rounds = Number(process.argv[4] ?? 3);
const keys = Array.from({ length: docs }, (_, i) => `bench::${i}`);
const value = (i: number) => ({ id: i, name: `doc ${i}`, tags: ['a', 'b'], n: i * 3 });

type Row = { server: string; client: string; phase: string; opsPerSec: number };
const rows: Row[] = [];

async function timed(server: string, client: string, phase: string, run: () => Promise<void>): Promise<number> {
  const passes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    await run();
    passes.push(Math.round(docs / ((performance.now() - start) / 1000)));
  }
  const opsPerSec = [...passes].sort((a, b) => a - b)[Math.floor(passes.length / 2)]!;
  rows.push({ server, client, phase, opsPerSec });
  console.error(`${server.padEnd(10)} ${client.padEnd(16)} ${phase.padEnd(22)} ${opsPerSec.toLocaleString('en').padStart(10)} ops/s  (passes: ${passes.map((p) => p.toLocaleString('en')).join(', ')})`);
  return opsPerSec;
}

async function benchOurs(server: string, cb: Couchbase): Promise<void> {
  await timed(server, 'couchbase-rx', 'setMulti', async () => {
    for (let i = 0; i < docs; i += window) {
      const batch: Record<string, unknown> = {};
      for (let j = i; j < Math.min(i + window, docs); j++) batch[keys[j]!] = value(j);
      await cb.setMulti(batch);
    }
  });
  await timed(server, 'couchbase-rx', 'getMulti', async () => {
    for (let i = 0; i < docs; i += window) await cb.getMulti(keys.slice(i, i + window));
  });
  // One 10,000-key getMulti: calls into the addon (submit) and back (onResponses).
  const before = cb.batchStats;
  await cb.getMulti(keys.slice(0, Math.min(10_000, docs)));
  const after = cb.batchStats;
  console.error(`${server.padEnd(10)} couchbase-rx     one getMulti of ${Math.min(10_000, docs).toLocaleString('en')} keys: ${after.submits - before.submits} submit, ${after.deliveries - before.deliveries} deliveries, max ${after.maxOutstanding} in libcouchbase`);
  await timed(server, 'couchbase-rx', 'get (same tick)', async () => {
    for (let i = 0; i < docs; i += window) await Promise.all(keys.slice(i, i + window).map((k) => cb.get(k)));
  });
}

async function benchOfficial(connectionString: string, username: string, password: string): Promise<void> {
  const couchbase = createRequire(import.meta.url)('couchbase4');
  const cluster = await couchbase.connect(connectionString, { username, password });
  const collection = cluster.bucket('default').defaultCollection();
  try {
    await timed('emulator', 'couchbase@4.7.1', 'upsert (Promise.all)', async () => {
      for (let i = 0; i < docs; i += window) {
        const ops = [];
        for (let j = i; j < Math.min(i + window, docs); j++) ops.push(collection.upsert(keys[j]!, value(j)));
        await Promise.all(ops);
      }
    });
    await timed('emulator', 'couchbase@4.7.1', 'get (Promise.all)', async () => {
      for (let i = 0; i < docs; i += window) await Promise.all(keys.slice(i, i + window).map((k) => collection.get(k)));
    });
  } finally {
    await cluster.close();
  }
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
console.error(`node ${process.version}, ${cpus().length} cores, load average ${loadBefore}`);
const memcached = await startMemcached();
const emulator = await startEmulator({ nodes: 1, buckets: ['default'] });
try {
  const onMemcached = await connect({ connectionString: memcached.connectionString });
  await benchOurs('memcached', onMemcached);
  await onMemcached.close();

  const onEmulator = await connect({
    connectionString: `${emulator.connectionString}/default`,
    username: emulator.username,
    password: emulator.password,
  });
  await benchOurs('emulator', onEmulator);
  await onEmulator.close();

  await benchOfficial(emulator.connectionString, emulator.username, emulator.password);
} finally {
  await emulator.stop();
  await memcached.stop();
}

const find = (server: string, client: string, phase: string) =>
  rows.find((r) => r.server === server && r.client === client && r.phase === phase)?.opsPerSec ?? NaN;
const ratio = (a: number, b: number) => (a / b).toFixed(2);
const loadAfter = load();
console.log(JSON.stringify({ docs, window, rounds, loadBefore, loadAfter, rows }, null, 2));
const official: Record<string, string> = { setMulti: 'upsert (Promise.all)', getMulti: 'get (Promise.all)', 'get (same tick)': 'get (Promise.all)' };
console.log('\n| server | client | phase | ops/s | vs couchbase@4.7.1 (emulator) |');
console.log('|---|---|---|---:|---:|');
for (const r of rows) {
  const base = r.client === 'couchbase-rx' && r.server === 'emulator' ? find('emulator', 'couchbase@4.7.1', official[r.phase]!) : NaN;
  console.log(`| ${r.server} | ${r.client} | ${r.phase} | ${r.opsPerSec.toLocaleString('en')} | ${Number.isNaN(base) ? '' : `${ratio(r.opsPerSec, base)}x`} |`);
}
console.log(`\nload average before ${loadBefore}, after ${loadAfter}`);
const memcachedGets = Math.min(find('memcached', 'couchbase-rx', 'getMulti'), find('memcached', 'couchbase-rx', 'get (same tick)'));
const worstRatio = Math.min(...['setMulti', 'getMulti', 'get (same tick)'].map((p) => find('emulator', 'couchbase-rx', p) / find('emulator', 'couchbase@4.7.1', official[p]!)));
console.log(`targets: memcached gets >= 200,000 ops/s: ${memcachedGets.toLocaleString('en')} ${memcachedGets >= 200_000 ? 'met' : 'NOT met'}; ` +
  `emulator >= 1.5x official: ${worstRatio.toFixed(2)}x ${worstRatio >= 1.5 ? 'met' : 'NOT met'}`);
console.log(`ratio couchbase-rx/official on the emulator: set ${ratio(find('emulator', 'couchbase-rx', 'setMulti'), find('emulator', 'couchbase@4.7.1', 'upsert (Promise.all)'))}x, ` +
  `getMulti ${ratio(find('emulator', 'couchbase-rx', 'getMulti'), find('emulator', 'couchbase@4.7.1', 'get (Promise.all)'))}x, ` +
  `get ${ratio(find('emulator', 'couchbase-rx', 'get (same tick)'), find('emulator', 'couchbase@4.7.1', 'get (Promise.all)'))}x`);
