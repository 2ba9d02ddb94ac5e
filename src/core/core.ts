/**
 * The connection core: what views, design documents and the operators receive, never the
 * `Couchbase` facade. It owns the native connection and its batcher, the codec and the
 * connection's settings, and runs key ops: validation errors and a closed connection become
 * failed Ops, commands of one tick share a native batch, responses settle into results or
 * errors, and stores with persistTo/replicateTo go through the durability phase.
 * @internal
 * @module
 */
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import { NativeOp, type NativeConnection } from '../binding.js';
import { Pending, type Batcher, type Cancellable, type Response } from '../batcher.js';
import type { Codec } from '../codec.js';
import { ArgumentError, CouchbaseError, LcbStatus, ObjectDestroyedError, describeRc } from '../errors/index.js';
import type { KeyOp, KvContext } from '../kv/context.js';
import { DEFAULT_BACKOFF, pollDurability, type EndureTarget, type EndureVerdict, type PollSpec } from '../kv/endure-poll.js';
import { observeOp } from '../kv/observe.js';
import { checkDuplicateKeys } from '../multi.js';
import { CallSite, Op, failedOp, type Sink } from '../op.js';
import { readSeconds } from '../options.js';
import { MultiResult, ValueResult, type ObserveResult, type Result } from '../results.js';
import { durabilityPhase } from './durability-phase.js';
import { checkMemcachedOp, checkMemcachedSupport } from './memcached.js';

/** What bootstrap hands the core. */
export interface CoreInit {
  native: NativeConnection;
  batcher: Batcher;
  codec: Codec;
  bucket: string;
  connstr: string;
  timeout: number;
  quiet: boolean;
  defaultFormat: number;
  lcbVersion: string;
}

/** Runs `done(results, errors)` once every op has settled (error undefined = ok). */
export type ExecuteDone<R extends Result> = (results: R[], errors: Array<CouchbaseError | undefined>) => void;

