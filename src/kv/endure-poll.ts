/**
 * Endure polling as an RxJS piece: observe rounds for every pending key in one batch, spaced by
 * an exponential backoff on RxJS timers (so a TestScheduler drives it in virtual time), until each
 * key is durable, can never be, or the timeout passes. A node that refuses a key as not its own
 * (NOT_MY_VBUCKET: a failover or rebalance the client's map has not caught up with) decides
 * nothing; the next round asks the refreshed map's nodes. Unsubscribing cancels the round in flight
 * and the timer. Used by endure()/endureMulti(), the durability phase of stores, and durable().
 * @internal
 * @module
 */
import { Observable, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { CouchbaseError, LcbStatus, TimeoutError } from '../errors/index.js';
import type { ObserveResult } from '../results.js';
import { evaluateDurability, refusedNodes, type DurabilityProgress, type DurabilityRequirement } from './observe.js';

/** Delays between observe rounds, in seconds: `initial`, then × `factor` each round, at most `max`. */
export interface Backoff {
  /** Delay after the first round. Default 0.01 s. */
  initial: number;
  /** Growth per round. Default 1.5. */
  factor: number;
  /** Cap on one delay. Default 0.25 s. */
  max: number;
}

/** The defaults stated in docs/api.md ("Durability"). */
export const DEFAULT_BACKOFF: Readonly<Backoff> = Object.freeze({ initial: 0.01, factor: 1.5, max: 0.25 });

/** What to poll for and for how long. */
export interface PollSpec extends DurabilityRequirement {
  /** Seconds from the start until pending keys fail with TimeoutError. */
  timeout: number;
  backoff: Backoff;
}

/** One mutation to wait for. */
export interface EndureTarget {
  key: string;
  /** The mutation's CAS (0n: any). */
  cas: bigint;
}

/** One key's outcome: `index` into the targets, `error` when it failed. */
export interface EndureVerdict {
  index: number;
  error?: CouchbaseError;
}

/**
 * One observe round for these keys, in one batch: emits one entry per key (its ObserveResult, or
 * the error observing it raised), in the keys' order, then completes.
 */
export type ObserveRound = (keys: readonly string[]) => Observable<ReadonlyArray<ObserveResult | CouchbaseError>>;

/** The delay in seconds before round `k + 1` (k = 0 after the first round). */
export function backoffDelay(b: Backoff, k: number): number {
  return Math.min(b.initial * b.factor ** k, b.max);
}

/**
 * Polls until every target has a verdict: emits one {@link EndureVerdict} per target as it is
 * decided, then completes. Round k+1 starts `backoffDelay(k)` after round k answered, never past
 * the deadline; keys still pending after the round at the deadline fail with TimeoutError naming
 * what they reached.
 */
export function pollDurability(
  observe: ObserveRound,
  targets: readonly EndureTarget[],
  spec: PollSpec,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<EndureVerdict> {
  return new Observable<EndureVerdict>((subscriber) => {
    const deadline = scheduler.now() + spec.timeout * 1000;
    let pending = targets.map((_, i) => i);
    const progress = new Array<DurabilityProgress | undefined>(targets.length);
    let inFlight: Subscription | undefined;
    let round = 0;

    const settle = (answers: ReadonlyArray<ObserveResult | CouchbaseError>): void => {
      const still: number[] = [];
      pending.forEach((i, j) => {
        const a = answers[j];
        const t = targets[i]!;
        if (a === undefined) return subscriber.next({ index: i, error: CouchbaseError.fromRc(LcbStatus.LCB_ERR_SDK_INTERNAL, { key: t.key, message: 'endure: observe gave no answer for the key' }) });
        if (a instanceof CouchbaseError) {
          // Every node the map named refused the key as not theirs: ask again on the refreshed map.
          if (a.rc === LcbStatus.LCB_ERR_NOT_MY_VBUCKET) return void still.push(i);
          return subscriber.next({ index: i, error: a });
        }
        const verdict = evaluateDurability(t.key, a.value, { ...spec, cas: t.cas }, refusedNodes(a));
        if (verdict instanceof CouchbaseError) return subscriber.next({ index: i, error: verdict });
        if (verdict.met) return subscriber.next({ index: i });
        progress[i] = verdict;
        still.push(i);
      });
      pending = still;
      if (pending.length === 0) return subscriber.complete();
      const left = deadline - scheduler.now();
      if (left <= 0) {
        for (const i of pending) subscriber.next({ index: i, error: timeoutError(targets[i]!.key, spec, progress[i]) });
        return subscriber.complete();
      }
      const delay = Math.min(backoffDelay(spec.backoff, round++) * 1000, left);
      subscriber.add(scheduler.schedule(poll, delay));
    };

    const poll = (): void => {
      let answered = false;
      inFlight = observe(pending.map((i) => targets[i]!.key)).subscribe({
        next: (answers) => {
          answered = true;
          settle(answers);
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          if (!answered) subscriber.error(CouchbaseError.fromRc(LcbStatus.LCB_ERR_SDK_INTERNAL, { message: 'endure: an observe round ended without answers' }));
        },
      });
      subscriber.add(inFlight);
    };

    if (targets.length === 0) subscriber.complete();
    else poll();
  });
}

function timeoutError(key: string, spec: PollSpec, p: DurabilityProgress | undefined): TimeoutError {
  const reached = p ? `persisted on ${p.persisted}, replicated to ${p.replicated}` : 'nothing observed';
  return new TimeoutError(
    `endure: durability requirements (persistTo=${spec.persistTo}, replicateTo=${spec.replicateTo}) not met within ${spec.timeout}s (reached: ${reached})`,
    { key, rc: LcbStatus.LCB_ERR_TIMEOUT },
  );
}
