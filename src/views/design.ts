/**
 * Design documents (the seed's design_create / design_get / design_publish / design_delete),
 * through libcouchbase's HTTP API on the views port. `syncwait` (seconds) polls until the change
 * is visible (the document reads back as written, its views answer queries; or it is gone),
 * else TimeoutError.
 * @internal
 * @module
 */
import { Observable, catchError, concat, concatMap, defer, map, of, throwError, timer } from 'rxjs';
import type { ConnectionCore } from '../core/core.js';
import { refuseOnMemcached } from '../core/memcached.js';
import { CouchbaseError, HttpError, LcbStatus, TimeoutError } from '../errors/index.js';
import type { CallSite, Op } from '../op.js';
import { argError, checkOptions, readBool, readSeconds } from '../options.js';
import { HttpResult } from '../results.js';
import { httpRequest, requestError, viewRequest, type HttpAnswer } from './transport.js';

/** Options of designCreate. */
export interface DesignCreateOptions {
  /** Create it as a development design document (`dev_` prefixed). Default true. */
  useDevmode?: boolean;
  /** Seconds to wait until the document is in use by queries (0: don't wait). Default 0. */
  syncwait?: number;
}
/** Options of designGet. */
export interface DesignGetOptions {
  /** Read the development (`dev_`) design document. Default true. */
  useDevmode?: boolean;
}
/** Options of designPublish. */
export interface DesignPublishOptions {
  /** Seconds to wait until the production document is in use (0: don't wait). Default 0. */
  syncwait?: number;
}
/** Options of designDelete. */
export type DesignDeleteOptions = DesignCreateOptions;

/** A design document: its views' map (and reduce) functions as source text. */
export interface DesignDocument {
  /** The views by name. */
  views?: Record<string, {
    /** The map function's source, e.g. `function (doc, meta) { emit(doc.name, null); }`. */
    map: string;
    /** The reduce function's source, or a built-in one: `_count`, `_sum`, `_stats`. */
    reduce?: string;
  }>;
  [other: string]: unknown;
}

const DEV = 'dev_';

function checkName(where: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('/') || name.startsWith('_')) {
    throw argError(`${where}: the design document name must be a non-empty string without '/' (got ${JSON.stringify(name)})`, name);
  }
  return name;
}

