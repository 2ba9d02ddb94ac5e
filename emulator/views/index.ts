/**
 * The views engine of the emulator: design documents, map/reduce indexes and the per-node
 * views ("capi") HTTP port. See contract.ts for the seam with the store and the cluster.
 */
export { createViewService } from './view-service.js';
export { createCapiHandler } from './capi-server.js';
export type {
  ViewDataSource,
  ViewDocument,
  ViewService,
  ViewServiceOptions,
  DesignDocPersistence,
  CapiHandler,
  CapiHandlerOptions,
} from './contract.js';
