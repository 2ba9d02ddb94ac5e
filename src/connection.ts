/**
 * The `Couchbase` facade: connect/close, the connection's properties, and every key-value call,
 * each delegating to its operation family in `src/kv/` with the connection core.
 * @module
 */
import type { NativeAddon } from './binding.js';
import { bootstrap, type ConnectOptions } from './bootstrap.js';
import type { ConnectionCore } from './core/core.js';
import { ConnectError, CouchbaseError } from './errors/index.js';
import type { ItemCollection } from './items.js';
import type {
  AppendOptions, CounterOptions, DeleteOptions, EndureOptions, GetOptions, LockOptions, ReplicaOptions, StoreOptions, TouchOptions,
} from './kv/context.js';
import { counter, counterMulti } from './kv/counter.js';
import { endure, endureMulti } from './kv/endure.js';
import { get, getMulti, getReplica, getReplicaMulti } from './kv/get.js';
import { lock, lockMulti, unlock, unlockMulti } from './kv/lock.js';
import { observe, observeMulti } from './kv/observe.js';
import { remove, removeMulti } from './kv/remove.js';
import { stats } from './kv/stats.js';
import { append, appendMulti, store, storeMulti } from './kv/store.js';
import { touch, touchMulti } from './kv/touch.js';
import { CallSite, type Op } from './op.js';
import { readFormat } from './options.js';
import type { HttpResult, MultiResult, ObserveResult, OperationResult, Result, StatsResult, ValueResult } from './results.js';
import { FMT_JSON, resolveTranscoder, type Transcoder, type TranscoderLike } from './transcoder.js';
import {
  designCreate, designDelete, designGet, designPublish,
  type DesignCreateOptions, type DesignDeleteOptions, type DesignDocument, type DesignGetOptions, type DesignPublishOptions,
} from './views/design.js';
import type { ViewRow } from './views/rows.js';
import { runQuery, type QueryOptions } from './views/run-query.js';
import type { View } from './views/view.js';

export type { ConnectOptions } from './bootstrap.js';
export type {
  AppendOptions, CounterOptions, DeleteOptions, EndureOptions, GetOptions, LockOptions, ReplicaOptions, StoreOptions, TouchOptions,
} from './kv/context.js';

/** Inputs of the store-family `…Multi` calls. */
export type KeyValues<V = unknown> = Record<string, V> | Map<string, V> | Iterable<[string, V]> | ItemCollection;

let coreOfImpl: (cb: Couchbase) => ConnectionCore;
let openImpl: (options: ConnectOptions | string, addon: NativeAddon | undefined) => Promise<Couchbase>;

/**
 * A connection to one bucket. Create it with {@link Couchbase.connect} (or {@link connect}).
 * Every key-value call returns an {@link Op}: await it, or subscribe to it. One connection is
 * meant to be shared by a whole process (per worker thread); calls of one tick go out as one batch.
 *
 * ```ts
 * const cb = await Couchbase.connect({ bucket: 'default', host: 'localhost' });
 * await cb.set('k', { a: 1 });
 * (await cb.get('k')).value;   // { a: 1 }
 * await cb.close();
 * ```
 *
 * See the guide: docs/guide/02-documents.md.
 */
export class Couchbase {
  #core: ConnectionCore;

  static {
    coreOfImpl = (cb) => cb.#core;
    openImpl = async (options, addon) => new Couchbase(await bootstrap(options, addon));
  }

  private constructor(core: ConnectionCore) {
    this.#core = core;
  }

  /**
   * Connects to a bucket. Host names are resolved asynchronously first.
   *
   * ```ts
   * const cb = await Couchbase.connect({ bucket: 'beer-sample', host: 'localhost', username: 'Administrator', password: 'password' });
   * const cb2 = await Couchbase.connect('couchbase://10.0.0.1,10.0.0.2/default?operation_timeout=5.5');
   * ```
   * @param options connection options, or a connection string
   * @throws ArgumentError for bad options; ConnectError/AuthError/BucketNotFoundError/TimeoutError when bootstrap fails
   */
  static async connect(options: ConnectOptions | string = {}): Promise<Couchbase> {
    return openWithSite(new CallSite(Couchbase.connect), options, undefined);
  }

  // ---------------------------------------------------------------- properties

