/**
 * The views engine of one bucket: design documents and their indexes.
 *
 * Indexes are built lazily, on the first query of a design document, from
 * `source.documents()`. After that, mutations from `source.onMutation` are queued per index and
 * applied when a query asks for it: `stale=false` applies them before answering,
 * `stale=update_after` (Couchbase's default) answers from the index as it is and applies them
 * right after, `stale=ok` answers from the index as it is. As on Couchbase, a background updater
 * also applies them every 5 s once a design document has `options.updateMinChanges` (default
 * 5000) of them waiting. A design document change drops its index; `reset()` (bucket flush)
 * drops them all.
 */
import type { ViewDataSource, ViewService, ViewServiceOptions } from './contract.js';
import { DesignDocError, designDocName, validateDesignDoc, type ViewDefinition } from './design-docs.js';
import { DesignIndex, type ViewState } from './indexer.js';
import type { Stale } from './query.js';

/** The engine side of a ViewService, used by the capi handler (not part of the contract). */
export const VIEW_ENGINE: unique symbol = Symbol.for('couchbase-rx.emulator.views.engine');

export type OpenViewResult =
  | { found: 'design_doc_missing' }
  | { found: 'view_missing' }
  | { found: 'view'; index: DesignIndex; view: ViewState };

export interface ViewEngine {
  /** Looks a view up (its design document's index is created, not built). */
  openView(designDoc: string, view: string): Promise<OpenViewResult>;
  /**
   * Builds the index on first use, then brings it up to date as `stale` asks. Returns work to run
   * once the answer has been produced from the current rows (update_after), if any.
   */
  refresh(index: DesignIndex, stale: Stale): Promise<(() => void) | undefined>;
}

interface StoredDesignDoc {
  doc: unknown;
  views: ViewDefinition[];
}

const DEFAULT_TIMEOUT_MS = 250;
/** Couchbase's automatic index updater: every 5 s, indexes with 5000+ pending changes. */
const AUTO_UPDATE_INTERVAL_MS = 5000;
const DEFAULT_UPDATE_MIN_CHANGES = 5000;

/** Options of createViewService beyond the contract's. */
export interface ViewServiceExtraOptions extends ViewServiceOptions {
  /**
   * How often the automatic updater looks for indexes with at least `updateMinChanges` (a
   * design document option, default 5000; 0 turns it off) pending changes (default 5000 ms).
   */
  autoUpdateIntervalMs?: number;
  /**
   * Approximate memory one design document's index may hold before it fails with an error
   * instead of exhausting the process (default 256 MiB).
   */
  maxIndexBytes?: number;
}

/** The design document's `options.updateMinChanges`, as Couchbase reads it. */
function updateMinChanges(doc: unknown): number {
  const options = (doc as { options?: { updateMinChanges?: unknown } } | null)?.options;
  const n = options?.updateMinChanges;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : DEFAULT_UPDATE_MIN_CHANGES;
}

class BucketViewService implements ViewService {
  readonly #source: ViewDataSource;
  readonly #options: ViewServiceExtraOptions;
  readonly #timeoutMs: number;
  readonly #docs = new Map<string, StoredDesignDoc>();
  readonly #indexes = new Map<string, DesignIndex>();
  readonly #unsubscribe: () => void;
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(source: ViewDataSource, options: ViewServiceExtraOptions) {
    this.#source = source;
    this.#options = options;
    this.#timeoutMs = options.functionTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    for (const [name, doc] of Object.entries(options.persistence?.load() ?? {})) {
      // A stored document that no longer validates (hand-edited data dir) is kept without views.
      let views: ViewDefinition[] = [];
      try {
        views = validateDesignDoc(doc, this.#timeoutMs);
      } catch {
        views = [];
      }
      this.#docs.set(designDocName(name), { doc, views });
    }
    this.#unsubscribe = source.onMutation((key, doc) => {
      for (const index of this.#indexes.values()) index.enqueue(key, doc);
    });
    this.#timer = setInterval(() => this.#autoUpdate(), options.autoUpdateIntervalMs ?? AUTO_UPDATE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Couchbase's background updater: stale=ok readers see changes once enough pile up. */
  #autoUpdate(): void {
    for (const [name, index] of this.#indexes) {
      const min = updateMinChanges(this.#docs.get(name)?.doc);
      if (min > 0 && index.pending >= min) index.update(this.#seqno).catch(() => undefined);
    }
  }

  designDocs(): Array<{ name: string; doc: unknown }> {
    return [...this.#docs].map(([name, d]) => ({ name, doc: d.doc }));
  }

  getDesignDoc(name: string): unknown | undefined {
    return this.#docs.get(designDocName(name))?.doc;
  }

  putDesignDoc(name: string, doc: unknown): void {
    const key = designDocName(name);
    if (key === '') throw new DesignDocError('Design document name cannot be empty');
    const views = validateDesignDoc(doc, this.#timeoutMs);
    const copy = JSON.parse(JSON.stringify(doc)) as unknown; // stored as JSON, as Couchbase does
    this.#docs.set(key, { doc: copy, views });
    this.#indexes.delete(key);
    this.#options.persistence?.save(key, copy);
  }

  deleteDesignDoc(name: string): boolean {
    const key = designDocName(name);
    const had = this.#docs.delete(key);
    this.#indexes.delete(key);
    if (had) this.#options.persistence?.save(key, undefined);
    return had;
  }

  reset(): void {
    this.#indexes.clear();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#unsubscribe();
    this.#indexes.clear();
  }

  readonly #seqno = () => this.#source.seqno();
  readonly #documents = () => this.#source.documents();

  readonly [VIEW_ENGINE]: ViewEngine = {
    openView: async (designDoc, viewName) => {
      const key = designDocName(designDoc);
      const stored = this.#docs.get(key);
      if (!stored) return { found: 'design_doc_missing' };
      let index = this.#indexes.get(key);
      if (!index) {
        index = new DesignIndex(key, stored.views, this.#timeoutMs, this.#options.maxIndexBytes);
        this.#indexes.set(key, index);
      }
      const view = index.views.get(viewName);
      if (!view) return { found: 'view_missing' };
      return { found: 'view', index, view };
    },
    refresh: async (index, stale) => {
      await index.ensureBuilt(this.#documents, this.#seqno);
      if (stale === 'false') {
        await index.update(this.#seqno);
        return undefined;
      }
      if (stale === 'update_after' && index.pending > 0) {
        return () => {
          if (this.#indexes.get(index.name) === index) index.update(this.#seqno).catch(() => undefined);
        };
      }
      return undefined;
    },
  };
}

/** Creates the views engine of one bucket over its documents. */
export function createViewService(source: ViewDataSource, options: ViewServiceExtraOptions = {}): ViewService {
  return new BucketViewService(source, options);
}

/** The engine behind a service made by createViewService, or undefined for any other object. */
export function viewEngineOf(service: ViewService): ViewEngine | undefined {
  return (service as Partial<Record<typeof VIEW_ENGINE, ViewEngine>>)[VIEW_ENGINE];
}
