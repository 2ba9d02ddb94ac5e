import test from 'ava';
import * as net from 'node:net';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { KvClient, encodeRequest, setExtras } from '../../emulator/testing/kv-client.js';

let emu: Emulator;

test.before(async () => {
  emu = await startEmulator({ nodes: 2, replicas: 1 });
});
test.after.always(async () => {
  await emu?.stop();
});

/** A healthy client still gets served. */
async function stillServing(t: { is(a: unknown, b: unknown): void }): Promise<void> {
  for (const n of emu.nodes) {
    const c = await KvClient.open(n.kv);
    t.is((await c.request({ opcode: 0x0a })).status, 0);
    c.close();
  }
  const r = await fetch(`${emu.restUrl}/pools`, { headers: { authorization: 'Basic ' + Buffer.from('Administrator:password').toString('base64') } });
  t.is(r.status, 200);
}

/** Sends bytes on a fresh connection; resolves when the server closes it, or after `ms`. */
function rawExchange(port: number, data: Buffer | string, ms = 3000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => done(true));
    s.on('connect', () => s.write(data));
  });
}

test('garbage (HTTP) on the KV port closes that connection only', async (t) => {
  const r = await rawExchange(emu.nodes[0].kv, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  t.true(r.closed);
  await stillServing(t);
});

test('flexible framing (magic 0x08) is served; malformed frame infos are EINVAL', async (t) => {
  const c = await KvClient.open(emu.nodes[0].kv);
  const ok = await c.request({ opcode: 0x0a, framing: Buffer.from([0x00]) }); // unknown-but-valid frame info id 0, length 0
  t.is(ok.status, 0);
  const bad = await c.request({ opcode: 0x0a, framing: Buffer.from([0x13, 0x01]) }); // claims 3 bytes, has 1
  t.is(bad.status, 0x04);
  t.is((await c.request({ opcode: 0x0a })).status, 0);
  c.close();
  await stillServing(t);
});

test('absurd body length closes; other clients unaffected', async (t) => {
  const b = encodeRequest({ opcode: 0x01 }, 1);
  b.writeUInt32BE(0xfffffff0, 8);
  const r = await rawExchange(emu.nodes[1].kv, b);
  t.true(r.closed);
  await stillServing(t);
});

test('value over 20 MiB gets E2BIG and the connection goes on', async (t) => {
  const c = await KvClient.open(emu.nodes[0].kv);
  const big = Buffer.alloc(21 * 1024 * 1024, 0x61);
  const r = await c.request({ opcode: 0x01, key: 'big', extras: setExtras(), value: big, vbucket: 0 });
  t.is(r.status, 0x03);
  t.is((await c.request({ opcode: 0x0a })).status, 0);
  c.close();
});

test('key/extras longer than the body is EINVAL', async (t) => {
  const c = await KvClient.open(emu.nodes[0].kv);
  const b = encodeRequest({ opcode: 0x00, key: 'abcdef' }, 77);
  b.writeUInt32BE(2, 8); // body says 2 bytes, key says 6
  c.write(b.subarray(0, 26));
  const n = await c.request({ opcode: 0x0a });
  t.is(n.status, 0);
  c.close();
});

test('every unknown opcode gets UNKNOWN_COMMAND, never a dropped connection', async (t) => {
  const c = await KvClient.open(emu.nodes[0].kv);
  const known = new Set([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x83, 0x89, 0x91, 0x92, 0x94, 0x95, 0xa0, 0xb5, 0xfe]);
  for (let op = 0; op < 256; op++) {
    if (known.has(op)) continue;
    const r = await c.request({ opcode: op, key: 'x' });
    t.is(r.status, 0x81, `opcode 0x${op.toString(16)}`);
  }
});

test('garbage HTTP on the REST and views ports: error reply or close, service continues', async (t) => {
  const r = await rawExchange(Number(new URL(emu.restUrl).port), '\x00\x01garbage\r\n\r\n');
  t.true(r.closed || r.data.toString().startsWith('HTTP/1.1 400'));
  const v = await rawExchange(emu.nodes[0].views, 'BLAH /// HTTP/9\r\n\r\n');
  t.true(v.closed || v.data.toString().startsWith('HTTP/1.1 400'));
  const bad = await fetch(`${emu.restUrl}/pools/default/buckets/%zz`, { headers: { authorization: 'Basic ' + Buffer.from('Administrator:password').toString('base64') } });
  t.true(bad.status >= 400);
  const post = await fetch(`${emu.restUrl}/_emulator/delays`, { method: 'POST', body: '{not json', headers: { authorization: 'Basic ' + Buffer.from('Administrator:password').toString('base64') } });
  t.is(post.status, 400);
  await stillServing(t);
});

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test('bounded fuzz: random frames and random bytes never take the emulator down', async (t) => {
  const internal: unknown[] = [];
  emu.cluster.on('internal-error', (e) => internal.push(e));
  const rand = rng(12345);
  const int = (n: number): number => Math.floor(rand() * n);
  for (let round = 0; round < 60; round++) {
    const c = await KvClient.open(emu.nodes[int(2)].kv);
    const parts: Buffer[] = [];
    for (let i = 0; i < 40; i++) {
      const keyLen = int(4) === 0 ? int(300) : int(20);
      const extLen = [0, 4, 8, 20, int(32)][int(5)];
      const valLen = int(4) === 0 ? int(2000) : int(30);
      const f = encodeRequest({
        opcode: int(3) === 0 ? int(256) : [0x00, 0x01, 0x04, 0x05, 0x0e, 0x1c, 0x92, 0x91, 0x94, 0x95, 0xa0, 0x83, 0x10, 0x1f, 0x21, 0x22, 0x89, 0xb5][int(18)],
        key: Buffer.from(Array.from({ length: keyLen }, () => int(256))),
        extras: Buffer.from(Array.from({ length: extLen }, () => int(256))),
        value: Buffer.from(Array.from({ length: valLen }, () => int(256))),
        vbucket: int(5) === 0 ? int(65536) : int(1024),
        cas: int(2) ? 0n : BigInt(int(1 << 30)),
        datatype: int(4) === 0 ? int(256) : 0,
      }, i);
      if (int(10) === 0) f.writeUInt32BE(Math.max(0, f.readUInt32BE(8) - int(5)), 8);
      parts.push(f);
    }
    if (round % 5 === 4) parts.push(Buffer.from(Array.from({ length: 200 }, () => int(256))));
    c.write(Buffer.concat(parts));
    await new Promise((r) => setTimeout(r, 20));
    c.close();
  }
  await stillServing(t);
  t.deepEqual(internal.map(String), [], 'no handler threw');
});
