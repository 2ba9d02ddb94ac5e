/**
 * Connecting, timing out, closing: failures are rcs within their timeouts, close() fails what
 * is outstanding (responses still delivered) and leaves nothing that keeps the process alive.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

import test from 'ava';

import { NativeOp } from '../../src/binding.js';
import { startMemcached } from '../helpers/memcached.js';
import { native, RC, TestConnection } from './_support.js';

const ADDON = new URL('../../build/Release/couchbase_rx.node', import.meta.url).pathname;

/**
 * A TCP server that accepts connections and never answers, except (with `noop`) the memcached
 * handshake and NOOPs: enough for a memcached:// connect to succeed, after which every command hangs.
 */
async function blackHole(opts: { noop?: boolean } = {}): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    let pending = Buffer.alloc(0);
    s.on('data', (chunk) => {
      if (!opts.noop) return;
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 24) {
        const bodyLength = pending.readUInt32BE(8);
        if (pending.length < 24 + bodyLength) break;
        const header = pending.subarray(0, 24);
        pending = pending.subarray(24 + bodyLength);
        // handshake commands (HELLO, GET_ERROR_MAP, SASL_LIST_MECHS) are unknown; NOOP succeeds
        const opcode = header[1];
        if (opcode !== 0x0a && opcode !== 0x1f && opcode !== 0xfe && opcode !== 0x20) continue;
        const reply = Buffer.alloc(24);
        reply[0] = 0x81;
        reply[1] = opcode;
        reply.writeUInt16BE(opcode === 0x0a ? 0 : 0x81, 6);
        header.copy(reply, 12, 12, 16); // opaque
        s.write(reply);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

test('a refused connection is a connect rc', async (t) => {
  const port = await closedPort();
  const c = new TestConnection(`couchbase://127.0.0.1:${port}`, { configTimeoutUs: 2_000_000 });
  const { rc, detail } = await c.connect();
  t.is(rc, RC.CONNECTION_REFUSED);
  t.regex(detail, /refused/i);
  await c.close();
});

test('a host that never answers gives a connect rc within the config timeout', async (t) => {
  const hole = await blackHole();
  const c = new TestConnection(`couchbase://127.0.0.1:${hole.port}`, { configTimeoutUs: 800_000 });
  const t0 = Date.now();
  const { rc } = await c.connect();
  const elapsed = Date.now() - t0;
  t.not(rc, RC.SUCCESS);
  t.true(elapsed < 3000, `took ${elapsed} ms`);
  await c.close();
  await hole.close();
});

test('memcached://: connect checks that a server answers', async (t) => {
  const refused = new TestConnection(`memcached://127.0.0.1:${await closedPort()}`);
  t.is((await refused.connect()).rc, RC.CONNECTION_REFUSED);
  await refused.close();
  const hole = await blackHole();
  const silent = new TestConnection(`memcached://127.0.0.1:${hole.port}`, { configTimeoutUs: 500_000, operationTimeoutUs: 60_000_000 });
  const t0 = Date.now();
  t.is((await silent.connect()).rc, RC.TIMEOUT);
  t.true(Date.now() - t0 < 3000);
  await silent.close();
  await hole.close();
  // one server that answers is enough
  const mc = await startMemcached();
  const some = new TestConnection(`memcached://127.0.0.1:${mc.port},127.0.0.1:${await closedPort()}`);
  t.is((await some.connect()).rc, RC.SUCCESS);
  await some.close();
  await mc.stop();
});

test('couchbases:// to a plaintext port is an rc, not an abort', async (t) => {
  const mc = await startMemcached();
  for (const connstr of [`couchbases://127.0.0.1:${mc.port}?ssl=no_verify`, `couchbases://127.0.0.1:${mc.port}`]) {
    const c = new TestConnection(connstr, { configTimeoutUs: 2_000_000 });
    const { rc } = await c.connect();
    t.not(rc, RC.SUCCESS, connstr);
    await c.close();
  }
  await mc.stop();
});

test('operations time out with an rc', async (t) => {
  const hole = await blackHole({ noop: true });
  const c = new TestConnection(`memcached://127.0.0.1:${hole.port}`, { operationTimeoutUs: 300_000 });
  t.is((await c.connect()).rc, RC.SUCCESS);
  const t0 = Date.now();
  const results = await c.run([{ op: NativeOp.Get, key: 'a' }, { op: NativeOp.Set, key: 'b', value: 'v' }]);
  t.true(Date.now() - t0 < 2500);
  for (const r of results) t.is(Array.isArray(r) ? r[0].rc : r.submitRc, RC.TIMEOUT);
  // the timeout applies to commands submitted afterwards
  c.conn.setOperationTimeout(100_000);
  const t1 = Date.now();
  await c.run([{ op: NativeOp.Get, key: 'c' }]);
  t.true(Date.now() - t1 < 1000);
  await c.close();
  await hole.close();
});

test('close() fails outstanding commands, and their responses arrive before done', async (t) => {
  const hole = await blackHole({ noop: true });
  const c = new TestConnection(`memcached://127.0.0.1:${hole.port}`, { operationTimeoutUs: 30_000_000 });
  t.is((await c.connect()).rc, RC.SUCCESS);
  const pending = c.run([
    { op: NativeOp.Get, key: 'a' },
    { op: NativeOp.Set, key: 'b', value: 'v' },
    { op: NativeOp.Stats, key: '' },
  ]);
  await new Promise((r) => setTimeout(r, 100)); // flushed and on the wire
  let closed = false;
  const done = c.close().then(() => {
    closed = true;
  });
  const results = await pending;
  t.false(closed);
  for (const r of results) t.is(Array.isArray(r) ? r[r.length - 1].rc : -1, RC.REQUEST_CANCELED);
  await done;
  await hole.close();
});

test('queued commands older than the operation timeout fail with LCB_ERR_TIMEOUT (no per-command timers)', async (t) => {
  const hole = await blackHole({ noop: true });
  const c = new TestConnection(`memcached://127.0.0.1:${hole.port}`, { operationTimeoutUs: 300_000, maxOutstanding: 2 });
  t.is((await c.connect()).rc, RC.SUCCESS);
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const pending = c.run(Array.from({ length: 10 }, (_, i) => ({ op: NativeOp.Get, key: `q${i}` })));
  t.like(c.conn.stats!(), { inflight: 2, queued: 8 });
  t.is(timers(), before);
  const results = await pending;
  for (const r of results) t.is(Array.isArray(r) ? r[r.length - 1]!.rc : r.submitRc, RC.TIMEOUT);
  t.like(c.conn.stats!(), { inflight: 0, queued: 0, maxInflight: 2 });
  await c.close();
  await hole.close();
});

test('close() fails queued commands too', async (t) => {
  const hole = await blackHole({ noop: true });
  const c = new TestConnection(`memcached://127.0.0.1:${hole.port}`, { operationTimeoutUs: 30_000_000, maxOutstanding: 1 });
  t.is((await c.connect()).rc, RC.SUCCESS);
  const pending = c.run(Array.from({ length: 5 }, (_, i) => ({ op: NativeOp.Set, key: `c${i}`, value: 'v' })));
  t.like(c.conn.stats!(), { inflight: 1, queued: 4 });
  await new Promise((r) => setTimeout(r, 100));
  let closed = false;
  const done = c.close().then(() => {
    closed = true;
  });
  const results = await pending;
  t.false(closed);
  for (const r of results) t.is(Array.isArray(r) ? r[r.length - 1]!.rc : -1, RC.REQUEST_CANCELED);
  await done;
  await hole.close();
});

test('close() while connecting reports the connect as canceled', async (t) => {
  const hole = await blackHole();
  const c = new TestConnection(`couchbase://127.0.0.1:${hole.port}`, { configTimeoutUs: 10_000_000 });
  const connecting = c.connect();
  await new Promise((r) => setTimeout(r, 50));
  await c.close();
  t.is((await connecting).rc, RC.REQUEST_CANCELED);
  await hole.close();
});

function runChild(script: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    }),
  );
}

