/**
 * View query parameters: the `Query` object (the seed's `couchbase.views.params.Query`), the
 * validation of every server parameter, and their encoding into the query string the views
 * REST API takes. Keys are JSON; a key JSON cannot carry is an ArgumentError before anything
 * is sent.
 * @module
 */
import { argError, readBool, readUint } from '../options.js';

/** The end-of-range marker for string prefixes: `[prefix, prefix + STRING_RANGE_END]` matches every key starting with `prefix`. */
export const STRING_RANGE_END = '\u0FFF';

/** `stale`: `false` (update the index first), `true` / `'ok'` (as it is), `'update_after'`. */
export type Stale = boolean | 'ok' | 'false' | 'update_after';

/** The server parameters of a view query (camelCase names of the views REST API's parameters). */
export interface QueryParams {
  /** Only rows with this key. */
  key?: unknown;
  /** Only rows with these keys, in this order (sent in a POST body when long). */
  keys?: unknown[];
  /** Rows from this key on. */
  startkey?: unknown;
  /** Rows up to this key. */
  endkey?: unknown;
  /** With `startkey`: start at this document id among rows with that key. */
  startkeyDocid?: string;
  /** With `endkey`: end at this document id among rows with that key. */
  endkeyDocid?: string;
  /** `[startkey, endkey]`; `[p, p + STRING_RANGE_END]` is a prefix match. */
  mapkeyRange?: [unknown, unknown];
  /** Include rows with `endkey` itself. Default true. */
  inclusiveEnd?: boolean;
  /** Reverse the order (startkey is then the highest key). */
  descending?: boolean;
  /** At most this many rows. */
  limit?: number;
  /** Skip this many rows first. */
  skip?: number;
  /** Reduce to one row per distinct key. */
  group?: boolean;
  /** Reduce to one row per key prefix of this many array elements. */
  groupLevel?: number;
  /** Run the view's reduce function (default: true when it has one). */
  reduce?: boolean;
  /** Index freshness: false updates the index before answering. */
  stale?: Stale;
  /** When the map function fails on some documents: 'continue' (default) or 'stop'. */
  onError?: 'stop' | 'continue';
  /** Ask the view engine for debugging information (`view.debugInfo`). */
  debug?: boolean;
  /** On a `dev_` design document: query the whole data set, not the development subset. */
  fullSet?: boolean;
}

/** Every parameter name, in the order they are encoded. */
export const QUERY_PARAMS: ReadonlyArray<keyof QueryParams> = [
  'key', 'keys', 'startkey', 'endkey', 'startkeyDocid', 'endkeyDocid', 'mapkeyRange', 'inclusiveEnd', 'descending',
  'limit', 'skip', 'group', 'groupLevel', 'reduce', 'stale', 'onError', 'debug', 'fullSet',
];

/**
 * A view query built field by field (the seed's `Query`): the same fields as the query options.
 *
 * ```ts
 * const q = new Query({ limit: 10 });
 * q.mapkeyRange = ['abbaye', 'abbaye' + Query.STRING_RANGE_END];
 * for await (const row of cb.query('beer', 'by_name', { query: q })) console.log(row.key);
 * ```
 */
export class Query {
  /** See {@link STRING_RANGE_END}. */
  static readonly STRING_RANGE_END = STRING_RANGE_END;

  constructor(params: QueryParams = {}) {
    Object.assign(this, params);
  }

  /** The encoded query string (as the server gets it on the first page, for a GET). */
  toString(): string {
    return encodeParams(readQueryParams('Query', this)).query;
  }
}
/** A Query has every field of {@link QueryParams}, settable one by one. */
export interface Query extends QueryParams {}

/** Validated parameters, with `key` and `mapkeyRange` resolved into start/end keys (JSON text). */
export interface ParsedQuery {
  keys?: string[];
  startkey?: string;
  endkey?: string;
  startkeyDocid?: string;
  endkeyDocid?: string;
  inclusiveEnd?: boolean;
  descending: boolean;
  limit?: number;
  skip: number;
  group?: boolean;
  groupLevel?: number;
  reduce?: boolean;
  stale?: 'false' | 'ok' | 'update_after';
  onError?: 'stop' | 'continue';
  debug: boolean;
  fullSet?: boolean;
}

/** A key as JSON text; ArgumentError for what JSON cannot carry (BigInt, cycles, functions, undefined). */
export function keyJson(where: string, name: string, v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (error) {
    throw argError(`${where}: '${name}' cannot be encoded as JSON: ${(error as Error).message}`, v);
  }
  if (s === undefined) throw argError(`${where}: '${name}' cannot be encoded as JSON (got ${typeof v})`, v);
  return s;
}

function readString(where: string, name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw argError(`${where}: '${name}' must be a string`, v);
  return v;
}

function readStale(where: string, v: unknown): ParsedQuery['stale'] {
  if (v === undefined) return undefined;
  if (v === false || v === 'false') return 'false';
  if (v === true || v === 'ok') return 'ok';
  if (v === 'update_after') return 'update_after';
  throw argError(`${where}: 'stale' must be true, false or 'update_after'`, v);
}

