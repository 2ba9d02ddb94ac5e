/**
 * The contract between the TypeScript layer and the native addon (`native/`).
 *
 * Everything that crosses the boundary is flat: one JS→C++ call carries a whole tick's
 * batch of commands as parallel typed arrays, and one C++→JS call per loop iteration
 * carries every response that arrived in it. Values stay raw bytes plus flags; all
 * encoding, decoding, validation and error mapping happen in TypeScript.
 *
 * Ownership: the addon copies keys and values out of the batch before `submit` returns,
 * so the caller may reuse the arrays. Response buffers belong to JS once delivered.
 * @internal
 */
import { createRequire } from 'node:module';

/** Command codes understood by `NativeConnection.submit`. */
export const NativeOp = {
  /** `expiry` > 0 turns it into get-and-touch. */
  Get: 1,
  /** `expiry` is the lock time in seconds (0 = server default). */
  GetAndLock: 2,
  /** `aux`: -1 = first replica to answer, -2 = libcouchbase's ALL mode (one response per copy, the active one included; refused when a replica is missing from the map), n >= 0 = replica n. */
  GetReplica: 3,
  Set: 10,
  Add: 11,
  Replace: 12,
  Append: 13,
  Prepend: 14,
  Delete: 20,
  /** `delta` = amount; `aux` = 1 to create with `initial` when missing; `expiry` applies on create. */
  Incr: 21,
  Decr: 22,
  Touch: 23,
  /** `cas` is required. */
  Unlock: 24,
  /** One response per node that holds the key's vBucket, in arrival order (`aux` marks the master); `final` on the last. */
  Observe: 30,
  /** Key = stat group ('' for the default group); one response per stat per server; `final` on the last. */
  Stats: 31,
} as const;
export type NativeOpCode = (typeof NativeOp)[keyof typeof NativeOp];

/** One tick's commands as parallel arrays of length `count`. */
export interface NativeBatch {
  count: number;
  /** JS-chosen id per command, echoed in its responses. */
  seq: Uint32Array;
  op: Uint8Array;
  /** All keys concatenated; key i is `keys[keyEnd[i-1] ?? 0 .. keyEnd[i])`. */
  keys: Buffer;
  keyEnd: Uint32Array;
  /** All values concatenated, as keys (empty for commands without a value). */
  values: Buffer;
  valueEnd: Uint32Array;
  /** Item flags for stores. */
  flags: Uint32Array;
  /** TTL / expiry in seconds (Couchbase rule: <= 30 days relative, else absolute), or lock time. */
  expiry: Uint32Array;
  /** CAS to match, 0n for none. */
  cas: BigUint64Array;
  /** Counter amount (always positive; the op says the direction). */
  delta: BigUint64Array;
  /** Counter initial value, used when `aux` says so. */
  initial: BigUint64Array;
  /** Per-op extra argument, see NativeOp. */
  aux: Int32Array;
  /**
   * When the fixed-width columns above are views over one ArrayBuffer laid out by
   * `capacity` (see {@link batchColumnOffsets}): that buffer, for `submitColumns`.
   */
  columns?: { buffer: ArrayBuffer; capacity: number };
}

/**
 * Where each fixed-width column of a batch of `capacity` commands starts in one ArrayBuffer of
 * `capacity * BATCH_BYTES_PER_COMMAND` bytes: the 8-byte columns first, then the 4-byte ones,
 * then `op`, so that every view is aligned. native/batch.cpp reads the same layout.
 */
export function batchColumnOffsets(capacity: number) {
  return {
    cas: 0, delta: 8 * capacity, initial: 16 * capacity,
    seq: 24 * capacity, keyEnd: 28 * capacity, valueEnd: 32 * capacity, flags: 36 * capacity, expiry: 40 * capacity, aux: 44 * capacity,
    op: 48 * capacity,
  };
}
export const BATCH_BYTES_PER_COMMAND = 49;