  /** The bucket this connection is for. */
  get bucket(): string {
    return this.#core.bucket;
  }

  /** The libcouchbase connection string used (host names resolved). */
  get connectionString(): string {
    return this.#core.connectionString;
  }

  /** Suppress NotFoundError on get/delete (see the seed's "Error Handling"). */
  get quiet(): boolean {
    return this.#core.quiet;
  }
  /** Applies to later calls. */
  set quiet(quiet: boolean) {
    this.#core.quiet = Boolean(quiet);
  }

  /** Return raw bytes from gets without decoding. */
  get dataPassthrough(): boolean {
    return this.#core.codec.dataPassthrough;
  }
  /** Applies to later reads. */
  set dataPassthrough(on: boolean) {
    this.#core.codec.dataPassthrough = Boolean(on);
  }

  /** Operation timeout in seconds (default 2.5); settable, applies to later operations. */
  get timeout(): number {
    return this.#core.timeout;
  }
  /** Seconds; applies to operations started afterwards. */
  set timeout(seconds: number) {
    this.#core.timeout = seconds;
  }

  /** Format used by stores without a `format` option. */
  get defaultFormat(): number {
    return this.#core.defaultFormat;
  }
  /** An FMT_* constant; applies to later stores. */
  set defaultFormat(format: number) {
    this.#core.defaultFormat = readFormat('defaultFormat', format, FMT_JSON);
  }

  /** The transcoder in use (a class given at connect time is instantiated). */
  get transcoder(): Transcoder {
    return this.#core.codec.transcoder;
  }
  /** A Transcoder class or instance; null or undefined restores the built-in one. */
  set transcoder(t: TranscoderLike | null | undefined) {
    this.#core.codec.transcoder = resolveTranscoder(t ?? undefined);
  }

  /** The KV nodes of the current cluster configuration, as "host:port". */
  get serverNodes(): string[] {
    return this.#core.closed ? [] : this.#core.native.serverNodes();
  }

  /** libcouchbase's version string. */
  get lcbVersion(): string {
    return this.#core.lcbVersion;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#core.closed;
  }

  /**
   * Batching statistics, for tests and benchmarks: submits, commands and deliveries (calls into and
   * back from the addon), `outstanding` (awaiting their final response), and from the native
   * connection `inflight` (in libcouchbase), `queued` (waiting for room) and `maxOutstanding`
   * (the most ever in libcouchbase at once). @internal
   */
  get batchStats(): Readonly<{ submits: number; commands: number; deliveries: number; maxOutstanding: number; outstanding: number; inflight: number; queued: number }> {
    const b = this.#core.batcher;
    const n = this.#core.native.stats?.();
    return { ...b.stats, outstanding: b.outstanding, inflight: n?.inflight ?? 0, queued: n?.queued ?? 0, maxOutstanding: n?.maxInflight ?? 0 };
  }

