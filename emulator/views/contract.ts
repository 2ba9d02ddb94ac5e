/**
 * The seam between the emulator's key-value store (emulator/store, emulator/cluster) and its
 * views engine (emulator/views). The store implements `ViewDataSource` per bucket; the views
 * engine implements `ViewService` per bucket and `createCapiHandler` for the per-node views
 * ("capi") HTTP port. Neither side imports the other's internals.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A document as map functions see it (`doc` + `meta`). */
export interface ViewDocument {
  id: string;
  /** Raw bytes as stored; JSON ones reach map functions parsed, others base64 (`meta.type`). */
  value: Buffer;
  flags: number;
  /** Absolute Unix seconds, 0 = never. */
  expiration: number;
  cas: bigint;
  /** Revision sequence number; `meta.rev` is built from it and the CAS. */
  revSeqno: number;
}

/** What the views engine reads from one bucket. */
export interface ViewDataSource {
  /** Every live (neither deleted nor expired) document, in no particular order. */
  documents(): Iterable<ViewDocument>;
  /**
   * Subscribes to mutations: called after every store, delete and expiry with the key and the
   * document's new state (undefined when gone). Returns the unsubscribe function.
   */
  onMutation(listener: (key: string, doc: ViewDocument | undefined) => void): () => void;
  /** Mutations applied so far, bucket-wide; an index built at this number is up to date. */
  seqno(): number;
}

/** Where design documents are kept across restarts (the store's data dir); optional. */
export interface DesignDocPersistence {
  load(): Record<string, unknown>;
  save(name: string, doc: unknown | undefined): void;
}

export interface ViewServiceOptions {
  persistence?: DesignDocPersistence;
  /** Wall-clock budget for one map or reduce call, in milliseconds (default 250). */
  functionTimeoutMs?: number;
}

/** The views engine of one bucket. */
export interface ViewService {
  /** Design documents by full name (`dev_…` ones included), as stored. */
  designDocs(): Array<{ name: string; doc: unknown }>;
  getDesignDoc(name: string): unknown | undefined;
  /** Validates and stores; throws `Error` with a Couchbase-style reason on an invalid doc. */
  putDesignDoc(name: string, doc: unknown): void;
  deleteDesignDoc(name: string): boolean;
  /** Drops every index (bucket flush); design docs stay. */
  reset(): void;
  close(): void;
}

export interface CapiHandlerOptions {
  /** The views service of a bucket, or undefined when there is no such bucket. */
  bucket(name: string): ViewService | undefined;
  /** HTTP basic auth check for `bucketName` (admin, or the bucket's own name/password). */
  authenticate(req: IncomingMessage, bucketName: string): boolean;
}

/** Handles a request on a node's views port: `/<bucket>/_design/...` and `/<bucket>/_design/.../_view/...`. */
export type CapiHandler = (req: IncomingMessage, res: ServerResponse) => void;

/*
 * Factories, exported from emulator/views/index.ts:
 *   createViewService(source: ViewDataSource, options?: ViewServiceOptions): ViewService
 *   createCapiHandler(options: CapiHandlerOptions): CapiHandler
 */
