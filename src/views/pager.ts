/**
 * Paging a view under the hood, so that a slow consumer never makes the client hold more than a
 * page: each request asks for one row more than it hands out, and the next page starts at that
 * extra row (`startkey` = its key, `startkey_docid` = its id; a reduce row's group key alone), so
 * nothing repeats or drops where many rows share a key. The user's `skip` applies to the first
 * page only and the user's `limit` counts across pages; `stale=false` goes on the first page
 * only (later pages read the index as it is); a `keys` query pages by slices of the key list.
 * A raw query string is sent as given, in one request. A page's rows are passed on batch by batch
 * as they arrive; what the page means for the next one is settled when it ends.
 * @internal
 * @module
 */
import { Observable } from 'rxjs';
import type { ConnectionCore } from '../core/core.js';
import { encodeParams, keyJson, type ParsedQuery } from './query.js';
import { viewRequest, type RawRow, type ViewChunk, type ViewMeta } from './transport.js';

/** What to page over. */
export interface PagerSpec {
  where: string;
  design: string;
  view: string;
  /** Parsed parameters, or a raw query string used as given. */
  query: ParsedQuery | string;
  pageSize: number;
  timeoutUs?: number;
}

export class ViewPager {
  #core: ConnectionCore;
  #spec: PagerSpec;
  #first = true;
  #done = false;
  /** Rows handed out so far (toward the user's limit). */
  #delivered = 0;
  /** The row the next page starts at. */
  #resume: RawRow | undefined;
  /** `keys` mode: the next slice's start, and rows still to skip client-side. */
  #keyOffset = 0;
  #skipLeft = 0;
  readonly meta: ViewMeta = { errors: [] };

  constructor(core: ConnectionCore, spec: PagerSpec) {
    this.#core = core;
    this.#spec = spec;
    if (typeof spec.query !== 'string') this.#skipLeft = spec.query.keys ? spec.query.skip : 0;
  }

  /** True once every page has been handed out: there is no next page. */
  get done(): boolean {
    return this.#done;
  }

  /** The next page's rows, in non-empty batches as they arrive; completes when the page ends. */
  nextPage(): Observable<RawRow[]> {
    return new Observable<RawRow[]>((subscriber) => {
      const q = this.#spec.query;
      const page = typeof q === 'string' ? this.#rawPage(q) : q.keys ? this.#keysPage(q) : this.#rangePage(q);
      return this.#send(page.query, page.body).subscribe({
        next: (chunk) => {
          if (chunk.meta) this.#record(chunk.meta);
          const rows = chunk.rows.length > 0 ? page.take(chunk.rows) : chunk.rows;
          if (rows.length > 0) subscriber.next(rows);
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          page.end();
          subscriber.complete();
        },
      });
    });
  }

  #send(query: string, body: string | undefined): Observable<ViewChunk> {
    const s = this.#spec;
    return viewRequest(this.#core, s.where, { design: s.design, view: s.view, options: query, body, timeoutUs: s.timeoutUs });
  }

  #record(meta: ViewMeta): void {
    this.meta.totalRows ??= meta.totalRows;
    this.meta.errors.push(...meta.errors);
    if (meta.debugInfo !== undefined) this.meta.debugInfo = meta.debugInfo;
  }

  /** Rows still allowed by the user's limit. */
  #remaining(q: ParsedQuery): number {
    return q.limit === undefined ? Infinity : q.limit - this.#delivered;
  }

  #rawPage(query: string): Page {
    return {
      query,
      take: (rows) => {
        this.#delivered += rows.length;
        return rows;
      },
      end: () => {
        this.#done = true;
      },
    };
  }

  #rangePage(q: ParsedQuery): Page {
    const remaining = this.#remaining(q);
    const want = Math.min(this.#spec.pageSize, remaining);
    const page: ParsedQuery = { ...q, limit: want < remaining ? want + 1 : want };
    if (!this.#first) {
      page.skip = 0;
      page.stale = 'ok';
      const r = this.#resume!;
      page.startkey = this.#resumeKey(q, r);
      page.startkeyDocid = r.id;
    }
    this.#first = false;
    this.#resume = undefined;
    let seen = 0;
    return {
      query: encodeParams(page).query,
      take: (rows) => {
        const room = want - seen;
        seen += rows.length;
        if (rows.length > room) {
          // The row past the page is where the next page starts; a server sending more is ignored.
          this.#resume ??= rows[room];
          rows = room > 0 ? rows.slice(0, room) : [];
        }
        this.#delivered += rows.length;
        return rows;
      },
      end: () => {
        if (this.#resume === undefined || this.#remaining(q) <= 0) this.#done = true;
      },
    };
  }

  /**
   * Where the next page starts. A reduce row grouped at a level, whose key is that long, is a
   * prefix of longer keys: going down (descending) those sort after it, so the page starts past
   * all of them. (A shorter group key is a whole map key; it is its own start.)
   */
  #resumeKey(q: ParsedQuery, r: RawRow): string {
    if (r.id === undefined && q.descending && q.groupLevel !== undefined && Array.isArray(r.key) && r.key.length >= q.groupLevel) {
      return keyJson(this.#spec.where, 'startkey', [...r.key, {}]);
    }
    return keyJson(this.#spec.where, 'startkey', r.key);
  }

  #keysPage(q: ParsedQuery): Page {
    const keys = q.keys!;
    const slice = keys.slice(this.#keyOffset, this.#keyOffset + this.#spec.pageSize);
    this.#keyOffset += slice.length;
    const page: ParsedQuery = { ...q, keys: slice, skip: 0, limit: undefined };
    if (!this.#first) page.stale = 'ok';
    this.#first = false;
    const { query, body } = encodeParams(page);
    return {
      query,
      body,
      take: (rows) => {
        let out = rows;
        if (this.#skipLeft > 0) {
          const n = Math.min(this.#skipLeft, out.length);
          this.#skipLeft -= n;
          out = out.slice(n);
        }
        const remaining = this.#remaining(q);
        if (out.length >= remaining) {
          out = out.slice(0, remaining);
          this.#done = true;
        }
        this.#delivered += out.length;
        return out;
      },
      end: () => {
        if (this.#keyOffset >= keys.length) this.#done = true;
      },
    };
  }
}

/** One page's request, and how its rows count toward the next. */
interface Page {
  query: string;
  body?: string;
  /** The rows of this batch to hand out. */
  take(rows: RawRow[]): RawRow[];
  /** Settles, when the page's answer has ended, whether another page follows. */
  end(): void;
}
