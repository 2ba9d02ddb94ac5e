/**
 * bench/RESULTS.md: one table per server (every workload, every client, ratios to
 * couchbase-rx), the views section as bench/views.ts printed it, the machine and the command.
 * @module
 */
import { median } from './stats.js';
import type { Server, Workload } from './workloads.js';

export interface Pass {
  opsPerSec: number;
  p50Us?: number;
  p99Us?: number;
  clientCpuUsPerOp: number;
  serverCpuUsPerOp: number;
}

export interface Row {
  server: Server;
  workload: Workload;
  client: string;
  /** Why there is no number: the feature does not exist, or the run failed. */
  na?: string;
  passes: Pass[];
  maxRssMb?: number;
  loadAverage: string;
}

export interface RunInfo {
  command: string;
  started: Date;
  seconds: number;
  commit: string;
  node: string;
  cpus: string;
  memoryGb: number;
  loadBefore: string;
  loadAfter: string;
  passes: number;
  sizes: string;
  notes: string[];
  views?: string;
}

const RX = 'couchbase-rx';
const fmt = (n: number | undefined, digits = 0) =>
  n === undefined || !Number.isFinite(n) ? '' : n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const of = (row: Row, f: (p: Pass) => number | undefined) => median(row.passes.map((p) => f(p) ?? NaN));

export function summary(row: Row): { opsPerSec: number; p50Us: number; p99Us: number } {
  return { opsPerSec: of(row, (p) => p.opsPerSec), p50Us: of(row, (p) => p.p50Us), p99Us: of(row, (p) => p.p99Us) };
}

function table(rows: Row[]): string[] {
  const out = [
    `| workload | client | ops/s (median pass) | × couchbase-rx | p50 µs | p99 µs | client CPU µs/op | server CPU µs/op | peak RSS MB | RSS ÷ couchbase-rx | load avg (1 min) |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    if (row.na !== undefined) {
      out.push(`| ${row.workload.label} | ${row.client} | n/a | | | | | | | | ${row.loadAverage} |`);
      continue;
    }
    const rx = rows.find((r) => r.workload === row.workload && r.client === RX && r.na === undefined);
    const s = summary(row);
    const base = rx ? summary(rx) : undefined;
    const ratio = base && row.client !== RX ? `${(s.opsPerSec / base.opsPerSec).toFixed(2)}×` : '';
    const rssRatio = rx?.maxRssMb && row.maxRssMb && row.client !== RX ? `${(row.maxRssMb / rx.maxRssMb).toFixed(2)}` : '';
    const mean = row.client === 'cbc-pillowfight';
    out.push(`| ${row.workload.label} | ${row.client} | ${fmt(s.opsPerSec)} | ${ratio} | ${mean && row.workload.latency ? `${fmt(s.p50Us, 1)} (mean)` : fmt(s.p50Us, 1)} | ` +
      `${fmt(s.p99Us, 1)} | ${fmt(of(row, (p) => p.clientCpuUsPerOp), 1)} | ${fmt(of(row, (p) => p.serverCpuUsPerOp), 1)} | ` +
      `${fmt(row.maxRssMb)} | ${rssRatio} | ${row.loadAverage} |`);
  }
  return out;
}

function reasons(rows: Row[]): string[] {
  const seen = new Map<string, string[]>();
  for (const r of rows) {
    if (r.na === undefined) continue;
    const list = seen.get(r.na) ?? [];
    list.push(`${r.client} / ${r.workload.id}`);
    seen.set(r.na, list);
  }
  return [...seen].map(([why, where]) => `- n/a — ${why}: ${where.join(', ')}`);
}

export function renderResults(info: RunInfo, rows: Row[]): string {
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`${info.command}\` on ${info.started.toISOString()} (${Math.round(info.seconds)} s), commit ${info.commit}.`,
    '',
    `- machine: ${info.cpus}, ${info.memoryGb.toFixed(0)} GB; node ${info.node}`,
    `- load average (1, 5, 15 min): ${info.loadBefore} at the start, ${info.loadAfter} at the end (the machine is shared: wall-clock numbers move with it)`,
    `- every workload runs every client against the same server, interleaved: each of ${info.passes} rounds runs one pass of each client (order rotated), the median pass is reported;` +
      ' each Node client\'s process first runs one pass that is not measured, so that every measured pass runs on code the JIT has optimized',
    `- sizes: ${info.sizes}`,
    '- each Node client runs in a process of its own per workload: peak RSS is its `process.resourceUsage().maxRSS`, client CPU its `process.cpuUsage()` during the pass;',
    '  server CPU is memcached\'s utime+stime from /proc (10 ms ticks) or the emulator\'s process (the harness, idle during a pass)',
    '- × couchbase-rx: this client\'s ops/s over couchbase-rx\'s on the same workload and server (below 1: slower than couchbase-rx)',
    '',
  ];
  for (const server of ['memcached', 'emulator'] as const) {
    const rows_ = rows.filter((r) => r.server === server);
    if (rows_.length === 0) continue;
    lines.push(`## ${server === 'memcached' ? 'memcached (memcached://, Debian memcached)' : 'emulator (3 nodes, 1 replica, in the harness process)'}`, '');
    lines.push(...table(rows_), '', ...reasons(rows_), '');
  }
  if (info.views) lines.push('## Views (bench/views.ts, run by the harness)', '', info.views.trim(), '');
  if (info.notes.length) lines.push('## Notes', '', ...info.notes.map((n) => `- ${n}`), '');
  return `${lines.join('\n')}\n`;
}