const batchOf = `(op, key) => { const z = (T) => new T(1); return { count: 1, seq: new Uint32Array([7]), op: new Uint8Array([op]),
  keys: Buffer.from(key), keyEnd: new Uint32Array([key.length]), values: Buffer.from('v'), valueEnd: new Uint32Array([1]),
  flags: z(Uint32Array), expiry: z(Uint32Array), cas: z(BigUint64Array), delta: z(BigUint64Array), initial: z(BigUint64Array), aux: z(Int32Array) }; }`;

test('after close() nothing keeps the process alive', async (t) => {
  const mc = await startMemcached();
  const r = await runChild(`
    const a = require(${JSON.stringify(ADDON)});
    const batchOf = ${batchOf};
    const conn = new a.Connection({ connstr: ${JSON.stringify(mc.connectionString)}, operationTimeoutUs: 2e6, configTimeoutUs: 2e6 }, (res) => {
      console.log('rc', res.rc[0]);
      conn.close(() => console.log('closed'));
    });
    conn.connect((rc) => { console.log('connect', rc); conn.submit(batchOf(10, 'exit-test')); });`);
  await mc.stop();
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'connect 0\nrc 0\nclosed\n');
  t.true(r.ms < 10_000);
});

test('a connection that was never connected does not keep the process alive', async (t) => {
  const r = await runChild(`
    const a = require(${JSON.stringify(ADDON)});
    new a.Connection({ connstr: 'memcached://127.0.0.1:1', operationTimeoutUs: 1e6, configTimeoutUs: 1e6 }, () => {});
    console.log('created');`);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'created\n');
});

test('process.exit() with an open, busy connection neither aborts nor hangs', async (t) => {
  const mc = await startMemcached();
  const r = await runChild(`
    const a = require(${JSON.stringify(ADDON)});
    const batchOf = ${batchOf};
    const conn = new a.Connection({ connstr: ${JSON.stringify(mc.connectionString)}, operationTimeoutUs: 2e6, configTimeoutUs: 2e6 }, () => {
      conn.submit(batchOf(1, 'busy'));
    });
    conn.connect(() => { conn.submit(batchOf(1, 'busy')); setTimeout(() => { console.log('exiting'); process.exit(3); }, 100); });`);
  await mc.stop();
  t.is(r.code, 3, r.stderr);
  t.is(r.signal, null);
  t.is(r.stdout, 'exiting\n');
});

test('lcbVersion is a string', (t) => {
  t.is(typeof native.lcbVersion, 'string');
});
