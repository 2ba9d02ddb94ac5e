/**
 * View rows/s and memory, side by side in one run on one embedded 3-node emulator:
 *   a 100,000-row view (100,000 small docs, one row each) read whole by couchbase-rx
 *   (`for await` over `cb.query(...)`, and `subscribe`), by couchbase@3.2.7 and couchbase@4.7.1
 *   (`bucket.viewQuery`, rows counted from its 'row' events); then with the documents
 *   (couchbase-rx `includeDocs`; the official SDKs have no include_docs, so they await the
 *   rows and get each row's document, `Promise.all` over windows of 1,000);
 *   a 1,000,000-row view (1,000 docs emitting 1,000 rows each) consumed by couchbase-rx through
 *   a slow `for await` (a setImmediate every row), RSS sampled; the official SDKs read the same
 *   view as fast as they can (they have no way to slow the stream down), and so does
 *   couchbase-rx once more (a plain `for await`), the same workload as theirs.
 * Every client runs in a child process of its own (one per client and phase), from a plain-JS
 * bundle, so its peak RSS (`process.resourceUsage().maxRSS`) is its own; the emulator stays in
 * this process. The phases
 * are interleaved: every round runs each client once; the median pass is reported.
 * Besides rows/s (wall clock), each pass reports the CPU time the client and the emulator spent
 * per row: on a shared machine the wall clock moves with the load, CPU per row much less.
 * Run: `npx tsx bench/views.ts [--quick] [--only throughput|stream]` (5 rounds; quick: 10,000 rows,
 * a 100,000-row stream, 3 rounds; --only: the 100,000-row phases or the big view alone).
 * Profile: `VIEWS_BENCH_PROFILE=/tmp/prof node --cpu-prof --cpu-prof-dir=/tmp/prof --import=tsx bench/views.ts`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bundled } from './harness/bundle.js';

const quick = process.argv.includes('--quick');
/** `--only throughput` or `--only stream`: one part of the run (for working on it). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const smallDocs = quick ? 10_000 : 100_000;
const fanDocs = quick ? 100 : 1_000;
const rowsPerFanDoc = 1_000;
/** Rounds of the throughput phases; the median is reported (the box is shared: more rounds, steadier medians). */
const rounds = quick ? 3 : 5;
const window = 1_000;
const bucket = 'default';
const DESIGN = 'bench';
const SMALL_VIEW = 'small';
const FAN_VIEW = 'fan';
const RSS_TARGET_MB = 64;
/** VIEWS_BENCH_PROFILE=<dir>: every child writes a CPU profile there (`node --cpu-prof`). */
const profileDir = process.env.VIEWS_BENCH_PROFILE;

type Client = 'couchbase-rx' | 'couchbase@3.2.7' | 'couchbase@4.7.1';
type Phase = 'rows' | 'rows (subscribe)' | 'includeDocs' | 'stream' | 'stream (fast)';
/** Phases only couchbase-rx runs: the official SDKs have one way to read rows. */
const ourOwn: Phase[] = ['rows (subscribe)', 'stream (fast)'];
interface Target { connectionString: string; username: string; password: string }

/** What a child reports. */
type Report =
  | { type: 'ready'; rssMb: number }
  | { type: 'pass'; rows: number; ms: number; cpuMs: number; baseRssMb: number; peakRssMb: number }
  | { type: 'done'; maxRssMb: number }
  | { type: 'error'; message: string };

const mb = (bytes: number) => bytes / 2 ** 20;
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;
/** CPU time (user + system) this process used since `since`. */
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

/** Samples RSS every few ms while `run` goes on; the peak includes the samples before and after. */
async function sampled<T>(run: () => Promise<T>): Promise<{ value: T; baseRssMb: number; peakRssMb: number }> {
  const baseRssMb = mb(process.memoryUsage.rss());
  let peak = baseRssMb;
  const timer = setInterval(() => {
    peak = Math.max(peak, mb(process.memoryUsage.rss()));
  }, 5);
  try {
    const value = await run();
    return { value, baseRssMb, peakRssMb: Math.max(peak, mb(process.memoryUsage.rss())) };
  } finally {
    clearInterval(timer);
  }
}

// ------------------------------------------------------------------------------- the clients

