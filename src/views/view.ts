/**
 * View<T>: the rows of a view query, both an RxJS Observable (push) and an AsyncIterable (pull),
 * cold: each subscription or iteration runs the query. Rows are fetched a page at a time
 * (src/views/pager.ts); an iterator fetches the next page only when its buffer runs low, so a
 * slow `for await` slows the reading; unsubscribing or leaving the loop cancels the request in
 * flight. After a run completes, `totalRows`, `debugInfo` and `errors` describe it.
 * @module
 */
import { Observable, concatMap, from, of, type Subscription } from 'rxjs';
import type { Couchbase } from '../connection.js';
import type { ConnectionCore } from '../core/core.js';
import { CouchbaseError, HttpError, LcbStatus } from '../errors/index.js';
import type { CallSite } from '../op.js';
import { ViewPager, type PagerSpec } from './pager.js';
import { collectRows, defaultRows, type RowProcessor } from './row-processor.js';
import type { ViewRow } from './rows.js';
import type { ViewMeta } from './transport.js';

/** How a View runs: what to page over and what to make of each page. */
export interface ViewPlan<T> {
  pager: PagerSpec;
  includeDocs: boolean;
  rowProcessor?: RowProcessor<T>;
  /** Fail the run with the server's errors (`onError: 'stop'`). */
  stopOnErrors: boolean;
}

/**
 * The rows of a view query, as {@link Couchbase.query} returns them: an RxJS Observable (push)
 * and an AsyncIterable (pull). Cold: nothing is sent until it is subscribed to or iterated, and
 * each subscription or iteration runs the query again. Rows are fetched a page at a time; a slow
 * `for await` slows the paging, and leaving the loop or unsubscribing cancels the request in flight.
 *
 * ```ts
 * const view = cb.query('beer', 'brewery_beers', { limit: 5, includeDocs: true });
 * for await (const row of view) console.log(row.key, row.docid, row.doc?.value);   // pull
 * view.pipe(map((row) => row.docid), take(3)).subscribe(console.log);                // push
 * console.log(view.totalRows);   // after a completed run
 * ```
 */
export class View<T = ViewRow> extends Observable<T> implements AsyncIterable<T> {
  #core: ConnectionCore;
  #connection: Couchbase;
  #plan: ViewPlan<T> | CouchbaseError;
  #site: CallSite;
  #meta: ViewMeta | undefined;

  /** @internal */
  constructor(core: ConnectionCore, connection: Couchbase, site: CallSite, plan: ViewPlan<T> | CouchbaseError) {
    super((subscriber) => {
      const pages = this.#pages();
      return pages.subscribe({
        next: (items) => {
          for (let i = 0; i < items.length && !subscriber.closed; i++) subscriber.next(items[i]!);
        },
        error: (e) => subscriber.error(this.#located(e)),
        complete: () => subscriber.complete(),
      });
    });
    this.#core = core;
    this.#connection = connection;
    this.#site = site;
    this.#plan = plan;
  }

  /** Our errors point at the query() call, not at a native callback. */
  #located(e: unknown): unknown {
    return e instanceof CouchbaseError ? this.#site.apply(e) : e;
  }

  /** `total_rows` as the server reported it in the last completed run (undefined for reduce queries). */
  get totalRows(): number | undefined {
    return this.#meta?.totalRows;
  }

  /** The view engine's debugging information of the last completed run (with `debug: true`). */
  get debugInfo(): unknown {
    return this.#meta?.debugInfo;
  }

  /** Map/reduce failures the server reported in the last completed run (`{from, reason}` each). */
  get errors(): ReadonlyArray<{
    /** The node or source that failed. */
    from?: string;
    /** What the server said. */
    reason?: string;
  }> {
    return this.#meta?.errors ?? [];
  }

