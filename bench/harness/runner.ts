/**
 * The harness's side of one client on one workload: a Node client's own process
 * (bench/harness/child.ts), or cbc-pillowfight runs. Each pass is measured alike: wall time
 * and ops from the client, the server's CPU time around it.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Target } from '../clients/client.js';
import { bundled } from './bundle.js';
import type { Pillowfight } from './pillowfight.js';
import { PROBE, type ChildMessage, type NodeClient, type PassReport } from './protocol.js';
import type { Sizes, Workload } from './workloads.js';

export interface Runner {
  readonly client: string;
  /** Connects; resolves with why the client has no such workload, or undefined when it is ready. */
  start(): Promise<string | undefined>;
  pass(): Promise<PassReport>;
  /**
   * One pass whose numbers are dropped, before the measured ones: a Node client's process then
   * runs every measured pass on code the JIT has already optimized.
   */
  warmUp(): Promise<void>;
  /** Ends the client; its peak RSS in MB. */
  finish(): Promise<number>;
  kill(): void;
}

export class ChildRunner implements Runner {
  readonly #proc: ChildProcess;
  readonly #inbox: ChildMessage[] = [];
  #waiting: ((m: ChildMessage) => void) | undefined;

  constructor(readonly client: NodeClient, workload: Workload | typeof PROBE, target: Target, sizes: Sizes, execArgv: string[] = []) {
    this.#proc = fork(bundled(fileURLToPath(new URL('./child.ts', import.meta.url)), 'bench-child.mjs'), [JSON.stringify({ client, workload: workload === PROBE ? PROBE : workload.id, target, sizes })], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#proc.on('message', (m: ChildMessage) => this.#deliver(m));
    this.#proc.on('exit', (code, signal) => this.#deliver({ type: 'error', message: `the client process exited (${code ?? signal})` }));
  }

  #deliver(m: ChildMessage): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    if (w) w(m);
    else this.#inbox.push(m);
  }

  #next(): Promise<ChildMessage> {
    const m = this.#inbox.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  async #expect<K extends ChildMessage['type']>(type: K): Promise<Extract<ChildMessage, { type: K }>> {
    const m = await this.#next();
    if (m.type === 'error') throw new Error(`${this.client}: ${m.message}`);
    if (m.type !== type) throw new Error(`${this.client}: expected ${type}, got ${m.type}`);
    return m as Extract<ChildMessage, { type: K }>;
  }

  /** A probe's answer: why each workload the client cannot run is n/a. */
  async capabilities(): Promise<Record<string, string>> {
    return (await this.#expect('caps')).na;
  }

  async start(): Promise<string | undefined> {
    const m = await this.#next();
    if (m.type === 'na') return m.reason;
    if (m.type === 'error') throw new Error(`${this.client}: ${m.message}`);
    return undefined;
  }

  async pass(): Promise<PassReport> {
    this.#proc.send('pass');
    const { type: _, ...report } = await this.#expect('pass');
    return report;
  }

  async warmUp(): Promise<void> {
    await this.pass();
  }

  async finish(): Promise<number> {
    this.#proc.send('exit');
    return (await this.#expect('done')).maxRssMb;
  }

  kill(): void {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) this.#proc.kill();
  }
}

export class PillowfightRunner implements Runner {
  readonly client = 'cbc-pillowfight';
  #maxRssMb = 0;

  constructor(readonly pf: Pillowfight | { na: string }, readonly workload: Workload, readonly sizes: Sizes) {}

  async start(): Promise<string | undefined> {
    if ('na' in this.pf) return this.pf.na;
    const args = this.workload.pillowfight(this.sizes);
    return 'na' in args ? args.na : undefined;
  }

  async pass(): Promise<PassReport> {
    const args = this.workload.pillowfight(this.sizes) as string[];
    const r = await (this.pf as Pillowfight).pass(args);
    this.#maxRssMb = Math.max(this.#maxRssMb, r.maxRssMb);
    const ops = this.workload.ops(this.sizes);
    // One operation at a time: the mean latency is all pillowfight's timing gives.
    const meanUs = this.workload.latency ? (r.ms * 1000) / ops : undefined;
    return { ops, ms: r.ms, cpuMs: r.cpuMs, p50Us: meanUs, p99Us: undefined };
  }

  /** Nothing to warm: every pass is a new C process. */
  async warmUp(): Promise<void> {}

  async finish(): Promise<number> {
    return this.#maxRssMb;
  }

  kill(): void {}
}
