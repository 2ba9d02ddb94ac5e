/**
 * The benchmark's keys and its 150-byte JSON document (the same bytes for every client).
 * @module
 */
import type { Doc } from '../clients/client.js';

export const DOC_BYTES = 150;

export function keyOf(prefix: string, i: number): string {
  return `${prefix}::${i}`;
}

/** Document i: a small object padded so that its JSON text is exactly DOC_BYTES long. */
export function docOf(i: number): Doc {
  const value: Record<string, unknown> = { id: i, name: `doc ${String(i).padStart(7, '0')}`, tags: ['a', 'b'], n: i * 3, pad: '' };
  const short = JSON.stringify(value).length;
  value.pad = 'x'.repeat(Math.max(0, DOC_BYTES - short));
  const json = JSON.stringify(value);
  return { json, value };
}

export function keysAndDocs(prefix: string, count: number): { keys: string[]; docs: Doc[] } {
  const keys = new Array<string>(count);
  const docs = new Array<Doc>(count);
  for (let i = 0; i < count; i++) {
    keys[i] = keyOf(prefix, i);
    docs[i] = docOf(i);
  }
  return { keys, docs };
}
