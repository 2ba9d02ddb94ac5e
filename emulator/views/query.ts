/**
 * View query parameters and their execution over an index snapshot.
 *
 * Parameter handling follows couchdb `couch_httpd_view:parse_view_params/4` and
 * `couch_view_merger` (the path Couchbase's views port takes): parameters are read in
 * query-string order, unknown ones are ignored, `stale` defaults to `update_after`, and the
 * messages are Couchbase's. Ranges follow `make_key_options`: `startkey_docid`/`endkey_docid`
 * only count together with `startkey`/`endkey`, `inclusive_end=false` drops the rows at
 * `endkey` (from `endkey_docid` on, when given), and `descending` walks the index backwards.
 */
import { collate, compareDocIds } from './collation.js';
import type { IndexRow } from './indexer.js';
import { ReduceError, type Reducer } from './reduce.js';

export type Stale = 'ok' | 'false' | 'update_after';
export type OnError = 'continue' | 'stop';

/** A rejected request: HTTP status and Couchbase's {"error","reason"}. */
export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const parseError = (reason: string) => new QueryError(400, 'query_parse_error', reason);

export interface ViewQuery {
  startKey?: { value: unknown };
  endKey?: { value: unknown };
  startDocId?: string;
  endDocId?: string;
  keys?: unknown[];
  inclusiveEnd: boolean;
  descending: boolean;
  limit: number;
  skip: number;
  /** 'exact' for group=true, 0 for no grouping. */
  groupLevel: number | 'exact';
  /** False when reduce=false asks a reduce view for its map rows. */
  reduce: boolean;
  stale: Stale;
  debug: boolean;
}

/** What the request addresses: a map view, a reduce view's map rows, or its reductions. */
export type ViewType = 'map' | 'red_map' | 'reduce';

/** Erlang's ~p of a string, as in Couchbase's messages: "value" with \ and " escaped. */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function parseBool(value: string): boolean {
  switch (value.toLowerCase()) {
    case 'true':
      return true;
    case 'false':
      return false;
    default:
      throw parseError(`Invalid boolean parameter: ${quoted(value)}`);
  }
}

function parsePositiveInt(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw parseError(`Invalid value for integer parameter: ${quoted(value)}`);
  const n = Number(value);
  if (n < 0) throw parseError(`Invalid value for positive integer parameter: ${quoted(value)}`);
  return n;
}

/** JSON-valued parameters; Couchbase answers malformed JSON with a bad_request. */
export function parseJsonParam(name: string, value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new QueryError(400, 'bad_request', `invalid UTF-8 JSON: ${quoted(value)} (parameter \`${name}\`)`);
  }
}

/** Reads the view type the request addresses from `reduce` (before full validation). */
export function viewTypeOf(hasReduce: boolean, params: URLSearchParams): ViewType {
  if (!hasReduce) return 'map';
  return params.get('reduce')?.toLowerCase() === 'false' ? 'red_map' : 'reduce';
}

/**
 * Parses a query. `keys` comes from the `keys` parameter or the POST body (already checked to
 * be an array), undefined when absent.
 */
