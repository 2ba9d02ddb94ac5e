/**
 * The seed's "Design Document Management": a development design document created and read back,
 * queried, published to production, and deleted, each step waiting with `syncwait` until the
 * server uses the change.
 */
import { Couchbase, HttpError, type DesignDocument } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

const design: DesignDocument = {
  views: {
    by_style: {
      map: 'function (doc, meta) {\n  if (doc.type == "beer" && doc.style) {\n    emit(doc.style, null);\n  }\n}',
      reduce: '_count',
    },
  },
};

/** The first rows of `styles/by_style` in `ddoc`, one "style: count" per row. */
async function topStyles(c: Couchbase, ddoc: string, options: { fullSet?: boolean } = {}): Promise<string> {
  const out = [];
  for await (const row of c.query(ddoc, 'by_style', { group: true, limit: 3, ...options })) out.push(`${String(row.key)}: ${String(row.value)}`);
  return out.join(', ');
}

export async function designDocs(target: Target): Promise<void> {
  const c = await Couchbase.connect(target.bucket('beer-sample'));
  try {
    // useDevmode (the default) creates dev_styles; syncwait waits until its view answers queries.
    console.log(String(await c.designCreate('styles', design, { useDevmode: true, syncwait: 30 })));

    const dev = await c.designGet('styles');
    console.log('dev_styles has the views', Object.keys((dev.value as DesignDocument).views ?? {}).join(', '));
    // A development view indexes a subset of the data on a real cluster; fullSet asks for all of it.
    console.log('dev_styles/by_style:', await topStyles(c, 'dev_styles', { fullSet: true }));

    console.log(String(await c.designPublish('styles', { syncwait: 30 })));
    console.log('styles/by_style:', await topStyles(c, 'styles'));
    try {
      await c.designGet('styles');
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      console.log(`publishing removed dev_styles: HTTP ${e.httpStatus} ${e.reason}`);
    }

    console.log(String(await c.designDelete('styles', { useDevmode: false, syncwait: 30 })));
    try {
      await topStyles(c, 'styles');
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      console.log(`querying a deleted design document: HTTP ${e.httpStatus} ${e.reason}`);
    }
  } finally {
    await c.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(designDocs);
