/**
 * A ViewDataSource over an in-memory map of documents: for tests, benchmarks and anything
 * that wants the views engine without the KV store.
 */
import type { ViewDataSource, ViewDocument } from './contract.js';

export class MemoryViewSource implements ViewDataSource {
  readonly #docs = new Map<string, ViewDocument>();
  readonly #listeners = new Set<(key: string, doc: ViewDocument | undefined) => void>();
  #seqno = 0;
  #cas = 0n;

  /** Stores a document (objects and strings are JSON-encoded, Buffers kept as they are). */
  set(id: string, value: unknown, options: { flags?: number; expiration?: number } = {}): ViewDocument {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value));
    const previous = this.#docs.get(id);
    const doc: ViewDocument = {
      id,
      value: bytes,
      flags: options.flags ?? 0x02000006,
      expiration: options.expiration ?? 0,
      cas: ++this.#cas * 0x10000n,
      revSeqno: (previous?.revSeqno ?? 0) + 1,
    };
    this.#docs.set(id, doc);
    this.#notify(id, doc);
    return doc;
  }

  /** Stores raw bytes as they are (JSON or not). */
  setRaw(id: string, bytes: Buffer | string, options: { flags?: number; expiration?: number } = {}): ViewDocument {
    return this.set(id, Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), options);
  }

  delete(id: string): boolean {
    const had = this.#docs.delete(id);
    if (had) this.#notify(id, undefined);
    return had;
  }

  get size(): number {
    return this.#docs.size;
  }

  documents(): Iterable<ViewDocument> {
    return this.#docs.values();
  }

  onMutation(listener: (key: string, doc: ViewDocument | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  seqno(): number {
    return this.#seqno;
  }

  #notify(id: string, doc: ViewDocument | undefined): void {
    this.#seqno++;
    for (const listener of this.#listeners) listener(id, doc);
  }
}
