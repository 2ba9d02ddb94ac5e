/**
 * The Couchbase connection class: connect/close, properties, and every key-value call.
 * @module
 */
import { loadNative, NativeOp, type NativeAddon, type NativeConnection } from './binding.js';
import { Batcher, MAX_OUTSTANDING, type Cancellable, type Response } from './batcher.js';
import {
  formatConnectionString, paramSeconds, parseConnectionString, parseHost, resolveHosts, type ConnSpec,
} from './connstr.js';
import { ArgumentError, ConnectError, CouchbaseError, LcbStatus, NetworkError, errorInfo, rcToExctype, NotSupportedError, ValueFormatError, ObjectDestroyedError, TimeoutError, describeRc } from './errors/index.js';
import type { ItemCollection } from './items.js';
import { counterOp } from './kv/counter.js';
import {
  APPEND_OPTS, COUNTER_OPTS, DELETE_OPTS, ENDURE_OPTS, GET_OPTS, LOCK_OPTS, REPLICA_OPTS, STORE_OPTS, TOUCH_OPTS,
  type AppendOptions, type CounterOptions, type DeleteOptions, type EndureOptions, type GetOptions, type KeyOp,
  type KvContext, type LockOptions, type ReplicaOptions, type StoreOptions, type TouchOptions,
} from './kv/context.js';
import { getOp, replicaOp } from './kv/get.js';
import { lockOp, unlockOp } from './kv/lock.js';
import { evaluateDurability, observeOp } from './kv/observe.js';
import { deleteOp } from './kv/remove.js';
import { StatsCollector, statsCommand } from './kv/stats.js';
import { appendOp, storeOp, type StoreMode } from './kv/store.js';
import { touchOp } from './kv/touch.js';
import { multiEntries, perKey } from './multi.js';
import { CallSite, Op, failedOp } from './op.js';
import { argError, checkKey, checkOptions, readBool, readCas, readDurability, readFormat, readSeconds, readUint } from './options.js';
import { MultiResult, ObserveResult, OperationResult, Result, ValueResult, type StatsResult } from './results.js';
import { FMT_JSON, resolveTranscoder, type Transcoder, type TranscoderLike } from './transcoder.js';

export type {
  AppendOptions, CounterOptions, DeleteOptions, EndureOptions, GetOptions, LockOptions, ReplicaOptions, StoreOptions, TouchOptions,
} from './kv/context.js';

/** Options of {@link Couchbase.connect}. */
export interface ConnectOptions {
  /** Bucket name. Default `'default'`. */
  bucket?: string;
  /** Host name, `host:port`, or a list of them tried in turn. Default `'localhost'`. */
  host?: string | string[];
  /** A connection string (`couchbase://`, `couchbases://`, `http://`, `memcached://`); overrides host and bucket. Query parameters pass through to libcouchbase. */
  connectionString?: string;
  /** RBAC user name (default: the bucket name when a password is given). */
  username?: string;
  /** Password (the bucket's SASL password for old-style buckets). */
  password?: string;
  /** Operation timeout in seconds. Default 2.5. */
  timeout?: number;
  /** Bootstrap timeout in seconds. Default max(5, timeout). */
  configTimeout?: number;
  /** Do not raise NotFoundError on get/delete of a missing key. Default false. */
  quiet?: boolean;
  /** Format for stores without `format`. Default FMT_JSON. */
  defaultFormat?: number;
  /** A Transcoder class or instance. */
  transcoder?: TranscoderLike;
  /** Return raw bytes from gets, never decode. Default false. */
  dataPassthrough?: boolean;
  /** Seed option with no meaning on Node's single loop: accepted and ignored. Use one connection per worker thread instead. */
  lockmode?: unknown;
  /** Seed option (`unlock_gil`) with no meaning on Node: accepted and ignored. */
  unlockGil?: unknown;
  /** Bound on commands outstanding on this connection (advanced). Default {@link MAX_OUTSTANDING}. */
  maxOutstanding?: number;
  /** Use this addon instead of the built one (tests). @internal */
  native?: NativeAddon;
}

const CONNECT_OPTIONS = [
  'bucket', 'host', 'connectionString', 'username', 'password', 'timeout', 'configTimeout', 'quiet', 'defaultFormat',
  'transcoder', 'dataPassthrough', 'lockmode', 'unlockGil', 'maxOutstanding', 'native',
];

/**
 * A connection to one bucket. Create it with {@link Couchbase.connect} (or {@link connect}).
 *
 * ```ts
 * const cb = await Couchbase.connect({ bucket: 'default', host: 'localhost' });
 * await cb.set('k', { a: 1 });
 * (await cb.get('k')).value;   // { a: 1 }
 * await cb.close();
 * ```
 */
export class Couchbase {
  #native: NativeConnection;
  #batcher: Batcher;
  #transcoder: Transcoder;
  #timeout: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  #lcbVersion: string;
  /** The bucket this connection is for. */
  readonly bucket: string;
  /** The libcouchbase connection string used (host names resolved). */
  readonly connectionString: string;
  /** Suppress NotFoundError on get/delete (see the seed's "Error Handling"). */
  quiet: boolean;
  /** Return raw bytes from gets without decoding. */
  dataPassthrough: boolean;
  #defaultFormat: number;
  /** What the operation builders (src/kv/*) see of this connection. */
  #ctx: KvContext;
  /** memcached:// connections have no vBuckets: no locks, replicas, observe or durability. */
  #memcached: boolean;

