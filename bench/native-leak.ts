/**
 * Leak check: 1,000,000 gets straight on the NativeAddon against memcached (512 in flight),
 * printing RSS and the JS heap every 100k. RSS must stay flat after warm-up.
 *
 *   npx tsx bench/native-leak.ts [--total 1000000] [--every 100000] [--connections 1]
 *   node --expose-gc --import tsx bench/native-leak.ts     # also forces a GC before each line
 */
import { parseArgs } from 'node:util';

import { loadNative, NativeOp, type NativeBatch, type NativeConnection } from '../src/binding.js';
import { startMemcached } from '../test/helpers/memcached.js';
import { makeBatch } from '../test/native/_support.js';

const { values: argv } = parseArgs({
  options: {
    total: { type: 'string', default: '1000000' },
    every: { type: 'string', default: '100000' },
    inflight: { type: 'string', default: '512' },
    cycles: { type: 'string', default: '0' }, // also open/use/close this many extra connections
  },
});
const total = Number(argv.total);
const every = Number(argv.every);
const inflight = Number(argv.inflight);
const native = loadNative();
const gc = (globalThis as { gc?: () => void }).gc;

function batchOf(op: number, keys: string[], value?: Buffer): NativeBatch {
  return makeBatch(keys.map((key) => ({ op, key, value })), 0);
}

async function open(connstr: string, onResponses: (count: number, rc: Int32Array) => void): Promise<NativeConnection> {
  const conn = new native.Connection({ connstr, operationTimeoutUs: 10_000_000, configTimeoutUs: 5_000_000 }, (r) =>
    onResponses(r.count, r.rc),
  );
  await new Promise<void>((res, rej) => conn.connect((rc, d) => (rc ? rej(new Error(`${rc} ${d}`)) : res())));
  return conn;
}

const mb = (n: number) => (n / 1048576).toFixed(1);
const mc = await startMemcached();
try {
  const keys = Array.from({ length: 1000 }, (_, i) => `leak:${i}`);
  let handler: (count: number, rc: Int32Array) => void = () => {};
  const conn = await open(mc.connectionString, (c, rc) => handler(c, rc));
  await new Promise<void>((res) => {
    handler = (c) => res();
    conn.submit(batchOf(NativeOp.Set, keys, Buffer.alloc(256, 'v')));
  }).then(() => new Promise((r) => setTimeout(r, 100)));

  // windows of `inflight` keys, reused (the addon copies keys while scheduling)
  const gets = batchOf(NativeOp.Get, Array.from({ length: inflight }, (_, i) => keys[i % keys.length]));
  console.log(`gets\trss MB\theap MB\terrors\tops/s`);
  let done = 0;
  let sent = 0;
  let errors = 0;
  let mark = every;
  let t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const refill = () => {
      const want = Math.min(inflight - (sent - done), total - sent);
      if (want <= 0) return;
      conn.submit(want === inflight ? gets : { ...gets, count: want });
      sent += want;
    };
    handler = (count, rc) => {
      done += count;
      for (let i = 0; i < count; i++) if (rc[i] !== 0) errors++;
      if (done >= mark) {
        gc?.();
        const t1 = process.hrtime.bigint();
        const m = process.memoryUsage();
        console.log(`${mark}\t${mb(m.rss)}\t${mb(m.heapUsed)}\t${errors}\t${Math.round(every / (Number(t1 - t0) / 1e9))}`);
        t0 = t1;
        mark += every;
      }
      if (done >= total) return resolve();
      refill();
    };
    refill();
  });
  await new Promise<void>((r) => conn.close(r));

  // Optionally: connection churn (create, connect, a few ops, close)
  const cycles = Number(argv.cycles);
  if (cycles > 0) {
    for (let i = 1; i <= cycles; i++) {
      let got!: () => void;
      const c = await open(mc.connectionString, () => got());
      await new Promise<void>((r) => {
        got = r;
        c.submit(batchOf(NativeOp.Get, [keys[0]]));
      });
      await new Promise<void>((r) => c.close(r));
      if (i % Math.max(1, Math.floor(cycles / 5)) === 0) {
        gc?.();
        console.log(`connections ${i}\trss ${mb(process.memoryUsage().rss)} MB`);
      }
    }
  }
} finally {
  await mc.stop();
}
