/**
 * durable: mutation results in, the same results out once persisted/replicated as asked.
 * @module
 */
import { Observable, takeWhile, type MonoTypeOperatorFunction } from 'rxjs';
import type { Couchbase } from '../connection.js';
import { NotSupportedError } from '../errors/index.js';
import { readBackoff } from '../kv/endure.js';
import { CallSite } from '../op.js';
import { argError, checkOptions, readBool, readDurability, readSeconds } from '../options.js';
import { Result } from '../results.js';
import { operatorCore, type OperatorCore } from './internal/core-port.js';
import { DurabilityGate, type GateSpec } from './internal/durability-gate.js';

/** Options of {@link durable}. */
export interface DurableOptions {
  /** Nodes (master included) that must have persisted the mutation, 0..4. Default 0. */
  persistTo?: number;
  /** Replicas that must hold the mutation, 0..3. Default 0. At least one of the two must be above 0. */
  replicateTo?: number;
  /** Wait for the removal of the keys (results of deletes) instead of their mutation. Default false. */
  checkRemoved?: boolean;
  /** Seconds a result may wait before it fails with DurabilityError. Default: 5, or the connection's timeout if longer. */
  timeout?: number;
  /** Delays between observe rounds, in seconds. */
  backoff?: {
    /** The delay after the first round. Default 0.01. */
    initial?: number;
    /** Growth of the delay after each round. Default 1.5. */
    factor?: number;
    /** Cap on one delay. Default 0.25. */
    max?: number;
  };
  /**
   * `true`: a result whose durability fails is emitted with its `rc` set (`success` false) and
   * the stream goes on; `false`: the failure errors the stream. Default false.
   */
  quiet?: boolean;
}

const DURABLE_OPTS = ['persistTo', 'replicateTo', 'checkRemoved', 'timeout', 'backoff', 'quiet'];

/**
 * Emits each mutation result once the cluster has persisted and replicated it as asked.
 *
 * <span class="informal">endureMulti over a stream: results arriving in one tick are
 * observed together, one observe batch per round, with exponential backoff.</span>
 *
 * ```
 * results:  ab|                    a is durable at the second observe round, b at the first
 *           durable(cb, { persistTo: 1, replicateTo: 1 })
 * output:   --B----(A|)            (observe answers in 1 ms; backoff 5 ms)
 *
 * results:  a|                     the key's vBucket has one replica
 *           durable(cb, { replicateTo: 2 })
 * output:   -#                     DurabilityError at the first round, no waiting
 * ```
 *
 * Results that are already failures pass through untouched. A requirement the cluster cannot
 * meet fails at once with DurabilityError; so do, later, a CAS that changes while polling and
 * the timeout, naming the key and what was reached. Unsubscribing stops every poll and timer.
 *
 * ## Example
 * ```ts
 * import { durable, storeEach } from 'couchbase-rx/operators';
 * docs$.pipe(storeEach(cb), durable(cb, { persistTo: 1, replicateTo: 1 })).subscribe(...);
 * ```
 *
 * @see {@link storeEach}
 * @param cb the connection to observe with
 * @param options see {@link DurableOptions}
 * @return an operator emitting each result once durable
 */
export function durable<R extends Result>(cb: Couchbase, options: DurableOptions): MonoTypeOperatorFunction<R> {
  return durableOn<R>(operatorCore(cb), options, CallSite.of(durable));
}

/** durable on a connection core (the marble tests give a fake one). @internal */
export function durableOn<R extends Result>(core: OperatorCore, options: DurableOptions | undefined, site: CallSite): MonoTypeOperatorFunction<R> {
  const where = 'durable';
  const o = checkOptions<DurableOptions>(where, options, DURABLE_OPTS);
  const d = readDurability(where, o);
  if (d.persistTo === 0 && d.replicateTo === 0) throw argError(`${where}: give persistTo and/or replicateTo`, options);
  if (core.memcached) throw new NotSupportedError(`${where}: durability requirements are not supported on a memcached:// connection`);
  const spec: GateSpec = {
    ...d,
    checkRemoved: readBool(where, 'checkRemoved', o.checkRemoved, false),
    timeout: o.timeout === undefined ? undefined : readSeconds(where, 'timeout', o.timeout, 5),
    backoff: o.backoff === undefined ? undefined : readBackoff(where, o),
  };
  const quiet = readBool(where, 'quiet', o.quiet, false);

  return (source) => new Observable<R>((subscriber) => {
    const gate = new DurabilityGate(core, spec);
    let sourceDone = false;
    const finish = (): void => {
      if (sourceDone && gate.pending === 0) subscriber.complete();
    };
    // takeWhile: a source still pushing synchronously once this fails (before the teardown below
    // is even returned) stops at its next value.
    const subscription = source.pipe(takeWhile(() => !subscriber.closed)).subscribe({
      next: (result) => {
        if (!(result instanceof Result)) {
          subscriber.error(site.apply(argError(`${where}: expected mutation results (Result objects)`, result)));
          return;
        }
        if (!result.success) {
          subscriber.next(result);
          return;
        }
        gate.wait(result, (error) => {
          if (error && !quiet) return subscriber.error(site.apply(error));
          if (error) result.rc = error.rc;
          subscriber.next(result);
          finish();
        });
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        sourceDone = true;
        finish();
      },
    });
    return () => {
      subscription.unsubscribe();
      gate.dispose();
    };
  });
}