  private constructor(native: NativeConnection, addon: NativeAddon, spec: {
    bucket: string; connstr: string; timeout: number; quiet: boolean; defaultFormat: number;
    transcoder: Transcoder; dataPassthrough: boolean; maxOutstanding: number;
  }, batcher: Batcher) {
    this.#native = native;
    this.#batcher = batcher;
    this.#transcoder = spec.transcoder;
    this.#timeout = spec.timeout;
    this.#lcbVersion = addon.lcbVersion;
    this.bucket = spec.bucket;
    this.connectionString = spec.connstr;
    this.quiet = spec.quiet;
    this.dataPassthrough = spec.dataPassthrough;
    this.#defaultFormat = spec.defaultFormat;
    this.#memcached = spec.connstr.startsWith('memcached://');
    const self = this;
    this.#ctx = {
      get quiet() { return self.quiet; },
      get defaultFormat() { return self.#defaultFormat; },
      encodeKey: (where, key) => this.#encodeKey(where, key),
      encodeValue: (value, format) => this.#encodeValue(value, format),
      decode: (key, data, flags, noFormat) => this.#decode(key, data, flags, noFormat),
    };
  }

  /**
   * Connects to a bucket. Host names are resolved asynchronously first.
   * @param options connection options, or a connection string
   * @throws ArgumentError for bad options; ConnectError/AuthError/BucketNotFoundError/TimeoutError when bootstrap fails
   */
  static async connect(options: ConnectOptions | string = {}): Promise<Couchbase> {
    const site = new CallSite(Couchbase.connect);
    try {
      return await Couchbase.#connect(typeof options === 'string' ? { connectionString: options } : options);
    } catch (error) {
      throw site.apply(error instanceof CouchbaseError ? error
        : new ConnectError(`connect failed: ${(error as Error)?.message ?? String(error)}`, { innerCause: error }));
    }
  }

  static async #connect(options: ConnectOptions): Promise<Couchbase> {
    const o = checkOptions<ConnectOptions>('connect', options, CONNECT_OPTIONS);
    const where = 'connect';
    let spec: ConnSpec;
    if (o.connectionString !== undefined) {
      if (typeof o.connectionString !== 'string') throw argError(`${where}: 'connectionString' must be a string`, o.connectionString);
      spec = parseConnectionString(o.connectionString);
      if (o.bucket !== undefined && spec.bucket === undefined) spec.bucket = o.bucket;
    } else {
      const hostOpt = o.host ?? 'localhost';
      const list = Array.isArray(hostOpt) ? hostOpt : [hostOpt];
      if (list.length === 0) throw argError(`${where}: 'host' must not be an empty list`, hostOpt);
      const hosts = list.map((h) => {
        if (typeof h !== 'string') throw argError(`${where}: 'host' must be a string or a list of strings`, hostOpt);
        return parseHost(h);
      });
      spec = { scheme: 'couchbase', hosts, bucket: undefined, params: [] };
      // A bare host:port with the classic REST port means an HTTP bootstrap port.
      for (const h of spec.hosts) if (h.port === 8091 && !h.type) h.type = 'http';
    }
    const bucket = spec.bucket ?? o.bucket ?? 'default'; // a bucket in the connection string wins
    if (typeof bucket !== 'string' || bucket.length === 0 || !/^[A-Za-z0-9._%-]+$/.test(bucket)) {
      throw argError(`${where}: 'bucket' must be a non-empty bucket name, got ${JSON.stringify(bucket)}`, bucket);
    }
    spec.bucket = bucket;
    const fromConnstr = paramSeconds(spec, 'operation_timeout');
    const timeout = readSeconds(where, 'timeout', o.timeout, fromConnstr ?? 2.5);
    const configTimeout = readSeconds(where, 'configTimeout', o.configTimeout, paramSeconds(spec, 'config_total_timeout') ?? Math.max(5, timeout));
    const quiet = readBool(where, 'quiet', o.quiet, false);
    const dataPassthrough = readBool(where, 'dataPassthrough', o.dataPassthrough, false);
    const defaultFormat = readFormat(where, o.defaultFormat, FMT_JSON);
    const maxOutstanding = readUint(where, 'maxOutstanding', o.maxOutstanding, MAX_OUTSTANDING, 0x7fffffff) || MAX_OUTSTANDING;
    if (o.username !== undefined && typeof o.username !== 'string') throw argError(`${where}: 'username' must be a string`, o.username);
    if (o.password !== undefined && typeof o.password !== 'string') throw argError(`${where}: 'password' must be a string`, o.password);
    const transcoder = resolveTranscoder(o.transcoder);
    // lockmode / unlockGil: accepted and ignored (one loop, no GIL; see docs/api.md).

    const resolved = await resolveHosts(spec);
    const connstr = formatConnectionString(resolved);
    const addon = o.native ?? loadNative();
    const username = o.username ?? (o.password !== undefined ? bucket : undefined);

