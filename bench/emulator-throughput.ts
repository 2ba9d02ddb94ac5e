/**
 * Pipelined small-value GET throughput of the emulator, from one raw-socket client.
 * The emulator runs in a child process (the CLI), so client and server each get a core.
 *
 *   npx tsx bench/emulator-throughput.ts [seconds=5] [keys=1000] [window=4096] [get|set] [--views]
 *
 * `set` measures pipelined small-value SETs instead; `--views` runs the emulator with its views
 * engine (mutation listeners attached) instead of `--no-views`.
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { vbucketOf } from '../emulator/cluster/vbucket-map.js';

const seconds = Number(process.argv[2] ?? 5);
const nkeys = Number(process.argv[3] ?? 1000);
const windowSize = Number(process.argv[4] ?? 4096);
const op = process.argv[5] === 'set' ? 'set' : 'get';
const withViews = process.argv.includes('--views');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function frame(opcode: number, key: Buffer, extras: Buffer, value: Buffer, vb: number, opaque: number): Buffer {
  const b = Buffer.alloc(24 + extras.length + key.length + value.length);
  b[0] = 0x80;
  b[1] = opcode;
  b.writeUInt16BE(key.length, 2);
  b[4] = extras.length;
  b.writeUInt16BE(vb, 6);
  b.writeUInt32BE(extras.length + key.length + value.length, 8);
  b.writeUInt32BE(opaque, 12);
  extras.copy(b, 24);
  key.copy(b, 24 + extras.length);
  value.copy(b, 24 + extras.length + key.length);
  return b;
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'emulator/cli.ts'), ...(withViews ? [] : ['--no-views'])], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const info = JSON.parse(line.toString().split('\n')[0]) as { nodes: { kv: number }[] };
  const sock = net.connect(info.nodes[0].kv, '127.0.0.1');
  sock.setNoDelay(true);
  await once(sock, 'connect');

  let pending = Buffer.alloc(0);
  let waiter: ((b: Buffer) => void) | undefined;
  let counting = false;
  let received = 0;
  let failures = 0;
  let onBatch: (() => void) | undefined;
  sock.on('data', (chunk: Buffer) => {
    if (counting) {
      // Count complete responses; keep a partial tail.
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      let n = 0;
      while (off + 24 <= buf.length) {
        const total = 24 + buf.readUInt32BE(off + 8);
        if (off + total > buf.length) break;
        if (buf[off + 6] !== 0 || buf[off + 7] !== 0) failures++;
        off += total;
        n++;
      }
      pending = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
      received += n;
      onBatch?.();
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    if (pending.length >= 24) {
      const total = 24 + pending.readUInt32BE(8);
      if (pending.length >= total) {
        const r = pending.subarray(0, total);
        pending = Buffer.from(pending.subarray(total));
        waiter?.(r);
      }
    }
  });
  const call = (b: Buffer): Promise<Buffer> =>
    new Promise((resolve) => {
      waiter = resolve;
      sock.write(b);
    });

  const auth = await call(frame(0x21, Buffer.from('PLAIN'), Buffer.alloc(0), Buffer.from('\0Administrator\0password'), 0, 1));
  if (auth.readUInt16BE(6) !== 0) throw new Error('auth failed');
  const sel = await call(frame(0x89, Buffer.from('default'), Buffer.alloc(0), Buffer.alloc(0), 0, 2));
  if (sel.readUInt16BE(6) !== 0) throw new Error('select bucket failed');
  const keys: Buffer[] = [];
  const setExtras = Buffer.alloc(8);
  for (let i = 0; i < nkeys; i++) {
    const k = Buffer.from(`bench-key-${i}`);
    keys.push(k);
    const r = await call(frame(0x01, k, setExtras, Buffer.from(`{"i":${i}}`), vbucketOf(k), i));
    if (r.readUInt16BE(6) !== 0) throw new Error('set failed');
  }
  // One batch = GETs over all keys, pre-encoded once.
  const batchSize = Math.min(windowSize / 4, 1024);
  const batches: Buffer[] = [];
  for (let s = 0; s < nkeys; s += batchSize) {
    const parts: Buffer[] = [];
    for (let i = s; i < Math.min(nkeys, s + batchSize); i++) {
      if (op === 'get') parts.push(frame(0x00, keys[i], Buffer.alloc(0), Buffer.alloc(0), vbucketOf(keys[i]), i));
      else parts.push(frame(0x01, keys[i], setExtras, Buffer.from(`{"i":${i},"v":"small value"}`), vbucketOf(keys[i]), i));
    }
    batches.push(Buffer.concat(parts));
  }
  const perBatch = batches.map((b) => {
    let n = 0;
    for (let off = 0; off < b.length; off += 24 + b.readUInt32BE(off + 8)) n++;
    return n;
  });

  counting = true;
  let sent = 0;
  let bi = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let done = false;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      if (done) return;
      if (process.hrtime.bigint() >= deadline) {
        done = true;
        resolve();
        return;
      }
      while (sent - received < windowSize) {
        sock.write(batches[bi]);
        sent += perBatch[bi];
        bi = (bi + 1) % batches.length;
      }
    };
    onBatch = pump;
    pump();
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = Math.round(received / elapsed);
  process.stdout.write(JSON.stringify({ op, views: withViews, ops: received, failures, seconds: Number(elapsed.toFixed(2)), opsPerSec: rate, window: windowSize, keys: nkeys }) + '\n');
  sock.destroy();
  child.kill('SIGTERM');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
