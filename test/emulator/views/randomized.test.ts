/**
 * Randomised check of the query machinery (binary-searched ranges, descending walks, skip and
 * limit, grouping, incremental updates) against a naive reference that filters and sorts the
 * whole row list for every query. Collation itself is covered by collation.test.ts; the
 * reference uses it as a black box.
 */
import test from 'ava';
import { collate, compareDocIds } from '../../../emulator/views/collation.js';
import { startCapi } from './_helpers.js';

type Row = { id: string; key: unknown; value: unknown };

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ATOMS: unknown[] = [null, false, true, -1, 0, 2.5, 10, 'a', 'A', 'b', 'B', 'é', 'e', ''];

function randomKey(r: () => number): unknown {
  const pick = () => ATOMS[Math.floor(r() * ATOMS.length)];
  const kind = r();
  if (kind < 0.4) return pick();
  const len = Math.floor(r() * 3) + 1;
  return Array.from({ length: len }, pick);
}

const cmpRow = (a: Row, b: Row) => collate(a.key, b.key) || compareDocIds(a.id, b.id);
const cmpBound = (row: Row, key: unknown, doc: string | 'MIN' | 'MAX') => {
  const c = collate(row.key, key);
  if (c !== 0) return c;
  return doc === 'MIN' ? 1 : doc === 'MAX' ? -1 : compareDocIds(row.id, doc);
};

interface Q {
  startkey?: unknown;
  endkey?: unknown;
  startkey_docid?: string;
  endkey_docid?: string;
  inclusive_end?: boolean;
  descending?: boolean;
  skip?: number;
  limit?: number;
}

function reference(all: Row[], q: Q): Row[] {
  const desc = q.descending === true;
  const incl = q.inclusive_end !== false;
  let rows = all.slice().sort(cmpRow).filter((row) => {
    if (q.startkey !== undefined) {
      const c = cmpBound(row, q.startkey, q.startkey_docid ?? (desc ? 'MAX' : 'MIN'));
      if (desc ? c > 0 : c < 0) return false;
    }
    if (q.endkey !== undefined) {
      const c = cmpBound(row, q.endkey, q.endkey_docid ?? (desc === incl ? 'MIN' : 'MAX'));
      if (desc ? (incl ? c < 0 : c <= 0) : incl ? c > 0 : c >= 0) return false;
    }
    return true;
  });
  if (desc) rows.reverse();
  rows = rows.slice(q.skip ?? 0);
  return q.limit === undefined ? rows : rows.slice(0, q.limit);
}

test('random data, mutations and queries agree with a naive reference', async (t) => {
  const r = rng(Number(process.env.VIEWS_SEED ?? 20261126));
  const capi = await startCapi();
  t.teardown(() => capi.close());
  const docs = new Map<string, unknown>();
  const ids = Array.from({ length: 60 }, (_, i) => `d${i}${r() < 0.2 ? '_' : ''}${r() < 0.2 ? 'X' : ''}`);
  const put = (id: string) => {
    const key = randomKey(r);
    docs.set(id, key);
    capi.source.set(id, { k: key, twice: r() < 0.15 });
  };
  for (const id of ids) if (r() < 0.8) put(id);
  await capi.putDesign('rnd', {
    views: {
      v: { map: 'function (doc, meta) { emit(doc.k, meta.id); if (doc.twice) emit(doc.k, "again"); }', reduce: '_count' },
    },
  });
  let checked = 0;
  for (let round = 0; round < 40; round++) {
    // Mutate a few documents between rounds.
    for (let m = 0; m < 5; m++) {
      const id = ids[Math.floor(r() * ids.length)];
      if (r() < 0.3) {
        docs.delete(id);
        capi.source.delete(id);
      } else put(id);
    }
    // The reference rows, including the documents emitting twice.
    const expectedAll: Row[] = [];
    for (const doc of capi.source.documents()) {
      const body = JSON.parse(doc.value.toString());
      const key = body.k === undefined ? null : body.k;
      expectedAll.push({ id: doc.id, key, value: doc.id });
      if (body.twice) expectedAll.push({ id: doc.id, key, value: 'again' });
    }
    for (let qn = 0; qn < 8; qn++) {
      const q: Q = {};
      const rows = expectedAll.slice().sort(cmpRow);
      const someKey = () => (rows.length && r() < 0.7 ? rows[Math.floor(r() * rows.length)].key : randomKey(r));
      const someId = () => (rows.length ? rows[Math.floor(r() * rows.length)].id : 'd1');
      if (r() < 0.5) q.descending = true;
      if (r() < 0.6) q.startkey = someKey();
      if (r() < 0.6) q.endkey = someKey();
      if (q.startkey !== undefined && q.endkey !== undefined) {
        const c = collate(q.startkey, q.endkey);
        if (JSON.stringify(q.startkey) !== JSON.stringify(q.endkey) && (q.descending ? c < 0 : c > 0)) {
          [q.startkey, q.endkey] = [q.endkey, q.startkey];
        }
      }
      if (q.startkey !== undefined && r() < 0.3) q.startkey_docid = someId();
      if (q.endkey !== undefined && r() < 0.3) q.endkey_docid = someId();
      if (r() < 0.3) q.inclusive_end = false;
      if (r() < 0.3) q.skip = Math.floor(r() * 5);
      if (r() < 0.4) q.limit = Math.floor(r() * 8);
      // The helper passes strings through as they are: JSON-encode the keys here.
      const params: Record<string, unknown> = { ...q, reduce: false, stale: 'false' };
      if (q.startkey !== undefined) params.startkey = JSON.stringify(q.startkey);
      if (q.endkey !== undefined) params.endkey = JSON.stringify(q.endkey);
      const res = await capi.view('rnd', 'v', params);
      t.is(res.status, 200, JSON.stringify(q));
      const want = reference(expectedAll, q);
      // Rows with equal key and id (a document emitting twice) may come in either order.
      const norm = (rs: Row[]) => rs.map((x) => JSON.stringify([x.key, x.id]));
      t.deepEqual(norm(res.body.rows), norm(want), JSON.stringify(q));
      t.is(res.body.total_rows, expectedAll.length);
      checked++;
    }
    // Grouped counts over the whole index at a random level.
    const level = Math.floor(r() * 4);
    const grouped = await capi.view('rnd', 'v', level === 0 ? { stale: 'false' } : { group_level: level, stale: 'false' });
    const sorted = expectedAll.slice().sort(cmpRow);
    const want: Array<{ key: unknown; value: number }> = [];
    if (level === 0) {
      if (sorted.length) want.push({ key: null, value: sorted.length });
    } else {
      for (const row of sorted) {
        const k = Array.isArray(row.key) ? row.key.slice(0, level) : row.key;
        const last = want[want.length - 1];
        if (last && JSON.stringify(last.key) === JSON.stringify(k)) last.value++;
        else want.push({ key: k, value: 1 });
      }
    }
    t.deepEqual(grouped.body.rows, want, `group_level=${level}`);
  }
  t.log(`${checked} range queries checked`);
});
