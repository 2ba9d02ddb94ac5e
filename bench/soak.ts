/**
 * Soak: millions of mixed operations on one connection against the embedded 3-node emulator —
 * single gets and sets, getMulti/setMulti windows, view pages (plain and includeDocs), durable
 * sets — sampling RSS and heap as it goes. After warm-up both must stay flat: a leak shows as
 * a steady climb. Prints the samples and the growth from the first post-warm-up sample to the last.
 *
 * Run: `npx tsx --expose-gc bench/soak.ts [operations=5000000]`
 */
import { performance } from 'node:perf_hooks';
import { startEmulator } from '../emulator/index.js';
import { connect } from '../src/index.js';

const total = Number(process.argv[2] ?? 5_000_000);
const KEYS = 20_000;
const WINDOW = 1_000;
const MB = 1024 * 1024;

const emu = await startEmulator({ nodes: 3, replicas: 1, buckets: ['default'] });
const cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password, timeout: 10 });
const doc = (i: number) => ({ i, name: `soak ${i}`, tags: ['a', 'b', 'c'], when: '2026-12-01' });
const key = (i: number) => `soak::${i % KEYS}`;
await cb.setMulti(Object.fromEntries(Array.from({ length: KEYS }, (_, i) => [key(i), doc(i)])));
await cb.designCreate('soak', { views: { by_i: { map: 'function (doc, meta) { emit(doc.i, null); }' } } }, { useDevmode: false, syncwait: 30 });

const gc = (globalThis as { gc?: () => void }).gc;
const samples: Array<{ ops: number; rssMb: number; heapMb: number; opsPerSec: number }> = [];
let ops = 0;
let errors = 0;
let last = performance.now();
let lastOps = 0;
const sample = () => {
  gc?.();
  const m = process.memoryUsage();
  const now = performance.now();
  samples.push({ ops, rssMb: m.rss / MB, heapMb: m.heapUsed / MB, opsPerSec: Math.round((ops - lastOps) / ((now - last) / 1000)) });
  last = now;
  lastOps = ops;
  const s = samples[samples.length - 1]!;
  console.log(`${ops.toLocaleString('en').padStart(11)} ops  rss ${s.rssMb.toFixed(1)} MB  heap ${s.heapMb.toFixed(1)} MB  ${s.opsPerSec.toLocaleString('en')} ops/s  errors ${errors}`);
};
const every = Math.max(WINDOW * 50, Math.floor(total / 20));
let nextSample = every;
sample();
const started = performance.now();
let round = 0;
while (ops < total) {
  const base = round * WINDOW;
  switch (round % 6) {
    case 0: {
      const keys = Array.from({ length: WINDOW }, (_, i) => key(base + i));
      const r = await cb.getMulti(keys, { quiet: true });
      for (const v of r.values()) if (!v.success) errors++;
      ops += WINDOW;
      break;
    }
    case 1: {
      await cb.setMulti(Object.fromEntries(Array.from({ length: WINDOW }, (_, i) => [key(base + i), doc(base + i)])));
      ops += WINDOW;
      break;
    }
    case 2: {
      const rs = await Promise.all(Array.from({ length: WINDOW }, (_, i) => cb.get(key(base + i)).then(() => 0, () => 1)));
      errors += rs.reduce((a: number, b) => a + b, 0);
      ops += WINDOW;
      break;
    }
    case 3: {
      let n = 0;
      for await (const _ of cb.query('soak', 'by_i', { limit: WINDOW, skip: base % KEYS, pageSize: 250 })) n++;
      ops += n;
      break;
    }
    case 4: {
      let n = 0;
      for await (const row of cb.query('soak', 'by_i', { limit: 200, skip: base % KEYS, includeDocs: true, pageSize: 100 })) if (row.doc?.success) n++;
      ops += 200 + n;
      break;
    }
    default: {
      const durable = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [key(base + i), doc(base + i)]));
      await cb.setMulti(durable, { persistTo: 1, replicateTo: 1 }).catch(() => { errors++; });
      ops += 100;
    }
  }
  round++;
  if (ops >= nextSample) {
    sample();
    nextSample += every;
  }
}
if (samples[samples.length - 1]!.ops !== ops) sample();
const seconds = (performance.now() - started) / 1000;
const warm = samples[Math.min(2, samples.length - 1)]!;
const end = samples[samples.length - 1]!;
const after = samples.slice(samples.indexOf(warm));
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
console.log(`\n${ops.toLocaleString('en')} operations in ${seconds.toFixed(0)} s (${Math.round(ops / seconds).toLocaleString('en')} ops/s), ${errors} failed; after warm-up (${warm.ops.toLocaleString('en')} ops): RSS ${warm.rssMb.toFixed(1)} → ${end.rssMb.toFixed(1)} MB (${(end.rssMb - warm.rssMb).toFixed(1)} MB, range ${range(after.map((x) => x.rssMb))}), heap ${warm.heapMb.toFixed(1)} → ${end.heapMb.toFixed(1)} MB (range ${range(after.map((x) => x.heapMb))})${gc ? '' : ' (run with --expose-gc for stable heap figures)'}`);
await cb.close();
await emu.stop();
