/**
 * getEach: keys in, ValueResults out, in batches, with a bound on keys in flight.
 * @module
 */
import type { OperatorFunction } from 'rxjs';
import type { Couchbase } from '../connection.js';
import { getOp } from '../kv/get.js';
import type { GetOptions } from '../kv/context.js';
import { CallSite } from '../op.js';
import { checkOptions, readBool, readTtl } from '../options.js';
import type { ValueResult } from '../results.js';
import { bulkOperator, type BulkRun } from './internal/bulk-operator.js';
import { operatorCore, type OperatorCore } from './internal/core-port.js';
import { readConcurrency } from './internal/options.js';
import { runKeyOp } from './internal/run-key.js';

/** Options of {@link getEach} (and of the IxJS getEach in `couchbase-rx/ix`). */
export interface GetEachOptions extends Omit<GetOptions, 'quiet'> {
  /**
   * Keys in flight at most: sent and not answered yet, plus, with `ordered`, answered and
   * waiting for an earlier key. Default 512 (the native connection's own bound).
   */
  concurrency?: number;
  /** Emit results in the order of the keys instead of as they complete. Default false. */
  ordered?: boolean;
  /**
   * `true`: a key that fails (missing, timed out, undecodable...) is emitted as a failed result
   * (`success` false, `rc` set) and the stream goes on; `false`: any failed key, a missing one
   * included, errors the stream. Default: a missing key follows the connection's `quiet`, as
   * `get` does, and any other failure errors the stream.
   */
  quiet?: boolean;
}

const GET_EACH_OPTS = ['concurrency', 'ordered', 'quiet', 'ttl', 'replica', 'noFormat'];

/**
 * Reads every key of the source: keys arriving in one tick go out as one native batch.
 *
 * <span class="informal">A multi-get over a stream of keys, as many in flight as
 * `concurrency` allows, the source read no faster than the results drain.</span>
 *
 * ```
 * keys:     (abcd)|
 * replies:  -----r                each key answers 5 ms after it is sent
 *           getEach(cb, { concurrency: 2 })
 * results:  -----(AB)-(CD|)       a and b go out as one batch, c and d as the next
 *
 * keys:     ab|                   a answers after 4 ms, b after 1 ms
 *           getEach(cb)
 * results:  --B-(A|)              completion order
 *           getEach(cb, { ordered: true })
 * results:  ----(AB|)             source order
 * ```
 *
 * At most `concurrency` keys are in flight. A pullable source (an Observable that is also an
 * AsyncIterable, such as a view or {@link pullable}) is pulled one key per free slot, so an
 * endless source runs in bounded memory; a plain Observable pushes, and the keys it pushes
 * beyond the free slots wait in a queue. A failed key errors the stream (see `quiet`);
 * unsubscribing drops the keys in flight and sends nothing more.
 *
 * ## Example
 * ```ts
 * import { from } from 'rxjs';
 * import { getEach } from 'couchbase-rx/operators';
 * from(['beer:1', 'beer:2', 'beer:3']).pipe(getEach(cb, { concurrency: 100 }))
 *   .subscribe((r) => console.log(r.key, r.value));
 * ```
 *
 * @see {@link storeEach}
 * @see {@link replicaFallback}
 * @param cb the connection to read from
 * @param options see {@link GetEachOptions}
 * @return an operator from keys to their ValueResults
 */
export function getEach<T = unknown>(cb: Couchbase, options?: GetEachOptions): OperatorFunction<string, ValueResult<T>> {
  return getEachOn(operatorCore(cb), options, CallSite.of(getEach)) as OperatorFunction<string, ValueResult<T>>;
}

/** The validated options of a getEach. @internal */
export interface GetEachSpec {
  concurrency: number;
  ordered: boolean;
  /** undefined: a missing key follows the connection's quiet, other failures are errors. */
  quiet: boolean | undefined;
  get: GetOptions;
}

/** Validates getEach options (shared with the IxJS version). @internal */
export function readGetEach(where: string, options: GetEachOptions | undefined): GetEachSpec {
  const o = checkOptions<GetEachOptions>(where, options, GET_EACH_OPTS);
  const quiet = o.quiet === undefined ? undefined : readBool(where, 'quiet', o.quiet, false);
  return {
    concurrency: readConcurrency(where, o.concurrency),
    ordered: readBool(where, 'ordered', o.ordered, false),
    quiet,
    get: {
      quiet, ttl: o.ttl === undefined ? undefined : readTtl(where, o.ttl),
      replica: readBool(where, 'replica', o.replica, false), noFormat: readBool(where, 'noFormat', o.noFormat, false),
    },
  };
}

/** How one key starts (shared with the IxJS version). @internal */
export function getRun(core: OperatorCore, where: string, spec: GetEachSpec): BulkRun<string, ValueResult> {
  return {
    start: (key, done) => runKeyOp(core, where, getOp(core, where, key, spec.get), (r, e) => done(r, spec.quiet ? undefined : e)),
  };
}

/** getEach on a connection core (the marble tests give a fake one). @internal */
export function getEachOn(core: OperatorCore, options: GetEachOptions | undefined, site: CallSite): OperatorFunction<string, ValueResult> {
  const where = 'getEach';
  const spec = readGetEach(where, options);
  return bulkOperator<string, ValueResult>({ ...spec, site }, () => getRun(core, where, spec));
}
