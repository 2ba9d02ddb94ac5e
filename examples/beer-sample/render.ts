/**
 * Nunjucks (Jinja's syntax, as the guide's Flask templates) with autoescape on: every value a
 * template prints is HTML-escaped unless a template says otherwise, and none does.
 */
import type { FastifyReply } from 'fastify';
import nunjucks from 'nunjucks';
import { fileURLToPath } from 'node:url';

export type Render = (reply: FastifyReply, template: string, context?: object) => FastifyReply;

/** How a stored value reads in a table cell: address lines joined, geo and the like as JSON. */
function display(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => display(v)).join(', ');
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value ?? '');
}

export function createRenderer(): Render {
  const dir = fileURLToPath(new URL('./templates', import.meta.url));
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(dir), { autoescape: true, trimBlocks: true, lstripBlocks: true });
  env.addFilter('display', display);
  return (reply, template, context = {}) => reply.type('text/html; charset=utf-8').send(env.render(template, context));
}
