/**
 * replicaFallback: a get that failed because its node could not answer is read from replicas.
 * @module
 */
import { Observable, takeWhile, type OperatorFunction } from 'rxjs';
import type { Cancellable } from '../batcher.js';
import type { Couchbase } from '../connection.js';
import { asCouchbaseError } from '../core/core.js';
import { ConnectError, CouchbaseError, LcbStatus, NetworkError, TimeoutError, rcToExctype } from '../errors/index.js';
import { replicaOp } from '../kv/get.js';
import { CallSite } from '../op.js';
import { checkOptions } from '../options.js';
import { ValueResult } from '../results.js';
import { operatorCore, type OperatorCore } from './internal/core-port.js';
import { readChoice } from './internal/options.js';
import { runKeyOp } from './internal/run-key.js';

/** Options of {@link replicaFallback}. */
export interface ReplicaFallbackOptions {
  /**
   * `'first'`: the first replica to answer stands in for the failed get; `'all'`: every
   * replica's answer is emitted, failed ones included (`success` false, `rc` set). Default `'first'`.
   */
  mode?: 'first' | 'all';
}

/** A result of {@link replicaFallback}: read from a replica when `replica` is true. */
export type MaybeReplica<T = unknown> = ValueResult<T> & {
  /** True when the result was read from a replica (it may be slightly behind the active copy). */
  replica?: true;
};

const FALLBACK_OPTS = ['mode'];

/**
 * Whether a get that failed with `rc` should be read from a replica: the node did not answer
 * in time, could not be reached, or is not the key's node any more. A missing key is an answer.
 */
export function needsReplica(rc: number): boolean {
  const cls = rcToExctype(rc);
  return cls === TimeoutError || cls === NetworkError || cls === ConnectError || rc === LcbStatus.LCB_ERR_NO_MATCHING_SERVER;
}

/**
 * Reads from replicas instead, when a get fails because its node could not answer.
 *
 * <span class="informal">A get with a plan B: a timeout, a network error or a node that is
 * down sends a replica read; a missing key does not.</span>
 *
 * ```
 * get:      --#                    TimeoutError for key k
 * r0:       --r                    replica 0 answers 2 ms after it is asked
 * r1:       ----x                  replica 1 fails (times out) 4 ms after it is asked
 *           replicaFallback(cb)
 * output:   ----(R|)               the first answer; R.replica === true
 *           replicaFallback(cb, { mode: 'all' })
 * output:   ----R-(X|)             one result per replica, the failed one included
 *
 * get:      --#                    NotFoundError
 *           replicaFallback(cb)
 * output:   --#                    passed on as it is
 * ```
 *
 * The source is a get (`cb.get(k)`) or a stream of them (`getEach(cb, { quiet: true })`,
 * whose failed results are read from replicas while the rest pass through). An error
 * notification of that kind ends the source, so the replica reads for its key are the last
 * emissions. With `'first'`, the replica's own failure is an error on the error path and a
 * failed result on the result path; `'all'` never hides one, and when the cluster map lists
 * no replica for the key the original failure stands. Unsubscribing drops the reads in flight.
 *
 * ## Example
 * ```ts
 * import { replicaFallback } from 'couchbase-rx/operators';
 * const r = await lastValueFrom(cb.get('beer:1').pipe(replicaFallback(cb)));
 * if (r.replica) console.log('read from a replica: may be slightly stale');
 * ```
 *
 * @see {@link getEach}
 * @param cb the connection to read replicas with
 * @param options see {@link ReplicaFallbackOptions}
 * @return an operator passing results through and standing replica reads in for failed gets
 */
export function replicaFallback<T = unknown>(cb: Couchbase, options?: ReplicaFallbackOptions): OperatorFunction<ValueResult<T>, MaybeReplica<T>> {
  return replicaFallbackOn(operatorCore(cb), options, CallSite.of(replicaFallback)) as OperatorFunction<ValueResult<T>, MaybeReplica<T>>;
}

