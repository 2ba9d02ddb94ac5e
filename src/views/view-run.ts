/**
 * One run of a view query: pages fetched one at a time, each page's rows processed as they arrive
 * and handed to a sink in order. Rows are not held back until their page is complete: a consumer
 * that keeps up holds only the latest batch, so the garbage of a long view dies young (a whole
 * page waiting in memory outlived V8's scavenges and grew its young generation to the maximum).
 * While a batch is being processed (documents fetched for `includeDocs`), the batches that arrive
 * meanwhile are processed together next (up to DOCS_BATCH_ROWS rows a fetch). A row processor is
 * given whole pages, as documented.
 * @internal
 * @module
 */
import type { Subscription } from 'rxjs';
import type { Couchbase } from '../connection.js';
import type { ConnectionCore } from '../core/core.js';
import { ViewPager, type PagerSpec } from './pager.js';
import { collectRows, viewRows, withDocs, type RowProcessor } from './row-processor.js';
import type { RawRow, ViewMeta } from './transport.js';

/** Where a run's rows go. */
export interface RowSink<T> {
  rows(items: T[]): void;
  /** Every page was handed out; `meta` describes the run. */
  end(meta: ViewMeta): void;
  error(e: unknown): void;
  /** Whether the next page may be fetched now (a pull consumer says no while its buffer is full). */
  wantsMore(): boolean;
}

/** What a run pages over and makes of its rows. */
export interface RunPlan<T> {
  pager: PagerSpec;
  includeDocs: boolean;
  rowProcessor?: RowProcessor<T>;
}

/**
 * Rows whose documents one `includeDocs` fetch reads, at most (whole batches): the documents of
 * a fetch are all alive until it completes, so a fetch of a whole page kept thousands of decoded
 * documents across V8's scavenges.
 */
const DOCS_BATCH_ROWS = 1000;

export class ViewRun<T> {
  readonly #core: ConnectionCore;
  readonly #connection: Couchbase;
  readonly #plan: RunPlan<T>;
  readonly #pager: ViewPager;
  readonly #sink: RowSink<T>;
  /** Raw batches waiting to be processed, in order. */
  #waiting: RawRow[][] = [];
  #page: Subscription | undefined;
  #pageOpen = false;
  #processing = false;
  #stopped = false;

  constructor(core: ConnectionCore, connection: Couchbase, plan: RunPlan<T>, sink: RowSink<T>) {
    this.#core = core;
    this.#connection = connection;
    this.#plan = plan;
    this.#pager = new ViewPager(core, plan.pager);
    this.#sink = sink;
  }

  /** Moves the run on: processes what waits, fetches the next page when the sink wants it, or ends. */
  pump(): void {
    if (this.#stopped || this.#processing) return;
    if (this.#waiting.length > 0) {
      if (!this.#pageOpen || !this.#plan.rowProcessor) this.#process();
      return;
    }
    if (this.#pageOpen) return;
    if (this.#pager.done) return this.#end();
    if (this.#sink.wantsMore()) this.#fetch();
  }

  /** Stops the run: the request in flight is cancelled and nothing more reaches the sink. */
  stop(): void {
    this.#stopped = true;
    this.#waiting = [];
    this.#page?.unsubscribe();
    this.#page = undefined;
  }

  /** True while a page's request is in flight. */
  get fetching(): boolean {
    return this.#pageOpen;
  }

  #fetch(): void {
    this.#pageOpen = true;
    let ended = false;
    const page = this.#pager.nextPage().subscribe({
      next: (rows) => {
        this.#waiting.push(rows);
        this.pump();
      },
      error: (e) => this.#fail(e),
      complete: () => {
        ended = true;
        this.#pageOpen = false;
        this.#page = undefined;
        this.pump();
      },
    });
    if (!ended && !this.#stopped) this.#page = page;
  }

  #process(): void {
    const { includeDocs, rowProcessor } = this.#plan;
    const rows = this.#take(!rowProcessor && includeDocs ? DOCS_BATCH_ROWS : Infinity);
    if (!rowProcessor && !includeDocs) {
      this.#sink.rows(viewRows(rows) as T[]);
      return this.pump();
    }
    this.#processing = true;
    const done = rowProcessor
      ? collectRows(rowProcessor.handleRows(rows, this.#connection, includeDocs))
      : withDocs(this.#core, rows) as Promise<unknown[]> as Promise<T[]>;
    done.then((items) => {
      this.#processing = false;
      if (this.#stopped) return;
      this.#sink.rows(items);
      this.pump();
    }, (e: unknown) => this.#fail(e));
  }

  /** The waiting batches, in order, up to about `limit` rows (whole batches; at least one). */
  #take(limit: number): RawRow[] {
    let n = 0;
    let count = 0;
    while (n < this.#waiting.length && (n === 0 || count + this.#waiting[n]!.length <= limit)) count += this.#waiting[n++]!.length;
    const taken = this.#waiting.splice(0, n);
    return taken.length === 1 ? taken[0]! : taken.flat();
  }

  #end(): void {
    this.#stopped = true;
    this.#sink.end(this.#pager.meta);
  }

  #fail(e: unknown): void {
    if (this.#stopped) return;
    this.stop();
    this.#sink.error(e);
  }
}
