/**
 * The views the app queries, put in place at start as the guide's setup does: into a development
 * design document (`designCreate`), then published (`designPublish`), each waiting with
 * `syncwait` until the server uses it. beer-sample already has a `beer` design document
 * (`brewery_beers`, `by_location`): its other views are kept, since publishing replaces the whole document.
 */
import { HttpError, type Couchbase } from '../../src/index.js';

type Views = Record<string, { map: string; reduce?: string }>;

const appViews: Record<string, Views> = {
  beer: {
    by_name: {
      map: 'function (doc, meta) {\n  if (doc.type && doc.type == "beer") {\n    emit(doc.name, null);\n  }\n}',
    },
    // beer-sample's own view, byte for byte: present already there, and created where it is not
    // (another copy of the dataset, or a bucket loaded without its design documents).
    brewery_beers: {
      map: 'function(doc, meta) {\n  switch(doc.type) {\n  case "brewery":\n    emit([meta.id]);\n    break;\n  case "beer":\n    if (doc.brewery_id) {\n      emit([doc.brewery_id, meta.id]);\n    }\n    break;\n  }\n}\n',
    },
    by_brewery_and_name: {
      map: 'function (doc, meta) {\n  if (doc.type && doc.type == "beer" && doc.brewery_id) {\n    emit([doc.brewery_id, doc.name], null);\n  }\n}',
    },
  },
  brewery: {
    by_name: {
      map: 'function (doc, meta) {\n  if (doc.type && doc.type == "brewery") {\n    emit(doc.name, null);\n  }\n}',
    },
  },
};

/** The published design document `name`, or undefined when there is none. */
async function published(db: Couchbase, name: string): Promise<{ views?: Views } | undefined> {
  try {
    return (await db.designGet(name, { useDevmode: false })).value as { views?: Views };
  } catch (e) {
    if (e instanceof HttpError && e.httpStatus === 404) return undefined;
    throw e;
  }
}

/** The app's views that `current` lacks or defines otherwise. */
function missingViews(current: Views | undefined, wanted: Views): string[] {
  return Object.entries(wanted)
    .filter(([view, fns]) => current?.[view]?.map !== fns.map || current?.[view]?.reduce !== fns.reduce)
    .map(([view]) => view);
}

/**
 * Creates and publishes the app's design documents, unless the published ones already hold
 * the app's views exactly (a restart then costs no index rebuild).
 */
export async function ensureDesignDocuments(db: Couchbase, options: { syncwait?: number; log?: (line: string) => void } = {}): Promise<void> {
  const { syncwait = 60, log = () => {} } = options;
  for (const [name, views] of Object.entries(appViews)) {
    const current = await published(db, name);
    const missing = missingViews(current?.views, views);
    if (missing.length === 0) continue;
    log(`Publishing the design document '${name}' (views: ${missing.join(', ')}) ...`);
    await db.designCreate(name, { views: { ...current?.views, ...views } }, { useDevmode: true, syncwait });
    await db.designPublish(name, { syncwait });
  }
}
