/**
 * Runs a short workload of the addon under valgrind (memcheck, leak check) and prints
 * valgrind's summary for the addon's own frames.
 *
 *   npx tsx bench/native-valgrind.ts [--addon build/Release/couchbase_rx.node]
 *
 * Use a debug build for readable stacks: `npx cmake-js build -D -O build/debug` and
 * `--addon build/debug/Debug/couchbase_rx.node`. Node/V8 themselves report "possibly lost"
 * blocks; the script counts only records whose stack passes through the addon.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { startMemcached } from '../test/helpers/memcached.js';

const { values: argv } = parseArgs({ options: { addon: { type: 'string', default: 'build/Release/couchbase_rx.node' } } });
const addon = resolve(argv.addon!);
const dir = mkdtempSync(join(tmpdir(), 'cbrx-valgrind-'));
const mc = await startMemcached();

const workload = `
const a = require(${JSON.stringify(addon)});
function batch(op, keys, value) {
  const n = keys.length, z = (T) => new T(n), kb = keys.map((k) => Buffer.from(k)); let ko = 0, vo = 0;
  return { count: n, seq: new Uint32Array(n).map((_, i) => i), op: new Uint8Array(n).fill(op), keys: Buffer.concat(kb),
    keyEnd: new Uint32Array(kb.map((k) => (ko += k.length))), values: value ? Buffer.concat(keys.map(() => value)) : Buffer.alloc(0),
    valueEnd: new Uint32Array(n).map(() => (vo += value ? value.length : 0)), flags: z(Uint32Array), expiry: z(Uint32Array),
    cas: z(BigUint64Array), delta: z(BigUint64Array), initial: z(BigUint64Array), aux: z(Int32Array) };
}
function open(connstr, opts = {}) {
  let pending = 0, done;
  const conn = new a.Connection({ connstr, operationTimeoutUs: 20e6, configTimeoutUs: 20e6, ...opts }, (r) => { pending -= r.final.reduce((x, y) => x + y, 0); if (pending === 0 && done) done(); });
  const run = (b) => new Promise((res) => { pending += b.count; done = res; conn.submit(b); });
  return new Promise((res) => conn.connect((rc) => res({ conn, rc, run, close: () => new Promise((r) => conn.close(r)) })));
}
(async () => {
  const keys = Array.from({ length: 200 }, (_, i) => 'vg:' + i);
  const c = await open(${JSON.stringify(mc.connectionString)});
  for (let i = 0; i < 10; i++) { await c.run(batch(10, keys, Buffer.alloc(100, 'x'))); await c.run(batch(1, keys)); }
  await c.run(batch(21, ['vg:ctr']));
  await c.run(batch(31, ['']));
  c.conn.submit(batch(1, keys)); // still in flight at close: canceled
  await c.close();
  // the connection's queue: commands beyond maxOutstanding are copied, queued, scheduled later
  const q = await open(${JSON.stringify(mc.connectionString)}, { maxOutstanding: 16 });
  for (let i = 0; i < 3; i++) { await q.run(batch(10, keys, Buffer.alloc(300, 'q'))); await q.run(batch(1, keys)); }
  q.conn.submit(batch(10, keys, Buffer.alloc(50, 'z'))); // mostly still queued at close: canceled
  await q.close();
  // queued commands older than the timeout: failed with LCB_ERR_TIMEOUT from the queue
  const t = await open(${JSON.stringify(mc.connectionString)}, { maxOutstanding: 4, operationTimeoutUs: 1000 });
  await t.run(batch(1, keys));
  await t.close();
  for (const bad of ['nonsense://', 'couchbase://127.0.0.1:1', 'couchbases://127.0.0.1:${mc.port}']) { const b = await open(bad); await b.close(); }
  console.log('workload done');
})();`;
const script = join(dir, 'workload.cjs');
writeFileSync(script, workload);
const log = join(dir, 'valgrind.log');
const r = spawnSync(
  'valgrind',
  ['--leak-check=full', '--show-leak-kinds=definite,indirect', '--errors-for-leak-kinds=definite', `--log-file=${log}`, process.execPath, script],
  { encoding: 'utf8', timeout: 1_200_000 },
);
await mc.stop();
const text = readFileSync(log, 'utf8');
console.log(r.stdout.trim());
const records = text.split(/\n==\d+== \n/).filter((b) => /couchbase_rx\.node|cbrx::|lcb/.test(b) && /(definitely|indirectly) lost|Invalid|uninitialised/.test(b));
console.log(`valgrind log: ${log}`);
console.log(text.split('\n').filter((l) => /ERROR SUMMARY|definitely lost:|indirectly lost:|possibly lost:|still reachable:/.test(l)).join('\n'));
console.log(`records through the addon (definite/indirect leaks, invalid accesses): ${records.length}`);
for (const rec of records.slice(0, 10)) console.log(rec);
