/**
 * The views ("capi") HTTP port of a node: design documents and view queries.
 *
 *   GET|PUT|DELETE /<bucket>/_design/<name>
 *   GET|POST       /<bucket>/_design/<name>/_view/<view>
 *
 * Answers as Couchbase does (couchdb `couch_httpd_view_merger`, `couch_view_merger`,
 * `couch_httpd:error_info/1`): rows stream as `{"total_rows":N,"rows":[\r\n{row},\r\n...\r\n]\r\n}`
 * (reductions without total_rows), errors that happen while producing rows go in an "errors"
 * list of {"from","reason"} with status 200, and rejected requests get {"error","reason"} with
 * 400 (query_parse_error, bad_request, invalid_design_document), 404 (not_found), 401, 405
 * or 415.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CapiHandler, CapiHandlerOptions, ViewService } from './contract.js';
import { DesignDocError, designDocName, designDocRevision } from './design-docs.js';
import {
  QueryError,
  mapRows,
  parseJsonParam,
  parseViewQuery,
  reduceRows,
  viewTypeOf,
  type OnError,
  type RowError,
} from './query.js';
import { viewEngineOf } from './view-service.js';

/** Request bodies above this are refused (design documents and POSTed keys are small). */
const MAX_BODY_BYTES = 20 * 1024 * 1024;
/** Response bytes gathered before a write. */
const CHUNK_BYTES = 64 * 1024;
/** Longest stretch of row production without a turn of the event loop (ms). */
const SLICE_MS = 50;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(reason);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'must-revalidate',
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'too_large', 'Request body is too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const ctype = req.headers['content-type'] ?? '';
  if (!ctype.toLowerCase().startsWith('application/json')) {
    throw new HttpError(415, 'bad_content_type', 'Content-Type must be application/json');
  }
  const text = (await readBody(req)).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'bad_request', 'invalid UTF-8 JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'bad_request', 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function methodNotAllowed(allowed: string): HttpError {
  return new HttpError(405, 'method_not_allowed', `Only ${allowed} allowed`, { allow: allowed });
}

/** Creates the request handler of a node's views port. */
export function createCapiHandler(options: CapiHandlerOptions): CapiHandler {
  return (req, res) => {
    handle(options, req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) sendJson(res, e.status, { error: e.error, reason: e.reason }, e.headers);
      else if (e instanceof QueryError) sendJson(res, e.status, { error: e.error, reason: e.reason });
      else if (e instanceof DesignDocError) sendJson(res, 400, { error: e.error, reason: e.reason });
      else sendJson(res, 500, { error: 'unknown_error', reason: e instanceof Error ? e.message : String(e) });
    });
  };
}

async function handle(options: CapiHandlerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let parts: string[];
  try {
    parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'bad_request', 'invalid URL encoding');
  }
  if (parts.length > 0 && parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length === 1 && parts[0] === '') {
    sendJson(res, 200, { couchdb: 'Welcome', version: 'v4.5.1-couchbase-rx-emulator', couchbase: '7.0.0' });
    return;
  }
  const bucketName = parts[0];
  if (!options.authenticate(req, bucketName)) {
    // Couchbase Server's capi_frontend answers a failed bucket auth with this reason.
    throw new HttpError(401, 'unauthorized', 'password required', {
      'www-authenticate': 'Basic realm="Couchbase Server"',
    });
  }
  const service = options.bucket(bucketName);
  if (!service) throw new HttpError(404, 'not_found', 'no_couchbase_bucket_exists');
  if (parts[1] === '_design' && parts.length === 3) return designDoc(service, parts[2], req, res);
  if (parts[1] === '_design' && parts.length === 5 && parts[3] === '_view') {
    return viewQuery(service, bucketName, parts[2], parts[4], url, req, res);
  }
  throw new HttpError(404, 'not_found', 'missing');
}

async function designDoc(service: ViewService, rawName: string, req: IncomingMessage, res: ServerResponse) {
  const name = designDocName(rawName);
  const id = `_design/${name}`;
  switch (req.method) {
    case 'GET':
    case 'HEAD': {
      const doc = service.getDesignDoc(name);
      if (doc === undefined) throw new HttpError(404, 'not_found', 'missing');
      sendJson(res, 200, doc, {
        'x-couchbase-meta': JSON.stringify({ id, rev: designDocRevision(doc), type: 'json' }),
      });
      return;
    }
    case 'PUT': {
      const text = (await readBody(req)).toString('utf8');
      let doc: unknown;
      try {
        doc = JSON.parse(text) as unknown;
      } catch {
        throw new HttpError(400, 'bad_request', 'invalid UTF-8 JSON');
      }
      service.putDesignDoc(name, doc);
      sendJson(res, 201, { ok: true, id });
      return;
    }
    case 'DELETE':
      if (!service.deleteDesignDoc(name)) throw new HttpError(404, 'not_found', 'missing');
      sendJson(res, 200, { ok: true, id });
      return;
    default:
      throw methodNotAllowed('GET,PUT,DELETE,HEAD');
  }
}

