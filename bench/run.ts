/**
 * `npm run bench`: every key-value workload for every client against the same servers,
 * interleaved, then the views benchmark (bench/views.ts); writes bench/RESULTS.md.
 *
 *   npm run bench                      full run (< 20 min on a quiet machine)
 *   npm run bench -- --quick           small sizes (about 2 min); the views only with --views
 *   npx tsx bench/run.ts --only get-seq,get-multi --servers memcached --clients couchbase-rx,"bare socket"
 *        --passes 5 --no-views --out /tmp/r.md
 *
 * Clients: couchbase-rx, couchbase@4.7.1, couchbase@3.2.7, memjs, a bare socket, cbc-pillowfight.
 * Servers: a memcached of its own, and the 3-node emulator (1 replica).
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pillowfight, buildPillowfight } from './harness/pillowfight.js';
import { NODE_CLIENTS, PROBE, type NodeClient } from './harness/protocol.js';
import { renderResults, summary, type Row } from './harness/report.js';
import { ChildRunner, PillowfightRunner, type Runner } from './harness/runner.js';
import { preload, startEmulatorServer, startMemcachedServer, type Server as RunningServer } from './harness/servers.js';
import { FULL, QUICK, WORKLOADS, type Server, type Sizes } from './harness/workloads.js';

const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    servers: { type: 'string', default: 'memcached,emulator' },
    clients: { type: 'string' },
    passes: { type: 'string' },
    'no-views': { type: 'boolean', default: false },
    views: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const started = new Date();
const sizes = argv.quick ? QUICK : FULL;
const passes = Number(argv.passes ?? 3);
const servers = argv.servers!.split(',') as Server[];
const allClients: string[] = [...NODE_CLIENTS, 'cbc-pillowfight'];
const clients = argv.clients ? argv.clients.split(',') : allClients;
const workloads = WORKLOADS.filter((w) => !argv.only || argv.only.split(',').includes(w.id));
const out = argv.out ?? fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const log = (s: string) => process.stderr.write(`${s}\n`);

async function ensureOfficialAddon(): Promise<void> {
  const { ensureCouchbase3 } = await import('../test/official/ensure-couchbase3.mjs' as string) as { ensureCouchbase3: () => Promise<unknown> };
  await ensureCouchbase3();
}

/** Why each Node client cannot run each workload on this server (one short-lived process per client). */
async function probe(server: RunningServer): Promise<Map<string, Record<string, string>>> {
  const nodeClients = clients.filter((c) => c !== 'cbc-pillowfight') as NodeClient[];
  const answers = await Promise.all(nodeClients.map(async (c) => {
    const r = new ChildRunner(c, PROBE, server.target, sizes);
    try {
      return await r.capabilities();
    } catch (error) {
      const why = `failed to start: ${(error as Error).message.split('\n')[0]}`;
      return Object.fromEntries(WORKLOADS.map((w) => [w.id, why]));
    } finally {
      r.kill();
    }
  }));
  return new Map(nodeClients.map((c, i) => [c, answers[i]!]));
}

/** A runner that only says why the client has no such workload. */
function unavailable(client: string, why: string): Runner {
  const never = () => Promise.reject(new Error(why));
  return { client, start: async () => why, pass: never, warmUp: never, finish: never, kill() {} };
}

/**
 * A latency workload's pass is cut into this many slices, each a round of its own: a slice of
 * every Node client runs within a second or so of the others', so that they all meet the same
 * moments of a shared machine, whose speed drifts by a third from one second to the next.
 * cbc-pillowfight runs whole passes, once every this many rounds: each pass is a C process
 * whose start-up is taken off its time, which a short pass would make noisy.
 */
const LATENCY_SLICES = 10;