  /**
   * Closes the connection: pending operations fail, every native resource is released.
   * Later calls fail with ObjectDestroyedError. Idempotent.
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  // ---------------------------------------------------------------- key-value

  /**
   * Gets a document (the seed's `get`). With `ttl`, also touches it (get-and-touch); with
   * `replica`, reads from a replica; with `noFormat`, returns the raw bytes.
   * @throws NotFoundError when missing (unless quiet), ValueFormatError when undecodable
   */
  get<T = unknown>(key: string, options?: GetOptions): Op<ValueResult<T>> {
    return get(this.#core, CallSite.ofOperation(this.get), key, options) as Op<ValueResult<T>>;
  }

  /** Stores a document unconditionally (or only if `cas` matches). */
  set(key: string, value: unknown, options?: StoreOptions): Op<OperationResult> {
    return store(this.#core, CallSite.ofOperation(this.set), 'set', key, value, options);
  }

  /** Stores a document only if the key does not exist (KeyExistsError otherwise). */
  add(key: string, value: unknown, options?: Omit<StoreOptions, 'cas'>): Op<OperationResult> {
    return store(this.#core, CallSite.ofOperation(this.add), 'add', key, value, options);
  }

  /** Replaces an existing document (NotFoundError when missing). */
  replace(key: string, value: unknown, options?: StoreOptions): Op<OperationResult> {
    return store(this.#core, CallSite.ofOperation(this.replace), 'replace', key, value, options);
  }

  /** Deletes a document. */
  delete(key: string, options?: DeleteOptions): Op<OperationResult> {
    return remove(this.#core, CallSite.ofOperation(this.delete), key, options);
  }

  /** Increments a counter; value of the result = the new counter (number, or bigint above 2^53). */
  incr(key: string, options?: CounterOptions): Op<ValueResult<number | bigint>> {
    return counter(this.#core, CallSite.ofOperation(this.incr), false, key, options) as Op<ValueResult<number | bigint>>;
  }

  /** Decrements a counter (never below 0). */
  decr(key: string, options?: CounterOptions): Op<ValueResult<number | bigint>> {
    return counter(this.#core, CallSite.ofOperation(this.decr), true, key, options) as Op<ValueResult<number | bigint>>;
  }

  /** Appends a string or bytes to a value stored as FMT_UTF8 or FMT_BYTES. */
  append(key: string, fragment: string | Uint8Array, options?: AppendOptions): Op<OperationResult> {
    return append(this.#core, CallSite.ofOperation(this.append), false, key, fragment, options);
  }

  /** Prepends a string or bytes to a value stored as FMT_UTF8 or FMT_BYTES. */
  prepend(key: string, fragment: string | Uint8Array, options?: AppendOptions): Op<OperationResult> {
    return append(this.#core, CallSite.ofOperation(this.prepend), true, key, fragment, options);
  }

  /** Sets a key's expiry (0 clears it). */
  touch(key: string, options?: TouchOptions): Op<OperationResult> {
    return touch(this.#core, CallSite.ofOperation(this.touch), key, options);
  }

  /** Gets and locks a document for `ttl` seconds (0 = server default, max 30). Others get TemporaryFailError until unlock or a store with the CAS. */
  lock<T = unknown>(key: string, options?: LockOptions): Op<ValueResult<T>> {
    return lock(this.#core, CallSite.ofOperation(this.lock), key, options) as Op<ValueResult<T>>;
  }

  /** Unlocks a key locked with lock(); `cas` is the lock's CAS (required). */
  unlock(key: string, cas: bigint): Op<OperationResult> {
    return unlock(this.#core, CallSite.ofOperation(this.unlock), key, cas);
  }

  /** Reads from a replica (the seed's `rget`): the first to answer, or replica `index`. */
  getReplica<T = unknown>(key: string, options?: ReplicaOptions): Op<ValueResult<T>> {
    return getReplica(this.#core, CallSite.ofOperation(this.getReplica), key, options) as Op<ValueResult<T>>;
  }

  /** Observes a key on every node holding its vBucket (master first). */
  observe(key: string): Op<ObserveResult> {
    return observe(this.#core, CallSite.ofOperation(this.observe), key);
  }

  /**
   * Waits until a mutation is persisted on `persistTo` nodes and replicated to `replicateTo`
   * replicas (or, with `checkRemoved`, its removal is), polling observe with exponential backoff.
   * @throws DurabilityError when the cluster cannot meet the requirement; TimeoutError when not met in time
   */
  endure(key: string, options?: EndureOptions): Op<OperationResult> {
    return endure(this.#core, CallSite.ofOperation(this.endure), key, options);
  }

  /** Server statistics (the seed's `stats`): `result[statName][server] = value`. */
  stats(name = ''): Op<StatsResult> {
    return stats(this.#core, CallSite.ofOperation(this.stats), name);
  }

  // ---------------------------------------------------------------- views

  /**
   * Queries a view (the seed's `query`): a {@link View} of its rows, both an Observable and an
   * AsyncIterable, fetched a page at a time. Nothing is sent until it is subscribed to or iterated.
   *
   * ```ts
   * for await (const row of cb.query('beer', 'brewery_beers', { limit: 5, includeDocs: true })) {
   *   console.log(row.key, row.docid, row.doc?.value);
   * }
   * ```
   */
  query<T = ViewRow>(design: string, view: string, options?: QueryOptions<T>): View<T> {
    return runQuery(this.#core, this, CallSite.of(this.query), design, view, options);
  }

  /** Creates (or replaces) a design document, as a development one (`dev_`) by default. */
  designCreate(name: string, design: DesignDocument | string, options?: DesignCreateOptions): Op<HttpResult> {
    return designCreate(this.#core, CallSite.of(this.designCreate), name, design, options);
  }

  /** Reads a design document (the development one by default). */
  designGet(name: string, options?: DesignGetOptions): Op<HttpResult> {
    return designGet(this.#core, CallSite.of(this.designGet), name, options);
  }

  /** Publishes the development design document `dev_<name>` as the production `<name>` (and removes the development one). */
  designPublish(name: string, options?: DesignPublishOptions): Op<HttpResult> {
    return designPublish(this.#core, CallSite.of(this.designPublish), name, options);
  }

  /** Deletes a design document (the development one by default). */
  designDelete(name: string, options?: DesignDeleteOptions): Op<HttpResult> {
    return designDelete(this.#core, CallSite.of(this.designDelete), name, options);
  }

  // ---------------------------------------------------------------- multi forms

  /** getMulti(keys | Record/Map key → GetOptions | items, options): one batch. */
  getMulti<T = unknown>(keys: Iterable<string> | Record<string, GetOptions> | Map<string, GetOptions> | ItemCollection, options?: GetOptions): Op<MultiResult<ValueResult<T>>> {
    return getMulti(this.#core, CallSite.of(this.getMulti), keys, options) as Op<MultiResult<ValueResult<T>>>;
  }

  /** setMulti(Record/Map key → value | [key, value] pairs | items, options). */
  setMulti(kv: KeyValues, options?: StoreOptions): Op<MultiResult<OperationResult>> {
    return storeMulti(this.#core, CallSite.of(this.setMulti), 'set', kv, options);
  }

  /** addMulti: like setMulti, failing keys that exist. */
  addMulti(kv: KeyValues, options?: Omit<StoreOptions, 'cas'>): Op<MultiResult<OperationResult>> {
    return storeMulti(this.#core, CallSite.of(this.addMulti), 'add', kv, options);
  }

  /** replaceMulti: like setMulti, failing keys that are missing. */
  replaceMulti(kv: KeyValues, options?: StoreOptions): Op<MultiResult<OperationResult>> {
    return storeMulti(this.#core, CallSite.of(this.replaceMulti), 'replace', kv, options);
  }

  /** appendMulti(Record/Map key → fragment | items with `fragment`, options). */
  appendMulti(kv: KeyValues<string | Uint8Array>, options?: AppendOptions): Op<MultiResult<OperationResult>> {
    return appendMulti(this.#core, CallSite.of(this.appendMulti), false, 'appendMulti', kv, options);
  }

  /** prependMulti(Record/Map key → fragment | items with `fragment`, options). */
  prependMulti(kv: KeyValues<string | Uint8Array>, options?: AppendOptions): Op<MultiResult<OperationResult>> {
    return appendMulti(this.#core, CallSite.of(this.prependMulti), true, 'prependMulti', kv, options);
  }

  /** Appends each item's `fragment` option to it (the seed's `append_items`); item values are updated. */
  appendItems(items: ItemCollection, options?: AppendOptions): Op<MultiResult<OperationResult>> {
    return appendMulti(this.#core, CallSite.of(this.appendItems), false, 'appendItems', items, options);
  }

  /** Prepends each item's `fragment` option to it (the seed's `prepend_items`). */
  prependItems(items: ItemCollection, options?: AppendOptions): Op<MultiResult<OperationResult>> {
    return appendMulti(this.#core, CallSite.of(this.prependItems), true, 'prependItems', items, options);
  }

  /** deleteMulti(keys | Record/Map key → cas or DeleteOptions | items, options). */
  deleteMulti(keys: Iterable<string> | Record<string, bigint | DeleteOptions> | Map<string, bigint | DeleteOptions> | ItemCollection, options?: DeleteOptions): Op<MultiResult<OperationResult>> {
    return removeMulti(this.#core, CallSite.of(this.deleteMulti), keys, options);
  }

  /** incrMulti(keys | Record/Map key → amount or CounterOptions, options). */
  incrMulti(keys: Iterable<string> | Record<string, number | bigint | CounterOptions> | Map<string, number | bigint | CounterOptions> | ItemCollection, options?: CounterOptions): Op<MultiResult<ValueResult<number | bigint>>> {
    return counterMulti(this.#core, CallSite.of(this.incrMulti), false, keys, options) as Op<MultiResult<ValueResult<number | bigint>>>;
  }

  /** decrMulti(keys | Record/Map key → amount or CounterOptions, options). */
  decrMulti(keys: Iterable<string> | Record<string, number | bigint | CounterOptions> | Map<string, number | bigint | CounterOptions> | ItemCollection, options?: CounterOptions): Op<MultiResult<ValueResult<number | bigint>>> {
    return counterMulti(this.#core, CallSite.of(this.decrMulti), true, keys, options) as Op<MultiResult<ValueResult<number | bigint>>>;
  }

  /** touchMulti(keys | Record/Map key → ttl or TouchOptions, options). */
  touchMulti(keys: Iterable<string> | Record<string, number | TouchOptions> | Map<string, number | TouchOptions> | ItemCollection, options?: TouchOptions): Op<MultiResult<OperationResult>> {
    return touchMulti(this.#core, CallSite.of(this.touchMulti), keys, options);
  }

  /** lockMulti(keys | Record/Map key → ttl or LockOptions, options). */
  lockMulti<T = unknown>(keys: Iterable<string> | Record<string, number | LockOptions> | Map<string, number | LockOptions> | ItemCollection, options?: LockOptions): Op<MultiResult<ValueResult<T>>> {
    return lockMulti(this.#core, CallSite.of(this.lockMulti), keys, options) as Op<MultiResult<ValueResult<T>>>;
  }

  /** unlockMulti(Record/Map key → cas | results of lockMulti | items). */
  unlockMulti(keys: Record<string, bigint> | Map<string, bigint | Result> | ItemCollection): Op<MultiResult<OperationResult>> {
    return unlockMulti(this.#core, CallSite.of(this.unlockMulti), keys);
  }

  /** getReplicaMulti(keys, options). */
  getReplicaMulti<T = unknown>(keys: Iterable<string> | ItemCollection, options?: ReplicaOptions): Op<MultiResult<ValueResult<T>>> {
    return getReplicaMulti(this.#core, CallSite.of(this.getReplicaMulti), keys, options) as Op<MultiResult<ValueResult<T>>>;
  }

  /** observeMulti(keys | items). */
  observeMulti(keys: Iterable<string> | ItemCollection): Op<MultiResult<ObserveResult>> {
    return observeMulti(this.#core, CallSite.of(this.observeMulti), keys);
  }

  /** endureMulti(keys | Record/Map key → cas | results of a …Multi store | items (their CAS), options). */
  endureMulti(keys: Iterable<string> | Record<string, bigint> | Map<string, bigint | Result> | ItemCollection, options?: EndureOptions): Op<MultiResult<OperationResult>> {
    return endureMulti(this.#core, CallSite.of(this.endureMulti), keys, options);
  }
}

async function openWithSite(site: CallSite, options: ConnectOptions | string, addon: NativeAddon | undefined): Promise<Couchbase> {
  try {
    return await openImpl(options, addon);
  } catch (error) {
    throw site.apply(error instanceof CouchbaseError ? error
      : new ConnectError(`connect failed: ${(error as Error)?.message ?? String(error)}`, { innerCause: error }));
  }
}

/**
 * Connects to a bucket: the same as {@link Couchbase.connect}.
 *
 * ```ts
 * import { connect } from 'couchbase-rx';
 * const cb = await connect({ connectionString: 'couchbase://localhost/default', username: 'Administrator', password: 'password' });
 * console.log(String(await cb.get('k', { quiet: true })));
 * await cb.close();
 * ```
 * @param options connection options, or a connection string
 */
export function connect(options: ConnectOptions | string = {}): Promise<Couchbase> {
  return openWithSite(new CallSite(connect), options, undefined);
}

/** The connection core behind a facade: what views, design documents and operators work with. @internal */
export function coreOf(cb: Couchbase): ConnectionCore {
  if (!(cb instanceof Couchbase)) throw new TypeError('expected a Couchbase connection');
  return coreOfImpl(cb);
}

/** Connects with a given addon instead of the built one (the tests' fake native). @internal */
export function connectWithAddon(addon: NativeAddon, options: ConnectOptions | string = {}): Promise<Couchbase> {
  return openWithSite(new CallSite(connectWithAddon), options, addon);
}
