/**
 * Coalesces the commands issued in one tick into one NativeBatch (flat typed arrays),
 * submitted once per tick, and dispatches responses by seq. The bound on commands outstanding
 * per connection lives in the native connection: it takes the whole batch in one call and
 * queues what does not fit (failing a queued command older than the operation timeout with
 * LCB_ERR_TIMEOUT), so a 10,000-key getMulti is one submit. No per-operation timers.
 * @internal
 * @module
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import {
  BATCH_BYTES_PER_COMMAND, KEY_IN_ARGUMENT, ONE_BLOCK, ONE_KEY_ROOM, batchColumnOffsets,
  type NativeBatch, type NativeConnection, type NativeOneResponse, type NativeOpCode, type NativeSubmitOne, type NativeResponses,
} from './binding.js';
import { LcbStatus } from './errors/index.js';

/**
 * Default bound on commands outstanding in libcouchbase per connection, enforced by the native
 * connection (bench/native-throughput.ts: 256–512 is best, beyond 2048 the rate falls; 512 chosen).
 */
export const MAX_OUTSTANDING = 512;

/** One command, before it is packed into a batch. */
export interface Command {
  op: NativeOpCode;
  /** The key's bytes, or a string written as UTF-8 when the batch is packed. */
  key: Buffer | string;
  /** The value's bytes, or a string written as UTF-8 when the batch is packed. */
  value?: Buffer | string;
  flags?: number;
  expiry?: number;
  cas?: bigint;
  delta?: bigint;
  initial?: bigint;
  aux?: number;
}

/**
 * One response, unpacked. `data` is a view: into the delivery's buffer, or for the final
 * response of a delivery of one, into the connection's scratch buffer, reused by the next
 * delivery. Copy it to keep it past the handler (a non-final response's bytes are a copy of
 * their own, since the handler keeps them until the final one).
 */
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

/**
 * A command of this tick, then awaiting its final response. Unsubscribing cancels it. A caller
 * may subclass it and override `respond` instead of passing a handler (the single-key path:
 * one object per operation run).
 */
export class Pending implements Cancellable {
  constructor(
    public seq: number,
    /** The command; undefined once cancelled. */
    public cmd: Command | undefined,
    public handler: ResponseHandler = noop,
  ) {}

  /** Receives each response of the command (never after unsubscribe). */
  respond(response: Response): void {
    this.handler(response);
  }

  /** Before submission: drops the command; after: drops interest in its responses. */
  unsubscribe(): void {
    this.cmd = undefined;
    this.handler = noop;
  }
}

/** What enqueue returns: an RxJS teardown (Unsubscribable) that cancels the command. */
export interface Cancellable {
  unsubscribe(): void;
}

/** Statistics, for tests and benchmarks. */
export interface BatcherStats {
  /** Calls into the addon (submit). */
  submits: number;
  commands: number;
  /** Calls back from the addon (onResponses). */
  deliveries: number;
}

const EMPTY = Buffer.alloc(0);

/**
 * Commands awaiting their final response, by seq: an array indexed by seq & mask (seqs are
 * handed out in order, so the live ones rarely collide), with a Map for collisions.
 */
export class InflightTable {
  #slots: Array<Pending | undefined>;
  #mask: number;
  #overflow = new Map<number, Pending>();
  size = 0;

  constructor(capacity = 4096) {
    this.#slots = new Array<Pending | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
  }

