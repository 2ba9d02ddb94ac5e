/**
 * `query(design, view, options)`: validates everything before anything is sent and plans the
 * View (what to page over, how to process each page). Validation errors fail the View's runs.
 * @internal
 * @module
 */
import type { Couchbase } from '../connection.js';
import { asCouchbaseError, type ConnectionCore } from '../core/core.js';
import { refuseOnMemcached } from '../core/memcached.js';
import type { CallSite } from '../op.js';
import { argError, checkOptions, readBool, readSeconds, readUint } from '../options.js';
import { QUERY_PARAMS, Query, readQueryParams, type QueryParams } from './query.js';
import type { RowProcessor } from './row-processor.js';
import type { ViewRow } from './rows.js';
import { View, type ViewPlan } from './view.js';

/** Options of `query()`: the server parameters, plus what the client does with the rows. */
export interface QueryOptions<T = ViewRow> extends QueryParams {
  /** The server parameters as a Query object, a plain object, or an encoded query string used as given (one request, no paging). */
  query?: Query | QueryParams | string;
  /** Fetch each row's document (one batched multi-get per batch of rows, as they arrive). Default false. */
  includeDocs?: boolean;
  /** The seed's option: rows always stream a page at a time here, so it is accepted and changes nothing. */
  streaming?: boolean;
  /** Turns each page of raw rows into what the view yields. */
  rowProcessor?: RowProcessor<T>;
  /** Rows per request while paging (default 5000: fewer requests, a few MB at most): the most rows held at once is about two pages. */
  pageSize?: number;
  /** Seconds each page request may take (default: libcouchbase's views timeout, 75 s). */
  timeout?: number;
}

const QUERY_OPTIONS = [...QUERY_PARAMS, 'query', 'includeDocs', 'streaming', 'rowProcessor', 'pageSize', 'timeout'];

function checkName(where: string, what: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.includes('/')) throw argError(`${where}: '${what}' must be a non-empty name without '/'`, v);
  return v;
}

/** Builds the View of `cb.query(design, view, options)`. */
export function runQuery<T>(core: ConnectionCore, connection: Couchbase, site: CallSite, design: string, view: string, options: QueryOptions<T> | undefined): View<T> {
  const where = `query ${String(design)}/${String(view)}`;
  let plan: ViewPlan<T>;
  try {
    plan = planQuery(core, where, design, view, options);
  } catch (error) {
    return new View<T>(core, connection, site, asCouchbaseError(where, error));
  }
  return new View<T>(core, connection, site, plan);
}

function planQuery<T>(core: ConnectionCore, where: string, design: string, view: string, options: QueryOptions<T> | undefined): ViewPlan<T> {
  const o = checkOptions<QueryOptions<T>>(where, options, QUERY_OPTIONS);
  checkName(where, 'design', design);
  checkName(where, 'view', view);
  if (core.memcached) refuseOnMemcached(where, 'views');
  const includeDocs = readBool(where, 'includeDocs', o.includeDocs, false);
  readBool(where, 'streaming', o.streaming, true);
  const pageSize = readUint(where, 'pageSize', o.pageSize, 5000, 1_000_000);
  if (pageSize === 0) throw argError(`${where}: 'pageSize' must be at least 1`, o.pageSize);
  const timeoutUs = o.timeout === undefined ? undefined : Math.round(readSeconds(where, 'timeout', o.timeout, 75) * 1e6);
  if (o.rowProcessor !== undefined && (o.rowProcessor === null || typeof o.rowProcessor.handleRows !== 'function')) {
    throw argError(`${where}: 'rowProcessor' must have a handleRows(rows, connection, includeDocs) method`, o.rowProcessor);
  }
  const own = Object.fromEntries(QUERY_PARAMS.filter((k) => o[k] !== undefined).map((k) => [k, o[k]])) as QueryParams;
  let query: ViewPlan<T>['pager']['query'];
  let stopOnErrors = false;
  if (typeof o.query === 'string') {
    if (Object.keys(own).length > 0) throw argError(`${where}: an encoded query string cannot be combined with ${Object.keys(own).join(', ')}`, o);
    query = o.query;
  } else {
    if (o.query !== undefined && (o.query === null || typeof o.query !== 'object')) throw argError(`${where}: 'query' must be a Query, an object or an encoded string`, o.query);
    const base = o.query === undefined ? {} : o.query instanceof Query ? { ...o.query } : checkOptions<QueryParams>(`${where} query`, o.query, QUERY_PARAMS);
    const parsed = readQueryParams(where, { ...base, ...own });
    stopOnErrors = parsed.onError === 'stop';
    query = parsed;
  }
  return { pager: { where, design, view, query, pageSize, timeoutUs }, includeDocs, rowProcessor: o.rowProcessor, stopOnErrors };
}
