/**
 * The views engine of the emulator: design documents, map/reduce indexes and the per-node
 * views ("capi") HTTP port. See contract.ts for the seam with the store and the cluster.
 *
 * - createViewService(source, options?): the engine of one bucket (mount one per bucket).
 * - createCapiHandler({ bucket, authenticate }): the request handler of a node's views port.
 * - designDocsListing(bucket, service.designDocs()): the body of the cluster manager's
 *   GET /pools/default/buckets/<bucket>/ddocs.
 * - MemoryViewSource: an in-memory ViewDataSource for tests and benchmarks.
 */
export { createViewService } from './view-service.js';
export { createCapiHandler } from './capi-server.js';
export { designDocsListing, DesignDocError } from './design-docs.js';
export { MemoryViewSource } from './memory-source.js';
export type {
  ViewDataSource,
  ViewDocument,
  ViewService,
  ViewServiceOptions,
  DesignDocPersistence,
  CapiHandler,
  CapiHandlerOptions,
} from './contract.js';