  /** Turns one page of raw rows into what the view yields. */
  #process(plan: ViewPlan<T>, rows: Parameters<typeof defaultRows>[1]): Promise<T[]> {
    if (plan.rowProcessor) return collectRows(plan.rowProcessor.handleRows(rows, this.#connection, plan.includeDocs));
    return defaultRows(this.#core, rows, plan.includeDocs) as Promise<unknown[]> as Promise<T[]>;
  }

  /** The next processed page of `pager`, or null at the end (which records the run's meta). */
  #nextPage(plan: ViewPlan<T>, pager: ViewPager): Observable<T[] | null> {
    return pager.nextPage().pipe(concatMap((rows) => {
      if (rows !== null) return from(this.#process(plan, rows));
      this.#meta = pager.meta;
      if (plan.stopOnErrors && pager.meta.errors.length > 0) throw viewErrors(plan.pager.where, pager.meta);
      return of(null);
    }));
  }

  /** Every processed page in turn, the next fetched once the previous one was emitted. */
  #pages(): Observable<T[]> {
    return new Observable<T[]>((subscriber) => {
      const plan = this.#plan;
      if (!('pager' in plan)) return subscriber.error(plan);
      const pager = new ViewPager(this.#core, plan.pager);
      let current: Subscription | undefined;
      const step = (): void => {
        current = this.#nextPage(plan, pager).subscribe({
          next: (items) => {
            if (items === null) return subscriber.complete();
            subscriber.next(items);
            if (!subscriber.closed) step();
          },
          error: (e) => subscriber.error(e),
        });
      };
      step();
      return () => current?.unsubscribe();
    });
  }

  /** Pulls rows: the next page is requested when fewer than a quarter of a page is left. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const plan = this.#plan;
    if (!('pager' in plan)) {
      let thrown = false;
      return {
        next: async () => {
          if (thrown) return { done: true, value: undefined };
          thrown = true;
          throw this.#located(plan);
        },
      };
    }
    const pager = new ViewPager(this.#core, plan.pager);
    const lowWater = Math.max(1, Math.floor(plan.pager.pageSize / 4));
    let buffer: T[] = [];
    let pos = 0;
    let finished = false;
    let pending: { promise: Promise<T[] | null>; subscription: Subscription } | undefined;
    const fetch = (): void => {
      let subscription: Subscription | undefined;
      const promise = new Promise<T[] | null>((resolve, reject) => {
        subscription = this.#nextPage(plan, pager).subscribe({ next: resolve, error: reject });
      });
      // Awaited by next(); a prefetch abandoned by return() must not report an unhandled rejection.
      promise.catch(() => {});
      pending = { promise, subscription: subscription! };
    };
    const stop = (): void => {
      finished = true;
      pending?.subscription.unsubscribe();
      pending = undefined;
      buffer = [];
      pos = 0;
    };
    return {
      next: async (): Promise<IteratorResult<T>> => {
        while (pos >= buffer.length) {
          if (finished) return { done: true, value: undefined };
          if (!pending) fetch();
          let items: T[] | null;
          try {
            items = await pending!.promise;
          } catch (error) {
            stop();
            throw this.#located(error);
          }
          pending = undefined;
          if (finished) return { done: true, value: undefined };
          if (items === null) {
            stop();
            return { done: true, value: undefined };
          }
          buffer = items;
          pos = 0;
        }
        const value = buffer[pos++]!;
        if (!pending && !pager.done && buffer.length - pos <= lowWater) fetch();
        return { done: false, value };
      },
      return: async (): Promise<IteratorResult<T>> => {
        stop();
        return { done: true, value: undefined };
      },
    };
  }
}

/** The error of a run the server reported failures in, with `onError: 'stop'`. */
function viewErrors(where: string, meta: ViewMeta): HttpError {
  const first = meta.errors[0]!;
  const e = new HttpError(`${where}: the view failed on ${meta.errors.length} node(s); first: ${first.from ?? '?'}: ${first.reason ?? '?'}`, {
    rc: LcbStatus.LCB_ERR_HTTP, objextra: meta.errors,
  });
  e.reason = first.reason;
  e.httpStatus = 200;
  return e;
}
