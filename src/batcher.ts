/**
 * Coalesces the commands issued in one tick into one NativeBatch (flat typed arrays),
 * submitted once per tick, and dispatches responses by seq. Bounds the commands
 * outstanding per connection (libcouchbase's scheduling cost grows with them): the rest
 * wait in a queue and are submitted as responses arrive. No per-operation timers: a queued
 * command older than the operation timeout is failed with LCB_ERR_TIMEOUT when its turn comes.
 * @internal
 * @module
 */
import type { NativeBatch, NativeConnection, NativeOpCode, NativeResponses } from './binding.js';
import { LcbStatus } from './errors/index.js';

/**
 * Default bound on commands outstanding per connection. The native engineer measures the
 * best value (bench/native-throughput.ts: 512–1024 is best, beyond 2048 the rate falls; 512 chosen).
 */
export const MAX_OUTSTANDING = 512;

/** One command, before it is packed into a batch. */
export interface Command {
  op: NativeOpCode;
  key: Buffer;
  value?: Buffer;
  flags?: number;
  expiry?: number;
  cas?: bigint;
  delta?: bigint;
  initial?: bigint;
  aux?: number;
}

/** One response, unpacked. `data` is a view into the batch's buffer. */
export interface Response {
  rc: number;
  cas: bigint;
  flags: number;
  u64: bigint;
  aux: number;
  final: boolean;
  data: Buffer;
  text: string | undefined;
}

/** Receives every response for one command; the last one has `final` set. */
export type ResponseHandler = (response: Response) => void;

interface Pending {
  seq: number;
  cmd: Command;
  handler: ResponseHandler;
  queuedAt: number;
  cancelled: boolean;
}

/** Statistics, for tests and benchmarks. */
export interface BatcherStats {
  submits: number;
  commands: number;
  maxOutstanding: number;
}

const EMPTY = Buffer.alloc(0);

export class Batcher {
  #native: NativeConnection;
  #queue: Pending[] = [];
  #head = 0;
  #inflight = new Map<number, Pending>();
  #nextSeq = 1;
  #scheduled = false;
  #closed = false;
  /** Bound on outstanding commands. */
  readonly limit: number;
  /** Timeout for queued commands, microseconds. */
  timeoutUs: number;
  readonly stats: BatcherStats = { submits: 0, commands: 0, maxOutstanding: 0 };

  constructor(native: NativeConnection, timeoutUs: number, limit = MAX_OUTSTANDING) {
    this.#native = native;
    this.timeoutUs = timeoutUs;
    this.limit = limit;
  }

  /** Commands submitted and awaiting their final response. */
  get outstanding(): number {
    return this.#inflight.size;
  }

