/**
 * The beer-sample web application of the guide's tutorial, on Fastify: welcome page, beers and
 * breweries (list, search, show, create, edit, delete), and the guide's "Food for thought":
 * a brewery with beers is not deleted, a brewery page lists and searches its beers, edits are
 * CAS-protected, beers and breweries can be liked.
 *
 *   const app = await buildApp({ db });   // db: a connection to the beer-sample bucket
 *   await app.listen({ host: '127.0.0.1', port: 5000 });
 */
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { ConnectError, NetworkError, TemporaryFailError, TimeoutError, type Couchbase } from '../../src/index.js';
import { Problem } from './problems.js';
import { createRenderer } from './render.js';
import { beerRoutes } from './routes/beers.js';
import { breweryRoutes } from './routes/breweries.js';
import { documentRoutes } from './routes/documents.js';
import { staticRoutes } from './static.js';

export interface AppOptions {
  db: Couchbase;
  /** Where failures the user only sees as a 500 page are reported (default: console.error). */
  logError?: (error: unknown) => void;
}

/** The scripts and styles come from this origin only: no inline script can run. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

interface Answer {
  status: number;
  message: string;
  details: string[];
}

function answerFor(error: unknown, logError: (error: unknown) => void): Answer {
  if (error instanceof Problem) return { status: error.status, message: error.message, details: error.details };
  const status = (error as { statusCode?: unknown }).statusCode;
  // Fastify's own refusals (body too large, unsupported content type, ...): their messages are for users.
  if (typeof status === 'number' && status >= 400 && status < 500) return { status, message: (error as Error).message, details: [] };
  if (error instanceof TimeoutError || error instanceof NetworkError || error instanceof ConnectError || error instanceof TemporaryFailError) {
    return { status: 503, message: 'The database did not answer in time. Please try again in a moment.', details: [] };
  }
  logError(error);
  return { status: 500, message: 'Something went wrong on our side; it has been logged.', details: [] };
}

function wantsJson(request: FastifyRequest): boolean {
  return Boolean(request.routeOptions.url?.endsWith('/search')) || /\bapplication\/json\b/.test(request.headers.accept ?? '');
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { db, logError = (e: unknown) => console.error('beer-sample:', e) } = options;
  const render = createRenderer();
  const app = Fastify({ bodyLimit: 64 * 1024, routerOptions: { maxParamLength: 1000, ignoreTrailingSlash: true } });
  // Browser forms only: a JSON or multipart body is a 415, not a second way in.
  app.removeAllContentTypeParsers();
  await app.register(formbody);

  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  app.setErrorHandler((error, request, reply) => {
    const { status, message, details } = answerFor(error, logError);
    reply.code(status);
    if (wantsJson(request)) return reply.send({ error: message, details });
    return render(reply, 'error.njk', { status, title: STATUS_CODES[status] ?? 'Error', message, details });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404);
    if (wantsJson(request)) return reply.send({ error: 'No such page', details: [] });
    return render(reply, 'error.njk', { status: 404, title: STATUS_CODES[404], message: 'There is no page at this address.', details: [] });
  });

  staticRoutes(app);
  app.get('/', (_request, reply) => render(reply, 'welcome.njk'));
  app.get('/welcome', (_request, reply) => render(reply, 'welcome.njk'));
  const deps = { db, render };
  beerRoutes(app, deps);
  breweryRoutes(app, deps);
  documentRoutes(app, deps);
  return app;
}
