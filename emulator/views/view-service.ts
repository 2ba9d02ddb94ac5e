import type { ViewDataSource, ViewService, ViewServiceOptions } from './contract.js';

/** Creates the views engine of one bucket over its documents. */
export function createViewService(source: ViewDataSource, options: ViewServiceOptions = {}): ViewService {
  const docs = new Map<string, unknown>();
  for (const [name, doc] of Object.entries(options.persistence?.load() ?? {})) docs.set(name, doc);
  void source;
  return {
    designDocs: () => [...docs].map(([name, doc]) => ({ name, doc })),
    getDesignDoc: (name) => docs.get(name),
    putDesignDoc: (name, doc) => {
      docs.set(name, doc);
      options.persistence?.save(name, doc);
    },
    deleteDesignDoc: (name) => {
      const had = docs.delete(name);
      if (had) options.persistence?.save(name, undefined);
      return had;
    },
    reset: () => {},
    close: () => {},
  };
}