/** replicaFallback on a connection core (the marble tests give a fake one). @internal */
export function replicaFallbackOn(core: OperatorCore, options: ReplicaFallbackOptions | undefined, site: CallSite): OperatorFunction<ValueResult, MaybeReplica> {
  const where = 'replicaFallback';
  const o = checkOptions<ReplicaFallbackOptions>(where, options, FALLBACK_OPTS);
  const mode = readChoice(where, 'mode', o.mode, ['first', 'all'] as const);

  return (source) => new Observable<MaybeReplica>((subscriber) => {
    const reads = new Set<Cancellable>();
    let sourceDone = false;
    const finish = (): void => {
      if (sourceDone && reads.size === 0) subscriber.complete();
    };
    const fail = (error: unknown): void => subscriber.error(site.apply(asCouchbaseError(where, error)));

    /**
     * Reads `failed.key` from replicas. `failed` is the source's failed result (emitted quietly)
     * or its error; it stands when no replica exists to answer.
     */
    const fallBack = (key: string, failed: ValueResult | CouchbaseError): void => {
      const quietly = failed instanceof ValueResult;
      let handle: Cancellable | undefined;
      let ended = false;
      const end = (): void => {
        ended = true;
        if (handle) reads.delete(handle);
        finish();
      };
      try {
        handle = mode === 'first'
          ? runKeyOp(core, where, replicaOp(core, where, key, {}), (r, e) => {
            if (e && !quietly) return fail(e);
            subscriber.next(markReplica(r));
            end();
          })
          : everyReplica(core, where, key, (r) => subscriber.next(markReplica(r)), (answers) => {
            if (answers === 0 && !quietly) return fail(failed);
            if (answers === 0) subscriber.next(failed as ValueResult);
            end();
          });
      } catch (error) {
        return fail(error);
      }
      if (!ended) reads.add(handle);
    };

    // takeWhile: a source still pushing synchronously once this fails (before the teardown below
    // is even returned) stops at its next value.
    const subscription = source.pipe(takeWhile(() => !subscriber.closed)).subscribe({
      next: (r) => {
        if (r instanceof ValueResult && !r.success && needsReplica(r.rc)) fallBack(r.key, r);
        else subscriber.next(r);
      },
      error: (error: unknown) => {
        if (!(error instanceof CouchbaseError) || error.key === undefined || !needsReplica(error.rc)) return subscriber.error(error);
        sourceDone = true;
        fallBack(error.key, error);
      },
      complete: () => {
        sourceDone = true;
        finish();
      },
    });
    return () => {
      subscription.unsubscribe();
      for (const h of reads) h.unsubscribe();
      reads.clear();
    };
  });
}

function markReplica(r: ValueResult): MaybeReplica {
  return Object.assign(r, { replica: true as const });
}

/** Replica numbers a bucket can have (libcouchbase reads replica 0..2 by index). */
const REPLICA_INDEXES = [0, 1, 2];

/**
 * Reads `key` from each replica the cluster map lists, one read per replica index, each
 * answer (failed ones included) to `each`; then `end(answers)`. An index the map has no node
 * for (beyond the bucket's replica count, or failed over) is answered at once with
 * LCB_ERR_NO_MATCHING_SERVER and is no replica's answer. (libcouchbase's "every replica" mode
 * would also read the active copy, and refuses outright when one replica is missing.)
 */
function everyReplica(core: OperatorCore, where: string, key: string, each: (r: ValueResult) => void, end: (answers: number) => void): Cancellable {
  let left = REPLICA_INDEXES.length;
  let answers = 0;
  const handles = REPLICA_INDEXES.map((index) => runKeyOp(core, where, replicaOp(core, where, key, { index }), (r) => {
    if (r.rc !== LcbStatus.LCB_ERR_NO_MATCHING_SERVER) {
      answers++;
      each(r);
    }
    if (--left === 0) end(answers);
  }));
  return { unsubscribe: () => handles.forEach((h) => h.unsubscribe()) };
}
