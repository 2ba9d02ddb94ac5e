/**
 * The beer-sample app for HTTP-level tests: a one-node emulator with beer-sample loaded, a
 * connection, and the app answering `inject` (no socket). One per test file; tests inside a
 * file touch distinct documents, so they may run concurrently.
 */
import type { TestFn } from 'ava';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { startEmulator } from '../../emulator/index.js';
import { buildApp } from '../../examples/beer-sample/app.js';
import { ensureDesignDocuments } from '../../examples/beer-sample/design.js';
import { beerSampleZip } from '../../examples/support/target.js';
import { connect, type Couchbase } from '../../src/index.js';

export interface TestApp {
  app: FastifyInstance;
  db: Couchbase;
  /** Errors the app reported as 500s. */
  errors: unknown[];
  close(): Promise<void>;
}

export async function startApp(): Promise<TestApp> {
  const emulator = await startEmulator({ nodes: 1, buckets: ['beer-sample'], samples: { 'beer-sample': beerSampleZip } });
  // Generous timeouts: the whole suite (and a browser) may share two busy cores with this emulator.
  const cb = await connect({
    connectionString: `${emulator.connectionString}/beer-sample`, username: emulator.username, password: emulator.password, timeout: 10, configTimeout: 30,
  });
  await ensureDesignDocuments(cb);
  const errors: unknown[] = [];
  const app = await buildApp({ db: cb, logError: (e) => errors.push(e) });
  return {
    app,
    db: cb,
    errors,
    async close() {
      await app.close();
      await cb.close();
      await emulator.stop();
    },
  };
}

/**
 * One app for the test file: started before its tests, stopped after them, and checked at the
 * end to have reported no server error (a 500) for anything its tests sent.
 */
export function useApp(test: TestFn): () => TestApp {
  let started: TestApp | undefined;
  test.serial.before(async () => {
    started = await startApp();
  });
  test.after('no request was answered with a server error', (t) => {
    t.deepEqual(started?.errors, []);
  });
  test.after.always(async () => {
    await started?.close();
  });
  return () => {
    if (!started) throw new Error('the app is not started');
    return started;
  };
}

/** A form post, as a browser sends it. */
export function postForm(app: FastifyInstance, url: string, fields: Record<string, string | string[]>): Promise<LightMyRequestResponse> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(name, v);
  return app.inject({ method: 'POST', url, payload: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

/** The CAS an edit form carries. */
export function formCas(html: string): string {
  const cas = /name="cas" value="(\d+)"/.exec(html)?.[1];
  if (cas === undefined) throw new Error('the page has no CAS field');
  return cas;
}

/** The edit form of a beer as a browser would post it back unchanged. */
export function beerFormFields(doc: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const name of ['name', 'description', 'style', 'category', 'abv', 'ibu', 'srm', 'upc', 'brewery_id']) {
    fields[`beer_${name}`] = doc[name] === undefined ? '' : String(doc[name]);
  }
  return fields;
}

/** Plain text of an HTML page, close enough to what a reader sees: tags dropped, entities decoded. */
export function textOf(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<\/?(?:a|span|strong|em)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