/**
 * The one-command block (`bindOne`): one ArrayBuffer shared by the batcher and the native
 * connection for a tick of one command and a delivery of one response, so that neither passes
 * its numbers as arguments. Offsets in bytes; native/one_block.h reads the same layout.
 *
 * - The command, written by JS before `submitOne`: cas, delta, initial (u64), seq, flags,
 *   expiry (u32), aux (i32), op (u32), key length (u32; KEY_IN_ARGUMENT when the key is
 *   `submitOne`'s argument instead), then up to ONE_KEY_ROOM key bytes.
 * - The response, written by the native before `onResponse`: cas, u64 (u64), seq (u32), rc
 *   (i32), flags (u32), aux (i32), final (u32), value length (u32).
 */
export const ONE_BLOCK = {
  cas: 0, delta: 8, initial: 16, seq: 24, flags: 28, expiry: 32, aux: 36, op: 40, keyLength: 44, key: 64,
  response: { cas: 320, u64: 328, seq: 336, rc: 340, flags: 344, aux: 348, final: 352, dataLength: 356 },
  bytes: 384,
} as const;
/** Room for key bytes in the block (keys are at most 250 bytes). */
export const ONE_KEY_ROOM = 256;
/** The block's key length when the key is `submitOne`'s argument. */
export const KEY_IN_ARGUMENT = 0xffffffff;

/** Every response that arrived in one loop iteration, as parallel arrays of length `count`. */
export interface NativeResponses {
  count: number;
  seq: Uint32Array;
  /** libcouchbase status code (lcb_STATUS), 0 = success. */
  rc: Int32Array;
  cas: BigUint64Array;
  flags: Uint32Array;
  /** Counter value after incr/decr. */
  u64: BigUint64Array;
  /**
   * Observe: the status byte (0x00 found not persisted, 0x01 found persisted, 0x80 not found,
   * 0x81 logically deleted) | 0x100 when this node is the master. Otherwise 0.
   */
  aux: Int32Array;
  /** 1 when this is the last response for `seq`. */
  final: Uint8Array;
  /** Value bytes (get family; stats: the stat value); response i is `data[dataEnd[i-1] ?? 0 .. dataEnd[i])`. */
  data: Buffer;
  dataEnd: Uint32Array;
  /**
   * Observe and stats: the server as "host:port"; stats: "host:port\tstatName".
   * On failures: libcouchbase's error context text when it has one. Otherwise undefined.
   */
  text: Array<string | undefined>;
}

export interface NativeConnectionOptions {
  /** A libcouchbase connection string; host names are already resolved to addresses. */
  connstr: string;
  username?: string;
  password?: string;
  /** Per-operation timeout in microseconds. */
  operationTimeoutUs: number;
  /** Bootstrap timeout in microseconds. */
  configTimeoutUs: number;
  /**
   * Bound on commands outstanding in libcouchbase (integer >= 1, default 512); what a submit
   * brings beyond it waits in the connection's queue. See `NativeConnection.submit`.
   */
  maxOutstanding?: number;
}

/** The native connection's in-flight bookkeeping (tests and benchmarks). */
export interface NativeStats {
  /** Commands scheduled in libcouchbase, not final yet. */
  inflight: number;
  /** Commands waiting in the connection's queue for room. */
  queued: number;
  /** The most commands ever in flight at once (never above `bound`). */
  maxInflight: number;
  /** The bound (`maxOutstanding`). */
  bound: number;
}

/** A view query (`NativeConnection.viewQuery`). */
export interface NativeViewSpec {
  /** Design document name, without `_design/` (e.g. `beer`, `dev_beer`). */
  design: string;
  view: string;
  /**
   * The encoded query string without `?` (e.g. `stale=false&limit=10`), used as given: the
   * caller encodes it. libcouchbase refuses one longer than 2048 bytes (rc 304 `VALUE_TOO_LARGE`): put long
   * `keys` in `body`.
   */
  options?: string;
  /** A POST body such as `{"keys":[...]}`; without it the query is a GET. */
  body?: string;
  /** Timeout of the whole query in microseconds (default: libcouchbase's views timeout, 75 s). */
  timeoutUs?: number;
}