async function viewQuery(
  service: ViewService,
  bucketName: string,
  ddocName: string,
  viewName: string,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const params = url.searchParams;
  let body: Record<string, unknown> = {};
  let keys: unknown;
  if (req.method === 'POST') {
    body = await readJsonObject(req);
    keys = body.keys;
  } else if (req.method === 'GET' || req.method === 'HEAD') {
    const raw = params.get('keys');
    keys = raw === null ? undefined : parseJsonParam('keys', raw);
  } else {
    throw methodNotAllowed('GET,POST,HEAD');
  }
  if (keys === null) keys = undefined;
  if (keys !== undefined && !Array.isArray(keys)) {
    throw new HttpError(400, 'bad_request', '`keys` parameter is not an array.');
  }
  // couch_httpd_view_merger:apply_http_config/3
  const timeout = body.connection_timeout ?? (params.has('connection_timeout')
    ? parseJsonParam('connection_timeout', params.get('connection_timeout') as string)
    : 60000);
  if (!Number.isInteger(timeout)) {
    throw new HttpError(400, 'bad_request', 'Query parameter `connection_timeout` must be an integer');
  }
  const onErrorRaw = typeof body.on_error === 'string' ? body.on_error : (params.get('on_error') ?? 'continue');
  if (onErrorRaw !== 'continue' && onErrorRaw !== 'stop') {
    throw new HttpError(
      400,
      'bad_request',
      `Invalid value (\`${onErrorRaw}\`) for the parameter \`on_error\`. It must be \`continue\` (default) or \`stop\`.`,
    );
  }
  const onError: OnError = onErrorRaw;

  const engine = viewEngineOf(service);
  if (!engine) throw new HttpError(500, 'unknown_error', 'views engine unavailable for this bucket');
  const ddocId = `_design/${designDocName(ddocName)}`;
  const opened = await engine.openView(ddocName, viewName);
  if (opened.found === 'design_doc_missing') {
    throw new HttpError(404, 'not_found', `Design document \`${ddocId}\` missing in database \`${bucketName}/master\`.`);
  }
  if (opened.found === 'view_missing') {
    throw new HttpError(
      404,
      'not_found',
      `Error opening view \`${viewName}\`, from set \`${bucketName}\`, design document \`${ddocId}\`: {not_found,missing_named_view}`,
    );
  }
  const { index, view } = opened;
  const type = viewTypeOf(view.reducer !== undefined, params);
  const q = parseViewQuery(params, keys as unknown[] | undefined, type);
  const after = await engine.refresh(index, q.stale);
  // The snapshot: row arrays are replaced on update, never changed in place.
  const rows = index.broken === undefined ? view.rows : [];
  if (after) setImmediate(after);

  const errors: string[] = [];
  if (index.broken !== undefined) errors.push(index.broken);
  const reducing = type === 'reduce' && q.reduce;
  const head = reducing ? '{"rows":[' : `{"total_rows":${rows.length},"rows":[`;
  const source: Iterable<string | RowError> =
    index.broken !== undefined
      ? []
      : reducing && view.reducer
        ? reduceRows(rows, view.reducer, q, onError)
        : mapRows(rows, q);

  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'must-revalidate' });
  let out = head;
  let first = true;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  let slice = performance.now();
  let count = 0;
  for (const item of source) {
    if (closed) return;
    // Custom reduces can be slow: give the event loop a turn now and then.
    if ((++count & 255) === 0 && performance.now() - slice > SLICE_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      slice = performance.now();
      if (closed) return;
    }
    if (typeof item !== 'string') {
      errors.push(item.error);
      continue;
    }
    out += first ? '\r\n' : ',\r\n';
    out += item;
    first = false;
    if (out.length >= CHUNK_BYTES) {
      const ok = res.write(out);
      out = '';
      if (!ok) await drained(res);
    }
  }
  out += first ? '\r\n]' : '\r\n]';
  if (errors.length > 0) {
    const unique = [...new Set(errors)];
    out += ',\r\n"errors":[\r\n' + unique.map((reason) => JSON.stringify({ from: 'local', reason })).join(',\r\n') + '\r\n]';
  }
  if (q.debug) {
    const info = {
      local: {
        design_doc: ddocId,
        view: viewName,
        built: index.built,
        update_seq: index.updateSeq,
        pending_mutations: index.pending,
        stale: q.stale,
        map_errors: index.mapErrors,
      },
    };
    out += ',\r\n"debug_info":' + JSON.stringify(info);
  }
  out += '\r\n}';
  if (!closed) res.end(out);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