/** Validates the server parameters of `p` (an options object or a Query). */
export function readQueryParams(where: string, p: QueryParams): ParsedQuery {
  const q: ParsedQuery = {
    descending: readBool(where, 'descending', p.descending, false),
    skip: readUint(where, 'skip', p.skip, 0, 0x7fffffff),
    debug: readBool(where, 'debug', p.debug, false),
  };
  if (p.limit !== undefined) q.limit = readUint(where, 'limit', p.limit, 0, 0x7fffffff);
  if (p.inclusiveEnd !== undefined) q.inclusiveEnd = readBool(where, 'inclusiveEnd', p.inclusiveEnd, true);
  if (p.group !== undefined) q.group = readBool(where, 'group', p.group, false);
  if (p.groupLevel !== undefined) q.groupLevel = readUint(where, 'groupLevel', p.groupLevel, 0, 0xffff);
  if (p.reduce !== undefined) q.reduce = readBool(where, 'reduce', p.reduce, true);
  if (p.fullSet !== undefined) q.fullSet = readBool(where, 'fullSet', p.fullSet, false);
  q.stale = readStale(where, p.stale);
  if (p.onError !== undefined) {
    if (p.onError !== 'stop' && p.onError !== 'continue') throw argError(`${where}: 'onError' must be 'stop' or 'continue'`, p.onError);
    q.onError = p.onError;
  }
  q.startkeyDocid = readString(where, 'startkeyDocid', p.startkeyDocid);
  q.endkeyDocid = readString(where, 'endkeyDocid', p.endkeyDocid);

  const ranges = [p.key !== undefined, p.keys !== undefined, p.mapkeyRange !== undefined, p.startkey !== undefined || p.endkey !== undefined];
  if (ranges.filter(Boolean).length > 1) throw argError(`${where}: give one of 'key', 'keys', 'mapkeyRange' or 'startkey'/'endkey'`, p);
  if (p.key !== undefined) {
    // key=K is startkey=K&endkey=K, which paging can resume within.
    q.startkey = q.endkey = keyJson(where, 'key', p.key);
    if (q.inclusiveEnd === false) throw argError(`${where}: 'inclusiveEnd: false' with 'key' matches nothing`, p);
  } else if (p.keys !== undefined) {
    if (!Array.isArray(p.keys)) throw argError(`${where}: 'keys' must be an array`, p.keys);
    q.keys = p.keys.map((k, i) => keyJson(where, `keys[${i}]`, k));
  } else if (p.mapkeyRange !== undefined) {
    if (!Array.isArray(p.mapkeyRange) || p.mapkeyRange.length < 1 || p.mapkeyRange.length > 2) {
      throw argError(`${where}: 'mapkeyRange' must be [startkey] or [startkey, endkey]`, p.mapkeyRange);
    }
    q.startkey = keyJson(where, 'mapkeyRange[0]', p.mapkeyRange[0]);
    if (p.mapkeyRange.length === 2) q.endkey = keyJson(where, 'mapkeyRange[1]', p.mapkeyRange[1]);
  } else {
    if (p.startkey !== undefined) q.startkey = keyJson(where, 'startkey', p.startkey);
    if (p.endkey !== undefined) q.endkey = keyJson(where, 'endkey', p.endkey);
  }
  if (q.group && q.reduce === false) throw argError(`${where}: 'group' needs the reduce function ('reduce: false' given)`, p);
  if (q.groupLevel !== undefined && q.reduce === false) throw argError(`${where}: 'groupLevel' needs the reduce function ('reduce: false' given)`, p);
  return q;
}

/** One request's parameters: the query string and, for a long key list, the POST body. */
export interface EncodedQuery {
  query: string;
  body?: string;
}

/** Above this many characters of encoded keys, they go in a POST body. */
const MAX_KEYS_IN_URL = 1024;

/** Encodes parsed parameters for one request (`keys` into a POST body when long). */
export function encodeParams(q: ParsedQuery): EncodedQuery {
  const parts: string[] = [];
  const add = (name: string, v: string | number | boolean | undefined) => {
    if (v !== undefined) parts.push(`${name}=${encodeURIComponent(String(v))}`);
  };
  let body: string | undefined;
  if (q.keys !== undefined) {
    const json = `[${q.keys.join(',')}]`;
    if (json.length > MAX_KEYS_IN_URL) body = `{"keys":${json}}`;
    else add('keys', json);
  }
  add('startkey', q.startkey);
  add('startkey_docid', q.startkeyDocid);
  add('endkey', q.endkey);
  add('endkey_docid', q.endkeyDocid);
  add('inclusive_end', q.inclusiveEnd);
  if (q.descending) add('descending', true);
  add('limit', q.limit);
  if (q.skip > 0) add('skip', q.skip);
  add('group', q.group);
  add('group_level', q.groupLevel);
  add('reduce', q.reduce);
  add('stale', q.stale);
  add('on_error', q.onError);
  if (q.debug) add('debug', true);
  add('full_set', q.fullSet);
  return { query: parts.join('&'), body };
}