  set(p: Pending): void {
    if (this.size * 2 >= this.#slots.length) this.#grow();
    const i = p.seq & this.#mask;
    if (this.#slots[i] === undefined) this.#slots[i] = p;
    else this.#overflow.set(p.seq, p);
    this.size++;
  }

  get(seq: number): Pending | undefined {
    const p = this.#slots[seq & this.#mask];
    if (p !== undefined && p.seq === seq) return p;
    return this.#overflow.size > 0 ? this.#overflow.get(seq) : undefined;
  }

  delete(seq: number): void {
    const i = seq & this.#mask;
    const p = this.#slots[i];
    if (p !== undefined && p.seq === seq) {
      this.#slots[i] = undefined;
      this.size--;
    } else if (this.#overflow.size > 0 && this.#overflow.delete(seq)) {
      this.size--;
    }
  }

  values(): Pending[] {
    const out: Pending[] = [];
    for (const p of this.#slots) if (p !== undefined) out.push(p);
    for (const p of this.#overflow.values()) out.push(p);
    return out;
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.#overflow.clear();
    this.size = 0;
  }

  #grow(): void {
    const all = this.values();
    const capacity = this.#slots.length * 2;
    this.#slots = new Array<Pending | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
    this.#overflow.clear();
    this.size = 0;
    for (const p of all) this.set(p);
  }
}

export class Batcher {
  #native: NativeConnection;
  /** This tick's commands. */
  #tick: Pending[] = [];
  #inflight = new InflightTable();
  #nextSeq = 1;
  #scheduled = false;
  #closed = false;
  readonly #arrays = new BatchArrays();
  readonly stats: BatcherStats = { submits: 0, commands: 0, deliveries: 0 };
  readonly #flush = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** The one-command block (binding.ts ONE_BLOCK), when the native connection has bindOne. */
  readonly #one: OneBlock | undefined;
  /** The native connection's submitOne, from bindOne. */
  readonly #submitOneNative: NativeSubmitOne | undefined;

  constructor(native: NativeConnection) {
    this.#native = native;
    if (native.bindOne !== undefined) {
      this.#one = new OneBlock();
      this.#submitOneNative = native.bindOne(this.#one.buffer, this.onResponse);
    }
  }

  /** Commands submitted (or about to be, this tick) and awaiting their final response. */
  get outstanding(): number {
    return this.#inflight.size;
  }

  /**
   * Queues a command for this tick's batch. Returns its cancel handle (an RxJS teardown):
   * before submission it removes the command; after, it drops interest in the responses.
   */
  enqueue(cmd: Command, handler: ResponseHandler): Cancellable {
    return this.add(new Pending(0, cmd, handler));
  }

  /** Queues `p` (its command and its `respond`) like enqueue; `p` is its cancel handle. */
  add<P extends Pending>(p: P): P {
    if (this.#closed) {
      process.nextTick(respondCanceled, p);
      return p;
    }
    const seq = this.#nextSeq;
    this.#nextSeq = seq >= 0xfffffffe ? 1 : seq + 1;
    p.seq = seq;
    this.#tick.push(p);
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
    return p;
  }

  /** Submits this tick's commands in one native call. */
  flush(): void {
    if (this.#closed) return;
    const all = this.#tick;
    if (all.length === 0) return;
    this.#tick = [];
    let take = all;
    for (let i = 0; i < all.length; i++) {
      if (all[i]!.cmd === undefined) {
        take = all.filter((p) => p.cmd !== undefined);
        break;
      }
    }
    if (take.length === 0) return;
    const native = this.#native;
    if (take.length === 1 && this.#one !== undefined) return this.#submitOne(this.#one, take[0]!);
    const batch = pack(this.#arrays, take);
    const inflight = this.#inflight;
    for (let i = 0; i < take.length; i++) inflight.set(take[i]!);
    let rcs: Int32Array;
    try {
      if (native.submitColumns !== undefined && batch.columns !== undefined) {
        rcs = this.#arrays.rcs(batch.count);
        native.submitColumns(rcs, batch.count, batch.columns.buffer, batch.columns.capacity, batch.keys, batch.values);
      } else {
        rcs = native.submit(batch);
      }
    } catch (error) {
      for (const p of take) inflight.delete(p.seq);
      for (const p of take) failSubmit(p, error);
      return;
    }
    this.stats.submits++;
    this.stats.commands += take.length;
    for (let i = 0; i < take.length; i++) {
      const rc = rcs[i] ?? 0;
      if (rc !== 0) {
        const p = take[i]!;
        inflight.delete(p.seq);
        p.respond(failure(rc));
      }
    }
  }

  /** A tick of one command: its fields in the one-command block, no batch to pack. */
  #submitOne(one: OneBlock, p: Pending): void {
    const cmd = p.cmd!;
    this.#inflight.set(p);
    let rc: number;
    try {
      const keyInBlock = one.command(p.seq, cmd);
      rc = this.#submitOneNative!(keyInBlock ? undefined : cmd.key, cmd.value);
    } catch (error) {
      this.#inflight.delete(p.seq);
      return failSubmit(p, error);
    }
    this.stats.submits++;
    this.stats.commands++;
    if (rc !== 0) {
      this.#inflight.delete(p.seq);
      p.respond(failure(rc));
    }
  }

  /** Called by the native layer with every response of one loop iteration. */
  onResponses = (r: NativeResponses): void => {
    this.stats.deliveries++;
    const { seq: seqs, final: finals, dataEnd, rc, cas, flags, u64, aux, data, text } = r;
    const n = r.count;
    let start = 0;
    for (let i = 0; i < n; i++) {
      const end = dataEnd[i]!;
      this.#dispatch(seqs[i]!, rc[i]!, cas[i]!, flags[i]!, u64, i, aux[i]!, finals[i] === 1, end > start ? data.subarray(start, end) : EMPTY, text[i]);
      start = end;
    }
  };

  /**
   * Called by the native layer when a loop iteration brought exactly one response: its numbers
   * in the one-command block, its value bytes in `data` (the native scratch buffer, or an
   * ArrayBuffer of their own when bigger), valid during this call.
   */
  readonly onResponse: NativeOneResponse = (data, text) => {
    this.stats.deliveries++;
    const one = this.#one!;
    const final = one.u32[R_FINAL] === 1;
    const length = one.u32[R_DATA_LENGTH]!;
    this.#dispatch(one.u32[R_SEQ]!, one.i32[R_RC]!, one.u64[R_CAS]!, one.u32[R_FLAGS]!, one.u64[R_U64]!, 0, one.i32[R_AUX]!, final,
      data === undefined ? EMPTY : final ? Buffer.from(data, 0, length) : copy(data, length), text);
  };

  #dispatch(seq: number, rc: number, cas: bigint, flags: number, u64: BigUint64Array | bigint, i: number, aux: number, final: boolean, data: Buffer, text: string | undefined): void {
    const inflight = this.#inflight;
    const p = inflight.get(seq);
    if (final) inflight.delete(seq);
    if (p === undefined || p.cmd === undefined) return;
    try {
      p.respond(new NativeResponse(rc, cas, flags, u64, i, aux, final, data, text));
    } catch (error) {
      // A handler must never break dispatch of the rest of the batch.
      process.nextTick(rethrow, error);
    }
  }

  /** Fails every command of this tick not yet submitted with `rc`; outstanding ones are failed by the native close. */
  close(rc: number = LcbStatus.LCB_ERR_REQUEST_CANCELED): void {
    this.#closed = true;
    const tick = this.#tick;
    this.#tick = [];
    for (const p of tick) if (p.cmd !== undefined) p.respond(failure(rc));
  }

  /** Fails everything still in flight (after the native side has gone). */
  failInflight(rc: number = LcbStatus.LCB_ERR_REQUEST_CANCELED): void {
    const inflight = this.#inflight.values();
    this.#inflight.clear();
    for (const p of inflight) if (p.cmd !== undefined) p.respond(failure(rc));
  }
}

/** A command given to a closed batcher: canceled, on the next tick (unless unsubscribed by then). */
function respondCanceled(p: Pending): void {
  if (p.cmd !== undefined) p.respond(failure(LcbStatus.LCB_ERR_REQUEST_CANCELED));
}

/** A command whose submit threw (the addon refused the batch): failed with the reason. */
function failSubmit(p: Pending, error: unknown): void {
  p.respond({ ...failure(LcbStatus.LCB_ERR_SDK_INTERNAL), text: String((error as Error)?.message ?? error) });
}

function rethrow(error: unknown): never {
  throw error;
}

/** `length` bytes of a native buffer, as a Buffer of their own (a slice of Node's pool when small). */
function copy(data: ArrayBuffer, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  bytes.set(new Uint8Array(data, 0, length));
  return bytes;
}

/** One response; the counter value (rarely needed) is read from the batch on first use. */
class NativeResponse implements Response {
  #u64: BigUint64Array | bigint;
  #i: number;
  constructor(
    public rc: number,
    public cas: bigint,
    public flags: number,
    u64: BigUint64Array | bigint,
    i: number,
    public aux: number,
    public final: boolean,
    public data: Buffer,
    public text: string | undefined,
  ) {
    this.#u64 = u64;
    this.#i = i;
  }

  get u64(): bigint {
    const u64 = this.#u64;
    return typeof u64 === 'bigint' ? u64 : u64[this.#i]!;
  }
}

function noop(): void {}

/** A synthetic final failure response. @internal */
export function failure(rc: number): Response {
  return { rc, cas: 0n, flags: 0, u64: 0n, aux: 0, final: true, data: EMPTY, text: undefined };
}

// Indexes into the one-command block's views (binding.ts ONE_BLOCK, in bytes).
const C_CAS = ONE_BLOCK.cas / 8, C_DELTA = ONE_BLOCK.delta / 8, C_INITIAL = ONE_BLOCK.initial / 8;
const C_SEQ = ONE_BLOCK.seq / 4, C_FLAGS = ONE_BLOCK.flags / 4, C_EXPIRY = ONE_BLOCK.expiry / 4, C_AUX = ONE_BLOCK.aux / 4;
const C_OP = ONE_BLOCK.op / 4, C_KEY_LENGTH = ONE_BLOCK.keyLength / 4;
const R = ONE_BLOCK.response;
const R_CAS = R.cas / 8, R_U64 = R.u64 / 8, R_SEQ = R.seq / 4, R_RC = R.rc / 4, R_FLAGS = R.flags / 4, R_AUX = R.aux / 4;
const R_FINAL = R.final / 4, R_DATA_LENGTH = R.dataLength / 4;

/** The one-command block and its views. */
class OneBlock {
  readonly buffer = new ArrayBuffer(ONE_BLOCK.bytes);
  readonly u8 = new Uint8Array(this.buffer);
  readonly u32 = new Uint32Array(this.buffer);
  readonly i32 = new Int32Array(this.buffer);
  readonly u64 = new BigUint64Array(this.buffer);

  /**
   * Writes a command's numbers, and its key when that is a string of ASCII characters that fits
   * (copied here in JS: cheaper than converting a string in the addon). Whether the key is in
   * the block.
   */
  command(seq: number, cmd: Command): boolean {
    const { u32, u64 } = this;
    u64[C_CAS] = cmd.cas ?? 0n;
    u64[C_DELTA] = cmd.delta ?? 0n;
    u64[C_INITIAL] = cmd.initial ?? 0n;
    u32[C_SEQ] = seq;
    u32[C_FLAGS] = cmd.flags ?? 0;
    u32[C_EXPIRY] = cmd.expiry ?? 0;
    this.i32[C_AUX] = cmd.aux ?? 0;
    u32[C_OP] = cmd.op;
    const key = cmd.key;
    const n = typeof key === 'string' && key.length <= ONE_KEY_ROOM ? asciiInto(this.u8, ONE_BLOCK.key, key) : -1;
    u32[C_KEY_LENGTH] = n < 0 ? KEY_IN_ARGUMENT : n;
    return n >= 0;
  }
}

/** Copies `s` to `into` at `offset` when every character is ASCII: its length, or -1. */
function asciiInto(into: Uint8Array, offset: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    into[offset + i] = c;
  }
  return n;
}

/** Batches up to this many commands reuse one set of arrays; bigger ones get their own. */
const REUSED_CAPACITY = 4096;

/**
 * The arrays of a batch, kept across submits: the addon copies what it needs during submit
 * (binding.ts: the arrays may be reused as soon as submit returns), so packing a tick's
 * commands allocates nothing once the arrays are big enough.
 */
class BatchArrays {
  #batch: NativeBatch | undefined;
  #rcs = new Int32Array(16);

  /** Room for the rcs of `n` commands (reused up to REUSED_CAPACITY). */
  rcs(n: number): Int32Array {
    if (n > REUSED_CAPACITY) return new Int32Array(n);
    if (this.#rcs.length < n) this.#rcs = new Int32Array(grow(this.#rcs.length, n));
    return this.#rcs;
  }

  /** A batch with room for `n` commands, `keyBytes` of keys and `valueBytes` of values. */
  take(n: number, keyBytes: number, valueBytes: number): NativeBatch {
    if (n > REUSED_CAPACITY) return allocate(n, keyBytes, valueBytes);
    let b = this.#batch;
    if (b === undefined || b.seq.length < n) b = this.#batch = allocate(Math.max(n, 16), Math.max(keyBytes, 1024), valueBytes);
    if (b.keys.length < keyBytes) b.keys = Buffer.allocUnsafe(grow(b.keys.length, keyBytes));
    if (b.values.length < valueBytes) b.values = Buffer.allocUnsafe(grow(b.values.length, valueBytes));
    b.count = n;
    return b;
  }
}

function grow(have: number, need: number): number {
  let size = Math.max(have, 64);
  while (size < need) size *= 2;
  return size;
}

/** A batch of `n` commands whose fixed-width columns share one ArrayBuffer (binding.ts). */
function allocate(n: number, keyBytes: number, valueBytes: number): NativeBatch {
  const buffer = new ArrayBuffer(n * BATCH_BYTES_PER_COMMAND);
  const at = batchColumnOffsets(n);
  return {
    count: n,
    seq: new Uint32Array(buffer, at.seq, n),
    op: new Uint8Array(buffer, at.op, n),
    keys: Buffer.allocUnsafe(keyBytes),
    keyEnd: new Uint32Array(buffer, at.keyEnd, n),
    values: Buffer.allocUnsafe(valueBytes),
    valueEnd: new Uint32Array(buffer, at.valueEnd, n),
    flags: new Uint32Array(buffer, at.flags, n),
    expiry: new Uint32Array(buffer, at.expiry, n),
    cas: new BigUint64Array(buffer, at.cas, n),
    delta: new BigUint64Array(buffer, at.delta, n),
    initial: new BigUint64Array(buffer, at.initial, n),
    aux: new Int32Array(buffer, at.aux, n),
    columns: { buffer, capacity: n },
  };
}

function pack(arrays: BatchArrays, items: Pending[]): NativeBatch {
  const n = items.length;
  let keyBytes = 0;
  let valueBytes = 0;
  for (let i = 0; i < n; i++) {
    const cmd = items[i]!.cmd!;
    keyBytes += room(cmd.key);
    if (cmd.value !== undefined) valueBytes += room(cmd.value);
  }
  const batch = arrays.take(n, keyBytes, valueBytes);
  let ko = 0;
  let vo = 0;
  for (let i = 0; i < n; i++) {
    const p = items[i]!;
    const cmd = p.cmd!;
    batch.seq[i] = p.seq;
    batch.op[i] = cmd.op;
    ko += put(cmd.key, batch.keys, ko);
    batch.keyEnd[i] = ko;
    if (cmd.value !== undefined) vo += put(cmd.value, batch.values, vo);
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

/** Strings up to this long are copied by a JS loop when ASCII: keys, mostly (a call into node costs more; for longer strings, less). */
const LOOP_STRING = 32;
/** Strings up to this long get room for their most UTF-8 instead of being measured. */
const UNMEASURED_STRING = 1024;

/**
 * The room `b` needs in the batch: exact for bytes and long strings; for a shorter string the
 * most its UTF-8 can take (3 bytes per UTF-16 unit), so that it is written without being
 * measured first. The batch's buffers are reused, so the extra room is not allocated again.
 */
function room(b: Buffer | string): number {
  if (typeof b !== 'string') return b.length;
  return b.length <= UNMEASURED_STRING ? b.length * 3 : Buffer.byteLength(b, 'utf8');
}

/** Writes `b` at `offset` (a string as UTF-8); the bytes written. */
function put(b: Buffer | string, into: Buffer, offset: number): number {
  if (typeof b !== 'string') {
    into.set(b, offset);
    return b.length;
  }
  if (b.length <= LOOP_STRING) {
    const n = asciiInto(into, offset, b);
    if (n >= 0) return n;
  }
  return into.write(b, offset, 'utf8');
}
