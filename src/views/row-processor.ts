/**
 * Row processors (the seed's `RowProcessor`): a page of raw rows in, the objects the view yields
 * out. The default makes ViewRows and, with `includeDocs`, fetches the rows' documents in one
 * batched multi-get through the connection core (its transcoder, in-flight bound and errors).
 * @module
 */
import { Observable, from, lastValueFrom, toArray } from 'rxjs';
import type { Couchbase } from '../connection.js';
import type { ConnectionCore } from '../core/core.js';
import { CouchbaseError } from '../errors/index.js';
import { getMulti } from '../kv/get.js';
import { CallSite } from '../op.js';
import type { MultiResult, ValueResult } from '../results.js';
import { ViewRow } from './rows.js';
import type { RawRow } from './transport.js';

/**
 * Turns each page of raw rows (`{ id, key, value }` as the server sends them) into what the view
 * yields. May return the objects, a Promise of them, an async iterable or an Observable.
 *
 * ```ts
 * const names: RowProcessor<string> = { handleRows: (rows) => rows.map((r) => String(r.key)) };
 * for await (const name of cb.query('beer', 'by_name', { rowProcessor: names })) console.log(name);
 * ```
 */
export interface RowProcessor<T> {
  /**
   * Called once per page, in order.
   * @param rows the page's raw rows
   * @param connection the connection that runs the query, to fetch what the rows need in one batch
   * @param includeDocs the query's `includeDocs` option (the client fetches nothing itself when a processor is given)
   */
  handleRows(rows: RawRow[], connection: Couchbase, includeDocs: boolean): Iterable<T> | PromiseLike<Iterable<T>> | AsyncIterable<T> | Observable<T>;
}

/** The objects a processor returned, whatever their shape. */
export async function collectRows<T>(out: ReturnType<RowProcessor<T>['handleRows']>): Promise<T[]> {
  if (out instanceof Observable) return lastValueFrom(out.pipe(toArray()));
  if (out !== null && typeof out === 'object' && Symbol.asyncIterator in out) return lastValueFrom(from(out as AsyncIterable<T>).pipe(toArray()));
  return [...(await (out as Iterable<T> | PromiseLike<Iterable<T>>))];
}

/** The page's documents by id: one quiet multi-get (ids deduplicated); a key's failure is its own failed result. */
export async function fetchDocs(core: ConnectionCore, ids: Iterable<string>): Promise<MultiResult<ValueResult>> {
  const unique = [...new Set(ids)];
  try {
    return await getMulti(core, CallSite.of(fetchDocs), unique, { quiet: true });
  } catch (error) {
    if (error instanceof CouchbaseError && error.allResults) return error.allResults as MultiResult<ValueResult>;
    throw error;
  }
}

/** The default processor without documents: a ViewRow per raw row. */
export function viewRows(rows: RawRow[]): ViewRow[] {
  const out = new Array<ViewRow>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out[i] = new ViewRow(r.key, r.value, r.id);
  }
  return out;
}

/** The default processor with `includeDocs`: ViewRows with their documents, fetched in one multi-get. */
export async function withDocs(core: ConnectionCore, rows: RawRow[]): Promise<ViewRow[]> {
  const out = viewRows(rows);
  const docs = await fetchDocs(core, rows.flatMap((r) => (r.id === undefined ? [] : [r.id])));
  for (const row of out) if (row.docid !== undefined) row.doc = docs.get(row.docid);
  return out;
}