    let batcher!: Batcher;
    const native = new addon.Connection(
      {
        connstr,
        username,
        password: o.password,
        operationTimeoutUs: Math.round(timeout * 1e6),
        configTimeoutUs: Math.round(configTimeout * 1e6),
        maxOutstanding,
      },
      (responses) => batcher.onResponses(responses),
    );
    batcher = new Batcher(native);
    await new Promise<void>((resolve, reject) => {
      native.connect((rc, detail) => {
        if (rc === 0) resolve();
        else {
          native.close(() => {});
          const info = errorInfo(rc);
          const message = `couldn't connect to ${connstr}: RC=0x${rc.toString(16).toUpperCase()}[${info ? `${info.name}: ${info.description}` : `status ${rc}`}]${detail ? ` (${detail})` : ''}`;
          // A network failure during bootstrap is a failure to connect.
          const Cls = rcToExctype(rc) === NetworkError ? ConnectError : rcToExctype(rc);
          reject(new Cls(message, { rc }));
        }
      });
    });
    return new Couchbase(native, addon, {
      bucket, connstr, timeout, quiet, defaultFormat, transcoder, dataPassthrough, maxOutstanding,
    }, batcher);
  }

  // ---------------------------------------------------------------- properties

  /** Operation timeout in seconds (default 2.5); settable, applies to later operations. */
  get timeout(): number {
    return this.#timeout;
  }
  set timeout(seconds: number) {
    const s = readSeconds('timeout', 'timeout', seconds, this.#timeout);
    this.#timeout = s;
    if (!this.#closed) this.#native.setOperationTimeout(Math.round(s * 1e6));
  }

  /** Format used by stores without a `format` option. */
  get defaultFormat(): number {
    return this.#defaultFormat;
  }
  set defaultFormat(format: number) {
    this.#defaultFormat = readFormat('defaultFormat', format, FMT_JSON);
  }

  /** The transcoder in use (class given at connect time is instantiated). */
  get transcoder(): Transcoder {
    return this.#transcoder;
  }
  set transcoder(t: TranscoderLike | null | undefined) {
    this.#transcoder = resolveTranscoder(t ?? undefined);
  }

  /** The KV nodes of the current cluster configuration, as "host:port". */
  get serverNodes(): string[] {
    if (this.#closed) return [];
    return this.#native.serverNodes();
  }

  /** libcouchbase's version string. */
  get lcbVersion(): string {
    return this.#lcbVersion;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Batching statistics, for tests and benchmarks: submits, commands and deliveries (calls into and
   * back from the addon), `outstanding`
   * (awaiting their final response), and from the native connection `inflight` (in libcouchbase),
   * `queued` (waiting for room) and `maxOutstanding` (the most ever in libcouchbase at once). @internal
   */
  get batchStats(): Readonly<{ submits: number; commands: number; deliveries: number; maxOutstanding: number; outstanding: number; inflight: number; queued: number }> {
    const b = this.#batcher;
    const n = this.#native.stats?.();
    return { ...b.stats, outstanding: b.outstanding, inflight: n?.inflight ?? 0, queued: n?.queued ?? 0, maxOutstanding: n?.maxInflight ?? 0 };
  }

  /**
   * Closes the connection: pending operations fail, every native resource is released.
   * Later calls fail with ObjectDestroyedError. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#batcher.close();
    this.#closing = new Promise<void>((resolve) => {
      this.#native.close(() => {
        this.#batcher.failInflight();
        resolve();
      });
    });
    return this.#closing;
  }

  // ---------------------------------------------------------------- machinery

  #encodeKey(where: string, key: unknown): Buffer {
    checkKey(where, key);
    let k: unknown;
    try {
      k = this.#transcoder.encodeKey(key);
    } catch (error) {
      if (error instanceof CouchbaseError) throw error;
      throw new ArgumentError(`${where}: transcoder.encodeKey failed: ${(error as Error)?.message ?? error}`, { key, innerCause: error });
    }
    if (!Buffer.isBuffer(k)) throw argError(`${where}: transcoder.encodeKey must return a Buffer`, key);
    checkKey(where, key, k);
    return k;
  }

  #encodeValue(value: unknown, format: number): [Buffer, number] {
    let out: unknown;
    try {
      out = this.#transcoder.encodeValue(value, format);
    } catch (error) {
      if (error instanceof CouchbaseError) throw error;
      throw new ValueFormatError(`transcoder.encodeValue failed: ${(error as Error)?.message ?? error}`, { innerCause: error, objextra: value });
    }
    if (!Array.isArray(out) || out.length !== 2 || !(out[0] instanceof Uint8Array) || typeof out[1] !== 'number' || !Number.isInteger(out[1])) {
      throw new ValueFormatError('transcoder.encodeValue must return [Buffer | Uint8Array, integer flags]', { objextra: out });
    }
    const bytes = out[0] as Uint8Array;
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return [buf, (out[1] as number) >>> 0];
  }

  #decode(key: string, data: Buffer, flags: number, noFormat: boolean): unknown {
    // `data` is a view into the batch's response buffer: raw bytes handed to the user are copied
    // (so one small value never pins a whole batch); the transcoder gets the view.
    if (noFormat || this.dataPassthrough) return Buffer.from(data);
    try {
      return this.#transcoder.decodeValue(data, flags);
    } catch (error) {
      if (error instanceof CouchbaseError) {
        error.key ??= key;
        throw error;
      }
      throw CouchbaseError.fromRc(LcbStatus.LCB_ERR_DECODING_FAILURE, {
        message: `Failed to decode bytes: ${(error as Error)?.message ?? error}`, key, innerCause: error, objextra: Buffer.from(data),
      });
    }
  }

  /** Runs key ops; calls `done` with results and errors (error undefined = ok). Returns a cancel function. */
  #execute<R extends Result>(ops: KeyOp<R>[], done: (results: R[], errors: Array<CouchbaseError | undefined>) => void): () => void {
    const n = ops.length;
    const results = new Array<R>(n);
    const errors = new Array<CouchbaseError | undefined>(n);
    let remaining = n;
    const cancels: Array<() => void> = [];
    const pendings: Cancellable[] = [];
    let cancelled = false;
    const finishOne = () => {
      if (--remaining === 0 && !cancelled) cancels.push(...this.#durability(ops, results, errors, done));
    };
    if (n === 0) {
      queueMicrotask(() => done(results, errors));
      return () => {};
    }
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      let responses: Response[] | undefined;
      pendings.push(this.#batcher.enqueue(op.cmd, (resp) => {
        if (!resp.final) {
          (responses ??= []).push(resp);
          return;
        }
        const rs = responses ? (responses.push(resp), responses) : [resp];
        responses = undefined;
        const [r, e] = this.#settle(op, rs);
        results[i] = r;
        errors[i] = e;
        finishOne();
      }));
    }
    return () => {
      cancelled = true;
      for (const p of pendings) p.unsubscribe();
      for (const c of cancels) c();
    };
  }

  /** Decodes one key's responses into its result and, if it failed (and is not quiet about it), its error. */
  #settle<R extends Result>(op: KeyOp<R>, rs: Response[]): [R, CouchbaseError | undefined] {
    let r: R;
    try {
      r = op.decode(rs);
    } catch (error) {
      const e = error instanceof CouchbaseError ? error : CouchbaseError.fromRc(LcbStatus.LCB_ERR_SDK_INTERNAL, { innerCause: error, key: op.key });
      e.key ??= op.key;
      const failed = (op.item ?? new ValueResult(op.key)) as unknown as R;
      failed.rc = e.rc;
      e.result = failed;
      return [failed, e];
    }
    if (r.success || (op.quiet && r.rc === LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND)) return [r, undefined];
    return [r, CouchbaseError.fromRc(r.rc, { key: op.key, result: r, message: describeRc(r.rc, op.key, rs[rs.length - 1]!.text) })];
  }

  /** Second phase of stores with persistTo/replicateTo: endure the successful keys. */
  #durability<R extends Result>(ops: KeyOp<R>[], results: R[], errors: Array<CouchbaseError | undefined>, done: (results: R[], errors: Array<CouchbaseError | undefined>) => void): Array<() => void> {
    const targets: number[] = [];
    for (let i = 0; i < ops.length; i++) {
      const d = ops[i]!.durability;
      if (d && (d.persistTo > 0 || d.replicateTo > 0) && !errors[i] && results[i]!.success) targets.push(i);
    }
    if (targets.length === 0) {
      done(results, errors);
      return [];
    }
    // Group by requirement (one multi call usually has one) and poll each group in one batch per round.
    const groups = new Map<string, number[]>();
    for (const i of targets) {
      const d = ops[i]!.durability!;
      const id = `${d.persistTo}/${d.replicateTo}/${d.checkRemoved}`;
      (groups.get(id) ?? groups.set(id, []).get(id)!).push(i);
    }
    let remaining = targets.length;
    const timeout = Math.max(5, this.#timeout);
    return [...groups.values()].map((idx) => {
      const d = ops[idx[0]!]!.durability!;
      return this.#endureMany(idx.map((i) => ({ key: ops[i]!.key, cas: results[i]!.cas })), { ...d, timeout, interval: 0.01 }, (j, error) => {
        const i = idx[j]!;
        if (error) {
          error.result = results[i];
          errors[i] = error;
        }
        if (--remaining === 0) done(results, errors);
      });
    });
  }

  /**
   * memcached has no GET_LOCKED/UNLOCK (it drops the connection on them), no replicas and no
   * observe: refuse such commands before they are sent.
   */
  #checkSupported(where: string, ops: KeyOp<Result>[]): void {
    if (!this.#memcached) return;
    for (const op of ops) this.#checkSupportedOne(where, op);
  }

  #checkSupportedOne(where: string, op: KeyOp<Result>): void {
    if (!this.#memcached) return;
    const code = op.cmd.op;
    const what = code === NativeOp.GetAndLock || code === NativeOp.Unlock ? 'locks'
      : code === NativeOp.GetReplica ? 'replica reads'
        : code === NativeOp.Observe ? 'observe'
          : op.durability && (op.durability.persistTo > 0 || op.durability.replicateTo > 0) ? 'persistTo/replicateTo' : undefined;
    if (what) throw new NotSupportedError(`${where}: ${what} are not supported on a memcached:// connection`, { key: op.key });
  }

  /** A single-key Op. `build` validates and returns the key op (throws ArgumentError). */
  #single<R extends Result>(site: CallSite, where: string, build: () => KeyOp<R>): Op<R> {
    if (this.#closed) return failedOp(new ObjectDestroyedError(`${where}: the connection is closed`), site);
    let op: KeyOp<R>;
    try {
      op = build();
      this.#checkSupportedOne(where, op);
    } catch (error) {
      return failedOp(asCouchbaseError(where, error), site);
    }
    return new Op<R>((subscriber) => {
      if (this.#closed) {
        subscriber.error(site.apply(new ObjectDestroyedError(`${where}: the connection is closed`, { key: op.key })));
        return;
      }
      const durable = op.durability !== undefined && (op.durability.persistTo > 0 || op.durability.replicateTo > 0);
      if (!durable && (op.cmd.op !== NativeOp.Observe)) {
        // Fast path: one command, one final response.
        return this.#batcher.enqueue(op.cmd, (resp) => {
          if (!resp.final) return; // these commands have exactly one response
          const [r, e] = this.#settle(op, [resp]);
          if (e) subscriber.error(site.apply(e));
          else {
            subscriber.next(r);
            subscriber.complete();
          }
        });
      }
      return this.#execute([op], (results, errors) => {
        if (errors[0]) subscriber.error(site.apply(errors[0]));
        else {
          subscriber.next(results[0]!);
          subscriber.complete();
        }
      });
    });
  }

  /** A multi-key Op resolving to a MultiResult. */
  #multi<R extends Result>(site: CallSite, where: string, build: () => KeyOp<R>[]): Op<MultiResult<R>> {
    if (this.#closed) return failedOp(new ObjectDestroyedError(`${where}: the connection is closed`), site);
    let ops: KeyOp<R>[];
    try {
      ops = build();
      this.#checkSupported(where, ops);
      const seen = new Set<string>();
      for (const op of ops) {
        if (seen.has(op.key)) throw argError(`${where}: duplicate key ${JSON.stringify(op.key)} in one call`, op.key, LcbStatus.LCB_ERR_DUPLICATE_COMMANDS);
        seen.add(op.key);
      }
    } catch (error) {
      return failedOp(asCouchbaseError(where, error), site);
    }
    return new Op<MultiResult<R>>((subscriber) => {
      if (this.#closed) {
        subscriber.error(site.apply(new ObjectDestroyedError(`${where}: the connection is closed`)));
        return;
      }
      return this.#execute(ops, (results, errors) => {
        const mr = new MultiResult<R>();
        for (let i = 0; i < ops.length; i++) mr.set(ops[i]!.key, results[i]!);
        const first = errors.findIndex((e) => e !== undefined);
        if (first >= 0) {
          const e = errors[first]!;
          const failed = errors.filter((x) => x !== undefined).length;
          const err = CouchbaseError.fromRc(e.rc, {
            message: `${where}: ${failed} of ${ops.length} operations failed; first: ${e.message}`,
            key: e.key, innerCause: e.innerCause, objextra: e.objextra, allResults: mr, result: e.result,
          });
          subscriber.error(site.apply(err));
        } else {
          subscriber.next(mr);
          subscriber.complete();
        }
      });
    });
  }


  // ---------------------------------------------------------------- builders













  // ---------------------------------------------------------------- endure

  /**
   * Polls observe for many keys at once (one batch per round) until each meets the
   * requirement; `onKey(i, error?)` once per target, in completion order.
   * Returns a cancel function.
   */
  #endureMany(
    targets: ReadonlyArray<{ key: string; cas: bigint }>,
    o: { persistTo: number; replicateTo: number; checkRemoved: boolean; timeout: number; interval: number },
    onKey: (index: number, error?: CouchbaseError) => void,
  ): () => void {
    const deadline = performance.now() + o.timeout * 1000;
    let pending = targets.map((_, i) => i);
    let cancel: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const poll = () => {
      let ops: KeyOp<ObserveResult>[];
      try {
        ops = pending.map((i) => observeOp(this.#ctx, 'endure', targets[i]!.key));
      } catch (error) {
        for (const i of pending) onKey(i, asCouchbaseError('endure', error));
        return;
      }
      cancel = this.#execute(ops, (results, errors) => {
        if (stopped) return;
        const still: number[] = [];
        pending.forEach((i, j) => {
          const err = errors[j];
          if (err) return onKey(i, err);
          const t = targets[i]!;
          const verdict = evaluateDurability(t.key, results[j]!.value, { ...o, cas: t.cas });
          if (verdict === true) onKey(i);
          else if (verdict instanceof CouchbaseError) onKey(i, verdict);
          else still.push(i);
        });
        pending = still;
        if (pending.length === 0) return;
        if (performance.now() + o.interval * 1000 > deadline) {
          for (const i of pending) {
            onKey(i, new TimeoutError(`endure: durability requirements (persistTo=${o.persistTo}, replicateTo=${o.replicateTo}) not met within ${o.timeout}s`, { key: targets[i]!.key }));
          }
          return;
        }
        timer = setTimeout(poll, o.interval * 1000);
      });
    };
    poll();
    return () => {
      stopped = true;
      cancel?.();
      if (timer) clearTimeout(timer);
    };
  }

  // ---------------------------------------------------------------- public KV API

  /**
   * Gets a document (the seed's `get`). With `ttl`, also touches it (get-and-touch); with
   * `replica`, reads from a replica; with `noFormat`, returns the raw bytes.
   * @throws NotFoundError when missing (unless quiet), ValueFormatError when undecodable
   */
  get<T = any>(key: string, options?: GetOptions): Op<ValueResult<T>> {
    const site = CallSite.of(this.get);
    return this.#single(site, 'get', () => getOp(this.#ctx, 'get', key, options == null ? NO_OPTIONS : checkOptions('get', options, GET_OPTS))) as Op<ValueResult<T>>;
  }

  /** Stores a document unconditionally (or only if `cas` matches). */
  set(key: string, value: unknown, options?: StoreOptions): Op<OperationResult> {
    const site = CallSite.of(this.set);
    return this.#single(site, 'set', () => storeOp(this.#ctx, 'set', 'set', key, value, checkOptions('set', options, STORE_OPTS)));
  }

  /** Stores a document only if the key does not exist (KeyExistsError otherwise). */
  add(key: string, value: unknown, options?: Omit<StoreOptions, 'cas'>): Op<OperationResult> {
    const site = CallSite.of(this.add);
    return this.#single(site, 'add', () => storeOp(this.#ctx, 'add', 'add', key, value, checkOptions('add', options, STORE_OPTS)));
  }

  /** Replaces an existing document (NotFoundError when missing). */
  replace(key: string, value: unknown, options?: StoreOptions): Op<OperationResult> {
    const site = CallSite.of(this.replace);
    return this.#single(site, 'replace', () => storeOp(this.#ctx, 'replace', 'replace', key, value, checkOptions('replace', options, STORE_OPTS)));
  }

  /** Deletes a document. */
  delete(key: string, options?: DeleteOptions): Op<OperationResult> {
    const site = CallSite.of(this.delete);
    return this.#single(site, 'delete', () => deleteOp(this.#ctx, 'delete', key, checkOptions('delete', options, DELETE_OPTS)));
  }

  /** Increments a counter; value of the result = the new counter (number, or bigint above 2^53). */
  incr(key: string, options?: CounterOptions): Op<ValueResult<number | bigint>> {
    const site = CallSite.of(this.incr);
    return this.#single(site, 'incr', () => counterOp(this.#ctx, false, 'incr', key, checkOptions('incr', options, COUNTER_OPTS))) as Op<ValueResult<number | bigint>>;
  }

  /** Decrements a counter (never below 0). */
  decr(key: string, options?: CounterOptions): Op<ValueResult<number | bigint>> {
    const site = CallSite.of(this.decr);
    return this.#single(site, 'decr', () => counterOp(this.#ctx, true, 'decr', key, checkOptions('decr', options, COUNTER_OPTS))) as Op<ValueResult<number | bigint>>;
  }

  /** Appends a string or bytes to a value stored as FMT_UTF8 or FMT_BYTES. */
  append(key: string, fragment: string | Uint8Array, options?: AppendOptions): Op<OperationResult> {
    const site = CallSite.of(this.append);
    return this.#single(site, 'append', () => appendOp(this.#ctx, false, 'append', key, fragment, checkOptions('append', options, APPEND_OPTS)));
  }

  /** Prepends a string or bytes to a value stored as FMT_UTF8 or FMT_BYTES. */
  prepend(key: string, fragment: string | Uint8Array, options?: AppendOptions): Op<OperationResult> {
    const site = CallSite.of(this.prepend);
    return this.#single(site, 'prepend', () => appendOp(this.#ctx, true, 'prepend', key, fragment, checkOptions('prepend', options, APPEND_OPTS)));
  }

  /** Sets a key's expiry (0 clears it). */
  touch(key: string, options?: TouchOptions): Op<OperationResult> {
    const site = CallSite.of(this.touch);
    return this.#single(site, 'touch', () => touchOp(this.#ctx, 'touch', key, checkOptions('touch', options, TOUCH_OPTS)));
  }

  /** Gets and locks a document for `ttl` seconds (0 = server default, max 30). Others get TemporaryFailError until unlock or a store with the CAS. */
  lock<T = any>(key: string, options?: LockOptions): Op<ValueResult<T>> {
    const site = CallSite.of(this.lock);
    return this.#single(site, 'lock', () => lockOp(this.#ctx, 'lock', key, checkOptions('lock', options, LOCK_OPTS))) as Op<ValueResult<T>>;
  }

  /** Unlocks a key locked with lock(); `cas` is the lock's CAS (required). */
  unlock(key: string, cas: bigint): Op<OperationResult> {
    const site = CallSite.of(this.unlock);
    return this.#single(site, 'unlock', () => unlockOp(this.#ctx, 'unlock', key, cas));
  }

  /** Reads from a replica (the seed's `rget`): the first to answer, or replica `index`. */
  getReplica<T = any>(key: string, options?: ReplicaOptions): Op<ValueResult<T>> {
    const site = CallSite.of(this.getReplica);
    return this.#single(site, 'getReplica', () => replicaOp(this.#ctx, 'getReplica', key, checkOptions('getReplica', options, REPLICA_OPTS))) as Op<ValueResult<T>>;
  }

  /** Observes a key on every node holding its vBucket (master first). */
  observe(key: string): Op<ObserveResult> {
    const site = CallSite.of(this.observe);
    return this.#single(site, 'observe', () => observeOp(this.#ctx, 'observe', key));
  }

  /**
   * Waits until a mutation is persisted on `persistTo` nodes and replicated to `replicateTo`
   * replicas (or, with `checkRemoved`, its removal is), polling observe.
   * @throws DurabilityError when the cluster cannot meet the requirement; TimeoutError when not met in time
   */
  endure(key: string, options?: EndureOptions): Op<OperationResult> {
    const site = CallSite.of(this.endure);
    const r = this.#endureMultiOp(site, 'endure', [key], options);
    return new Op<OperationResult>((s) => r.subscribe({
      next: (mr) => s.next(mr.get(key)!),
      error: (e) => s.error(e instanceof CouchbaseError && e.allResults ? site.apply(CouchbaseError.fromRc(e.rc, { key, message: (e.innerCause as Error)?.message ?? e.message, result: e.result })) : e),
      complete: () => s.complete(),
    }));
  }

  /** Server statistics (the seed's `stats`): `result[statName][server] = value`. */
  stats(name = ''): Op<StatsResult> {
    const site = CallSite.of(this.stats);
    if (typeof name !== 'string') return failedOp(argError(`stats: name must be a string`, name), site);
    if (this.#closed) return failedOp(new ObjectDestroyedError('stats: the connection is closed'), site);
    const cmd = statsCommand(name);
    return new Op<StatsResult>((subscriber) => {
      const collector = new StatsCollector();
      return this.#batcher.enqueue(cmd, (r) => {
        const out = collector.add(r);
        if (out === undefined) return;
        if (out instanceof CouchbaseError) subscriber.error(site.apply(out));
        else {
          subscriber.next(out);
          subscriber.complete();
        }
      });
    });
  }

  // ---------------------------------------------------------------- multi forms

  /** getMulti(keys | Record/Map key → GetOptions | items, options): one batch. */
  getMulti<T = any>(keys: Iterable<string> | Record<string, GetOptions> | Map<string, GetOptions> | ItemCollection, options?: GetOptions): Op<MultiResult<ValueResult<T>>> {
    const site = CallSite.of(this.getMulti);
    return this.#multi(site, 'getMulti', () => {
      const o = checkOptions<GetOptions>('getMulti', options, GET_OPTS);
      return multiEntries('getMulti', keys, false).map((e) =>
        getOp(this.#ctx, 'getMulti', e.key, e.v === undefined ? o : { ...o, ...perKey('getMulti', e.v, GET_OPTS, 'ttl') }, e.item));
    }) as Op<MultiResult<ValueResult<T>>>;
  }

  #storeMulti(mode: StoreMode, site: CallSite, where: string, kv: unknown, options: unknown): Op<MultiResult<OperationResult>> {
    return this.#multi(site, where, () => {
      const o = checkOptions<StoreOptions>(where, options, STORE_OPTS);
      return multiEntries(where, kv, true).map((e) => storeOp(this.#ctx, mode, where, e.key, e.v, e.itemOpts ? { ...o, ...e.itemOpts } : o, e.item));
    });
  }

  /** setMulti(Record/Map key → value | [key, value] pairs | items, options). */
  setMulti(kv: Record<string, unknown> | Map<string, unknown> | Iterable<[string, unknown]> | ItemCollection, options?: StoreOptions): Op<MultiResult<OperationResult>> {
    return this.#storeMulti('set', CallSite.of(this.setMulti), 'setMulti', kv, options);
  }
  /** addMulti: like setMulti, failing keys that exist. */
  addMulti(kv: Record<string, unknown> | Map<string, unknown> | Iterable<[string, unknown]> | ItemCollection, options?: Omit<StoreOptions, 'cas'>): Op<MultiResult<OperationResult>> {
    return this.#storeMulti('add', CallSite.of(this.addMulti), 'addMulti', kv, options);
  }
  /** replaceMulti: like setMulti, failing keys that are missing. */
  replaceMulti(kv: Record<string, unknown> | Map<string, unknown> | Iterable<[string, unknown]> | ItemCollection, options?: StoreOptions): Op<MultiResult<OperationResult>> {
    return this.#storeMulti('replace', CallSite.of(this.replaceMulti), 'replaceMulti', kv, options);
  }

  #appendMulti(prepend: boolean, site: CallSite, where: string, kv: unknown, options: unknown): Op<MultiResult<OperationResult>> {
    return this.#multi(site, where, () => {
      const o = checkOptions<AppendOptions>(where, options, APPEND_OPTS);
      return multiEntries(where, kv, true).map((e) => {
        const fragment = e.item ? e.itemOpts?.fragment : e.v;
        if (e.item && fragment === undefined) throw argError(`${where}: item ${JSON.stringify(e.key)} needs a 'fragment' option`, e.item);
        return appendOp(this.#ctx, prepend, where, e.key, fragment, { ...o, ...e.itemOpts, fragment: undefined }, e.item);
      });
    });
  }
  /** appendMulti(Record/Map key → fragment | items with `fragment`, options). */
  appendMulti(kv: Record<string, string | Uint8Array> | Map<string, string | Uint8Array> | Iterable<[string, string | Uint8Array]> | ItemCollection, options?: AppendOptions): Op<MultiResult<OperationResult>> {
    return this.#appendMulti(false, CallSite.of(this.appendMulti), 'appendMulti', kv, options);
  }
  /** prependMulti(Record/Map key → fragment | items with `fragment`, options). */
  prependMulti(kv: Record<string, string | Uint8Array> | Map<string, string | Uint8Array> | Iterable<[string, string | Uint8Array]> | ItemCollection, options?: AppendOptions): Op<MultiResult<OperationResult>> {
    return this.#appendMulti(true, CallSite.of(this.prependMulti), 'prependMulti', kv, options);
  }
  /** Appends each item's `fragment` option to it (the seed's `append_items`); item values are updated. */
  appendItems(items: ItemCollection, options?: AppendOptions): Op<MultiResult<OperationResult>> {
    return this.#appendMulti(false, CallSite.of(this.appendItems), 'appendItems', items, options);
  }
  /** Prepends each item's `fragment` option to it (the seed's `prepend_items`). */
  prependItems(items: ItemCollection, options?: AppendOptions): Op<MultiResult<OperationResult>> {
    return this.#appendMulti(true, CallSite.of(this.prependItems), 'prependItems', items, options);
  }


  /** deleteMulti(keys | Record/Map key → cas or DeleteOptions | items, options). */
  deleteMulti(keys: Iterable<string> | Record<string, bigint | DeleteOptions> | Map<string, bigint | DeleteOptions> | ItemCollection, options?: DeleteOptions): Op<MultiResult<OperationResult>> {
    const site = CallSite.of(this.deleteMulti);
    return this.#multi(site, 'deleteMulti', () => {
      const o = checkOptions<DeleteOptions>('deleteMulti', options, DELETE_OPTS);
      return multiEntries('deleteMulti', keys, false).map((e) =>
        deleteOp(this.#ctx, 'deleteMulti', e.key, { ...o, ...(e.item ? e.itemOpts : perKey('deleteMulti', e.v, DELETE_OPTS, 'cas')) }, e.item));
    });
  }

  #counterMulti(decr: boolean, site: CallSite, where: string, keys: unknown, options: unknown): Op<MultiResult<ValueResult<number | bigint>>> {
    return this.#multi(site, where, () => {
      const o = checkOptions<CounterOptions>(where, options, COUNTER_OPTS);
      return multiEntries(where, keys, false).map((e) =>
        counterOp(this.#ctx, decr, where, e.key, { ...o, ...(e.item ? {} : perKey(where, e.v, COUNTER_OPTS, 'amount')) }, e.item));
    }) as Op<MultiResult<ValueResult<number | bigint>>>;
  }
  /** incrMulti(keys | Record/Map key → amount or CounterOptions, options). */
  incrMulti(keys: Iterable<string> | Record<string, number | bigint | CounterOptions> | Map<string, number | bigint | CounterOptions> | ItemCollection, options?: CounterOptions): Op<MultiResult<ValueResult<number | bigint>>> {
    return this.#counterMulti(false, CallSite.of(this.incrMulti), 'incrMulti', keys, options);
  }
  /** decrMulti(keys | Record/Map key → amount or CounterOptions, options). */
  decrMulti(keys: Iterable<string> | Record<string, number | bigint | CounterOptions> | Map<string, number | bigint | CounterOptions> | ItemCollection, options?: CounterOptions): Op<MultiResult<ValueResult<number | bigint>>> {
    return this.#counterMulti(true, CallSite.of(this.decrMulti), 'decrMulti', keys, options);
  }

  /** touchMulti(keys | Record/Map key → ttl or TouchOptions, options). */
  touchMulti(keys: Iterable<string> | Record<string, number | TouchOptions> | Map<string, number | TouchOptions> | ItemCollection, options?: TouchOptions): Op<MultiResult<OperationResult>> {
    const site = CallSite.of(this.touchMulti);
    return this.#multi(site, 'touchMulti', () => {
      const o = checkOptions<TouchOptions>('touchMulti', options, TOUCH_OPTS);
      return multiEntries('touchMulti', keys, false).map((e) =>
        touchOp(this.#ctx, 'touchMulti', e.key, { ...o, ...(e.item ? { ttl: e.itemOpts?.ttl ?? o.ttl } : perKey('touchMulti', e.v, TOUCH_OPTS, 'ttl')) }, e.item));
    });
  }

  /** lockMulti(keys | Record/Map key → ttl or LockOptions, options). */
  lockMulti<T = any>(keys: Iterable<string> | Record<string, number | LockOptions> | Map<string, number | LockOptions> | ItemCollection, options?: LockOptions): Op<MultiResult<ValueResult<T>>> {
    const site = CallSite.of(this.lockMulti);
    return this.#multi(site, 'lockMulti', () => {
      const o = checkOptions<LockOptions>('lockMulti', options, LOCK_OPTS);
      return multiEntries('lockMulti', keys, false).map((e) =>
        lockOp(this.#ctx, 'lockMulti', e.key, { ...o, ...(e.item ? {} : perKey('lockMulti', e.v, LOCK_OPTS, 'ttl')) }, e.item));
    }) as Op<MultiResult<ValueResult<T>>>;
  }

  /** unlockMulti(Record/Map key → cas | results of lockMulti | items). */
  unlockMulti(keys: Record<string, bigint> | Map<string, bigint | Result> | ItemCollection): Op<MultiResult<OperationResult>> {
    const site = CallSite.of(this.unlockMulti);
    return this.#multi(site, 'unlockMulti', () =>
      multiEntries('unlockMulti', keys, true).map((e) => {
        const cas = e.item ? (e.itemOpts?.cas ?? e.item.cas) : e.v instanceof Result ? e.v.cas : e.v;
        return unlockOp(this.#ctx, 'unlockMulti', e.key, cas, e.item);
      }));
  }

  /** getReplicaMulti(keys, options). */
  getReplicaMulti<T = any>(keys: Iterable<string> | ItemCollection, options?: ReplicaOptions): Op<MultiResult<ValueResult<T>>> {
    const site = CallSite.of(this.getReplicaMulti);
    return this.#multi(site, 'getReplicaMulti', () => {
      const o = checkOptions<ReplicaOptions>('getReplicaMulti', options, REPLICA_OPTS);
      return multiEntries('getReplicaMulti', keys, false).map((e) => replicaOp(this.#ctx, 'getReplicaMulti', e.key, o, e.item));
    }) as Op<MultiResult<ValueResult<T>>>;
  }

  /** observeMulti(keys | items). */
  observeMulti(keys: Iterable<string> | ItemCollection): Op<MultiResult<ObserveResult>> {
    const site = CallSite.of(this.observeMulti);
    return this.#multi(site, 'observeMulti', () => multiEntries('observeMulti', keys, false).map((e) => observeOp(this.#ctx, 'observeMulti', e.key)));
  }

  /** endureMulti(keys | Record/Map key → cas | results of a …Multi store | items (their CAS), options). */
  endureMulti(keys: Iterable<string> | Record<string, bigint> | Map<string, bigint | Result> | ItemCollection, options?: EndureOptions): Op<MultiResult<OperationResult>> {
    return this.#endureMultiOp(CallSite.of(this.endureMulti), 'endureMulti', keys, options);
  }

  #endureMultiOp(site: CallSite, where: string, keys: unknown, options: unknown): Op<MultiResult<OperationResult>> {
    if (this.#closed) return failedOp(new ObjectDestroyedError(`${where}: the connection is closed`), site);
    let targets: Array<{ key: string; cas: bigint }>;
    let o: { persistTo: number; replicateTo: number; checkRemoved: boolean; timeout: number; interval: number; cas: bigint };
    try {
      const opts = checkOptions<EndureOptions>(where, options, ENDURE_OPTS);
      const d = readDurability(where, opts);
      o = {
        ...d,
        checkRemoved: readBool(where, 'checkRemoved', opts.checkRemoved, false),
        timeout: readSeconds(where, 'timeout', opts.timeout, 5),
        interval: readSeconds(where, 'interval', opts.interval, 0.01),
        cas: readCas(where, opts.cas),
      };
      if (o.persistTo === 0 && o.replicateTo === 0) throw argError(`${where}: give persistTo and/or replicateTo`, opts);
      if (this.#memcached) throw new NotSupportedError(`${where}: durability is not supported on a memcached:// connection`);
      const seen = new Set<string>();
      targets = multiEntries(where, keys, false).map((e) => {
        this.#encodeKey(where, e.key);
        if (seen.has(e.key)) throw argError(`${where}: duplicate key ${JSON.stringify(e.key)} in one call`, e.key, LcbStatus.LCB_ERR_DUPLICATE_COMMANDS);
        seen.add(e.key);
        const cas = e.item ? e.item.cas : e.v instanceof Result ? e.v.cas : e.v === undefined ? o.cas : readCas(where, e.v);
        return { key: e.key, cas };
      });
    } catch (error) {
      return failedOp(asCouchbaseError(where, error), site);
    }
    return new Op<MultiResult<OperationResult>>((subscriber) => {
      const mr = new MultiResult<OperationResult>();
      const errors: CouchbaseError[] = [];
      let remaining = targets.length;
      if (remaining === 0) {
        subscriber.next(mr);
        subscriber.complete();
        return;
      }
      return this.#endureMany(targets, o, (i, error) => {
        const t = targets[i]!;
        const r = new OperationResult(t.key, error ? error.rc : 0, t.cas);
        mr.set(t.key, r);
        if (error) {
          error.result = r;
          errors.push(error);
        }
        if (--remaining > 0) return;
        // Keep the input order.
        const ordered = new MultiResult<OperationResult>(targets.map((x) => [x.key, mr.get(x.key)!]));
        if (errors.length) {
          const e = errors[0]!;
          subscriber.error(site.apply(CouchbaseError.fromRc(e.rc, { message: `${where}: ${errors.length} of ${targets.length} keys failed; first: ${e.message}`, key: e.key, allResults: ordered, result: e.result, innerCause: e })));
        } else {
          subscriber.next(ordered);
          subscriber.complete();
        }
      });
    });
  }
}


/** The options of a call without options (read only). */
const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

/** Any exception from validating user input becomes an ArgumentError (e.g. a throwing getter or Proxy). */
function asCouchbaseError(where: string, error: unknown): CouchbaseError {
  if (error instanceof CouchbaseError) return error;
  return new ArgumentError(`${where}: invalid input: ${(error as Error)?.message ?? String(error)}`, { innerCause: error });
}

/** Same as {@link Couchbase.connect}. */
export function connect(options: ConnectOptions | string = {}): Promise<Couchbase> {
  return Couchbase.connect(options);
}

