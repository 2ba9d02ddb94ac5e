// Helpers for running the official Couchbase Node SDKs, unchanged, against the emulator.
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

export type SdkName = 'couchbase3' | 'couchbase4';

const require = createRequire(import.meta.url);

/** Load an official SDK (CJS). couchbase3's native addon is built on first use (see ensure-couchbase3.mjs). */
export async function loadSdk(name: SdkName): Promise<any> {
  if (name === 'couchbase3') {
    // @ts-ignore -- plain .mjs helper without types
    const { ensureCouchbase3 } = await import('./ensure-couchbase3.mjs');
    const r = await ensureCouchbase3();
    if (r.source === 'built') process.stderr.write(`[official] built couchbase3 addon in ${r.seconds}s\n`);
  }
  return require(name);
}

export class DeadlineError extends Error {}

/** Every await in the suite goes through this: a hung SDK call fails the test instead of the run. */
export function within<T>(p: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([Promise.resolve(p), deadline]).finally(() => clearTimeout(timer));
}

/** Wait until fn() returns truthy (polling), bounded. */
export async function eventually(fn: () => Promise<any>, ms: number, what: string, stepMs = 100): Promise<any> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new DeadlineError(`${what}: not true within ${ms} ms (last: ${String(last)})`);
    await sleep(stepMs);
  }
}

export interface Emulator {
  connectionString: string;
  restUrl: string;
  username: string;
  password: string;
  nodes: Array<{ kv: number; views: number }>;
  failover(i: number): Promise<void>;
  stopNode(i: number): Promise<void>;
  startNode(i: number): Promise<void>;
  advanceClock(seconds: number): Promise<void> | void;
  setDelays(d: { replicationMs?: number; persistenceMs?: number }): Promise<void> | void;
  flush(bucket: string): Promise<void>;
  stop(): Promise<void>;
}

/** Start the 3-node, 1-replica emulator the suite runs on. */
export async function startCluster(): Promise<Emulator> {
  const mod: any = await import('../../emulator/index.js');
  if (typeof mod.startEmulator !== 'function') {
    throw new Error('emulator/index.ts does not export startEmulator yet');
  }
  return mod.startEmulator({ nodes: 3, replicas: 1, buckets: ['default'] });
}

/** Connect an SDK to the emulator with short, explicit timeouts (milliseconds). */
export async function connect(name: SdkName, sdk: any, emu: Emulator): Promise<any> {
  const kvTimeout = 5000;
  if (name === 'couchbase3') {
    return sdk.connect(emu.connectionString, {
      username: emu.username,
      password: emu.password,
      kvTimeout,
      kvDurableTimeout: 10000,
      viewTimeout: 10000,
      managementTimeout: 10000,
    });
  }
  return sdk.connect(emu.connectionString, {
    username: emu.username,
    password: emu.password,
    timeouts: {
      kvTimeout,
      kvDurableTimeout: 10000,
      viewTimeout: 10000,
      managementTimeout: 10000,
      connectTimeout: 5000,
      bootstrapTimeout: 10000,
    },
  });
}

/** A string describing an error, for messages. */
export function describe(err: unknown): string {
  if (!err || typeof err !== 'object') return String(err);
  const e = err as any;
  const ctx = e.context ? ` ctx=${safeJson(e.context)}` : '';
  const cause = e.cause ? ` cause=${e.cause?.message ?? e.cause}` : '';
  return `${e.constructor?.name}: ${e.message}${cause}${ctx}`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)).slice(0, 600);
  } catch {
    return String(v);
  }
}