/** How a view query ended: given with its last delivery. */
export interface NativeViewEnd {
  /** lcb status: 0 only when the whole response was read (e.g. 701 view not found, 1053 HTTP error, 202 canceled by close). */
  rc: number;
  /** The HTTP status, 0 when there was no response. */
  httpStatus: number;
  /**
   * A complete response without its rows (`{"total_rows":N,"rows":[]...}` with `errors` and
   * `debug_info` when the server sent them); otherwise the server's error body as received
   * (`{"error":"not_found","reason":...}`), or ''.
   */
  meta: string;
  /** The server's first error, as libcouchbase read it (`not_found`, `query_parse_error`, ...). */
  errorCode?: string;
  errorMessage?: string;
}

/** An HTTP request for design documents (`NativeConnection.http`). */
export interface NativeHttpSpec {
  /** `view`: a views node of the cluster map, path relative to the bucket (`_design/<name>`); `management`: the REST port (`/pools/default/buckets/<b>/ddocs`). */
  type: 'view' | 'management';
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: string;
  contentType?: string;
  /** Timeout in microseconds (default: libcouchbase's HTTP timeout, 75 s). */
  timeoutUs?: number;
}

/** A view query or HTTP request in flight. */
export interface NativeRequest {
  /**
   * Stops the request: no callback runs after this call (not even one already due), and
   * libcouchbase's request and its socket are released. Does nothing once the request has ended.
   */
  cancel(): void;
}

export interface NativeConnection {
  /** Bootstraps; `done` runs once with rc 0 or the failure's lcb status and a description. */
  connect(done: (rc: number, detail: string) => void): void;
  /**
   * Takes the whole batch in one call (keys and values are copied before it returns). Commands
   * are scheduled in one lcb_sched_enter/leave while fewer than `maxOutstanding` are
   * outstanding in libcouchbase and none is queued ahead of them; the rest are queued in the
   * connection (submit order) and scheduled from the loop's prepare phase as responses free room,
   * so libcouchbase never has more than the bound outstanding.
   *
   * Returns one rc per command: 0 when scheduled or queued (its responses will follow),
   * otherwise the lcb status and no response will come. A queued command that cannot be
   * scheduled later gets one final response with the rc instead; one still queued when its
   * operation timeout (counted from this submit) has passed gets LCB_ERR_TIMEOUT (201) (less than 1 ms left
   * counts as passed), and a scheduled one gets what is left of its timeout. No per-command timers.
   */
  submit(batch: NativeBatch): Int32Array;
  /**
   * `submit` for a batch whose fixed-width columns share one ArrayBuffer (`batch.columns`):
   * `submitColumns(rcs, count, columns.buffer, columns.capacity, keys, values)` writes one rc per
   * command into `rcs` (at least `count` long, reused by the caller): no property lookups, four
   * buffers to look at, and no result array per call. Optional (fakes implement `submit` only);
   * the batcher uses it when present.
   */
  submitColumns?(rcs: Int32Array, count: number, columns: ArrayBuffer, capacity: number, keys: Uint8Array, values: Uint8Array): void;
  /**
   * Binds the one-command block ({@link ONE_BLOCK}, an ArrayBuffer of `ONE_BLOCK.bytes` the
   * caller never detaches) and the callback of deliveries of exactly one response: from then on
   * those go to `onResponse` with their numbers in the block's response part, instead of to
   * `onResponses`. Optional, like submitColumns (fakes leave it out).
   */
  bindOne?(block: ArrayBuffer, onResponse: NativeOneResponse): NativeSubmitOne;
  /** In-flight bookkeeping (optional for fakes). */
  stats?(): NativeStats;
  /** Operation timeout in microseconds, applied to commands submitted afterwards. */
  setOperationTimeout(us: number): void;
  /** The KV nodes of the current configuration as "host:port". */
  serverNodes(): string[];
  /**
   * Runs a view query through libcouchbase's view API. `onRows` gets the rows received since its
   * previous call as the text of a JSON array (`[{"id":..,"key":..,"value":..},...]`, each row as
   * the server sent it; `[]` when none) at most once per loop iteration, never from inside
   * libcouchbase; the last call also has `end`. Every query gets exactly one call with `end`
   * unless it is canceled first: a query refused before it starts (not connected, closed,
   * memcached://: no views) gets it asynchronously with rc and no rows. The strings belong to JS;
   * the connection keeps `onRows` until that last call (or `cancel`). Malformed specs throw
   * TypeError.
   */
  viewQuery(spec: NativeViewSpec, onRows: (rows: string, end: NativeViewEnd | undefined) => void): NativeRequest;
  /**
   * An HTTP request through libcouchbase (design documents). `done` runs once, asynchronously,
   * with the lcb status (0 for any HTTP answer, also 4xx), the HTTP status (0 without an answer)
   * and the body, unless the request is canceled first. Malformed specs throw TypeError.
   */
  http(spec: NativeHttpSpec, done: (rc: number, httpStatus: number, body: string) => void): NativeRequest;
  /**
   * Fails every outstanding and queued command with LCB_ERR_REQUEST_CANCELED (their responses are still delivered), and
   * every view query and HTTP request not yet ended likewise (their last callback has rc 202), releases the
   * instance and every handle; `done` runs once when nothing keeps the loop alive anymore.
   */
  close(done: () => void): void;
}

