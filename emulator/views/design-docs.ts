/**
 * Design document validation, with Couchbase's messages (couchdb
 * `couch_set_view_mapreduce:validate_ddoc_views/1`): they reach clients as
 * HTTP 400 {"error":"invalid_design_document","reason":...}.
 *
 * Names: `dev_<x>` is the development copy of `<x>`; publishing is the client PUTting the same
 * body under the production name. The emulator indexes development views over the whole
 * bucket (as with `full_set=true`), since it has no vBucket subset to offer.
 */
import { BUILTIN_REDUCES } from './reduce.js';
import { Sandbox, SandboxCompileError } from './sandbox.js';

/** An invalid design document; `reason` is what Couchbase answers. */
export class DesignDocError extends Error {
  override readonly name = 'DesignDocError';
  readonly error = 'invalid_design_document';
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface ViewDefinition {
  name: string;
  map: string;
  /** undefined: map-only view. */
  reduce?: string;
}

/** Strips a leading `_design/` so both spellings name the same document. */
export function designDocName(name: string): string {
  return name.startsWith('_design/') ? name.slice('_design/'.length) : name;
}

export function isDevelopment(name: string): boolean {
  return designDocName(name).startsWith('dev_');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks a design document body and returns its views. Compiles every function in a scratch
 * sandbox, so a syntax error fails the PUT as it does on Couchbase.
 */
export function validateDesignDoc(doc: unknown, timeoutMs: number): ViewDefinition[] {
  if (!isObject(doc)) throw new DesignDocError('Content is not json.');
  const views = doc.views === undefined ? {} : doc.views;
  if (!isObject(views)) throw new DesignDocError("The field `views' is not a json object.");
  const result: ViewDefinition[] = [];
  let sandbox: Sandbox | undefined;
  const compile = (kind: 'map' | 'reduce', viewName: string, source: string) => {
    sandbox ??= new Sandbox(timeoutMs);
    try {
      if (kind === 'map') sandbox.addMap(source);
      else sandbox.addReduce(source);
    } catch (e) {
      const message = e instanceof SandboxCompileError ? e.message : String(e);
      throw new DesignDocError(`Syntax error in the ${kind} function of the view \`${viewName}': ${message}`);
    }
  };
  for (const [name, def] of Object.entries(views)) {
    if (name === '') throw new DesignDocError('View name cannot be an empty string');
    if (!isObject(def)) throw new DesignDocError(`Value for view \`${name}' is not a json object.`);
    if (/^[ \t\n\r]|[ \t\n\r]$/.test(name)) {
      throw new DesignDocError(`View name \`${name}\` cannot have leading or trailing whitespace`);
    }
    const map = def.map;
    if (map === undefined) throw new DesignDocError(`The \`map' field for the view \`${name}' is missing.`);
    if (typeof map !== 'string') throw new DesignDocError(`The \`map' field of the view \`${name}' is not a json string.`);
    compile('map', name, map);
    const reduce = def.reduce;
    if (reduce !== undefined) {
      if (typeof reduce !== 'string') {
        throw new DesignDocError(`The \`reduce' field of the view \`${name}' is not a json string.`);
      }
      if (reduce.startsWith('_')) {
        if (!BUILTIN_REDUCES.has(reduce)) {
          throw new DesignDocError(`Invalid built-in reduce function for view \`${name}': ${reduce}`);
        }
      } else {
        compile('reduce', name, reduce);
      }
    }
    result.push({ name, map, reduce: reduce as string | undefined });
  }
  return result;
}

/**
 * A revision string for a stored design document ("1-<8 hex>", stable for equal content), as
 * Couchbase shows in X-Couchbase-Meta and in the ddocs listing.
 */
export function designDocRevision(doc: unknown): string {
  const text = JSON.stringify(doc) ?? '';
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `1-${h.toString(16).padStart(8, '0')}`;
}

/**
 * The body of the cluster manager's GET /pools/default/buckets/<bucket>/ddocs, which SDKs use
 * to list design documents (couchnode reads rows[].doc.meta.id and rows[].doc.json).
 */
export function designDocsListing(
  bucket: string,
  docs: ReadonlyArray<{ name: string; doc: unknown }>,
): { rows: Array<{ doc: { meta: { id: string; rev: string }; json: unknown }; controllers: Record<string, string> }> } {
  return {
    rows: docs.map(({ name, doc }) => {
      const id = `_design/${designDocName(name)}`;
      const path = `/pools/default/buckets/${encodeURIComponent(bucket)}/ddocs/${encodeURIComponent(id)}/controller`;
      return {
        doc: { meta: { id, rev: designDocRevision(doc) }, json: doc },
        controllers: { compact: `${path}/compactView`, setUpdateMinChanges: `${path}/setUpdateMinChanges` },
      };
    }),
  };
}
