/**
 * One view request or HTTP request through libcouchbase, as a cold Observable: subscribing
 * sends it, unsubscribing cancels it in flight. Rows arrive in batches (one delivery per loop
 * iteration, each the JSON text of an array of the server's rows), parsed once here and passed on
 * as they come, so that no page of rows waits whole in memory.
 * @internal
 * @module
 */
import { Observable } from 'rxjs';
import type { NativeHttpSpec, NativeViewEnd, NativeViewSpec } from '../binding.js';
import type { ConnectionCore } from '../core/core.js';
import { CouchbaseError, HttpError, LcbStatus, describeRc, rcToExctype } from '../errors/index.js';

/** A row as the server sends it: `id` is absent on reduce rows. */
export interface RawRow {
  /** The id of the document that emitted the row. */
  id?: string;
  /** The emitted key (the group key of a reduce row). */
  key: unknown;
  /** The emitted value (the reduced value of a reduce row). */
  value: unknown;
}

/** What the server said besides the rows. */
export interface ViewMeta {
  totalRows?: number;
  /** Per-node map/reduce failures the server reported (`on_error`). */
  errors: Array<{ from?: string; reason?: string }>;
  debugInfo?: unknown;
}

/** Part of one view request's answer: the rows of one delivery; the last part carries the meta. */
export interface ViewChunk {
  rows: RawRow[];
  meta?: ViewMeta;
}

/** An HTTP answer: rc 0 and a status, and the body text. */
export interface HttpAnswer {
  httpStatus: number;
  body: string;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The server's `{error, reason}` in a body, as "error: reason". */
function serverReason(body: string, errorCode?: string, errorMessage?: string): string | undefined {
  if (errorCode || errorMessage) return [errorCode, errorMessage].filter(Boolean).join(': ');
  const o = parseJson(body) as { error?: unknown; reason?: unknown } | undefined;
  if (o && typeof o === 'object' && (o.error !== undefined || o.reason !== undefined)) {
    return [o.error, o.reason].filter((x) => x !== undefined).map(String).join(': ');
  }
  return body.length > 0 && body.length < 500 ? body : undefined;
}

/** The typed error of a failed request: HttpError for the server's refusals (with its status and reason), the rc's class otherwise. */
export function requestError(where: string, rc: number, httpStatus: number, body: string, errorCode?: string, errorMessage?: string): CouchbaseError {
  const reason = serverReason(body, errorCode, errorMessage);
  const Cls = rc === 0 || (httpStatus >= 400 && rcToExctype(rc) === CouchbaseError) ? HttpError : rcToExctype(rc);
  const code = rc === 0 ? LcbStatus.LCB_ERR_HTTP : rc;
  const status = httpStatus > 0 ? ` HTTP ${httpStatus}` : '';
  const message = `${where}:${status} ${reason ?? describeRc(code, undefined, undefined)}`;
  const e = new Cls(message, { rc: code, objextra: parseJson(body) ?? (body || undefined) });
  if (e instanceof HttpError) {
    e.httpStatus = httpStatus;
    e.reason = reason;
  }
  return e;
}

function readMeta(text: string): ViewMeta {
  const o = (text ? parseJson(text) : undefined) as { total_rows?: unknown; errors?: unknown; debug_info?: unknown } | undefined;
  const meta: ViewMeta = { errors: [] };
  if (!o || typeof o !== 'object') return meta;
  if (typeof o.total_rows === 'number') meta.totalRows = o.total_rows;
  if (Array.isArray(o.errors)) meta.errors = o.errors as ViewMeta['errors'];
  if (o.debug_info !== undefined) meta.debugInfo = o.debug_info;
  return meta;
}

/**
 * A batch of rows as values, each an object with a key; anything else is a protocol error of the
 * request, never an exception out of the native callback. libcouchbase's row splitter lets some
 * invalid JSON through (a raw U+0014 to U+001F inside a string, a malformed `\u` escape) and does
 * not look inside a row.
 */
function parseRows(where: string, rowsJson: string): RawRow[] | CouchbaseError {
  let rows: unknown[];
  try {
    rows = JSON.parse(rowsJson) as unknown[];
  } catch (cause) {
    return CouchbaseError.fromRc(LcbStatus.LCB_ERR_PROTOCOL_ERROR, { message: `${where}: the server sent a row that is not a view row: not JSON (${(cause as Error).message})`, innerCause: cause });
  }
  for (const row of rows) {
    if (row === null || typeof row !== 'object' || Array.isArray(row) || !('key' in row)) {
      return CouchbaseError.fromRc(LcbStatus.LCB_ERR_PROTOCOL_ERROR, { message: `${where}: the server sent a row that is not a view row: ${JSON.stringify(row)?.slice(0, 200)}`, objextra: row });
    }
  }
  return rows as RawRow[];
}

/** Runs one view request; emits its rows batch by batch as they arrive, the last chunk with the meta, then completes. */
export function viewRequest(core: ConnectionCore, where: string, spec: NativeViewSpec): Observable<ViewChunk> {
  return new Observable<ViewChunk>((subscriber) => {
    if (core.closed) return subscriber.error(core.closedError(where));
    const handle = core.native.viewQuery(spec, (rowsJson: string, end?: NativeViewEnd) => {
      let rows: RawRow[] = [];
      if (rowsJson.length > 2) {
        const batch = parseRows(where, rowsJson);
        if (batch instanceof CouchbaseError) return subscriber.error(batch);
        rows = batch;
      }
      if (!end) {
        if (rows.length > 0) subscriber.next({ rows });
        return;
      }
      if (end.rc !== 0) return subscriber.error(requestError(where, end.rc, end.httpStatus, end.meta, end.errorCode, end.errorMessage));
      subscriber.next({ rows, meta: readMeta(end.meta) });
      subscriber.complete();
    });
    return () => handle.cancel();
  });
}

/** Runs one HTTP request; emits the status and body once (any status), errors only when no answer came. */
export function httpRequest(core: ConnectionCore, where: string, spec: NativeHttpSpec): Observable<HttpAnswer> {
  return new Observable<HttpAnswer>((subscriber) => {
    if (core.closed) return subscriber.error(core.closedError(where));
    const handle = core.native.http(spec, (rc: number, httpStatus: number, body: string) => {
      if (rc !== 0 && httpStatus === 0) return subscriber.error(requestError(where, rc, httpStatus, body));
      subscriber.next({ httpStatus, body });
      subscriber.complete();
    });
    return () => handle.cancel();
  });
}
