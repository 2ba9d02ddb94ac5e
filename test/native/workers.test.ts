/**
 * worker_threads: each thread loads its own copy of the addon (context-aware), opens its own
 * connection and uses it at the same time as the others; terminating a worker that still has
 * an open, busy connection neither aborts the process nor leaves it hanging.
 */
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';

import test from 'ava';

import { startMemcached, type Memcached } from '../helpers/memcached.js';

const ADDON = new URL('../../build/Release/couchbase_rx.node', import.meta.url).pathname;

let mc: Memcached;
test.before(async () => {
  mc = await startMemcached();
});
test.after.always(async () => {
  await mc?.stop();
});

/** Worker body (CommonJS, eval'd): sets then gets `count` keys of its own, in batches of 100. */
const workerBody = `
const { parentPort, workerData } = require('node:worker_threads');
const a = require(workerData.addon);
function batch(op, keys, values, firstSeq) {
  const n = keys.length, z = (T) => new T(n);
  const kb = keys.map((k) => Buffer.from(k)), vb = (values || []).map((v) => Buffer.from(v));
  let ko = 0, vo = 0;
  return { count: n, seq: new Uint32Array(n).map((_, i) => firstSeq + i), op: new Uint8Array(n).fill(op),
    keys: Buffer.concat(kb), keyEnd: new Uint32Array(kb.map((k) => (ko += k.length))),
    values: Buffer.concat(vb), valueEnd: new Uint32Array(n).map((_, i) => (vo += vb[i] ? vb[i].length : 0)),
    flags: z(Uint32Array), expiry: z(Uint32Array), cas: z(BigUint64Array), delta: z(BigUint64Array), initial: z(BigUint64Array), aux: z(Int32Array) };
}
const waiting = new Map();
const conn = new a.Connection({ connstr: workerData.connstr, operationTimeoutUs: 5e6, configTimeoutUs: 5e6 }, (r) => {
  let s = 0;
  for (let i = 0; i < r.count; i++) {
    const data = r.data.subarray(s, r.dataEnd[i]).toString(); s = r.dataEnd[i];
    const w = waiting.get(r.seq[i]); waiting.delete(r.seq[i]); if (w) w({ rc: r.rc[i], data });
  }
});
const run = (b) => { conn.submit(b); return Promise.all(Array.from(b.seq, (s) => new Promise((res) => waiting.set(s, res)))); };
conn.connect(async (rc, detail) => {
  if (rc) { parentPort.postMessage({ error: 'connect ' + rc + ' ' + detail }); return conn.close(() => {}); }
  if (workerData.busyForever) {
    parentPort.postMessage('busy');
    const spin = () => { conn.submit(batch(1, ['w' + workerData.id], null, 1)); };
    setInterval(spin, 1); spin();
    return;
  }
  let seq = 1, bad = 0;
  for (let b = 0; b < workerData.count; b += 100) {
    const keys = Array.from({ length: 100 }, (_, i) => 'worker' + workerData.id + ':' + (b + i));
    const values = keys.map((k) => k + '=' + workerData.id);
    const sets = await run(batch(10, keys, values, seq)); seq += 100;
    const gets = await run(batch(1, keys, null, seq)); seq += 100;
    bad += sets.filter((r) => r.rc).length + gets.filter((r, i) => r.rc || r.data !== values[i]).length;
  }
  conn.close(() => parentPort.postMessage({ id: workerData.id, bad }));
});
`;

test('several workers, each with its own connection, at the same time', async (t) => {
  const results = await Promise.all(
    Array.from({ length: 4 }, (_, id) =>
      new Promise<{ id: number; bad: number }>((resolve, reject) => {
        const w = new Worker(workerBody, { eval: true, workerData: { addon: ADDON, connstr: mc.connectionString, id, count: 2000 } });
        w.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
        w.once('error', reject);
        w.once('exit', (code) => code !== 0 && reject(new Error(`worker exit ${code}`)));
      }),
    ),
  );
  t.deepEqual(results.map((r) => r.bad), [0, 0, 0, 0]);
});

test('terminating a worker with an open, busy connection neither aborts nor hangs', async (t) => {
  const script = `
    const { Worker } = require('node:worker_threads');
    const body = ${JSON.stringify(workerBody)};
    let n = 0;
    for (let id = 0; id < 3; id++) {
      const w = new Worker(body, { eval: true, workerData: { addon: ${JSON.stringify(ADDON)}, connstr: ${JSON.stringify(mc.connectionString)}, id, busyForever: true } });
      w.on('message', (m) => { if (m === 'busy') setTimeout(() => w.terminate().then((code) => { console.log('terminated', code); }), 50 * (id + 1)); });
      w.on('error', (e) => { console.log('error', e.message); });
    }
    // the main thread also loads the addon and keeps nothing open: the process must exit by itself
    require(${JSON.stringify(ADDON)});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  t.is(signal, null, stderr);
  t.is(code, 0, stderr);
  t.is(stdout.trim().split('\n').length, 3, stdout + stderr);
  t.notRegex(stderr, /FATAL|Assertion|abort/i);
});
