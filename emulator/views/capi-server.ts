import type { CapiHandler, CapiHandlerOptions } from './contract.js';

/** Handles requests on a node's views port (placeholder until the engine lands). */
export function createCapiHandler(options: CapiHandlerOptions): CapiHandler {
  void options;
  return (_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not_found', reason: 'missing' }));
  };
}
