import type { Couchbase } from '../../../src/index.js';
import { Problem } from '../problems.js';
import type { Render } from '../render.js';

/** What every route module is given. */
export interface Deps {
  db: Couchbase;
  render: Render;
}

export type IdParams = { Params: { id: string } };

/** A query-string parameter given at most once, as text ('' when absent). */
export function oneParam(raw: unknown, name: string, maxLength: number): string {
  if (raw === undefined) return '';
  if (typeof raw !== 'string') throw new Problem(400, `'${name}' must be given once`);
  if (raw.length > maxLength) throw new Problem(400, `'${name}' is longer than ${maxLength} characters`);
  return raw;
}

/** Where a document's page is. */
export function showUrl(path: string, id: string): string {
  return `/${path}/show/${encodeURIComponent(id)}`;
}