  /** Commands waiting for a slot. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Queues a command for this tick's batch. Returns a cancel function: before submission it
   * removes the command; after, it drops interest in the responses.
   */
  enqueue(cmd: Command, handler: ResponseHandler): () => void {
    const p: Pending = { seq: 0, cmd, handler, queuedAt: 0, cancelled: false };
    if (this.#closed) {
      const h = handler;
      process.nextTick(() => h(failure(LcbStatus.LCB_ERR_REQUEST_CANCELED)));
      return () => { p.cancelled = true; };
    }
    p.seq = this.#nextSeq;
    this.#nextSeq = this.#nextSeq >= 0xfffffffe ? 1 : this.#nextSeq + 1;
    p.queuedAt = performance.now();
    this.#queue.push(p);
    this.#schedule();
    return () => {
      p.cancelled = true;
      p.handler = noop;
    };
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => {
      this.#scheduled = false;
      this.flush();
    });
  }

  /** Submits as many queued commands as the bound allows, in one native call. */
  flush(): void {
    if (this.#closed) return;
    const room = this.limit - this.#inflight.size;
    if (room <= 0 || this.queued === 0) return;
    const now = performance.now();
    const timeoutMs = this.timeoutUs / 1000;
    const take: Pending[] = [];
    while (take.length < room && this.#head < this.#queue.length) {
      const p = this.#queue[this.#head++]!;
      if (p.cancelled) continue;
      if (now - p.queuedAt > timeoutMs) {
        p.handler(failure(LcbStatus.LCB_ERR_TIMEOUT));
        continue;
      }
      take.push(p);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    } else if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    if (take.length === 0) return;
    const batch = pack(take);
    for (const p of take) this.#inflight.set(p.seq, p);
    let rcs: Int32Array;
    try {
      rcs = this.#native.submit(batch);
    } catch (error) {
      for (const p of take) this.#inflight.delete(p.seq);
      const rc = LcbStatus.LCB_ERR_SDK_INTERNAL;
      for (const p of take) p.handler({ ...failure(rc), text: String((error as Error)?.message ?? error) });
      return;
    }
    this.stats.submits++;
    this.stats.commands += take.length;
    if (this.#inflight.size > this.stats.maxOutstanding) this.stats.maxOutstanding = this.#inflight.size;
    for (let i = 0; i < take.length; i++) {
      const rc = rcs[i] ?? 0;
      if (rc !== 0) {
        const p = take[i]!;
        this.#inflight.delete(p.seq);
        p.handler(failure(rc));
      }
    }
    if (this.queued > 0 && this.#inflight.size < this.limit) this.#schedule();
  }

  /** Called by the native layer with every response of one loop iteration. */
  onResponses = (r: NativeResponses): void => {
    let start = 0;
    for (let i = 0; i < r.count; i++) {
      const end = r.dataEnd[i]!;
      const seq = r.seq[i]!;
      const p = this.#inflight.get(seq);
      const final = r.final[i] === 1;
      if (final) this.#inflight.delete(seq);
      if (p) {
        try {
          p.handler({
            rc: r.rc[i]!,
            cas: r.cas[i]!,
            flags: r.flags[i]!,
            u64: r.u64[i]!,
            aux: r.aux[i]!,
            final,
            data: end > start ? r.data.subarray(start, end) : EMPTY,
            text: r.text[i],
          });
        } catch (error) {
          // A handler must never break dispatch of the rest of the batch.
          process.nextTick(() => { throw error; });
        }
      }
      start = end;
    }
    if (this.queued > 0 && this.#inflight.size < this.limit) this.#schedule();
  };

  /** Fails every queued command with `rc`; outstanding ones are failed by the native close. */
  close(rc: number = LcbStatus.LCB_ERR_REQUEST_CANCELED): void {
    this.#closed = true;
    const queue = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    for (const p of queue) if (!p.cancelled) p.handler(failure(rc));
  }

  /** Fails everything still in flight (after the native side has gone). */
  failInflight(rc: number = LcbStatus.LCB_ERR_REQUEST_CANCELED): void {
    const inflight = [...this.#inflight.values()];
    this.#inflight.clear();
    for (const p of inflight) p.handler(failure(rc));
  }
}

function noop(): void {}

/** A synthetic final failure response. @internal */
export function failure(rc: number): Response {
  return { rc, cas: 0n, flags: 0, u64: 0n, aux: 0, final: true, data: EMPTY, text: undefined };
}

function pack(items: Pending[]): NativeBatch {
  const n = items.length;
  let keyBytes = 0;
  let valueBytes = 0;
  for (const p of items) {
    keyBytes += p.cmd.key.length;
    valueBytes += p.cmd.value?.length ?? 0;
  }
  const batch: NativeBatch = {
    count: n,
    seq: new Uint32Array(n),
    op: new Uint8Array(n),
    keys: Buffer.allocUnsafe(keyBytes),
    keyEnd: new Uint32Array(n),
    values: Buffer.allocUnsafe(valueBytes),
    valueEnd: new Uint32Array(n),
    flags: new Uint32Array(n),
    expiry: new Uint32Array(n),
    cas: new BigUint64Array(n),
    delta: new BigUint64Array(n),
    initial: new BigUint64Array(n),
    aux: new Int32Array(n),
  };
  let ko = 0;
  let vo = 0;
  for (let i = 0; i < n; i++) {
    const { seq, cmd } = items[i]!;
    batch.seq[i] = seq;
    batch.op[i] = cmd.op;
    ko += cmd.key.copy(batch.keys, ko);
    batch.keyEnd[i] = ko;
    if (cmd.value) vo += cmd.value.copy(batch.values, vo);
    batch.valueEnd[i] = vo;
    batch.flags[i] = (cmd.flags ?? 0) >>> 0;
    batch.expiry[i] = cmd.expiry ?? 0;
    batch.cas[i] = cmd.cas ?? 0n;
    batch.delta[i] = cmd.delta ?? 0n;
    batch.initial[i] = cmd.initial ?? 0n;
    batch.aux[i] = cmd.aux ?? 0;
  }
  return batch;
}
