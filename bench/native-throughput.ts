/**
 * Gets per second straight on the NativeAddon (no TypeScript SDK layer) against a real memcached,
 * for several bounds on the operations outstanding per connection. libcouchbase's scheduling
 * cost grows with what is outstanding per server, so there is a best bound; the native connection
 * enforces it (`maxOutstanding`, default 512).
 *
 *   npx tsx bench/native-throughput.ts [--seconds 3] [--bounds 32,64,...] [--connections 1] [--native]
 *
 * Default: JS keeps `bound` gets outstanding (the connection's own bound is set above every bound).
 * --native: the connection's bound is `bound` and JS keeps 8,192 submitted (windows of 1,000), so
 * the connection's queue does the bounding, as it does under the SDK.
 *
 * Prints one line per bound: bound, ops/s, batches/s (submit calls), responses per delivery.
 */
import { parseArgs } from 'node:util';

import { loadNative, NativeOp, type NativeBatch, type NativeConnection, type NativeResponses } from '../src/binding.js';
import { startMemcached } from '../test/helpers/memcached.js';

const { values: argv } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    bounds: { type: 'string', default: '16,32,64,128,256,512,1024,2048,4096,8192' },
    connections: { type: 'string', default: '1' },
    keys: { type: 'string', default: '10000' },
    server: { type: 'string' },
    native: { type: 'boolean', default: false },
  },
});
const seconds = Number(argv.seconds);
const bounds = argv.bounds!.split(',').map(Number);
const nconn = Number(argv.connections);
const nkeys = Number(argv.keys);
const native = loadNative();

const KEYLEN = 12;
function keyOf(i: number): string {
  return `bench:${String(i).padStart(KEYLEN - 6, '0')}`;
}

/** One batch of every key, whose windows are reused for each submit (same key length => same keyEnd). */
function makeBatch(op: number, count: number, value?: Buffer): NativeBatch {
  const keys = Buffer.alloc(count * KEYLEN);
  for (let i = 0; i < count; i++) keys.write(keyOf(i), i * KEYLEN, 'latin1');
  const keyEnd = new Uint32Array(count).map((_, i) => (i + 1) * KEYLEN);
  const values = value ? Buffer.concat(Array.from({ length: count }, () => value)) : Buffer.alloc(0);
  const valueEnd = new Uint32Array(count).map((_, i) => (value ? (i + 1) * value.length : 0));
  return {
    count,
    seq: new Uint32Array(count).map((_, i) => i),
    op: new Uint8Array(count).fill(op),
    keys,
    keyEnd,
    values,
    valueEnd,
    flags: new Uint32Array(count),
    expiry: new Uint32Array(count),
    cas: new BigUint64Array(count),
    delta: new BigUint64Array(count),
    initial: new BigUint64Array(count),
    aux: new Int32Array(count),
  };
}

function window(b: NativeBatch, start: number, count: number): NativeBatch {
  return {
    ...b,
    count,
    seq: b.seq.subarray(start, start + count),
    keys: b.keys.subarray(start * KEYLEN, (start + count) * KEYLEN),
  };
}

interface Conn {
  conn: NativeConnection;
  onResponses: (r: NativeResponses) => void;
}

async function open(connstr: string, maxOutstanding: number): Promise<Conn> {
  const c: Conn = { conn: undefined as unknown as NativeConnection, onResponses: () => {} };
  c.conn = new native.Connection(
    { connstr, operationTimeoutUs: 10_000_000, configTimeoutUs: 5_000_000, maxOutstanding },
    (r) => c.onResponses(r),
  );
  await new Promise<void>((resolve, reject) =>
    c.conn.connect((rc, detail) => (rc ? reject(new Error(`connect: ${rc} ${detail}`)) : resolve())),
  );
  return c;
}

async function load(c: Conn): Promise<void> {
  const sets = makeBatch(NativeOp.Set, nkeys, Buffer.from('x'.repeat(64)));
  await new Promise<void>((resolve, reject) => {
    let left = nkeys;
    c.onResponses = (r) => {
      for (let i = 0; i < r.count; i++) if (r.rc[i]) return reject(new Error(`set rc ${r.rc[i]}`));
      left -= r.count;
      if (left === 0) resolve();
    };
    for (let s = 0; s < nkeys; s += 1000) c.conn.submit(window(sets, s, Math.min(1000, nkeys - s)));
  });
}

/** Keeps `bound` gets outstanding on the connection for `ms`; returns counters. */
function run(c: Conn, gets: NativeBatch, bound: number, ms: number) {
  return new Promise<{ ops: number; submits: number; deliveries: number; errors: number }>((resolve) => {
    let next = 0;
    let outstanding = 0;
    let ops = 0, submits = 0, deliveries = 0, errors = 0;
    let stopping = false;
    const refill = () => {
      while (!stopping && outstanding < bound) {
        const n = Math.min(bound - outstanding, nkeys - next, argv.native ? 1000 : Infinity);
        c.conn.submit(window(gets, next, n));
        submits++;
        outstanding += n;
        next = (next + n) % nkeys;
      }
    };
    c.onResponses = (r) => {
      deliveries++;
      ops += r.count;
      outstanding -= r.count;
      for (let i = 0; i < r.count; i++) if (r.rc[i] !== 0) errors++;
      if (stopping) {
        if (outstanding === 0) resolve({ ops, submits, deliveries, errors });
        return;
      }
      refill();
    };
    refill();
    setTimeout(() => {
      stopping = true;
    }, ms);
  });
}

const mc = argv.server ? undefined : await startMemcached();
const connstr = argv.server ?? mc!.connectionString;
try {
  const top = Math.max(...bounds, 64);
  let conns = await Promise.all(Array.from({ length: nconn }, () => open(connstr, top)));
  await load(conns[0]);
  const gets = makeBatch(NativeOp.Get, nkeys);
  console.log(`libcouchbase ${native.lcbVersion}, ${nconn} connection(s), ${nkeys} keys, ${seconds}s per bound, node ${process.version}, ${argv.native ? 'bounded by the connection (JS keeps 8192 submitted)' : 'bounded by JS'}`);
  console.log('bound\tops/s\tsubmits/s\tresponses/delivery\terrors');
  await Promise.all(conns.map((c) => run(c, gets, 64, 500))); // warm-up
  for (const bound of bounds) {
    if (argv.native) {
      await Promise.all(conns.map((c) => new Promise<void>((r) => c.conn.close(r))));
      conns = await Promise.all(Array.from({ length: nconn }, () => open(connstr, bound)));
      await Promise.all(conns.map((c) => run(c, gets, 64, 300))); // warm-up
    }
    const t0 = process.hrtime.bigint();
    const results = await Promise.all(conns.map((c) => run(c, gets, argv.native ? 8192 : bound, seconds * 1000)));
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const sum = results.reduce((a, r) => ({ ops: a.ops + r.ops, submits: a.submits + r.submits, deliveries: a.deliveries + r.deliveries, errors: a.errors + r.errors }));
    console.log(`${bound}\t${Math.round(sum.ops / s)}\t${Math.round(sum.submits / s)}\t${(sum.ops / sum.deliveries).toFixed(1)}\t${sum.errors}`);
  }
  await Promise.all(conns.map((c) => new Promise<void>((r) => c.conn.close(r))));
} finally {
  await mc?.stop();
}
