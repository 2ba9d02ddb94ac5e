/**
 * beer-sample: brewery_beers and by_location must return exactly the rows Couchbase's
 * collation implies. The expectation is computed here from the dataset files with this test's
 * own code: a plain reimplementation of the two map functions, a straightforward comparator
 * (type order, ICU root collation through Intl.Collator, UTF-8 byte order of ids) and
 * a simple grouping loop.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { startCapi, type Capi } from './_helpers.js';
import { MemoryViewSource } from '../../../emulator/views/memory-source.js';

const DATASET = process.env.BEER_SAMPLE ?? '/work/shared/datasets/beer-sample';
const hasDataset = fs.existsSync(path.join(DATASET, 'docs'));

type Row = { id: string; key: unknown; value: unknown };

function loadDocs(): Map<string, any> {
  const docs = new Map<string, any>();
  for (const file of fs.readdirSync(path.join(DATASET, 'docs'))) {
    if (!file.endsWith('.json')) continue;
    docs.set(file.slice(0, -'.json'.length), JSON.parse(fs.readFileSync(path.join(DATASET, 'docs', file), 'utf8')));
  }
  return docs;
}

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
function cmpKey(a: unknown, b: unknown): number {
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
const cmpRow = (a: Row, b: Row) =>
  cmpKey(a.key, b.key) || Buffer.compare(Buffer.from(a.id), Buffer.from(b.id));

// --- the two map functions, by hand --------------------------------------------------------
function breweryBeers(docs: Map<string, any>): Row[] {
  const rows: Row[] = [];
  for (const [id, doc] of docs) {
    if (doc.type === 'brewery') rows.push({ id, key: [id], value: null });
    else if (doc.type === 'beer' && doc.brewery_id) rows.push({ id, key: [doc.brewery_id, id], value: null });
  }
  return rows.sort(cmpRow);
}

function byLocation(docs: Map<string, any>): Row[] {
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

function groupCounts(rows: Row[], level: number | 'exact'): Array<{ key: unknown; value: number }> {
  const out: Array<{ key: unknown; value: number }> = [];
  for (const row of rows) {
    const k = level === 'exact' || !Array.isArray(row.key) ? row.key : row.key.slice(0, level);
    const last = out[out.length - 1];
    if (last && JSON.stringify(last.key) === JSON.stringify(k)) last.value++;
    else out.push({ key: k, value: 1 });
  }
  return out;
}

let capi: Capi;
let docs: Map<string, any>;
let firstBuildMs = 0;

test.before(async () => {
  if (!hasDataset) return;
  docs = loadDocs();
  const source = new MemoryViewSource();
  for (const file of fs.readdirSync(path.join(DATASET, 'docs'))) {
    source.setRaw(file.slice(0, -'.json'.length), fs.readFileSync(path.join(DATASET, 'docs', file)));
  }
  capi = await startCapi({ source });
  const ddoc = JSON.parse(fs.readFileSync(path.join(DATASET, 'design_docs', 'beer.json'), 'utf8'));
  const put = await capi.putDesign('beer', ddoc);
  if (put.status !== 201) throw new Error(JSON.stringify(put));
  // The first query builds the index of the design document (both views).
  const started = performance.now();
  await capi.view('beer', 'brewery_beers', { limit: 1 });
  firstBuildMs = performance.now() - started;
});

test.after.always(async () => {
  if (capi) await capi.close();
});

const maybe = hasDataset ? test : test.skip;
const maybeSerial = hasDataset ? test.serial : test.skip;

maybe('dataset has the documented counts', (t) => {
  t.is(docs.size, 7303);
});

maybe('brewery_beers returns every row in collation order', async (t) => {
  const expected = breweryBeers(docs);
  const res = await capi.view('beer', 'brewery_beers');
  t.is(res.status, 200);
  t.is(res.body.total_rows, expected.length);
  t.deepEqual(res.body.rows, expected);
  const desc = await capi.view('beer', 'brewery_beers', { descending: true, limit: 50 });
  t.deepEqual(desc.body.rows, expected.slice().reverse().slice(0, 50));
});

maybeSerial('brewery_beers answers well under a second after the first build', async (t) => {
  t.log(`first build (both views of _design/beer): ${firstBuildMs.toFixed(0)} ms`);
  t.true(firstBuildMs < 5000);
  const started = performance.now();
  const res = await capi.view('beer', 'brewery_beers', {
    startkey: ['21st_amendment_brewery_cafe'],
    endkey: ['21st_amendment_brewery_cafe', '\uefff'],
  });
  const ranged = performance.now() - started;
  const whole = performance.now();
  const all = await capi.view('beer', 'brewery_beers');
  const full = performance.now() - whole;
  t.log(`range query ${ranged.toFixed(1)} ms, all ${all.body.rows.length} rows ${full.toFixed(1)} ms`);
  t.true(ranged < 1000, `${ranged} ms`);
  t.true(full < 1000, `${full} ms`);
  t.deepEqual(
    res.body.rows,
    breweryBeers(docs).filter((r) => (r.key as string[])[0] === '21st_amendment_brewery_cafe'),
  );
});

maybe('by_location map rows (reduce=false) in collation order', async (t) => {
  const expected = byLocation(docs);
  const res = await capi.view('beer', 'by_location', { reduce: false });
  t.is(res.body.total_rows, expected.length);
  t.deepEqual(res.body.rows, expected);
});

for (const level of [0, 1, 2, 3, 'exact'] as const) {
  maybe(`by_location with ${level === 'exact' ? 'group=true' : `group_level=${level}`}`, async (t) => {
    const rows = byLocation(docs);
    const expected = level === 0 ? [{ key: null, value: rows.length }] : groupCounts(rows, level);
    const res = await capi.view('beer', 'by_location', level === 'exact' ? { group: true } : level === 0 ? {} : { group_level: level });
    t.is(res.status, 200);
    t.deepEqual(res.body.rows, expected);
    t.is(res.body.total_rows, undefined, 'reduce output has no total_rows');
  });
}

maybe('by_location: group_level=2 inside a country range', async (t) => {
  const rows = byLocation(docs).filter((r) => (r.key as unknown[])[0] === 'United States');
  const res = await capi.view('beer', 'by_location', {
    group_level: 2,
    startkey: ['United States'],
    endkey: ['United States', {}],
  });
  t.deepEqual(res.body.rows, groupCounts(rows, 2));
});