export class ConnectionCore implements KvContext {
  readonly native: NativeConnection;
  readonly batcher: Batcher;
  readonly codec: Codec;
  readonly bucket: string;
  /** The libcouchbase connection string used (host names resolved). */
  readonly connectionString: string;
  readonly lcbVersion: string;
  /** memcached:// connections have no vBuckets: no locks, replicas, observe, durability or views. */
  readonly memcached: boolean;
  quiet: boolean;
  defaultFormat: number;
  #timeout: number;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(init: CoreInit) {
    this.native = init.native;
    this.batcher = init.batcher;
    this.codec = init.codec;
    this.bucket = init.bucket;
    this.connectionString = init.connstr;
    this.lcbVersion = init.lcbVersion;
    this.memcached = init.connstr.startsWith('memcached://');
    this.quiet = init.quiet;
    this.defaultFormat = init.defaultFormat;
    this.#timeout = init.timeout;
  }

  /** Operation timeout in seconds; applies to commands submitted afterwards. */
  get timeout(): number {
    return this.#timeout;
  }
  set timeout(seconds: number) {
    this.#timeout = readSeconds('timeout', 'timeout', seconds, this.#timeout);
    if (!this.#closed) this.native.setOperationTimeout(Math.round(this.#timeout * 1e6));
  }

  get closed(): boolean {
    return this.#closed;
  }

  encodeKey(where: string, key: string): Buffer | string {
    return this.codec.encodeKey(where, key);
  }
  encodeValue(value: unknown, format: number, key?: string): [Buffer | string, number] {
    return this.codec.encodeValue(value, format, key);
  }
  decode(key: string, data: Buffer, flags: number, noFormat: boolean): unknown {
    return this.codec.decode(key, data, flags, noFormat);
  }

  /** The error of a call on a closed connection. */
  closedError(where: string, key?: string): ObjectDestroyedError {
    return new ObjectDestroyedError(`${where}: the connection is closed`, { key });
  }

  /**
   * The shape of every operation: refused at once when closed; `prepare` validates (any throw
   * becomes a failed Op, an ArgumentError unless it is a CouchbaseError); each subscription
   * checks the connection again, then `run`s. `fail` applies the call site to an error.
   */
  op<T, P>(site: CallSite, where: string, prepare: () => P, run: (p: P, sink: Sink<T>, fail: (e: CouchbaseError) => void) => (() => void) | Cancellable | void): Op<T> {
    if (this.#closed) return failedOp(this.closedError(where), site);
    let p: P;
    try {
      p = prepare();
    } catch (error) {
      return failedOp(asCouchbaseError(where, error), site);
    }
    return new Op<T>((sink) => {
      if (this.#closed) return sink.error(site.apply(this.closedError(where)));
      return run(p, sink, (e) => sink.error(site.apply(e)));
    }, site);
  }

  /** A single-key Op. `build` validates and returns the key op. */
  single<R extends Result>(site: CallSite, where: string, build: () => KeyOp<R>): Op<R> {
    if (this.#closed) return failedOp(this.closedError(where), site);
    let op: KeyOp<R>;
    try {
      op = build();
      if (this.memcached) checkMemcachedOp(where, op);
    } catch (error) {
      return failedOp(asCouchbaseError(where, error), site);
    }
    return new SingleOp(this, site, where, op);
  }

  /** A multi-key Op resolving to a MultiResult in the input's order. */
  multi<R extends Result>(site: CallSite, where: string, build: () => KeyOp<R>[]): Op<MultiResult<R>> {
    return this.op<MultiResult<R>, KeyOp<R>[]>(site, where, () => {
      const ops = build();
      if (this.memcached) checkMemcachedSupport(where, ops);
      checkDuplicateKeys(where, ops.map((o) => o.key));
      return ops;
    }, (ops, sink, fail) => this.execute(ops, (results, errors) => {
      const mr = new MultiResult<R>();
      for (let i = 0; i < ops.length; i++) mr.set(ops[i]!.key, results[i]!);
      const e = multiError(where, ops.length, errors, mr);
      if (e) return fail(e);
      sink.next(mr);
      sink.complete();
    }));
  }

  /** Runs key ops (then their durability phase); returns a cancel function. */
  execute<R extends Result>(ops: KeyOp<R>[], done: ExecuteDone<R>): () => void {
    const n = ops.length;
    const results = new Array<R>(n);
    const errors = new Array<CouchbaseError | undefined>(n);
    if (n === 0) {
      queueMicrotask(() => done(results, errors));
      return () => {};
    }
    let remaining = n;
    let cancelled = false;
    let cancelDurability: (() => void) | undefined;
    const pendings: Cancellable[] = [];
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      let responses: Response[] | undefined;
      pendings.push(this.batcher.enqueue(op.cmd, (resp) => {
        if (!resp.final) {
          (responses ??= []).push(resp);
          return;
        }
        const rs = responses ? (responses.push(resp), responses) : [resp];
        responses = undefined;
        [results[i], errors[i]] = this.settle(op, rs);
        if (--remaining === 0 && !cancelled) cancelDurability = durabilityPhase(this, ops, results, errors, done);
      }));
    }
    return () => {
      cancelled = true;
      for (const p of pendings) p.unsubscribe();
      cancelDurability?.();
    };
  }

  /** Decodes one key's responses into its result and, if it failed (and is not quiet about it), its error. */
  settle<R extends Result>(op: KeyOp<R>, rs: Response[]): [R, CouchbaseError | undefined] {
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

  /** One observe round for the endure poller: one batch for every key, an answer per key. */
  readonly observeRound = (keys: readonly string[]): Observable<ReadonlyArray<ObserveResult | CouchbaseError>> =>
    new Observable<ReadonlyArray<ObserveResult | CouchbaseError>>((subscriber: Subscriber<ReadonlyArray<ObserveResult | CouchbaseError>>) => {
      let ops: KeyOp<ObserveResult>[];
      try {
        ops = keys.map((k) => observeOp(this, 'endure', k));
      } catch (error) {
        return subscriber.error(asCouchbaseError('endure', error));
      }
      return this.execute(ops, (results, errors) => {
        subscriber.next(results.map((r, i) => errors[i] ?? r));
        subscriber.complete();
      });
    });

  /** Polls durability for `targets` (see pollDurability); the timeout defaults to max(5 s, the operation timeout). */
  endure(targets: readonly EndureTarget[], spec: Omit<PollSpec, 'timeout' | 'backoff'> & Partial<Pick<PollSpec, 'timeout' | 'backoff'>>): Observable<EndureVerdict> {
    return pollDurability(this.observeRound, targets, {
      ...spec, timeout: spec.timeout ?? Math.max(5, this.#timeout), backoff: spec.backoff ?? DEFAULT_BACKOFF,
    });
  }

  /**
   * Closes the connection: pending operations fail, every native resource is released.
   * Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.batcher.close();
    this.#closing = new Promise<void>((resolve) => {
      this.native.close(() => {
        this.batcher.failInflight();
        resolve();
      });
    });
    return this.#closing;
  }
}

/**
 * A single-key operation: the same shape as `op()`, as one class instead of closures, since it
 * is what code that awaits each call makes once per call.
 */
class SingleOp<R extends Result> extends Op<R> {
  constructor(
    readonly core: ConnectionCore,
    site: CallSite,
    readonly where: string,
    readonly keyOp: KeyOp<R>,
  ) {
    super(undefined, site);
  }

  protected override run(sink: Sink<R>): TeardownLogic {
    const core = this.core;
    if (core.closed) return sink.error(this.site!.apply(core.closedError(this.where)));
    const op = this.keyOp;
    // One command, exactly one final response: a Pending of its own settles it.
    if (op.durability === undefined && op.cmd.op !== NativeOp.Observe) return core.batcher.add(new SingleRun(this, sink));
    return core.execute([op], (results, errors) => this.settled(sink, results[0]!, errors[0]));
  }

  /** Delivers the result, or the error with the call site's stack. */
  settled(sink: Sink<R>, result: R, error: CouchbaseError | undefined): void {
    if (error !== undefined) return sink.error(this.site!.apply(error));
    sink.next(result);
    sink.complete();
  }
}

/** One run of a SingleOp in the batcher: the command, and the sink its final response settles. */
class SingleRun<R extends Result> extends Pending {
  constructor(
    readonly op: SingleOp<R>,
    readonly sink: Sink<R>,
  ) {
    super(0, op.keyOp.cmd);
  }

  override respond(response: Response): void {
    if (!response.final) return;
    const op = this.op;
    const [result, error] = op.core.settle(op.keyOp, [response]);
    op.settled(this.sink, result, error);
  }
}

/** The error of a multi call with failed keys (undefined when none failed): the first one's class, every result attached. */
export function multiError<R extends Result>(where: string, total: number, errors: ReadonlyArray<CouchbaseError | undefined>, all: MultiResult<R>): CouchbaseError | undefined {
  let first: CouchbaseError | undefined;
  let failed = 0;
  for (const e of errors) {
    if (e === undefined) continue;
    first ??= e;
    failed++;
  }
  if (!first) return undefined;
  return CouchbaseError.fromRc(first.rc, {
    message: `${where}: ${failed} of ${total} operations failed; first: ${first.message}`,
    key: first.key, innerCause: first.innerCause, objextra: first.objextra, allResults: all, result: first.result,
  });
}

/** Any exception from validating user input becomes an ArgumentError (e.g. a throwing getter or Proxy). */
export function asCouchbaseError(where: string, error: unknown): CouchbaseError {
  if (error instanceof CouchbaseError) return error;
  return new ArgumentError(`${where}: invalid input: ${(error as Error)?.message ?? String(error)}`, { innerCause: error });
}

