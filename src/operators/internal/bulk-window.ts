/**
 * The in-flight window of getEach/storeEach, push (RxJS) or pull (IxJS) alike: inputs started,
 * their outcomes released in completion order or, `ordered`, in input order. A slot is taken
 * when an input starts and given back when its result is released, so with `ordered` a result
 * waiting for an earlier one still counts against the bound.
 * @internal
 * @module
 */
import type { Cancellable } from '../../batcher.js';
import type { CouchbaseError } from '../../errors/index.js';

/** Starts the work for one input; `done` runs once (error undefined = emit the result). May throw. */
export type Start<I, R> = (input: I, done: (result: R, error: CouchbaseError | undefined) => void) => Cancellable;

export class BulkWindow<I, R> {
  readonly #start: Start<I, R>;
  readonly #ordered: boolean;
  readonly #release: (result: R) => void;
  readonly #fail: (error: unknown) => void;
  /** Cancel handles of inputs not yet settled, by input number. */
  readonly #running = new Map<number, Cancellable>();
  /** Ordered mode: settled results waiting for an earlier one. */
  readonly #held = new Map<number, R>();
  #started = 0;
  #released = 0;
  #closed = false;

  constructor(start: Start<I, R>, ordered: boolean, release: (result: R) => void, fail: (error: unknown) => void) {
    this.#start = start;
    this.#ordered = ordered;
    this.#release = release;
    this.#fail = fail;
  }

  /** Inputs started whose results are not released yet. */
  get occupied(): number {
    return this.#started - this.#released;
  }

  /** Starts one input now. A throw from the start (bad input) fails the window. */
  push(input: I): void {
    if (this.#closed) return;
    const n = this.#started++;
    let settled = false;
    let handle: Cancellable;
    try {
      handle = this.#start(input, (result, error) => {
        if (settled || this.#closed) return;
        settled = true;
        this.#running.delete(n);
        if (error) this.#failWith(error);
        else this.#settle(n, result);
      });
    } catch (error) {
      this.#failWith(error);
      return;
    }
    if (!settled) this.#running.set(n, handle);
  }

  /** Drops every input in flight (commands of this tick unsent, later replies ignored); releases nothing more. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const running = [...this.#running.values()];
    this.#running.clear();
    this.#held.clear();
    for (const h of running) h.unsubscribe();
  }

  #failWith(error: unknown): void {
    this.close();
    this.#fail(error);
  }

  #settle(n: number, result: R): void {
    if (!this.#ordered) {
      this.#released++;
      this.#release(result);
      return;
    }
    this.#held.set(n, result);
    while (!this.#closed && this.#held.has(this.#released)) {
      const next = this.#held.get(this.#released)!;
      this.#held.delete(this.#released++);
      this.#release(next);
    }
  }
}
