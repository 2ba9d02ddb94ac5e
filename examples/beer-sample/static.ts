/**
 * The app's own stylesheet and script, read once at start and served from memory: two files,
 * so a fixed table of them takes the place of a static-file plugin (and of any path handling).
 */
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';

const files: Array<[url: string, file: string, type: string]> = [
  ['/css/beersample.css', './static/css/beersample.css', 'text/css; charset=utf-8'],
  ['/js/beersample.js', './static/js/beersample.js', 'text/javascript; charset=utf-8'],
];

export function staticRoutes(app: FastifyInstance): void {
  for (const [url, file, type] of files) {
    const body = readFileSync(new URL(file, import.meta.url));
    app.get(url, (_request, reply) => reply.type(type).header('cache-control', 'public, max-age=300').send(body));
  }
}
