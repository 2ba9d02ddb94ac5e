/**
 * Waits for mutation results to become durable, for durable() and storeEach with
 * persistTo/replicateTo. Results handed in during one tick are polled together by the core's
 * endure poller (one observe batch per round for every pending key, exponential backoff); a
 * later tick starts its own poll. The poller's timeout and CAS-changed verdicts become
 * DurabilityErrors naming the key and what was reached.
 * @internal
 * @module
 */
import { asapScheduler, Subscription, type SchedulerLike } from 'rxjs';
import { CouchbaseError, DurabilityError, KeyExistsError, TimeoutError } from '../../errors/index.js';
import type { Backoff } from '../../kv/endure-poll.js';
import type { Result } from '../../results.js';
import type { OperatorCore } from './core-port.js';

/** What to wait for; timeout (seconds) and backoff default to the core's. */
export interface GateSpec {
  persistTo: number;
  replicateTo: number;
  checkRemoved: boolean;
  timeout?: number;
  backoff?: Backoff;
}

/** Called once per result: undefined when durable, else why not. */
export type GateDone = (error: CouchbaseError | undefined) => void;

export class DurabilityGate {
  /** Results handed in and not reported yet. */
  pending = 0;
  readonly #core: OperatorCore;
  readonly #spec: GateSpec;
  readonly #scheduler: SchedulerLike;
  /** Every poll and the scheduled grouping; one unsubscribe ends them all. */
  readonly #subscriptions = new Subscription();
  #group: Array<{ result: Result; done: GateDone }> = [];
  #tick: Subscription | undefined;

  constructor(core: OperatorCore, spec: GateSpec, scheduler: SchedulerLike = asapScheduler) {
    this.#core = core;
    this.#spec = spec;
    this.#scheduler = scheduler;
  }

  wait(result: Result, done: GateDone): void {
    if (this.#subscriptions.closed) return;
    this.pending++;
    this.#group.push({ result, done });
    if (this.#tick === undefined) {
      this.#tick = this.#scheduler.schedule(() => this.#poll());
      this.#subscriptions.add(this.#tick);
    }
  }

  /** Stops every poll and timer; nothing is reported afterwards. */
  dispose(): void {
    this.#subscriptions.unsubscribe();
    this.#group = [];
    this.pending = 0;
  }

  #poll(): void {
    this.#subscriptions.remove(this.#tick!);
    this.#tick = undefined;
    const group = this.#group;
    this.#group = [];
    const open = new Array<boolean>(group.length).fill(true);
    const report = (i: number, error: CouchbaseError | undefined): void => {
      if (!open[i] || this.#subscriptions.closed) return;
      open[i] = false;
      this.pending--;
      group[i]!.done(error);
    };
    let poll: Subscription | undefined;
    let ended = false;
    const end = (): void => {
      ended = true;
      if (poll) this.#subscriptions.remove(poll);
    };
    poll = this.#core.endure(group.map(({ result }) => ({ key: result.key, cas: result.cas })), this.#spec).subscribe({
      next: ({ index, error }) => report(index, error && asDurabilityError(error, group[index]!.result)),
      error: (error: CouchbaseError) => {
        end();
        group.forEach((_, i) => report(i, error));
      },
      complete: end,
    });
    if (!ended) this.#subscriptions.add(poll);
  }
}

/** The poller's verdict as the operators report it: timeouts and CAS changes are DurabilityErrors. */
function asDurabilityError(error: CouchbaseError, result: Result): CouchbaseError {
  let e = error;
  if (error instanceof TimeoutError || error instanceof KeyExistsError) {
    e = new DurabilityError(error.message, { key: error.key ?? result.key, rc: error.rc, innerCause: error });
  }
  e.result = result;
  return e;
}
