/**
 * The views engine of one bucket: design documents and their indexes.
 *
 * Indexes are built lazily, on the first query of a design document, from
 * `source.documents()`. After that, mutations from `source.onMutation` are queued per index and
 * applied when a query asks for it: `stale=false` applies them before answering,
 * `stale=update_after` (Couchbase's default) answers from the index as it is and applies them
 * right after, `stale=ok` answers from the index as it is. A design document change drops its
 * index; `reset()` (bucket flush) drops them all.
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
  /** Looks a view up, building its design document's index on first use. */
  openView(designDoc: string, view: string): OpenViewResult;
  /**
   * Brings the index up to date as `stale` asks. Returns work to run once the answer has been
   * produced from the current rows (update_after), if any.
   */
  refresh(index: DesignIndex, stale: Stale): (() => void) | undefined;
}

interface StoredDesignDoc {
  doc: unknown;
  views: ViewDefinition[];
}

const DEFAULT_TIMEOUT_MS = 250;

class BucketViewService implements ViewService {
  readonly #source: ViewDataSource;
  readonly #options: ViewServiceOptions;
  readonly #timeoutMs: number;
  readonly #docs = new Map<string, StoredDesignDoc>();
  readonly #indexes = new Map<string, DesignIndex>();
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(source: ViewDataSource, options: ViewServiceOptions) {
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
    const copy = structuredClone(doc);
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
    this.#unsubscribe();
    this.#indexes.clear();
  }

  readonly [VIEW_ENGINE]: ViewEngine = {
    openView: (designDoc, viewName) => {
      const key = designDocName(designDoc);
      const stored = this.#docs.get(key);
      if (!stored) return { found: 'design_doc_missing' };
      let index = this.#indexes.get(key);
      if (!index) {
        index = new DesignIndex(key, stored.views, this.#timeoutMs);
        this.#indexes.set(key, index);
      }
      const view = index.views.get(viewName);
      if (!view) return { found: 'view_missing' };
      if (!index.built) index.build(this.#source.documents(), this.#source.seqno());
      return { found: 'view', index, view };
    },
    refresh: (index, stale) => {
      if (stale === 'false') {
        index.update(this.#source.seqno());
        return undefined;
      }
      if (stale === 'update_after' && index.pending > 0) {
        return () => {
          if (this.#indexes.get(index.name) === index) index.update(this.#source.seqno());
        };
      }
      return undefined;
    },
  };
}

/** Creates the views engine of one bucket over its documents. */
export function createViewService(source: ViewDataSource, options: ViewServiceOptions = {}): ViewService {
  return new BucketViewService(source, options);
}

/** The engine behind a service made by createViewService, or undefined for any other object. */
export function viewEngineOf(service: ViewService): ViewEngine | undefined {
  return (service as Partial<Record<typeof VIEW_ENGINE, ViewEngine>>)[VIEW_ENGINE];
}
