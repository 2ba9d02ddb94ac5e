/**
 * View<T>: the rows of a view query, both an RxJS Observable (push) and an AsyncIterable (pull),
 * cold: each subscription or iteration runs the query. Rows are fetched a page at a time
 * (src/views/pager.ts) and handed on as they arrive (src/views/view-run.ts); an iterator fetches
 * the next page only when its buffer runs low, so a slow `for await` slows the reading;
 * unsubscribing or leaving the loop cancels the request in flight. After a run completes, `totalRows`, `debugInfo` and `errors` describe it.
 * @module
 */
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import type { Couchbase } from '../connection.js';
import type { ConnectionCore } from '../core/core.js';
import { CouchbaseError, HttpError, LcbStatus } from '../errors/index.js';
import type { CallSite } from '../op.js';
import type { ViewRow } from './rows.js';
import type { ViewMeta } from './transport.js';
import { RowIterator } from './row-iterator.js';
import { ViewRun, type RunPlan } from './view-run.js';

/** How a View runs: what to page over, what to make of each page, and whether errors stop it. */
export interface ViewPlan<T> extends RunPlan<T> {
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
    super((subscriber) => this.#subscribeRows(subscriber));
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

  /** Records a completed run's meta; the run's error when the server reported failures and the plan says stop. */
  #finish(plan: ViewPlan<T>, meta: ViewMeta): CouchbaseError | undefined {
    this.#meta = meta;
    return plan.stopOnErrors && meta.errors.length > 0 ? viewErrors(plan.pager.where, meta) : undefined;
  }

  /** Pushes rows as they are processed; the next page is fetched once the last one is handed out. */
  #subscribeRows(subscriber: Subscriber<T>): TeardownLogic {
    const plan = this.#plan;
    if (!('pager' in plan)) return subscriber.error(this.#located(plan));
    const run = new ViewRun(this.#core, this.#connection, plan, {
      rows: (items) => {
        for (let i = 0; i < items.length && !subscriber.closed; i++) subscriber.next(items[i]!);
      },
      end: (meta) => {
        const failure = this.#finish(plan, meta);
        if (failure) subscriber.error(this.#located(failure));
        else subscriber.complete();
      },
      error: (e) => subscriber.error(this.#located(e)),
      wantsMore: () => true,
    });
    run.pump();
    return () => run.stop();
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
    const lowWater = Math.max(1, Math.floor(plan.pager.pageSize / 4));
    return new RowIterator<T>((sink) => new ViewRun(this.#core, this.#connection, plan, sink), lowWater, {
      finish: (meta) => this.#finish(plan, meta),
      located: (e) => this.#located(e),
    });
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