type PassFn = () => Promise<number>;

async function ourPass(target: Target, phase: Phase): Promise<{ pass: PassFn; close: () => Promise<void> }> {
  const { Couchbase } = await import('../src/index.js');
  const cb = await Couchbase.connect({ ...target, connectionString: `${target.connectionString}/${bucket}`, timeout: 10 });
  const passes: Record<Phase, PassFn> = {
    rows: async () => {
      let n = 0;
      for await (const row of cb.query(DESIGN, SMALL_VIEW)) if (row.docid !== undefined) n++;
      return n;
    },
    'rows (subscribe)': () => new Promise<number>((resolve, reject) => {
      let n = 0;
      cb.query(DESIGN, SMALL_VIEW).subscribe({ next: (row) => { if (row.docid !== undefined) n++; }, error: reject, complete: () => resolve(n) });
    }),
    includeDocs: async () => {
      let n = 0;
      for await (const row of cb.query(DESIGN, SMALL_VIEW, { includeDocs: true })) if (row.doc?.success && (row.doc.value as { n: number }).n === row.value) n++;
      return n;
    },
    // The slow consumer: each row waits for a turn of the event loop.
    'stream': async () => {
      let n = 0;
      for await (const row of cb.query(DESIGN, FAN_VIEW)) {
        if (row.docid !== undefined) n++;
        await new Promise(setImmediate);
      }
      return n;
    },
    // The same view read as the official SDKs read it: as fast as the rows come.
    'stream (fast)': async () => {
      let n = 0;
      for await (const row of cb.query(DESIGN, FAN_VIEW)) if (row.docid !== undefined) n++;
      return n;
    },
  };
  return { pass: passes[phase], close: () => cb.close() };
}

async function officialPass(name: 'couchbase3' | 'couchbase4', target: Target, phase: Phase): Promise<{ pass: PassFn; close: () => Promise<void> }> {
  const sdk = createRequire(import.meta.url)(name);
  const viewTimeout = 300_000;
  const cluster = await sdk.connect(target.connectionString, name === 'couchbase3'
    ? { username: target.username, password: target.password, kvTimeout: 10_000, viewTimeout }
    : { username: target.username, password: target.password, timeouts: { kvTimeout: 10_000, viewTimeout, bootstrapTimeout: 20_000 } });
  const b = cluster.bucket(bucket);
  const collection = b.defaultCollection();
  const count = (view: string) => new Promise<number>((resolve, reject) => {
    let n = 0;
    b.viewQuery(DESIGN, view)
      .on('row', (row: { id?: string }) => { if (row.id !== undefined) n++; })
      .on('error', reject)
      .on('end', () => resolve(n));
  });
  const passes: Partial<Record<Phase, PassFn>> = {
    rows: () => count(SMALL_VIEW),
    includeDocs: async () => {
      const { rows } = await b.viewQuery(DESIGN, SMALL_VIEW) as { rows: Array<{ id: string; value: number }> };
      let n = 0;
      for (let i = 0; i < rows.length; i += window) {
        const page = rows.slice(i, i + window);
        const docs = await Promise.all(page.map((r) => collection.get(r.id)));
        docs.forEach((d: { content: { n: number } }, j) => { if (d.content.n === page[j]!.value) n++; });
      }
      return n;
    },
    'stream': () => count(FAN_VIEW),
  };
  const pass = passes[phase];
  if (!pass) throw new Error(`${name} has no '${phase}' phase`);
  return { pass, close: () => cluster.close() };
}

/** A child: connects, then runs a pass whenever the parent asks, and reports its peak RSS at the end. */
async function child(client: Client, phase: Phase, target: Target): Promise<void> {
  const send = (r: Report) => process.send!(r);
  try {
    const { pass, close } = client === 'couchbase-rx'
      ? await ourPass(target, phase)
      : await officialPass(client === 'couchbase@3.2.7' ? 'couchbase3' : 'couchbase4', target, phase);
    process.on('message', async (m: 'pass' | 'exit') => {
      try {
        if (m === 'exit') {
          await close();
          send({ type: 'done', maxRssMb: maxRssMb() });
          process.disconnect();
          return;
        }
        const start = performance.now();
        const cpu = process.cpuUsage();
        const { value: rows, baseRssMb, peakRssMb } = await sampled(pass);
        send({ type: 'pass', rows, ms: performance.now() - start, cpuMs: cpuMs(cpu), baseRssMb, peakRssMb });
      } catch (error) {
        send({ type: 'error', message: String((error as Error)?.stack ?? error) });
      }
    });
    send({ type: 'ready', rssMb: mb(process.memoryUsage.rss()) });
  } catch (error) {
    send({ type: 'error', message: String((error as Error)?.stack ?? error) });
  }
}