function fullName(name: string, devmode: boolean): string {
  return devmode && !name.startsWith(DEV) ? DEV + name : name;
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** The HttpResult of an answer, or its HttpError (the result attached) for a non-2xx status. */
function toResult(where: string, a: HttpAnswer): HttpResult {
  const r = new HttpResult(parseBody(a.body), a.httpStatus);
  if (r.success) return r;
  const e = requestError(where, 0, a.httpStatus, a.body);
  r.rc = e.rc;
  e.result = r;
  throw e;
}

function request(core: ConnectionCore, where: string, method: 'GET' | 'PUT' | 'DELETE', ddoc: string, body?: string): Observable<HttpResult> {
  return httpRequest(core, where, {
    type: 'view', method, path: `_design/${encodeURIComponent(ddoc)}`, body, contentType: body === undefined ? undefined : 'application/json',
  }).pipe(map((a) => toResult(where, a)));
}

/**
 * Polls `check` (true = visible) with backoff until it holds, for at most `seconds`;
 * TimeoutError naming `what` otherwise.
 */
function waitUntil(where: string, what: string, seconds: number, check: () => Observable<boolean>): Observable<never> {
  const deadline = Date.now() + seconds * 1000;
  const attempt = (delayMs: number): Observable<never> => check().pipe(concatMap((ok) => {
    if (ok) return of() as Observable<never>;
    if (Date.now() + delayMs > deadline) {
      return throwError(() => new TimeoutError(`${where}: ${what} not visible within syncwait=${seconds}s`, { rc: LcbStatus.LCB_ERR_TIMEOUT }));
    }
    return timer(delayMs).pipe(concatMap(() => attempt(Math.min(delayMs * 2, 500))));
  }));
  return defer(() => attempt(25));
}

/** True when GET returns the document with these views (a 404 is "not yet"). */
function readsBack(core: ConnectionCore, where: string, ddoc: string, design: DesignDocument | undefined): Observable<boolean> {
  return request(core, where, 'GET', ddoc).pipe(
    map((r) => design === undefined || JSON.stringify((r.value as DesignDocument).views ?? {}) === JSON.stringify(design.views ?? {})),
    catchNotFound(false),
  );
}

/** True when every view of the design answers a query (stale=ok, limit=0). */
function queryable(core: ConnectionCore, where: string, ddoc: string, design: DesignDocument): Observable<boolean> {
  const names = Object.keys(design.views ?? {});
  if (names.length === 0) return of(true);
  return defer(async () => {
    for (const view of names) {
      const ok = await new Promise<boolean>((resolve, reject) => {
        viewRequest(core, where, { design: ddoc, view, options: 'stale=ok&limit=0' }).subscribe({
          next: () => resolve(true),
          error: (e) => (e instanceof HttpError && e.httpStatus === 404 ? resolve(false) : reject(e)),
        });
      });
      if (!ok) return false;
    }
    return true;
  });
}

/** True when GET says 404. */
function gone(core: ConnectionCore, where: string, ddoc: string): Observable<boolean> {
  return request(core, where, 'GET', ddoc).pipe(map(() => false), catchNotFound(true));
}

/** A 404 answer means `value`; other errors pass on. */
function catchNotFound<T>(value: T) {
  return catchError<T, Observable<T>>((e) => (e instanceof HttpError && e.httpStatus === 404 ? of(value) : throwError(() => e)));
}

/** Emits `result` after `wait` (if any) completes. */
function thenResult(result: HttpResult, wait: Observable<never> | undefined): Observable<HttpResult> {
  return wait ? concat(wait, of(result)) : of(result);
}

function designOp(core: ConnectionCore, site: CallSite, where: string, build: () => Observable<HttpResult>): Op<HttpResult> {
  return core.op<HttpResult, Observable<HttpResult>>(site, where, () => {
    if (core.memcached) refuseOnMemcached(where, 'design documents');
    return build();
  }, (obs, sink, fail) => {
    const s = obs.subscribe({
      next: (r) => sink.next(r),
      error: (e) => fail(e instanceof CouchbaseError ? e : CouchbaseError.fromRc(LcbStatus.LCB_ERR_SDK_INTERNAL, { innerCause: e, message: `${where}: ${String(e)}` })),
      complete: () => sink.complete(),
    });
    return () => s.unsubscribe();
  });
}

/** The design as JSON text and as an object (ArgumentError when it is neither valid JSON nor an object). */
function readDesign(where: string, design: unknown): [string, DesignDocument] {
  if (typeof design === 'string') {
    const parsed = parseBody(design);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw argError(`${where}: 'design' must be a JSON object (text or value)`, design);
    return [design, parsed as DesignDocument];
  }
  if (design === null || typeof design !== 'object' || Array.isArray(design)) throw argError(`${where}: 'design' must be an object or its JSON text`, design);
  let text: string;
  try {
    text = JSON.stringify(design);
  } catch (error) {
    throw argError(`${where}: 'design' cannot be encoded as JSON: ${(error as Error).message}`, design);
  }
  return [text, design as DesignDocument];
}

export function designCreate(core: ConnectionCore, site: CallSite, name: string, design: DesignDocument | string, options: DesignCreateOptions | undefined): Op<HttpResult> {
  const where = 'designCreate';
  return designOp(core, site, where, () => {
    const o = checkOptions<DesignCreateOptions>(where, options, ['useDevmode', 'syncwait']);
    const ddoc = fullName(checkName(where, name), readBool(where, 'useDevmode', o.useDevmode, true));
    const syncwait = readSeconds(where, 'syncwait', o.syncwait, 0, true);
    const [text, doc] = readDesign(where, design);
    return request(core, where, 'PUT', ddoc, text).pipe(concatMap((r) => thenResult(r, syncwait > 0
      ? waitUntil(where, `design document ${ddoc}`, syncwait, () => readsBack(core, where, ddoc, doc).pipe(concatMap((ok) => (ok ? queryable(core, where, ddoc, doc) : of(false)))))
      : undefined)));
  });
}

export function designGet(core: ConnectionCore, site: CallSite, name: string, options: DesignGetOptions | undefined): Op<HttpResult> {
  const where = 'designGet';
  return designOp(core, site, where, () => {
    const o = checkOptions<DesignGetOptions>(where, options, ['useDevmode']);
    return request(core, where, 'GET', fullName(checkName(where, name), readBool(where, 'useDevmode', o.useDevmode, true)));
  });
}

export function designPublish(core: ConnectionCore, site: CallSite, name: string, options: DesignPublishOptions | undefined): Op<HttpResult> {
  const where = 'designPublish';
  return designOp(core, site, where, () => {
    const o = checkOptions<DesignPublishOptions>(where, options, ['syncwait']);
    const base = checkName(where, name);
    const dev = fullName(base, true);
    const prod = base.startsWith(DEV) ? base.slice(DEV.length) : base;
    if (prod.length === 0) throw argError(`${where}: no production name for ${JSON.stringify(base)}`, name);
    const syncwait = readSeconds(where, 'syncwait', o.syncwait, 0, true);
    return request(core, where, 'GET', dev).pipe(
      concatMap((got) => {
        const { _id: _drop, _rev: _drop2, ...doc } = got.value as DesignDocument & { _id?: unknown; _rev?: unknown };
        return request(core, where, 'PUT', prod, JSON.stringify(doc)).pipe(
          concatMap((put) => request(core, where, 'DELETE', dev).pipe(map(() => put))),
          concatMap((put) => thenResult(put, syncwait > 0
            ? waitUntil(where, `design document ${prod}`, syncwait, () => readsBack(core, where, prod, doc).pipe(concatMap((ok) => (ok ? queryable(core, where, prod, doc) : of(false)))))
            : undefined)),
        );
      }),
    );
  });
}

export function designDelete(core: ConnectionCore, site: CallSite, name: string, options: DesignDeleteOptions | undefined): Op<HttpResult> {
  const where = 'designDelete';
  return designOp(core, site, where, () => {
    const o = checkOptions<DesignDeleteOptions>(where, options, ['useDevmode', 'syncwait']);
    const ddoc = fullName(checkName(where, name), readBool(where, 'useDevmode', o.useDevmode, true));
    const syncwait = readSeconds(where, 'syncwait', o.syncwait, 0, true);
    return request(core, where, 'DELETE', ddoc).pipe(concatMap((r) => thenResult(r, syncwait > 0
      ? waitUntil(where, `removal of design document ${ddoc}`, syncwait, () => gone(core, where, ddoc))
      : undefined)));
  });
}
