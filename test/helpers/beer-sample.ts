/**
 * The beer-sample dataset and what its two views must return, computed with the tests' own
 * code: a plain reimplementation of the map functions, a straightforward comparator (type
 * order, ICU root collation through Intl.Collator, UTF-8 byte order of ids) and a grouping loop.
 * The dataset is read from BEER_SAMPLE, else the repository's packed copy.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSample } from '../../emulator/sample/loader.js';

/** The dataset: a folder or zip in beer-sample's layout. */
export const BEER_SAMPLE = process.env.BEER_SAMPLE ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../data/beer-sample/beer-sample.zip');

/** Every document of the dataset by id. */
export function loadDocs(): Map<string, any> {
  const docs = new Map<string, any>();
  for (const f of readSample(BEER_SAMPLE)) if (f.kind === 'doc') docs.set(f.name, JSON.parse(f.data().toString('utf8')));
  return docs;
}

/** A design document of the dataset. */
export function loadDesignDoc(name: string): any {
  const f = readSample(BEER_SAMPLE).find((x) => x.kind === 'ddoc' && x.name === name);
  if (!f) throw new Error(`no design document ${name} in ${BEER_SAMPLE}`);
  return JSON.parse(f.data().toString('utf8'));
}

export type Row = { id: string; key: unknown; value: unknown };

// --- the test's own collation -------------------------------------------------------------
// Strings: ICU's root collation at its defaults, which is what couchstore's ucol_open("") uses.
const icu = new Intl.Collator('en');
function rank(v: unknown): number {
  if (v === null) return 0;
  if (v === false) return 1;
  if (v === true) return 2;
  if (typeof v === 'number') return 3;
  if (typeof v === 'string') return 4;
  if (Array.isArray(v)) return 5;
  return 6;
}
export function cmpKey(a: unknown, b: unknown): number {
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === 'number') return (a as number) - (b as number);
  if (typeof a === 'string') return icu.compare(a, b as string);
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = cmpKey(a[i], bb[i]);
      if (c !== 0) return c;
    }
    return a.length - bb.length;
  }
  return 0;
}
export const cmpRow = (a: Row, b: Row) =>
  cmpKey(a.key, b.key) || Buffer.compare(Buffer.from(a.id), Buffer.from(b.id));

// --- the two map functions, by hand --------------------------------------------------------
export function breweryBeers(docs: Map<string, any>): Row[] {
  const rows: Row[] = [];
  for (const [id, doc] of docs) {
    if (doc.type === 'brewery') rows.push({ id, key: [id], value: null });
    else if (doc.type === 'beer' && doc.brewery_id) rows.push({ id, key: [doc.brewery_id, id], value: null });
  }
  return rows.sort(cmpRow);
}

export function byLocation(docs: Map<string, any>): Row[] {
  const rows: Row[] = [];
  // JSON round trip: an undefined member of an emitted array becomes null, as JSON.stringify does.
  const key = (parts: unknown[]) => JSON.parse(JSON.stringify(parts)) as unknown;
  for (const [id, doc] of docs) {
    if (doc.city) rows.push({ id, key: key([doc.country, doc.state, doc.city]), value: 1 });
    else if (doc.state) rows.push({ id, key: key([doc.country, doc.state]), value: 1 });
    else if (doc.country) rows.push({ id, key: key([doc.country]), value: 1 });
  }
  return rows.sort(cmpRow);
}

export function groupCounts(rows: Row[], level: number | 'exact'): Array<{ key: unknown; value: number }> {
  const out: Array<{ key: unknown; value: number }> = [];
  for (const row of rows) {
    const k = level === 'exact' || !Array.isArray(row.key) ? row.key : row.key.slice(0, level);
    const last = out[out.length - 1];
    if (last && JSON.stringify(last.key) === JSON.stringify(k)) last.value++;
    else out.push({ key: k, value: 1 });
  }
  return out;
}

