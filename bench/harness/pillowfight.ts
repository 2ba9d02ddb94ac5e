/**
 * cbc-pillowfight (scripts/build-pillowfight.sh) as a benchmarked client: one process per pass,
 * timed from outside; its start-up and connect time (measured with a one-operation run) is
 * taken off. Peak RSS from /usr/bin/time (%M). It keeps its own keys (`pf::…`), populated once
 * per server, with documents of the same size (150 bytes of JSON).
 * @module
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Target } from '../clients/client.js';
import { DOC_BYTES } from './doc.js';
import { median } from './stats.js';

const TIME = '/usr/bin/time';

export interface PillowfightRun {
  ms: number;
  /** user + system CPU of the process (start-up included), NaN without /usr/bin/time. */
  cpuMs: number;
  maxRssMb: number;
}

/** Builds (or finds in its cache) cbc-pillowfight; its path, or why there is none. */
export function buildPillowfight(): Promise<{ bin: string } | { na: string }> {
  const script = fileURLToPath(new URL('../../scripts/build-pillowfight.sh', import.meta.url));
  return new Promise((resolve) => {
    execFile('bash', [script], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const bin = stdout.trim().split('\n').pop() ?? '';
      if (error || !existsSync(bin)) resolve({ na: `cbc-pillowfight could not be built: ${(stderr || String(error)).trim().split('\n').slice(-3).join(' ')}` });
      else resolve({ bin });
    });
  });
}

export class Pillowfight {
  /** Start-up + connect + one operation, ms (median of a few runs). */
  #overheadMs = 0;

  constructor(readonly bin: string, readonly target: Target, readonly items: number) {}

  #common(): string[] {
    const t = this.target;
    const connstr = t.server === 'emulator' ? `${t.connectionString}/${t.bucket}` : t.connectionString;
    return [
      '--spec', connstr, ...(t.username ? ['--username', t.username, '--password', t.password ?? ''] : []),
      '--num-items', String(this.items), '--key-prefix', 'pf::', '--num-threads', '1',
      '--min-size', String(DOC_BYTES), '--max-size', String(DOC_BYTES), '--json', '--sequential',
    ];
  }

  async #exec(args: string[]): Promise<PillowfightRun> {
    const timed = existsSync(TIME);
    const argv = [...this.#common(), ...args];
    const start = performance.now();
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = timed
        ? spawn(TIME, ['-f', 'maxrss=%M cpu=%U+%S', this.bin, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
        : spawn(this.bin, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err = (err + d.toString()).slice(-20_000);
      });
      child.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    const ms = performance.now() - start;
    if (code !== 0) throw new Error(`cbc-pillowfight ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    const rss = /maxrss=(\d+) cpu=([\d.]+)\+([\d.]+)/.exec(stderr);
    return { ms, cpuMs: rss ? (Number(rss[2]) + Number(rss[3])) * 1000 : NaN, maxRssMb: rss ? Number(rss[1]) / 1024 : NaN };
  }

  /** Stores its documents, then measures its own start-up. */
  async prepare(): Promise<void> {
    await this.#exec(['--populate-only', '--batch-size', '1000', '--set-pct', '100']);
    const overhead: number[] = [];
    for (let i = 0; i < 3; i++) overhead.push((await this.#exec(['--no-population', '--batch-size', '1', '--num-cycles', '1', '--set-pct', '0'])).ms);
    this.#overheadMs = median(overhead);
  }

  get overheadMs(): number {
    return this.#overheadMs;
  }

  /** One pass: the workload's arguments, its time without the start-up. */
  async pass(args: string[]): Promise<PillowfightRun> {
    const r = await this.#exec(['--no-population', ...args]);
    return { ms: Math.max(r.ms - this.#overheadMs, 1e-3), cpuMs: r.cpuMs, maxRssMb: r.maxRssMb };
  }
}