// ------------------------------------------------------------------------------- the parent

class Worker {
  readonly #proc: ChildProcess;
  readonly #replies: Report[] = [];
  #waiting: ((r: Report) => void) | undefined;
  readonly passes: Array<{ rowsPerSec: number; baseRssMb: number; peakRssMb: number; clientUsPerRow: number; emulatorUsPerRow: number }> = [];
  readyRssMb = NaN;
  maxRssMb = NaN;

  constructor(readonly client: Client, readonly phase: Phase, readonly expected: number, target: Target) {
    this.#proc = fork(bundled(fileURLToPath(import.meta.url), 'views-child.mjs'), ['--child', client, phase, JSON.stringify(target)], {
      execArgv: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#proc.on('message', (r: Report) => {
      const w = this.#waiting;
      this.#waiting = undefined;
      if (w) w(r);
      else this.#replies.push(r);
    });
    this.#proc.on('exit', (code) => {
      this.#waiting?.({ type: 'error', message: `child exited with ${code}` });
    });
  }

  #next(): Promise<Report> {
    const r = this.#replies.shift();
    if (r) return Promise.resolve(r);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  async #expect<K extends Report['type']>(type: K): Promise<Extract<Report, { type: K }>> {
    const r = await this.#next();
    if (r.type === 'error') throw new Error(`${this.client} ${this.phase}: ${r.message}`);
    if (r.type !== type) throw new Error(`${this.client} ${this.phase}: expected ${type}, got ${r.type}`);
    return r as Extract<Report, { type: K }>;
  }

  async ready(): Promise<void> {
    this.readyRssMb = (await this.#expect('ready')).rssMb;
  }

  async pass(): Promise<void> {
    const cpu = process.cpuUsage();
    this.#proc.send('pass');
    const r = await this.#expect('pass');
    const emulatorCpuMs = cpuMs(cpu);
    if (r.rows !== this.expected) throw new Error(`${this.client} ${this.phase}: ${r.rows} rows, expected ${this.expected}`);
    const p = {
      rowsPerSec: Math.round(r.rows / (r.ms / 1000)), baseRssMb: r.baseRssMb, peakRssMb: r.peakRssMb,
      clientUsPerRow: (r.cpuMs * 1000) / r.rows, emulatorUsPerRow: (emulatorCpuMs * 1000) / r.rows,
    };
    this.passes.push(p);
    console.error(`  ${this.client.padEnd(16)} ${this.phase.padEnd(17)} ${p.rowsPerSec.toLocaleString('en').padStart(10)} rows/s  ` +
      `CPU per row: client ${p.clientUsPerRow.toFixed(1)} µs, emulator ${p.emulatorUsPerRow.toFixed(1)} µs  RSS ${r.baseRssMb.toFixed(0)} -> ${r.peakRssMb.toFixed(0)} MB`);
  }

  async finish(): Promise<void> {
    this.#proc.send('exit');
    this.maxRssMb = (await this.#expect('done')).maxRssMb;
  }

  /** The median pass by rows/s. */
  get medianPass(): Worker['passes'][number] {
    const sorted = [...this.passes].sort((a, b) => a.rowsPerSec - b.rowsPerSec);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  get median(): number {
    return this.medianPass.rowsPerSec;
  }

  #medianOf(f: (p: Worker['passes'][number]) => number): number {
    const sorted = this.passes.map(f).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  }

  get clientUsPerRow(): number {
    return this.#medianOf((p) => p.clientUsPerRow);
  }

  get emulatorUsPerRow(): number {
    return this.#medianOf((p) => p.emulatorUsPerRow);
  }

  /** Rows per second of CPU time, the client's and the emulator's together (median pass). */
  get rowsPerCpuSecond(): number {
    return Math.round(1e6 / this.#medianOf((p) => p.clientUsPerRow + p.emulatorUsPerRow));
  }

  /** The largest RSS growth of a pass over the RSS it started at. */
  get growthMb(): number {
    return Math.max(...this.passes.map((p) => p.peakRssMb - p.baseRssMb));
  }

  kill(): void {
    if (this.#proc.exitCode === null) this.#proc.kill();
  }
}

async function prepare(target: Target): Promise<void> {
  const { Couchbase } = await import('../src/index.js');
  const cb = await Couchbase.connect({ ...target, connectionString: `${target.connectionString}/${bucket}`, timeout: 30 });
  try {
    let t = performance.now();
    for (let i = 0; i < smallDocs; i += window) {
      const batch: Record<string, unknown> = {};
      for (let j = i; j < Math.min(i + window, smallDocs); j++) batch[`small::${j}`] = { type: 'small', n: j, name: `doc ${j}`, tags: ['a', 'b'] };
      await cb.setMulti(batch);
    }
    const fan: Record<string, unknown> = {};
    for (let j = 0; j < fanDocs; j++) fan[`fan::${j}`] = { type: 'fan', n: j };
    await cb.setMulti(fan);
    console.error(`loaded ${smallDocs.toLocaleString('en')} + ${fanDocs.toLocaleString('en')} docs in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    await cb.designCreate(DESIGN, {
      views: {
        [SMALL_VIEW]: { map: "function (doc, meta) { if (doc.type === 'small') emit(doc.name, doc.n); }" },
        [FAN_VIEW]: { map: `function (doc, meta) { if (doc.type === 'fan') for (var i = 0; i < ${rowsPerFanDoc}; i++) emit([doc.n, i], i); }` },
      },
    }, { useDevmode: false, syncwait: 300 });
    for await (const _ of cb.query(DESIGN, SMALL_VIEW, { stale: false, limit: 1 }));
    console.error(`design document created and indexed (${(smallDocs + fanDocs * rowsPerFanDoc).toLocaleString('en')} rows) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } finally {
    await cb.close();
  }
}

async function parent(): Promise<void> {
  const { ensureCouchbase3 } = await import('../test/official/ensure-couchbase3.mjs' as string) as { ensureCouchbase3: () => Promise<unknown> };
  await ensureCouchbase3();
  const { startEmulator } = await import('../emulator/index.js');
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  const loadBefore = load();
  console.error(`node ${process.version}, ${cpus().length} cores, load average ${loadBefore}${quick ? ' (quick)' : ''}`);
  const emulator = await startEmulator({ nodes: 3, replicas: 1, buckets: [bucket] });
  const workers: Worker[] = [];
  try {
    const target: Target = { connectionString: emulator.connectionString, username: emulator.username, password: emulator.password };
    await prepare(target);
    const clients: Client[] = ['couchbase-rx', 'couchbase@3.2.7', 'couchbase@4.7.1'];
    const spawn = (phases: Phase[], expected: number) => {
      const ws = phases.flatMap((phase) => clients.filter((c) => c === 'couchbase-rx' || !ourOwn.includes(phase)).map((c) => new Worker(c, phase, expected, target)));
      workers.push(...ws);
      return ws;
    };
    const throughput = only === 'stream' ? [] : spawn(['rows', 'rows (subscribe)', 'includeDocs'], smallDocs);
    await Promise.all(throughput.map((w) => w.ready()));
    for (let round = 1; round <= rounds; round++) {
      console.error(`round ${round} of ${rounds}`);
      for (const w of throughput) await w.pass();
    }
    for (const w of throughput) await w.finish();

    // The big view last: one pass each, RSS is what it is about.
    const streams = only === 'throughput' ? [] : spawn(['stream', 'stream (fast)'], fanDocs * rowsPerFanDoc);
    await Promise.all(streams.map((w) => w.ready()));
    console.error(`${(fanDocs * rowsPerFanDoc).toLocaleString('en')}-row view`);
    for (const w of streams) {
      await w.pass();
      await w.finish();
    }
    report(workers, loadBefore, load());
  } finally {
    for (const w of workers) w.kill();
    await emulator.stop();
  }
}

function report(workers: Worker[], loadBefore: string, loadAfter: string): void {
  const find = (client: Client, phase: Phase) => workers.find((w) => w.client === client && w.phase === phase);
  const ratio = (theirs: number, ours: number | undefined) => (ours === undefined ? '' : `${(ours / theirs).toFixed(2)}x`);
  console.log(`\n| phase | client | rows/s (median of ${rounds}) | couchbase-rx / this | CPU µs/row client, emulator (median) | rows per CPU-second | couchbase-rx / this | RSS after connect | peak RSS (maxRSS) |`);
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const w of workers.filter((x) => !x.phase.startsWith('stream'))) {
    const ours = find('couchbase-rx', w.phase === 'rows (subscribe)' ? 'rows (subscribe)' : w.phase);
    const theirs = w.client !== 'couchbase-rx';
    console.log(`| ${w.phase} | ${w.client} | ${w.median.toLocaleString('en')} | ${theirs ? ratio(w.median, ours?.median) : ''} | ` +
      `${w.clientUsPerRow.toFixed(1)}, ${w.emulatorUsPerRow.toFixed(1)} | ${w.rowsPerCpuSecond.toLocaleString('en')} | ` +
      `${theirs ? ratio(w.rowsPerCpuSecond, ours?.rowsPerCpuSecond) : ''} | ${w.readyRssMb.toFixed(0)} MB | ${w.maxRssMb.toFixed(0)} MB |`);
  }
  const fanRows = (fanDocs * rowsPerFanDoc).toLocaleString('en');
  console.log(`\n| ${fanRows}-row view | consumer | rows/s | RSS at start | peak RSS growth | peak RSS (maxRSS) |`);
  console.log('|---|---|---:|---:|---:|---:|');
  for (const w of workers.filter((x) => x.phase.startsWith('stream'))) {
    const p = w.passes[0]!;
    const consumer = w.client !== 'couchbase-rx' ? "'row' events, as fast as they come"
      : w.phase === 'stream' ? 'for await, setImmediate per row' : 'for await, as fast as they come';
    console.log(`| ${w.client} | ${consumer} | ${p.rowsPerSec.toLocaleString('en')} | ${p.baseRssMb.toFixed(0)} MB | ${(p.peakRssMb - p.baseRssMb).toFixed(1)} MB | ${w.maxRssMb.toFixed(0)} MB |`);
  }
  console.log(`\nload average before ${loadBefore}, after ${loadAfter}`);
  if (only) return;
  const best = (phase: Phase) => Math.max(find('couchbase@3.2.7', phase)!.median, find('couchbase@4.7.1', phase)!.median);
  const rowsRatio = find('couchbase-rx', 'rows')!.median / best('rows');
  const docsRatio = find('couchbase-rx', 'includeDocs')!.median / best('includeDocs');
  const bestCpu = (phase: Phase) => Math.max(find('couchbase@3.2.7', phase)!.rowsPerCpuSecond, find('couchbase@4.7.1', phase)!.rowsPerCpuSecond);
  const growth = find('couchbase-rx', 'stream')!.growthMb;
  console.log(`targets: rows/s >= 2x the faster official SDK: rows ${rowsRatio.toFixed(2)}x ${rowsRatio >= 2 ? 'met' : 'NOT met'}, ` +
    `includeDocs ${docsRatio.toFixed(2)}x ${docsRatio >= 2 ? 'met' : 'NOT met'}; ` +
    `${fanRows}-row stream RSS growth < ${RSS_TARGET_MB} MB: ${growth.toFixed(1)} MB ${growth < RSS_TARGET_MB ? 'met' : 'NOT met'}`);
  const cpuRatio = (phase: Phase) => (find('couchbase-rx', phase)!.rowsPerCpuSecond / bestCpu(phase)).toFixed(2);
  console.log(`rows per CPU-second (client + emulator), couchbase-rx over the better official SDK: rows ${cpuRatio('rows')}x, includeDocs ${cpuRatio('includeDocs')}x`);
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1] as Client, process.argv[at + 2] as Phase, JSON.parse(process.argv[at + 3]!) as Target);
else await parent();