export function parseViewQuery(params: URLSearchParams, keys: unknown[] | undefined, type: ViewType): ViewQuery {
  if (params.has('group') && params.has('group_level')) {
    throw parseError('Query parameter `group_level` is not compatible with `group`');
  }
  type Item = [string, unknown];
  const items: Item[] = [];
  for (const [name, value] of params) {
    switch (name) {
      case '':
        break;
      case 'key': {
        const key = parseJsonParam(name, value);
        items.push(['start_key', key], ['end_key', key]);
        break;
      }
      case 'startkey_docid':
      case 'start_key_doc_id':
        items.push(['start_docid', value]);
        break;
      case 'endkey_docid':
      case 'end_key_doc_id':
        items.push(['end_docid', value]);
        break;
      case 'startkey':
      case 'start_key':
        items.push(['start_key', parseJsonParam(name, value)]);
        break;
      case 'endkey':
      case 'end_key':
        items.push(['end_key', parseJsonParam(name, value)]);
        break;
      case 'limit':
        items.push(['limit', parsePositiveInt(value)]);
        break;
      case 'count':
        throw parseError("Query parameter 'count' is now 'limit'.");
      case 'stale': {
        const stale = value.toLowerCase();
        if (stale !== 'ok' && stale !== 'false' && stale !== 'update_after') {
          throw parseError('stale only available as stale=ok, stale=update_after or stale=false');
        }
        items.push(['stale', stale]);
        break;
      }
      case 'update':
        throw parseError('update=false is now stale=ok');
      case 'descending':
        items.push(['descending', parseBool(value)]);
        break;
      case 'skip':
        items.push(['skip', parsePositiveInt(value)]);
        break;
      case 'group':
        items.push(['group_level', parseBool(value) ? 'exact' : 0]);
        break;
      case 'group_level':
        items.push(['group_level', parsePositiveInt(value)]);
        break;
      case 'inclusive_end':
        items.push(['inclusive_end', parseBool(value)]);
        break;
      case 'reduce':
        items.push(['reduce', parseBool(value)]);
        break;
      case 'include_docs':
        items.push(['include_docs', parseBool(value)]);
        break;
      case 'conflicts':
        items.push(['conflicts', parseBool(value)]);
        break;
      case 'debug':
        items.push(['debug', parseBool(value)]);
        break;
      case '_type': {
        const t = value.toLowerCase();
        if (t !== 'main' && t !== 'replica') throw parseError('_type only available as _type=main or _type=replica');
        break;
      }
      default:
        break; // keys, full_set, on_error, connection_timeout, ... and unknown ones
    }
  }
  const multiGet = keys !== undefined;
  const q: ViewQuery = {
    inclusiveEnd: true,
    descending: false,
    limit: Infinity,
    skip: 0,
    groupLevel: 0,
    reduce: type === 'reduce',
    stale: 'update_after',
    debug: false,
    keys,
  };
  for (const [name, value] of items) {
    switch (name) {
      case 'start_key':
        if (multiGet) throw parseError('Query parameter `start_key` is not compatible with multi-get');
        q.startKey = { value };
        break;
      case 'end_key':
        if (multiGet) throw parseError('Query parameter `end_key` is not compatible with multi-get');
        q.endKey = { value };
        break;
      case 'start_docid':
        q.startDocId = value as string;
        break;
      case 'end_docid':
        q.endDocId = value as string;
        break;
      case 'limit':
        q.limit = value as number;
        break;
      case 'skip':
        q.skip = value as number;
        break;
      case 'stale':
        q.stale = value as Stale;
        break;
      case 'descending':
        if (value === true) q.descending = true;
        break;
      case 'group_level':
        if (type !== 'reduce') {
          throw parseError("Invalid URL parameter 'group' or  'group_level' for non-reduce view.");
        }
        q.groupLevel = value as number | 'exact';
        break;
      case 'inclusive_end':
        q.inclusiveEnd = value as boolean;
        break;
      case 'reduce':
        if (value === true && type === 'map') throw parseError('Invalid URL parameter `reduce` for map view.');
        break;
      case 'include_docs':
        if (value === true && type === 'reduce') {
          throw parseError('Query parameter `include_docs` is invalid for reduce views.');
        }
        break;
      case 'conflicts':
        if (value === true && type === 'reduce') {
          throw parseError('Query parameter `conflicts` is invalid for reduce views.');
        }
        break;
      case 'debug':
        q.debug = value as boolean;
        break;
    }
  }
  if (q.startKey && q.endKey && JSON.stringify(q.startKey.value) !== JSON.stringify(q.endKey.value)) {
    const less = collate(q.startKey.value, q.endKey.value) < 0;
    if (!q.descending && !less) {
      throw parseError(
        'No rows can match your key range, reverse your start_key and end_key or set descending=true',
      );
    }
    if (q.descending && less) {
      throw parseError(
        'No rows can match your key range, reverse your start_key and end_key or set descending=false',
      );
    }
  }
  if (type === 'reduce' && multiGet && q.groupLevel !== 'exact') {
    throw parseError('Multi-key fetchs for reduce view must include `group=true`');
  }
  return q;
}

// ---------------------------------------------------------------------------------------------
// Execution

const MIN = Symbol('min docid');
const MAX = Symbol('max docid');
type DocBound = string | typeof MIN | typeof MAX;

function compareToBound(row: IndexRow, key: unknown, doc: DocBound): number {
  const c = collate(row.key, key);
  if (c !== 0) return c;
  if (doc === MIN) return 1;
  if (doc === MAX) return -1;
  return compareDocIds(row.id, doc);
}

