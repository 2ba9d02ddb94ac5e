/**
 * What the app needs of a connection to the beer-sample bucket: the SDK's key-value calls, and
 * the view and design-document calls named in docs/api.md ("Views").
 */
import type { Couchbase, HttpResult, ValueResult } from '../../src/index.js';

/** One view row (a row processor receives these). */
export interface ViewRow {
  key: unknown;
  value: unknown;
  docid: string;
  id: string;
  doc?: ValueResult<unknown>;
}

/** The seed's RowProcessor: turns one page of rows into the objects the query yields. */
export interface RowProcessor<T> {
  handleRows(rows: ViewRow[], connection: Couchbase, includeDocs: boolean): Iterable<T> | PromiseLike<Iterable<T>>;
}

export interface ViewOptions<T> {
  startkey?: unknown;
  endkey?: unknown;
  mapkeyRange?: [unknown, unknown];
  limit?: number;
  includeDocs?: boolean;
  stale?: boolean | 'update_after';
  rowProcessor?: RowProcessor<T>;
}

interface ViewApi {
  query<T = ViewRow>(design: string, view: string, options?: ViewOptions<T>): AsyncIterable<T>;
  designGet(name: string, options?: { useDevmode?: boolean }): PromiseLike<HttpResult>;
  designCreate(name: string, design: object, options?: { useDevmode?: boolean; syncwait?: number }): PromiseLike<HttpResult>;
  designPublish(name: string, options?: { syncwait?: number }): PromiseLike<HttpResult>;
}

export type BeerDb = Couchbase & ViewApi;

/** Appended to a prefix, the end of a key range of everything that starts with the prefix. */
export const STRING_RANGE_END = '\u0FFF';