/** One workload on one server: every client in turn, `passes` rounds (sliced, see above). */
async function runWorkload(server: RunningServer, workload: (typeof WORKLOADS)[number], pf: Pillowfight | { na: string }, caps: Map<string, Record<string, string>>): Promise<Row[]> {
  const loadAverage = loadavg()[0]!.toFixed(2);
  const slices = workload.latency ? LATENCY_SLICES : 1;
  const slice: Sizes = { ...sizes, sequential: Math.max(1, Math.round(sizes.sequential / slices)) };
  const runners: Runner[] = clients.map((c) => {
    if (c === 'cbc-pillowfight') return new PillowfightRunner(pf, workload, sizes);
    const why = caps.get(c)?.[workload.id];
    return why !== undefined ? unavailable(c, why) : new ChildRunner(c as NodeClient, workload, server.target, slice);
  });
  const every = (r: Runner) => (r instanceof PillowfightRunner ? slices : 1);
  const rows = runners.map((r): Row => ({ server: server.target.server, workload, client: r.client, passes: [], loadAverage }));
  try {
    const started_ = await Promise.all(runners.map((r) => r.start().catch((e: Error) => `failed to start: ${e.message.split('\n')[0]}`)));
    started_.forEach((na, i) => {
      if (na !== undefined) rows[i]!.na = na;
    });
    const live = runners.map((r, i) => ({ r, row: rows[i]! })).filter((x) => x.row.na === undefined);
    for (const { r, row } of live) {
      await r.warmUp().catch((error: Error) => {
        row.na = `failed: ${error.message.split('\n')[0]}`;
        r.kill();
      });
    }
    for (let round = 0; round < passes * slices; round++) {
      for (let k = 0; k < live.length; k++) {
        const { r, row } = live[(k + round) % live.length]!;
        if (row.na !== undefined || round % every(r) !== 0) continue;
        const cpu0 = server.cpuMs();
        try {
          const p = await r.pass();
          const serverCpuMs = server.cpuMs() - cpu0;
          row.passes.push({
            opsPerSec: p.ops / (p.ms / 1000), p50Us: p.p50Us, p99Us: p.p99Us,
            clientCpuUsPerOp: (p.cpuMs * 1000) / p.ops, serverCpuUsPerOp: (serverCpuMs * 1000) / p.ops,
          });
        } catch (error) {
          row.na = `failed: ${(error as Error).message.split('\n')[0]}`;
          row.passes = [];
          r.kill();
        }
      }
    }
    for (const { r, row } of live) {
      if (row.na === undefined) row.maxRssMb = await r.finish().catch(() => undefined);
    }
  } finally {
    for (const r of runners) r.kill();
  }
  for (const row of rows) {
    const s = row.na === undefined ? summary(row) : undefined;
    log(`  ${row.client.padEnd(16)} ${s ? `${Math.round(s.opsPerSec).toLocaleString('en').padStart(10)} ops/s` : `n/a: ${row.na}`}` +
      `${s && Number.isFinite(s.p50Us) ? `  ${row.client === 'cbc-pillowfight' ? 'mean' : 'p50'} ${s.p50Us.toFixed(1)} µs` : ''}` +
      `${s && Number.isFinite(s.p99Us) ? `  p99 ${s.p99Us.toFixed(1)} µs` : ''}${row.maxRssMb ? `  RSS ${row.maxRssMb.toFixed(0)} MB` : ''}`);
  }
  return rows;
}

/** bench/views.ts, run as it is; its tables (stdout) go into RESULTS.md. */
function runViews(): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import=tsx', 'bench/views.ts', ...(argv.quick ? ['--quick'] : [])], {
      cwd: root, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
    });
    child.on('close', (code) => resolve(code === 0
      ? `\`node --import=tsx bench/views.ts${argv.quick ? ' --quick' : ''}\` (every client in its own process; emulator with 3 nodes in that process)\n${text}`
      : `n/a — bench/views.ts failed (exit ${code})\n${text}`));
  });
}

async function main(): Promise<void> {
  const loadBefore = load();
  log(`node ${process.version}, ${cpus().length} cores, load average ${loadBefore}${argv.quick ? ' (quick)' : ''}`);
  await ensureOfficialAddon();
  const built = clients.includes('cbc-pillowfight') ? await buildPillowfight() : { na: 'not selected' };
  const notes: string[] = [
    'where the time of one get goes (callgrind instruction counts, load-independent) and of the bulk calls: bench/PROFILE.md',
  ];
  const rows: Row[] = [];
  for (const name of servers) {
    const wanted = workloads.filter((w) => w.servers.includes(name));
    if (wanted.length === 0) continue;
    log(`== ${name}`);
    const server = name === 'memcached' ? await startMemcachedServer() : await startEmulatorServer();
    try {
      await preload(server.target, sizes.bulk, sizes.window);
      let pf: Pillowfight | { na: string } = 'na' in built ? built : { na: 'cbc-pillowfight: not prepared' };
      if ('bin' in built) {
        const p = new Pillowfight(built.bin, server.target, sizes.bulk);
        try {
          await p.prepare();
          pf = p;
          notes.push(`cbc-pillowfight on ${name}: its start-up and connect (${p.overheadMs.toFixed(0)} ms, median of 3 one-operation runs) is taken off every pass; built with libcouchbase's select IO plugin unless libevent's headers are installed (scripts/build-pillowfight.sh)`);
        } catch (error) {
          pf = { na: `cbc-pillowfight failed: ${(error as Error).message.split('\n')[0]}` };
        }
      }
      const caps = await probe(server);
      for (const w of wanted) {
        log(`-- ${name} / ${w.label} (load ${load()})`);
        rows.push(...(await runWorkload(server, w, pf, caps)));
      }
    } finally {
      await server.stop();
    }
  }
  const skipViews = argv['no-views'] || (argv.quick && !argv.views);
  const views = skipViews
    ? `n/a — not run (${argv.quick ? 'quick mode: add --views' : '--no-views'}); \`npm run bench\` runs bench/views.ts`
    : await runViews();
  const info = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    started, seconds: (Date.now() - started.getTime()) / 1000,
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim(),
    node: process.version, cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}`, memoryGb: totalmem() / 2 ** 30,
    loadBefore, loadAfter: load(), passes,
    sizes: `sequential ${sizes.sequential.toLocaleString('en')} ops per pass (run as ${LATENCY_SLICES} rounds of ${Math.round(sizes.sequential / LATENCY_SLICES).toLocaleString('en')}: ` +
      `the Node clients' p50, p99 and ops/s are medians over ${passes * LATENCY_SLICES} such slices, cbc-pillowfight runs whole passes), bulk ${sizes.bulk.toLocaleString('en')} docs per pass, durable ${sizes.durable.toLocaleString('en')}, windows of ${sizes.window.toLocaleString('en')}; documents are 150 bytes of JSON`,
    notes, views,
  };
  writeFileSync(out, renderResults(info, rows));
  log(`wrote ${out} in ${Math.round(info.seconds)} s`);
}

await main();
