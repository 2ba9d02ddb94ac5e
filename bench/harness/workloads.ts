/**
 * The key-value workloads of `npm run bench`: what each one does with a client (run in the
 * client's own process, bench/harness/child.ts), which servers it runs on, and the
 * cbc-pillowfight arguments that do the same work in C where there is such a thing.
 * @module
 */
import type { Client, Doc } from '../clients/client.js';
import { keysAndDocs } from './doc.js';

export type Server = 'memcached' | 'emulator';

/** How much work a pass does; `--quick` shrinks it. */
export interface Sizes {
  /** Operations of a sequential (one at a time) pass. */
  sequential: number;
  /** Documents of a bulk pass. */
  bulk: number;
  /** Documents of a durable pass. */
  durable: number;
  /** Keys per multi call or per tick. */
  window: number;
}

export const FULL: Sizes = { sequential: 10_000, bulk: 100_000, durable: 10_000, window: 1_000 };
export const QUICK: Sizes = { sequential: 1_000, bulk: 5_000, durable: 1_000, window: 1_000 };

/** Keys every get workload reads: loaded before the workloads run (bench/harness/servers.ts). */
export const KEY_PREFIX = 'bench';
const DURABLE_PREFIX = 'durable';

export interface PassResult {
  ops: number;
  /** Per-operation latencies in µs (sequential workloads). */
  latencies?: number[];
}

export interface Workload {
  id: string;
  label: string;
  servers: readonly Server[];
  /** Sequential: report p50/p99. */
  latency: boolean;
  /** The client capability it needs (a Client member). */
  needs: keyof Client;
  /** Operations per pass. */
  ops(s: Sizes): number;
  run(client: Client, s: Sizes): Promise<PassResult>;
  /** cbc-pillowfight arguments doing the same work, or why it has none. */
  pillowfight(s: Sizes): string[] | { na: string };
}

const data = new Map<string, { keys: string[]; docs: Doc[] }>();
function dataset(prefix: string, count: number) {
  const id = `${prefix}:${count}`;
  let d = data.get(id);
  if (!d) data.set(id, (d = keysAndDocs(prefix, count)));
  return d;
}

async function sequential(s: Sizes, call: (key: string, doc: Doc) => PromiseLike<unknown>): Promise<PassResult> {
  const { keys, docs } = dataset(KEY_PREFIX, s.sequential);
  const latencies = new Array<number>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const t0 = process.hrtime.bigint();
    await call(keys[i]!, docs[i]!);
    latencies[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return { ops: keys.length, latencies };
}

async function windows(count: number, window: number, prefix: string, each: (keys: string[], docs: Doc[]) => PromiseLike<unknown>): Promise<PassResult> {
  const { keys, docs } = dataset(prefix, count);
  for (let i = 0; i < count; i += window) await each(keys.slice(i, i + window), docs.slice(i, i + window));
  return { ops: count };
}

async function streamed(count: number, run: (keys: string[], docs: Doc[]) => Promise<number>): Promise<PassResult> {
  const { keys, docs } = dataset(KEY_PREFIX, count);
  const seen = await run(keys, docs);
  if (seen !== count) throw new Error(`${seen} results for ${count} keys`);
  return { ops: count };
}

const PF_SEQUENTIAL = ['--batch-size', '1'];
const noTick = { na: 'pillowfight schedules a batch per cycle: see the multi row' };
const noOperators = { na: 'pillowfight has no reactive operators' };

export const WORKLOADS: readonly Workload[] = [
  {
    id: 'get-seq', label: 'get, one at a time', servers: ['memcached', 'emulator'], latency: true, needs: 'get',
    ops: (s) => s.sequential,
    run: (c, s) => sequential(s, (k) => c.get(k)),
    pillowfight: (s) => [...PF_SEQUENTIAL, '--num-cycles', String(s.sequential), '--set-pct', '0'],
  },
  {
    id: 'set-seq', label: 'set, one at a time', servers: ['memcached', 'emulator'], latency: true, needs: 'set',
    ops: (s) => s.sequential,
    run: (c, s) => sequential(s, (k, d) => c.set(k, d)),
    pillowfight: (s) => [...PF_SEQUENTIAL, '--num-cycles', String(s.sequential), '--set-pct', '100'],
  },
  {
    id: 'set-multi', label: 'bulk set, multi calls of 1,000', servers: ['memcached', 'emulator'], latency: false, needs: 'setMulti',
    ops: (s) => s.bulk,
    run: (c, s) => windows(s.bulk, s.window, KEY_PREFIX, (k, d) => c.setMulti!(k, d)),
    pillowfight: (s) => ['--batch-size', String(s.window), '--num-cycles', String(s.bulk / s.window), '--set-pct', '100'],
  },
  {
    id: 'get-multi', label: 'bulk get, multi calls of 1,000', servers: ['memcached', 'emulator'], latency: false, needs: 'getMulti',
    ops: (s) => s.bulk,
    run: (c, s) => windows(s.bulk, s.window, KEY_PREFIX, (k) => c.getMulti!(k)),
    pillowfight: (s) => ['--batch-size', String(s.window), '--num-cycles', String(s.bulk / s.window), '--set-pct', '0'],
  },
  {
    id: 'set-tick', label: 'bulk set, 1,000 plain calls per tick', servers: ['memcached', 'emulator'], latency: false, needs: 'sameTick',
    ops: (s) => s.bulk,
    run: (c, s) => windows(s.bulk, s.window, KEY_PREFIX, (k, d) => Promise.all(k.map((key, i) => c.set(key, d[i]!)))),
    pillowfight: () => noTick,
  },
  {
    id: 'get-tick', label: 'bulk get, 1,000 plain calls per tick', servers: ['memcached', 'emulator'], latency: false, needs: 'sameTick',
    ops: (s) => s.bulk,
    run: (c, s) => windows(s.bulk, s.window, KEY_PREFIX, (k) => Promise.all(k.map((key) => c.get(key)))),
    pillowfight: () => noTick,
  },
  {
    id: 'getEach', label: 'getEach over a stream of keys', servers: ['memcached', 'emulator'], latency: false, needs: 'getEach',
    ops: (s) => s.bulk,
    run: (c, s) => streamed(s.bulk, (k) => c.getEach!(k)),
    pillowfight: () => noOperators,
  },
  {
    id: 'storeEach', label: 'storeEach over a stream of documents', servers: ['memcached', 'emulator'], latency: false, needs: 'storeEach',
    ops: (s) => s.bulk,
    run: (c, s) => streamed(s.bulk, (k, d) => c.storeEach!(k, d)),
    pillowfight: () => noOperators,
  },
  {
    id: 'bufferTime', label: 'bufferTime(1 ms, 1,000) into getMulti', servers: ['memcached', 'emulator'], latency: false, needs: 'bufferTimeGetMulti',
    ops: (s) => s.bulk,
    run: (c, s) => streamed(s.bulk, (k) => c.bufferTimeGetMulti!(k)),
    pillowfight: () => noOperators,
  },
  {
    id: 'durable', label: 'durable set (persistTo 1, replicateTo 1), 1,000 per tick', servers: ['emulator'], latency: false, needs: 'durableSetWindow',
    ops: (s) => s.durable,
    run: (c, s) => windows(s.durable, s.window, DURABLE_PREFIX, (k, d) => c.durableSetWindow!(k, d)),
    pillowfight: (s) => ['--batch-size', String(s.window), '--num-cycles', String(s.durable / s.window), '--set-pct', '100',
      '--persist-to', '1', '--replicate-to', '1'],
  },
];
