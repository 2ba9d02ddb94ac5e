/**
 * The index of one design document: every view's rows, sorted by view collation, kept up to
 * date incrementally from the bucket's mutations.
 *
 * As on Couchbase, the views of a design document share one index and one pass of the
 * documents (a document reaches every map function of the design document). The row arrays
 * are never changed in place: an update builds new arrays, so a query streaming an older
 * array (stale=ok, a slow client) keeps a consistent snapshot without copying it.
 */
import { isUtf8 } from 'node:buffer';
import type { ViewDocument } from './contract.js';
import { collate, compareDocIds } from './collation.js';
import type { ViewDefinition } from './design-docs.js';
import { builtinReducer, jsReducer, type BuiltinReduce, type Reducer } from './reduce.js';
import { Sandbox, SandboxTimeoutError, type MapInput, type MapResult } from './sandbox.js';

export interface IndexRow {
  /** The emitted key, parsed (for collation and grouping). */
  readonly key: unknown;
  /** The emitted key as JSON text, as the map function's JSON.stringify wrote it. */
  readonly keyJson: string;
  readonly id: string;
  readonly valueJson: string;
}

export interface ViewState {
  readonly def: ViewDefinition;
  /** Sorted by (key, id); replaced, never mutated. */
  rows: readonly IndexRow[];
  /** undefined for map-only views. */
  readonly reducer?: Reducer;
}

export interface MapErrorRecord {
  id: string;
  view: string;
  reason: string;
}

/** Default cap on an index's size in memory (approximate): beyond it the index fails. */
export const DEFAULT_MAX_INDEX_BYTES = 256 * 1024 * 1024;
/** Approximate memory of one row besides its strings. */
const ROW_OVERHEAD = 96;

function rowsBytes(perView: readonly IndexRow[][]): number {
  let n = 0;
  for (const rows of perView) {
    for (const r of rows) n += ROW_OVERHEAD + r.keyJson.length + r.valueJson.length + r.id.length;
  }
  return n;
}

/** How many per-document map errors an index remembers (for `debug=true`). */
const MAP_ERROR_LOG = 50;
/** Documents handed to the sandbox per call while building. */
const MAP_BATCH = 1000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function compareRows(a: IndexRow, b: IndexRow): number {
  return collate(a.key, b.key) || compareDocIds(a.id, b.id);
}

/** `meta.rev` as Couchbase builds it: "<revSeqno>-<cas:16 hex><expiration:8 hex><flags:8 hex>". */
export function revOf(doc: ViewDocument): string {
  const hex = (n: bigint | number, width: number) => n.toString(16).padStart(width, '0');
  return `${doc.revSeqno}-${hex(BigInt.asUintN(64, doc.cas), 16)}${hex(doc.expiration >>> 0, 8)}${hex(doc.flags >>> 0, 8)}`;
}

/**
 * The map functions' view of a stored document: JSON docs parsed, others base64 (the body is then
 * the base64 string, as couch_doc:to_raw_json_binary_views/3 passes it). `meta` has Couchbase's
 * members except `seq` and `vb`, which the contract does not carry; `xattrs` is always empty.
 */
export function toMapInput(doc: ViewDocument): MapInput {
  let json = false;
  let body = '';
  if (isUtf8(doc.value)) {
    body = doc.value.toString('utf8');
    try {
      JSON.parse(body);
      json = true;
    } catch {
      json = false;
    }
  }
  if (!json) body = doc.value.toString('base64');
  const meta =
    `{"id":${JSON.stringify(doc.id)},"rev":"${revOf(doc)}","expiration":${doc.expiration >>> 0},` +
    `"flags":${doc.flags >>> 0},"type":"${json ? 'json' : 'base64'}","xattrs":{}}`;
  return { body, json, meta };
}

function merge(a: readonly IndexRow[], b: readonly IndexRow[]): IndexRow[] {
  if (b.length === 0) return a.slice();
  if (a.length === 0) return b.slice();
  const out = new Array<IndexRow>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = compareRows(a[i], b[j]) <= 0 ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}