/** First index whose row is >= (key, doc). */
function lowerBound(rows: readonly IndexRow[], key: unknown, doc: DocBound): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareToBound(rows[mid], key, doc) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose row is > (key, doc). */
function upperBound(rows: readonly IndexRow[], key: unknown, doc: DocBound): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareToBound(rows[mid], key, doc) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The [lo, hi) slice of `rows` a range selects, whatever the direction of the walk. */
function rangeOf(
  rows: readonly IndexRow[],
  q: Pick<ViewQuery, 'startKey' | 'endKey' | 'startDocId' | 'endDocId' | 'inclusiveEnd' | 'descending'>,
): [number, number] {
  let lo = 0;
  let hi = rows.length;
  if (!q.descending) {
    if (q.startKey) lo = lowerBound(rows, q.startKey.value, q.startDocId ?? MIN);
    if (q.endKey) {
      hi = q.inclusiveEnd
        ? upperBound(rows, q.endKey.value, q.endDocId ?? MAX)
        : lowerBound(rows, q.endKey.value, q.endDocId ?? MIN);
    }
  } else {
    if (q.startKey) hi = upperBound(rows, q.startKey.value, q.startDocId ?? MAX);
    if (q.endKey) {
      lo = q.inclusiveEnd
        ? lowerBound(rows, q.endKey.value, q.endDocId ?? MIN)
        : upperBound(rows, q.endKey.value, q.endDocId ?? MAX);
    }
  }
  return [lo, Math.max(lo, hi)];
}

/** The slices a query reads, in output order (one per key for a multi-get). */
function slicesOf(rows: readonly IndexRow[], q: ViewQuery): Array<[number, number]> {
  if (q.keys === undefined) return [rangeOf(rows, q)];
  return q.keys.map((key) =>
    rangeOf(rows, { ...q, startKey: { value: key }, endKey: { value: key } }),
  );
}

export function mapRowJson(row: IndexRow): string {
  return `{"id":${JSON.stringify(row.id)},"key":${row.keyJson},"value":${row.valueJson}}`;
}

/** An error to report in the response's "errors" list. */
export interface RowError {
  error: string;
}

/** Map rows (JSON texts) of a map view, or of a reduce view queried with reduce=false. */
export function* mapRows(rows: readonly IndexRow[], q: ViewQuery): Generator<string> {
  let skip = q.skip;
  let limit = q.limit;
  if (limit <= 0) return;
  for (const [lo, hi] of slicesOf(rows, q)) {
    const step = q.descending ? -1 : 1;
    for (let i = q.descending ? hi - 1 : lo; q.descending ? i >= lo : i < hi; i += step) {
      if (skip > 0) {
        skip--;
        continue;
      }
      yield mapRowJson(rows[i]);
      if (--limit <= 0) return;
    }
  }
}

/** The JSON text of the group key of a row at `level`. */
function groupKeyJson(row: IndexRow, level: number | 'exact'): string {
  if (level === 'exact' || !Array.isArray(row.key)) return row.keyJson;
  return JSON.stringify(row.key.slice(0, level));
}

/**
 * Reduce rows (JSON texts) of a reduce view, or errors. Reduce failures become errors and the
 * row is left out (on_error=continue) or the output stops there (on_error=stop).
 */
export function* reduceRows(
  rows: readonly IndexRow[],
  reducer: Reducer,
  q: ViewQuery,
  onError: OnError,
): Generator<string | RowError> {
  let skip = q.skip;
  let limit = q.limit;
  if (limit <= 0) return;
  const level = q.groupLevel;
  for (const [lo, hi] of slicesOf(rows, q)) {
    if (lo >= hi) continue;
    // Groups are runs of rows with the same group key: [start, end) ascending, visited in order.
    const groups: Array<[number, number, string]> = [];
    if (level === 0) {
      groups.push([lo, hi, 'null']);
    } else if (!q.descending) {
      let start = lo;
      let gk = groupKeyJson(rows[lo], level);
      for (let i = lo + 1; i <= hi; i++) {
        const k = i < hi ? groupKeyJson(rows[i], level) : undefined;
        if (k !== gk) {
          groups.push([start, i, gk]);
          start = i;
          gk = k as string;
        }
      }
    } else {
      let end = hi;
      let gk = groupKeyJson(rows[hi - 1], level);
      for (let i = hi - 2; i >= lo - 1; i--) {
        const k = i >= lo ? groupKeyJson(rows[i], level) : undefined;
        if (k !== gk) {
          groups.push([i + 1, end, gk]);
          end = i + 1;
          gk = k as string;
        }
      }
    }
    for (const [start, end, key] of groups) {
      if (skip > 0) {
        skip--;
        continue;
      }
      let value: string;
      try {
        value = reducer(rows, start, end);
      } catch (e) {
        if (!(e instanceof ReduceError)) throw e;
        yield { error: e.message };
        if (onError === 'stop') return;
        continue;
      }
      yield `{"key":${key},"value":${value}}`;
      if (--limit <= 0) return;
    }
  }
}