/**
 * `submit` for a batch of one command, whose numbers (and key, unless the block says
 * KEY_IN_ARGUMENT) are in the block bound by `bindOne`, which returns it bound to its
 * connection: no columns to pack, no arguments to convert but the value (and that key), strings
 * written as UTF-8. Returns the command's rc.
 */
export type NativeSubmitOne = (key: Uint8Array | string | undefined, value: Uint8Array | string | undefined) => number;

/**
 * A delivery of exactly one response (see `bindOne`): its numbers are in the block's response
 * part. The value bytes are the first `dataLength` bytes of `data`: either an ArrayBuffer of
 * their own, or the connection's scratch buffer (always the same ArrayBuffer, strictly bigger
 * than the value), whose contents are only valid during the call. `data` is undefined when
 * there are no bytes.
 */
export type NativeOneResponse = (data: ArrayBuffer | undefined, text: string | undefined) => void;

export interface NativeAddon {
  /**
   * `onResponses` gets every delivery (but those of one response once `bindOne` gave a callback
   * for them: the one-at-a-time case, with no columns and no object to make).
   */
  Connection: new (
    options: NativeConnectionOptions,
    onResponses: (responses: NativeResponses) => void,
  ) => NativeConnection;
  /** libcouchbase's version string, e.g. "3.3.4". */
  lcbVersion: string;
  /** libcouchbase's own short name and description of a status code. */
  strerror(rc: number): { name: string; description: string };
}

let addon: NativeAddon | undefined;

/** Loads the addon once per thread (it is context-aware, so each worker gets its own). */
export function loadNative(): NativeAddon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    // From src/ (tsx) the package root is one level up; from dist/src/ it is two. A source build
    // (build/) wins over the prebuilt addon a packed couchbase-rx ships (see scripts/install.mjs).
    const prebuilt = `prebuilds/${process.platform}-${process.arch}/couchbase_rx.node`;
    const candidates = ['../build/Release/couchbase_rx.node', '../../build/Release/couchbase_rx.node', `../${prebuilt}`, `../../${prebuilt}`];
    let firstError: unknown;
    for (const path of candidates) {
      try {
        addon = require(path) as NativeAddon;
        break;
      } catch (error) {
        // A candidate that exists but fails to load (undefined symbol, wrong ABI, ...) is the
        // real problem: report it rather than "not found" from the other candidate.
        if ((error as NodeJS.ErrnoException)?.code !== 'MODULE_NOT_FOUND') throw error;
        firstError ??= error;
      }
    }
    if (!addon) throw firstError;
  }
  return addon;
}
