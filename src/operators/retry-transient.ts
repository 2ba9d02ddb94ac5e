/**
 * retryTransient: resubscribe after a temporary failure or a timeout, with backoff and jitter.
 * @module
 */
import { retry, throwError, timer, type MonoTypeOperatorFunction } from 'rxjs';
import { TemporaryFailError, TimeoutError } from '../errors/index.js';
import { argError, checkOptions, readSeconds, readUint } from '../options.js';

/** Options of {@link retryTransient}. */
export interface RetryTransientOptions {
  /** Resubscriptions at most; the error after the last one is passed on. Default 5. */
  maxRetries?: number;
  /** Seconds before the first retry; each later delay doubles. Default 0.01. */
  initialDelay?: number;
  /** Cap on one delay, in seconds. Default 1. */
  maxDelay?: number;
  /**
   * Share of each delay drawn at random, 0..1: the delay is `base × (1 − jitter × random())`,
   * so that clients failing together do not retry together. Default 0.5.
   */
  jitter?: number;
  /** The random source for the jitter, returning [0, 1). Default `Math.random`. */
  random?: () => number;
}

const RETRY_OPTS = ['maxRetries', 'initialDelay', 'maxDelay', 'jitter', 'random'];

/** The errors worth another try: the server asked to come back later (or the key is locked), or it did not answer in time. */
export function isRetryable(error: unknown): boolean {
  return error instanceof TemporaryFailError || error instanceof TimeoutError;
}

/**
 * Resubscribes to the source after a TemporaryFailError (a locked key included) or a
 * TimeoutError, waiting longer each time.
 *
 * <span class="informal">Operations are cold, so a retry really sends the operation again.</span>
 *
 * ```
 * source:   -#                     TemporaryFailError on the first two subscriptions, then -(a|)
 *           retryTransient({ initialDelay: 0.01, jitter: 0 })
 * output:   33ms (a|)              subscribed at 0, 11 and 32 ms: 10 ms, then 20 ms after each failure
 *
 * source:   -#                     NotFoundError
 *           retryTransient()
 * output:   -#                     any other error passes at once
 * ```
 *
 * The n-th retry waits `min(initialDelay × 2^(n−1), maxDelay)` seconds, less up to `jitter`
 * of it at random. After `maxRetries` the last error is passed on. Unsubscribing during a
 * wait clears its timer.
 *
 * ## Example
 * ```ts
 * import { retryTransient } from 'couchbase-rx/operators';
 * await lastValueFrom(cb.set('counter-doc', doc).pipe(retryTransient({ maxRetries: 10 })));
 * ```
 *
 * @see {@link replicaFallback}
 * @param options see {@link RetryTransientOptions}
 * @return an operator that retries the source on transient errors
 */
export function retryTransient<T>(options?: RetryTransientOptions): MonoTypeOperatorFunction<T> {
  const where = 'retryTransient';
  const o = checkOptions<RetryTransientOptions>(where, options, RETRY_OPTS);
  const maxRetries = readUint(where, 'maxRetries', o.maxRetries, 5, 1_000_000);
  const initialDelay = readSeconds(where, 'initialDelay', o.initialDelay, 0.01, true);
  const maxDelay = readSeconds(where, 'maxDelay', o.maxDelay, Math.max(1, initialDelay), true);
  if (maxDelay < initialDelay) throw argError(`${where}: 'maxDelay' must not be below 'initialDelay'`, maxDelay);
  const jitter = o.jitter ?? 0.5;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw argError(`${where}: 'jitter' must be a number from 0 to 1`, jitter);
  const random = o.random ?? Math.random;
  if (typeof random !== 'function') throw argError(`${where}: 'random' must be a function returning [0, 1)`, random);

  return retry<T>({
    count: maxRetries,
    delay: (error: unknown, retryCount: number) => {
      if (!isRetryable(error)) return throwError(() => error);
      const base = Math.min(initialDelay * 2 ** (retryCount - 1), maxDelay);
      return timer(base * (1 - jitter * random()) * 1000);
    },
  });
}
