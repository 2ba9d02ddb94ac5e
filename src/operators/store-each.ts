/**
 * storeEach: `[key, value]` pairs or Items in, OperationResults out; ingestion pipelines.
 * @module
 */
import type { OperatorFunction } from 'rxjs';
import type { Couchbase } from '../connection.js';
import { NotSupportedError } from '../errors/index.js';
import type { StoreOptions } from '../kv/context.js';
import type { StoreMode } from '../kv/store.js';
import { CallSite } from '../op.js';
import { checkOptions, readBool, readDurability, readFormat, readTtl } from '../options.js';
import type { OperationResult } from '../results.js';
import { bulkOperator, type BulkRun } from './internal/bulk-operator.js';
import { operatorCore, type OperatorCore } from './internal/core-port.js';
import { DurabilityGate } from './internal/durability-gate.js';
import { readChoice, readConcurrency } from './internal/options.js';
import { runKeyOp } from './internal/run-key.js';
import { storeInputOp, type StoreInput } from './internal/store-input.js';

export type { StoreInput } from './internal/store-input.js';

/** Options of {@link storeEach} (and of the IxJS storeEach in `couchbase-rx/ix`). */
export interface StoreEachOptions extends Omit<StoreOptions, 'cas'> {
  /** `'set'` stores unconditionally, `'add'` only new keys, `'replace'` only existing ones. Default `'set'`. */
  mode?: 'set' | 'add' | 'replace';
  /**
   * Documents in flight at most: sent and not answered (or, with persistTo/replicateTo, not
   * durable) yet, plus, with `ordered`, done and waiting for an earlier one. Default 512.
   */
  concurrency?: number;
  /** Emit results in the order of the inputs instead of as they complete. Default false. */
  ordered?: boolean;
  /**
   * `true`: a document that fails (exists for add, missing for replace, not durable, timed
   * out...) is emitted as a failed result (`success` false, `rc` set), so an ingestion goes on
   * and can count its failures; `false`: the first failure errors the stream. Default false.
   */
  quiet?: boolean;
}

const STORE_EACH_OPTS = ['mode', 'concurrency', 'ordered', 'quiet', 'ttl', 'format', 'persistTo', 'replicateTo'];

/**
 * Stores every document of the source: documents arriving in one tick go out as one native batch.
 *
 * <span class="informal">A setMulti over a stream, as many in flight as `concurrency` allows,
 * each result emitted once stored (and, with persistTo/replicateTo, durable).</span>
 *
 * ```
 * docs:     (abc)|
 * replies:  ----r                 each store answers 4 ms after it is sent
 *           storeEach(cb, { concurrency: 2 })
 * results:  ----(AB)(C|)          a and b in one batch; c goes out when a slot frees
 *
 * docs:     ab|                   b exists already; each store answers after 3 ms
 *           storeEach(cb, { mode: 'add' })
 * results:  ---A#                 the failure errors the stream...
 *           storeEach(cb, { mode: 'add', quiet: true })
 * results:  ---A(B|)              ...or is a failed result (B.success === false)
 * ```
 *
 * Inputs are `[key, value]` pairs or Items (an Item's CAS applies, and the result emitted for
 * it is the Item itself, updated, as with the …Multi calls). With persistTo/replicateTo a
 * document counts as in flight until durable: the stores of one tick are polled together,
 * as {@link durable} does. Backpressure and teardown as in {@link getEach}.
 *
 * ## Example
 * ```ts
 * import { map, range } from 'rxjs';
 * import { storeEach } from 'couchbase-rx/operators';
 * range(0, 100_000).pipe(
 *   map((i) => [`user:${i}`, { id: i }] as const),
 *   storeEach(cb, { persistTo: 1, replicateTo: 1, quiet: true }),
 * ).subscribe((r) => { if (!r.success) failed++; });
 * ```
 *
 * @see {@link durable}
 * @see {@link getEach}
 * @param cb the connection to store with
 * @param options see {@link StoreEachOptions}
 * @return an operator from documents to their OperationResults
 */
export function storeEach<V = unknown>(cb: Couchbase, options?: StoreEachOptions): OperatorFunction<StoreInput<V>, OperationResult> {
  return storeEachOn(operatorCore(cb), options, CallSite.of(storeEach));
}

/** The validated options of a storeEach. @internal */
export interface StoreEachSpec {
  mode: StoreMode;
  concurrency: number;
  ordered: boolean;
  quiet: boolean;
  store: { ttl: number; format: number };
  durability: { persistTo: number; replicateTo: number } | undefined;
}

/** Validates storeEach options (shared with the IxJS version). @internal */
export function readStoreEach(core: OperatorCore, where: string, options: StoreEachOptions | undefined): StoreEachSpec {
  const o = checkOptions<StoreEachOptions>(where, options, STORE_EACH_OPTS);
  const d = readDurability(where, o);
  const durability = d.persistTo === 0 && d.replicateTo === 0 ? undefined : d;
  if (durability && core.memcached) throw new NotSupportedError(`${where}: persistTo/replicateTo are not supported on a memcached:// connection`);
  return {
    mode: readChoice<StoreMode>(where, 'mode', o.mode, ['set', 'add', 'replace']),
    concurrency: readConcurrency(where, o.concurrency),
    ordered: readBool(where, 'ordered', o.ordered, false),
    quiet: readBool(where, 'quiet', o.quiet, false),
    store: { ttl: readTtl(where, o.ttl), format: readFormat(where, o.format, core.defaultFormat) },
    durability,
  };
}

/**
 * Per subscription: how one input starts (store, then the durability gate when asked) and
 * what to dispose. Shared with the IxJS version. @internal
 */
export function storeRun(core: OperatorCore, where: string, spec: StoreEachSpec): BulkRun<unknown, OperationResult> {
  const gate = spec.durability && new DurabilityGate(core, { ...spec.durability, checkRemoved: false });
  return {
    start: (input, done) =>
      runKeyOp(core, where, storeInputOp(core, spec.mode, where, input, spec.store), (r, e) => {
        if (e || !gate) return done(r, spec.quiet ? undefined : e);
        gate.wait(r, (de) => {
          if (de) r.rc = de.rc;
          done(r, spec.quiet ? undefined : de);
        });
      }),
    dispose: () => gate?.dispose(),
  };
}

/** storeEach on a connection core (the marble tests give a fake one). @internal */
export function storeEachOn<V>(core: OperatorCore, options: StoreEachOptions | undefined, site: CallSite): OperatorFunction<StoreInput<V>, OperationResult> {
  const where = 'storeEach';
  const spec = readStoreEach(core, where, options);
  return bulkOperator<StoreInput<V>, OperationResult>({ ...spec, site }, () => storeRun(core, where, spec));
}