export class DesignIndex {
  readonly views: ReadonlyMap<string, ViewState>;
  readonly mapErrors: MapErrorRecord[] = [];
  /** Set when a function ran past its time limit: the index stops and queries report it. */
  broken: string | undefined;
  built = false;
  /** Source seqno the index reflects (for debug_info). */
  updateSeq = 0;
  readonly #sandbox: Sandbox;
  readonly #viewList: ViewState[];
  readonly #timeoutMs: number;
  /** Per document with rows: its rows, per view (index as in #viewList). */
  readonly #byDoc = new Map<string, IndexRow[][]>();
  readonly #pending = new Map<string, ViewDocument | undefined>();
  readonly #maxBytes: number;
  /** Approximate memory held by the rows of all views. */
  #bytes = 0;
  /** The first build, once started. */
  #build: Promise<void> | undefined;
  /** Tail of the chain that runs builds and updates one at a time. */
  #work: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    defs: readonly ViewDefinition[],
    timeoutMs: number,
    maxBytes = DEFAULT_MAX_INDEX_BYTES,
  ) {
    this.#timeoutMs = timeoutMs;
    this.#maxBytes = maxBytes;
    this.#sandbox = new Sandbox(timeoutMs);
    this.#viewList = defs.map((def) => {
      this.#sandbox.addMap(def.map);
      let reducer: Reducer | undefined;
      if (def.reduce !== undefined) {
        reducer = def.reduce.startsWith('_')
          ? builtinReducer(def.reduce as BuiltinReduce)
          : jsReducer(this.#sandbox, this.#sandbox.addReduce(def.reduce));
      }
      return { def, rows: [], reducer };
    });
    this.views = new Map(this.#viewList.map((v) => [v.def.name, v]));
  }

  /** Mutations waiting for the next update. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Records a mutation (doc undefined: deleted or expired). Before the first build: nothing to do. */
  enqueue(id: string, doc: ViewDocument | undefined): void {
    if (this.built && this.broken === undefined) this.#pending.set(id, doc);
  }

  /**
   * Builds the index on first use (concurrent callers share the build). `docs` is read once,
   * up front; mutations arriving while the build runs are queued and applied by the next update.
   */
  ensureBuilt(docs: () => Iterable<ViewDocument>, seqno: () => number): Promise<void> {
    if (!this.#build) {
      this.built = true; // from here on, mutations are queued
      this.#pending.clear();
      const build = this.#exclusive(() => this.#runBuild([...docs()], seqno()));
      this.#build = build;
      build.catch(() => {
        if (this.#build === build) {
          this.#build = undefined;
          this.built = false;
        }
      });
    }
    return this.#build;
  }

  /** Applies pending mutations (stale=false, update_after, the automatic updater), in turn. */
  update(seqno: () => number): Promise<void> {
    return this.#exclusive(() => this.#runUpdate(seqno()));
  }

  /** Runs `fn` after every earlier build or update of this index has finished. */
  #exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.#work.then(fn);
    this.#work = run.catch(() => undefined);
    return run;
  }

  async #runBuild(all: ViewDocument[], seqno: number): Promise<void> {
    const perView: IndexRow[][] = this.#viewList.map(() => []);
    for (let i = 0; i < all.length && this.broken === undefined; i += MAP_BATCH) {
      const mapped = await this.#mapDocs(all.slice(i, i + MAP_BATCH));
      if (!mapped) break;
      for (const [id, rows] of mapped) {
        this.#byDoc.set(id, rows);
        this.#bytes += rowsBytes(rows);
        for (let v = 0; v < rows.length; v++) for (const r of rows[v]) perView[v].push(r);
      }
      if (!this.#checkSize()) break;
    }
    for (let v = 0; v < this.#viewList.length; v++) {
      this.#viewList[v].rows = this.broken === undefined ? perView[v].sort(compareRows) : [];
    }
    this.updateSeq = seqno;
  }

  async #runUpdate(seqno: number): Promise<void> {
    if (this.broken !== undefined) return;
    if (this.#pending.size === 0) {
      this.updateSeq = Math.max(this.updateSeq, seqno);
      return;
    }
    const changes = [...this.#pending];
    this.#pending.clear();
    const live: ViewDocument[] = [];
    for (const [, doc] of changes) if (doc !== undefined) live.push(doc);
    const mapped = new Map<string, IndexRow[][]>();
    for (let i = 0; i < live.length; i += MAP_BATCH) {
      const part = await this.#mapDocs(live.slice(i, i + MAP_BATCH));
      if (!part) return;
      for (const [id, rows] of part) mapped.set(id, rows);
    }
    let bytes = this.#bytes;
    for (const [id] of changes) {
      const old = this.#byDoc.get(id);
      if (old) bytes -= rowsBytes(old);
      const now = mapped.get(id);
      if (now) bytes += rowsBytes(now);
    }
    this.#bytes = bytes;
    if (!this.#checkSize()) return;
    for (let v = 0; v < this.#viewList.length; v++) {
      const view = this.#viewList[v];
      const removed = new Set<IndexRow>();
      const added: IndexRow[] = [];
      for (const [id] of changes) {
        const old = this.#byDoc.get(id);
        if (old) for (const r of old[v]) removed.add(r);
        const now = mapped.get(id);
        if (now) for (const r of now[v]) added.push(r);
      }
      if (removed.size === 0 && added.length === 0) continue;
      const kept = removed.size > 0 ? view.rows.filter((r) => !removed.has(r)) : view.rows;
      view.rows = merge(kept, added.sort(compareRows));
    }
    for (const [id] of changes) {
      const now = mapped.get(id);
      if (now) this.#byDoc.set(id, now);
      else this.#byDoc.delete(id);
    }
    this.updateSeq = seqno;
  }

  /**
   * Maps documents, a slice at a time with a turn of the event loop in between, so that a long
   * build never stalls the emulator. Returns rows per document per view, or undefined once broken.
   */
  async #mapDocs(docs: readonly ViewDocument[]): Promise<Map<string, IndexRow[][]> | undefined> {
    const n = this.#viewList.length;
    const out = new Map<string, IndexRow[][]>();
    if (docs.length === 0 || n === 0) return out;
    const ids = docs.map((d) => d.id);
    let results: MapResult[];
    try {
      const room = this.#maxBytes - this.#bytes;
      const run = this.#sandbox.mapBegin(docs.map(toMapInput), ids, room);
      while (!run.step()) {
        if (run.emitted() > room) {
          run.results(); // releases the run's input and output
          this.#bytes = this.#maxBytes + 1;
          this.#checkSize();
          return undefined;
        }
        await yieldToEventLoop();
      }
      results = run.results();
    } catch (e) {
      if (!(e instanceof SandboxTimeoutError)) throw e;
      const where = e.cause as { doc?: string; map?: number } | undefined;
      const view = where?.map !== undefined && where.map >= 0 ? this.#viewList[where.map]?.def.name : undefined;
      this.#fail(
        `function timeout: the map function of view \`${view ?? '?'}\` in design document ` +
          `\`_design/${this.name}\` ran longer than ${this.#timeoutMs} ms on document \`${where?.doc ?? '?'}\``,
      );
      return undefined;
    }
    if (this.broken !== undefined) return undefined;
    for (let d = 0; d < docs.length; d++) {
      const id = ids[d];
      let perView: IndexRow[][] | undefined;
      for (let v = 0; v < n; v++) {
        const r = results[d * n + v];
        if (typeof r === 'string') {
          this.#logMapError(id, this.#viewList[v].def.name, r);
          continue;
        }
        if (r.length === 0) continue;
        perView ??= this.#viewList.map(() => []);
        const rows = perView[v];
        const start = rows.length;
        try {
          for (let i = 0; i + 1 < r.length; i += 2) {
            rows.push({ key: JSON.parse(r[i]) as unknown, keyJson: r[i], id, valueJson: r[i + 1] });
          }
        } catch {
          // Only a map function that tampered with the sandbox gets here.
          rows.length = start;
          this.#logMapError(id, this.#viewList[v].def.name, 'invalid JSON emitted');
        }
      }
      if (perView) out.set(id, perView);
    }
    return out;
  }

  /** Fails the index when its rows outgrow the cap (a map function emitting without bound). */
  #checkSize(): boolean {
    if (this.#bytes <= this.#maxBytes) return true;
    this.#fail(
      `index too large: the views of design document \`_design/${this.name}\` emitted more than ` +
        `${Math.round(this.#maxBytes / 1048576)} MiB, the emulator's limit`,
    );
    return false;
  }

  /** Stops the index for good (until its design document changes): queries report `reason`. */
  #fail(reason: string): void {
    this.broken = reason;
    for (const v of this.#viewList) v.rows = [];
    this.#byDoc.clear();
    this.#pending.clear();
    this.#bytes = 0;
  }

  #logMapError(id: string, view: string, reason: string): void {
    if (this.mapErrors.length >= MAP_ERROR_LOG) this.mapErrors.shift();
    this.mapErrors.push({ id, view, reason });
  }
}
