/**
 * Runs a short workload of the addon under valgrind (memcheck, leak check) and prints
 * valgrind's summary for the addon's own frames: key-value operations against memcached, and
 * view queries and design-document HTTP requests against the emulator (run by this script,
 * outside valgrind): a query to its end, cancels mid-stream and at once, requests in flight at
 * close, and both refused on memcached://; observe before and after a failover of a 3-node
 * emulator that the client hears of only from the nodes' NOT_MY_VBUCKET answers.
 *
 *   npx tsx bench/native-valgrind.ts [--addon build/Release/couchbase_rx.node]
 *
 * Use a debug build for readable stacks: `npx cmake-js build -D -O build/debug` and
 * `--addon build/debug/Debug/couchbase_rx.node`. Node/V8 themselves report "possibly lost"
 * blocks; the script counts only records whose stack passes through the addon.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { startEmulator } from '../emulator/index.js';
import { startMemcached } from '../test/helpers/memcached.js';

const { values: argv } = parseArgs({ options: { addon: { type: 'string', default: 'build/Release/couchbase_rx.node' } } });
const addon = resolve(argv.addon!);
const dir = mkdtempSync(join(tmpdir(), 'cbrx-valgrind-'));
const mc = await startMemcached();
// A sample folder for the emulator: 5 documents, a view of 2,000 rows per document.
const sample = join(dir, 'sample');
mkdirSync(join(sample, 'docs'), { recursive: true });
mkdirSync(join(sample, 'design_docs'));
for (let n = 0; n < 5; n++) writeFileSync(join(sample, 'docs', `vg${n}.json`), JSON.stringify({ n }));
const map = 'function (doc, meta) { for (var i = 0; i < 2000; i++) emit([doc.n, i], meta.id); }';
writeFileSync(join(sample, 'design_docs', 'vg.json'), JSON.stringify({ _id: '_design/vg', views: { rows: { map } } }));
const emu = await startEmulator({ nodes: 2, samples: { default: sample } });
const viewConn = { connstr: `${emu.connectionString}/default`, username: emu.username, password: emu.password };
// Three nodes with a replica each, for observe across a failover the client has not heard of.
const emuFo = await startEmulator({ nodes: 3, replicas: 1, buckets: ['default'] });
const foConn = { connstr: `${emuFo.connectionString}/default`, username: emuFo.username, password: emuFo.password };
const failoverUrl = `${emuFo.restUrl}/_emulator/nodes/1/failover`;
const failoverAuth = `Basic ${Buffer.from(`${emuFo.username}:${emuFo.password}`).toString('base64')}`;

const workload = `
const a = require(${JSON.stringify(addon)});
function batch(op, keys, value) {
  const n = keys.length, z = (T) => new T(n), kb = keys.map((k) => Buffer.from(k)); let ko = 0, vo = 0;
  return { count: n, seq: new Uint32Array(n).map((_, i) => i), op: new Uint8Array(n).fill(op), keys: Buffer.concat(kb),
    keyEnd: new Uint32Array(kb.map((k) => (ko += k.length))), values: value ? Buffer.concat(keys.map(() => value)) : Buffer.alloc(0),
    valueEnd: new Uint32Array(n).map(() => (vo += value ? value.length : 0)), flags: z(Uint32Array), expiry: z(Uint32Array),
    cas: z(BigUint64Array), delta: z(BigUint64Array), initial: z(BigUint64Array), aux: z(Int32Array) };
}
// submitColumns' form of a batch: the fixed-width columns in one ArrayBuffer (src/binding.ts layout).
function packed(b) {
  const n = b.count, ab = new ArrayBuffer(n * 49);
  const cols = [[BigUint64Array, 'cas', 0], [BigUint64Array, 'delta', 8], [BigUint64Array, 'initial', 16], [Uint32Array, 'seq', 24],
    [Uint32Array, 'keyEnd', 28], [Uint32Array, 'valueEnd', 32], [Uint32Array, 'flags', 36], [Uint32Array, 'expiry', 40],
    [Int32Array, 'aux', 44], [Uint8Array, 'op', 48]];
  for (const [T, name, at] of cols) new T(ab, at * n, n).set(b[name]);
  return ab;
}
// Deliveries of one response go to the bound single-response callback (numbers in the one-command
// block, bytes in the scratch buffer); bindOne's submitOne takes its numbers from the block (src/binding.ts
// ONE_BLOCK), the key from there (ASCII) or as its argument.
function open(connstr, opts = {}, rcs) {
  let pending = 0, done;
  const settle = (finals) => { pending -= finals; if (pending === 0 && done) done(); };
  const conn = new a.Connection({ connstr, operationTimeoutUs: 20e6, configTimeoutUs: 20e6, ...opts },
    (r) => { if (rcs) for (let i = 0; i < r.count; i++) rcs.push(r.rc[i]); settle(r.final.reduce((x, y) => x + y, 0)); });
  const block = new ArrayBuffer(384), v = new DataView(block);
  const submitOne = conn.bindOne(block, (data, text) => settle(v.getUint32(352, true)));
  const run = (b) => new Promise((res) => { pending += b.count; done = res; conn.submit(b); });
  const runColumns = (b) => new Promise((res) => { pending += b.count; done = res; conn.submitColumns(new Int32Array(b.count), b.count, packed(b), b.count, b.keys, b.values); });
  const runOne = (op, key, value, inBlock) => new Promise((res) => {
    pending += 1; done = res;
    new Uint8Array(block, 0, 64).fill(0);
    v.setUint32(24, 7, true); v.setUint32(40, op, true);
    if (inBlock) { Buffer.from(block, 64, key.length).write(key); v.setUint32(44, key.length, true); } else v.setUint32(44, 0xffffffff, true);
    submitOne(inBlock ? undefined : key, value);
  });
  return new Promise((res) => conn.connect((rc) => res({ conn, rc, run, runColumns, runOne, close: () => new Promise((r) => conn.close(r)) })));
}
(async () => {
  const keys = Array.from({ length: 200 }, (_, i) => 'vg:' + i);
  const c = await open(${JSON.stringify(mc.connectionString)});
  for (let i = 0; i < 10; i++) { await c.run(batch(10, keys, Buffer.alloc(100, 'x'))); await c.run(batch(1, keys)); }
  for (let i = 0; i < 10; i++) await c.runColumns(batch(1, keys));
  // one at a time: single-response deliveries, values in the scratch buffer and (100 KB) past it
  await c.run(batch(10, ['vg:big'], Buffer.alloc(100000, 'b')));
  for (let i = 0; i < 50; i++) { await c.run(batch(1, [keys[i]])); await c.run(batch(1, ['vg:big'])); }
  // submitOne: keys in the block and as arguments (string, Buffer), values as strings and Buffers
  for (let i = 0; i < 20; i++) {
    await c.runOne(10, keys[i], 'v'.repeat(i * 50), true); await c.runOne(1, keys[i], undefined, true);
    await c.runOne(10, Buffer.from(keys[i]), Buffer.alloc(i * 50, 'w'), false); await c.runOne(1, keys[i], undefined, false);
  }
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
  // views and design documents
  const { connstr, ...auth } = ${JSON.stringify(viewConn)};
  const v = await open(connstr, auth);
  const query = (spec, cancelAt) => new Promise((res) => {
    let calls = 0, rows = 0;
    const h = v.conn.viewQuery(spec, (text, end) => {
      calls++; rows += JSON.parse(text).length;
      if (end) res({ rc: end.rc, rows, calls });
      else if (calls === cancelAt) { h.cancel(); res({ canceled: true, rows, calls }); }
    });
  });
  const http = (spec) => new Promise((res) => v.conn.http(spec, (rc, status) => res(rc + '/' + status)));
  const full = await query({ design: 'vg', view: 'rows', options: 'stale=false' });
  const errors = [await query({ design: 'vg', view: 'none' }), await query({ design: 'vg', view: 'rows', options: 'limit=x' })];
  const byKeys = await query({ design: 'vg', view: 'rows', body: JSON.stringify({ keys: [[0, 1], [4, 1999], [9, 9]] }) });
  const canceled = await query({ design: 'vg', view: 'rows' }, 1);
  v.conn.viewQuery({ design: 'vg', view: 'rows' }, () => { throw new Error('called after cancel'); }).cancel();
  const ddoc = JSON.stringify({ views: { ids: { map: 'function (doc, meta) { emit(meta.id, null); }' } } });
  const statuses = [
    await http({ type: 'view', method: 'PUT', path: '_design/vg2', body: ddoc, contentType: 'application/json' }),
    await http({ type: 'view', method: 'GET', path: '_design/vg2' }),
    await http({ type: 'management', method: 'GET', path: '/pools/default/buckets/default/ddocs' }),
    await http({ type: 'view', method: 'DELETE', path: '_design/vg2' }),
  ];
  v.conn.viewQuery({ design: 'vg', view: 'rows' }, () => {}); // in flight at close
  v.conn.http({ type: 'view', method: 'GET', path: '_design/vg' }, () => {});
  await v.close();
  const m = await open(${JSON.stringify(mc.connectionString)});
  const refused = await new Promise((res) => m.conn.viewQuery({ design: 'd', view: 'v' }, (_rows, end) => end && res(end.rc)));
  await m.close();
  console.log('views:', JSON.stringify({ full, errors: errors.map((e) => e.rc), byKeys: byKeys.rows, canceled, statuses, refused }));
  // observe before a failover, on the stale map just after it (replicas refuse with
  // NOT_MY_VBUCKET: patch 0018 delivers that as the node's answer), and on the refreshed map
  const { connstr: foConnstr, ...foAuth } = ${JSON.stringify(foConn)};
  const rcs = [];
  const f = await open(foConnstr, foAuth, rcs);
  await f.run(batch(10, keys, Buffer.alloc(20, 'f')));
  const observed = {};
  for (const when of ['before', 'stale map', 'refreshed map']) {
    if (when === 'stale map') await fetch(${JSON.stringify(failoverUrl)}, { method: 'POST', headers: { authorization: ${JSON.stringify(failoverAuth)} } });
    rcs.length = 0;
    await f.run(batch(30, keys));
    observed[when] = rcs.reduce((m, rc) => ((m['rc ' + rc] = (m['rc ' + rc] ?? 0) + 1), m), {});
  }
  await f.close();
  console.log('failover observe:', JSON.stringify(observed));
  console.log('workload done');
})();`;
const script = join(dir, 'workload.cjs');
writeFileSync(script, workload);
const log = join(dir, 'valgrind.log');
// Not spawnSync: the emulator answering the workload runs on this process's loop.
const child = spawn(
  'valgrind',
  ['--leak-check=full', '--show-leak-kinds=definite,indirect', '--errors-for-leak-kinds=definite', `--log-file=${log}`, process.execPath, script],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let stdout = '';
child.stdout.on('data', (d) => (stdout += d));
const killer = setTimeout(() => child.kill('SIGKILL'), 1_200_000);
await once(child, 'exit');
clearTimeout(killer);
await mc.stop();
await emu.stop();
await emuFo.stop();
const text = readFileSync(log, 'utf8');
console.log(stdout.trim());
const records = text.split(/\n==\d+== \n/).filter((b) => /couchbase_rx\.node|cbrx::|lcb/.test(b) && /(definitely|indirectly) lost|Invalid|uninitialised/.test(b));
console.log(`valgrind log: ${log}`);
console.log(text.split('\n').filter((l) => /ERROR SUMMARY|definitely lost:|indirectly lost:|possibly lost:|still reachable:/.test(l)).join('\n'));
console.log(`records through the addon (definite/indirect leaks, invalid accesses): ${records.length}`);
for (const rec of records.slice(0, 10)) console.log(rec);
