/**
 * The operators' read paths against the official SDK, side by side in one run, on one
 * emulator (1 node, its own process, so that it does not share the client's thread):
 *   couchbase-rx  getEach                 `from(keys).pipe(getEach(cb))`
 *   couchbase-rx  bufferTime + getMulti   keys arriving in bursts of `window`,
 *                                         `bufferTime(5), filter(non-empty), mergeMap(ks => cb.getMulti(ks))`
 *   couchbase@4.7.1 Promise.all windows   `await Promise.all(window of collection.get(k))`, window after window
 * Each phase reads the same `docs` documents; phases run interleaved, `rounds` times each, and
 * the median pass is reported with its ratio to the official SDK (target: 5x), plus the
 * native batches our phases cost and the machine's load average (the box is shared).
 * Run: `npx tsx bench/operators.ts [docs=100000] [window=1000] [rounds=3]`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bufferTime, concatMap, count, filter, from, lastValueFrom, map, mergeMap, range, reduce, timer } from 'rxjs';
import { connect } from '../src/index.js';
import { getEach } from '../src/operators/index.js';

const docs = Number(process.argv[2] ?? 100_000);
const window = Number(process.argv[3] ?? 1_000);
const rounds = Number(process.argv[4] ?? 3);
const keys = Array.from({ length: docs }, (_, i) => `opbench::${i}`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** The emulator CLI in a child process; resolves with its ready line. */
async function startEmulatorProcess() {
  const cli = fileURLToPath(new URL('../emulator/cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import=tsx', cli, '--nodes', '1', '--no-views', '--exit-with-parent'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const ready = JSON.parse(line) as { connectionString: string; username: string; password: string };
  return {
    ...ready,
    stop: async () => {
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      await exit;
    },
  };
}

type Phase = { client: string; phase: string; run: () => Promise<number> };
const passes = new Map<Phase, number[]>();

async function timed(p: Phase): Promise<void> {
  const start = performance.now();
  const read = await p.run();
  const opsPerSec = Math.round(docs / ((performance.now() - start) / 1000));
  if (read !== docs) throw new Error(`${p.client} ${p.phase}: read ${read} of ${docs}`);
  passes.set(p, [...(passes.get(p) ?? []), opsPerSec]);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const loadBefore = load();
console.error(`node ${process.version}, ${cpus().length} cores, load average ${loadBefore}`);
const emulator = await startEmulatorProcess();
const cb = await connect({ connectionString: `${emulator.connectionString}/default`, username: emulator.username, password: emulator.password, timeout: 10 });
const couchbase4 = createRequire(import.meta.url)('couchbase4');
const cluster = await couchbase4.connect(emulator.connectionString, { username: emulator.username, password: emulator.password });
const collection = cluster.bucket('default').defaultCollection();
const batches = { getEach: 0, bufferTime: 0 };
try {
  for (let i = 0; i < docs; i += window) await cb.setMulti(keys.slice(i, i + window).map((k, j): [string, unknown] => [k, { id: i + j, name: `doc ${i + j}`, tags: ['a', 'b'] }]));

  const phases: Phase[] = [
    {
      client: 'couchbase-rx', phase: 'getEach',
      run: async () => {
        const before = cb.batchStats.submits;
        const n = await lastValueFrom(from(keys).pipe(getEach(cb), count((r) => r.success)));
        batches.getEach = cb.batchStats.submits - before;
        return n;
      },
    },
    {
      client: 'couchbase-rx', phase: 'bufferTime(5) + getMulti',
      run: async () => {
        const before = cb.batchStats.submits;
        const keys$ = range(0, Math.ceil(docs / window)).pipe(concatMap((w) => timer(0).pipe(mergeMap(() => keys.slice(w * window, (w + 1) * window)))));
        const n = await lastValueFrom(keys$.pipe(
          bufferTime(5),
          filter((ks) => ks.length > 0),
          mergeMap((ks) => cb.getMulti(ks)),
          map((m) => m.size),
          reduce((a, b) => a + b, 0),
        ));
        batches.bufferTime = cb.batchStats.submits - before;
        return n;
      },
    },
    {
      client: 'couchbase@4.7.1', phase: 'get, Promise.all windows',
      run: async () => {
        let n = 0;
        for (let i = 0; i < docs; i += window) n += (await Promise.all(keys.slice(i, i + window).map((k) => collection.get(k)))).length;
        return n;
      },
    },
  ];
  for (let round = 0; round < rounds; round++) for (const p of phases) await timed(p);

  const official = median(passes.get(phases[2]!)!);
  console.log(`\n${docs.toLocaleString('en')} documents, window ${window}, ${rounds} rounds (median pass), emulator: 1 node in its own process`);
  console.log('\n| client | pipeline | ops/s (median) | passes | vs couchbase@4.7.1 |');
  console.log('|---|---|---:|---|---:|');
  for (const p of phases) {
    const ps = passes.get(p)!;
    console.log(`| ${p.client} | ${p.phase} | ${median(ps).toLocaleString('en')} | ${ps.map((x) => x.toLocaleString('en')).join(', ')} | ${(median(ps) / official).toFixed(2)}x |`);
  }
  console.log(`\nnative batches in the last pass: getEach ${batches.getEach}, bufferTime + getMulti ${batches.bufferTime}`);
  const worst = Math.min(median(passes.get(phases[0]!)!), median(passes.get(phases[1]!)!)) / official;
  console.log(`target: both pipelines >= 5x couchbase@4.7.1: ${worst.toFixed(2)}x ${worst >= 5 ? 'met' : 'NOT met'}`);
  console.log(`load average before ${loadBefore}, after ${load()}`);
} finally {
  await cluster.close();
  await cb.close();
  await emulator.stop();
}
