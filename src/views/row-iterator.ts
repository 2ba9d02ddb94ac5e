/**
 * The pull side of a view run (`for await`): a buffer of processed rows, refilled a page at a time
 * when fewer than `lowWater` rows are left, so a slow loop slows the reading and the client never
 * holds much more than a page. A row already in the buffer is handed out without an async
 * function: per row that costs one resolved promise and one result, where an `async next()` cost
 * its suspended frame too (about 240 bytes a row, most of the garbage of a fast loop).
 * @internal
 * @module
 */
import type { ViewMeta } from './transport.js';
import type { RowSink, ViewRun } from './view-run.js';

/** What the iterator asks of its view. */
export interface RowIteratorHooks {
  /** Records a completed run's meta; the run's error, if the run is to fail. */
  finish(meta: ViewMeta): unknown;
  /** The error as the user sees it (pointing at their call). */
  located(error: unknown): unknown;
}

const END: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class RowIterator<T> implements AsyncIterator<T> {
  readonly #run: ViewRun<T>;
  readonly #lowWater: number;
  readonly #hooks: RowIteratorHooks;
  /** The batch rows are handed out from, and the batches behind it. */
  #current: T[] = [];
  #pos = 0;
  #behind: T[][] = [];
  /** Rows in the buffer, in all. */
  #buffered = 0;
  #ended = false;
  #failure: { error: unknown } | undefined;
  #waiter: (() => void) | undefined;

  constructor(start: (sink: RowSink<T>) => ViewRun<T>, lowWater: number, hooks: RowIteratorHooks) {
    this.#lowWater = lowWater;
    this.#hooks = hooks;
    this.#run = start({
      rows: (items) => {
        if (this.#pos >= this.#current.length) {
          this.#current = items;
          this.#pos = 0;
        } else {
          this.#behind.push(items);
        }
        this.#buffered += items.length;
        this.#wake();
      },
      end: (meta) => {
        const error = hooks.finish(meta);
        if (error !== undefined) this.#failure = { error };
        this.#ended = true;
        this.#wake();
      },
      error: (error) => {
        this.#failure = { error };
        this.#ended = true;
        this.#wake();
      },
      wantsMore: () => this.#buffered <= this.#lowWater,
    });
  }

  next(): Promise<IteratorResult<T>> {
    return this.#pos < this.#current.length ? Promise.resolve(this.#take()) : this.#refill();
  }

  return(): Promise<IteratorResult<T>> {
    this.#close();
    return Promise.resolve(END);
  }

  #take(): IteratorYieldResult<T> {
    const value = this.#current[this.#pos]!;
    // A row handed out is the consumer's: the buffer lets go of it at once.
    this.#current[this.#pos++] = undefined as T;
    if (--this.#buffered <= this.#lowWater && !this.#run.fetching) this.#run.pump();
    return { done: false, value };
  }

  async #refill(): Promise<IteratorResult<T>> {
    while (this.#pos >= this.#current.length) {
      if (this.#behind.length > 0) {
        this.#current = this.#behind.shift()!;
        this.#pos = 0;
        continue;
      }
      if (this.#failure) {
        const { error } = this.#failure;
        this.#close();
        throw this.#hooks.located(error);
      }
      if (this.#ended) return END;
      this.#run.pump();
      if (this.#pos < this.#current.length || this.#ended) continue;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
    return this.#take();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  #close(): void {
    this.#run.stop();
    this.#ended = true;
    this.#failure = undefined;
    this.#current = [];
    this.#pos = 0;
    this.#behind = [];
    this.#buffered = 0;
    this.#wake();
  }
}
