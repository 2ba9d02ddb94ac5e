/**
 * Op<T>: what every operation returns. A cold Observable that emits once and completes,
 * and is also PromiseLike: `await op` runs it once; each `subscribe` runs it again;
 * unsubscribing before the reply drops interest in it (nothing is resent).
 * @module
 */
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import { CouchbaseError } from './errors/index.js';

/** Captures the user's call site; errors delivered later get this stack. @internal */
export class CallSite {
  // The stack is captured structurally here and only formatted if an error needs it.
  #holder: { stack?: string } = {};
  constructor(skip: Function) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = CallSite.depth;
    Error.captureStackTrace(this.#holder, skip);
    Error.stackTraceLimit = limit;
  }

  /** Frames kept per call site (a bounded cost per operation). */
  static depth = 10;

  /** The captured stack text (formatted on first access). */
  get stack(): string | undefined {
    return this.#holder.stack;
  }

  /** Rewrites an error's stack to point at the call site (keeps its name and message). */
  apply<E extends Error>(error: E): E {
    const stack = this.stack;
    if (!stack) return error;
    const frames = stack.slice(stack.indexOf('\n') + 1);
    error.stack = `${error.name}: ${error.message}\n${frames}`;
    return error;
  }
}

/**
 * A single operation's outcome. Cold: nothing happens until it is subscribed to or awaited.
 *
 * ```ts
 * const r = await cb.get('k');                  // runs once
 * cb.get('k').pipe(retry(2)).subscribe(...)     // each subscription runs it again
 * ```
 */
export class Op<T> extends Observable<T> implements PromiseLike<T> {
  /** @internal */
  constructor(subscribe: (subscriber: Subscriber<T>) => TeardownLogic, site?: CallSite) {
    super((subscriber) => {
      if (!site) return subscribe(subscriber);
      // Route errors through the call site so stacks point at user code.
      const inner = new Observable<T>(subscribe);
      const sub = inner.subscribe({
        next: (v) => subscriber.next(v),
        error: (e) => subscriber.error(e instanceof CouchbaseError ? site.apply(e) : e),
        complete: () => subscriber.complete(),
      });
      return sub;
    });
  }

  /** Runs the operation once and resolves with its value (rejects with its error). */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.toPromise().then(onfulfilled, onrejected);
  }

  /** Same as `then(undefined, onrejected)`. */
  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.toPromise().then(undefined, onrejected);
  }

  /** Runs the operation once as a Promise. */
  override toPromise(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const sub = this.subscribe({
        next: (v) => {
          if (done) return;
          done = true;
          resolve(v);
        },
        error: (e) => {
          done = true;
          reject(e);
        },
        complete: () => {
          if (!done) reject(new CouchbaseError('operation completed without a result'));
        },
      });
      if (done) sub.unsubscribe();
    });
  }
}

/** An Op that fails with `error` on each subscription. @internal */
export function failedOp<T>(error: unknown, site?: CallSite): Op<T> {
  return new Op<T>((s) => s.error(error), site);
}
