import test from 'ava';
import { collate, compareDocIds } from '../../../emulator/views/collation.js';
import { startCapi, keysOf, idsOf } from './_helpers.js';

// CouchDB's view_collation.js list, already in collation order.
const ORDERED: unknown[] = [
  null,
  false,
  true,
  1,
  2,
  3.0,
  4,
  'a',
  'A',
  'aa',
  'b',
  'B',
  'ba',
  'bb',
  ['a'],
  ['b'],
  ['b', 'c'],
  ['b', 'c', 'a'],
  ['b', 'd'],
  ['b', 'd', 'e'],
  { a: 1 },
  { a: 2 },
  { b: 1 },
  { b: 2 },
  { b: 2, a: 1 },
  { b: 2, c: 2 },
];

function shuffled<T>(xs: T[], seed = 7): T[] {
  const out = xs.slice();
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

test('type order and CouchDB view_collation list', (t) => {
  const sorted = shuffled(ORDERED).sort(collate);
  t.deepEqual(sorted, ORDERED);
  for (let i = 0; i + 1 < ORDERED.length; i++) {
    t.true(collate(ORDERED[i], ORDERED[i + 1]) < 0, `${JSON.stringify(ORDERED[i])} < ${JSON.stringify(ORDERED[i + 1])}`);
    t.true(collate(ORDERED[i + 1], ORDERED[i]) > 0);
  }
});

test('numbers compare as doubles, not as text', (t) => {
  t.deepEqual([10, 9, -1, 2.5, 0, -0.5, 1e3].sort(collate), [-1, -0.5, 0, 2.5, 9, 10, 1e3]);
  t.is(collate(3, 3.0), 0);
});

test('strings: ICU root collation (case and accents on later levels, punctuation non-ignorable)', (t) => {
  // Primary level first: case differences only break ties.
  t.true(collate('a', 'A') < 0);
  t.true(collate('A', 'b') < 0);
  t.true(collate('Ab', 'ac') < 0); // byte order would put "Ab" first too, but "aB" < "Ab" only by ICU:
  t.true(collate('aB', 'Ab') < 0);
  t.true(collate('Zebra', 'apple') > 0); // not ASCII order
  // Accents are secondary: "cafe" < "café" < "cafes".
  t.deepEqual(['cafes', 'café', 'cafe'].sort(collate), ['cafe', 'café', 'cafes']);
  // Punctuation and spaces are not ignored and sort before letters and digits.
  t.true(collate('a b', 'ab') < 0);
  t.true(collate('_', 'a') < 0);
  t.true(collate('9', 'a') < 0);
  t.true(collate('10', '9') < 0); // no numeric collation
  t.true(collate('', 'a') < 0);
});

test('arrays: element by element, prefixes first; objects: member by member, fewer first', (t) => {
  t.true(collate([], [null]) < 0);
  t.true(collate(['a', 2], ['a', 10]) < 0);
  t.true(collate(['a', 'Z'], ['b']) < 0);
  t.true(collate([[1]], [[1, 0]]) < 0);
  t.true(collate({}, { a: null }) < 0);
  t.true(collate({ a: 1 }, { a: 1, b: 0 }) < 0);
  t.true(collate({ b: 1 }, { a: 1, b: 0 }) > 0); // member order matters
  t.true(collate([1], {}) < 0);
  t.true(collate('zzz', []) < 0);
  t.true(collate(true, 0) < 0);
});

test('document ids compare as UTF-8 bytes', (t) => {
  const ids = ['é', 'b', '\u{1F600}', 'B', '\uFFFD', 'a', 'z', 'a-b', 'a_b'];
  const bytes = (s: string) => Buffer.from(s, 'utf8');
  const expected = ids.slice().sort((x, y) => Buffer.compare(bytes(x), bytes(y)));
  t.deepEqual(ids.slice().sort(compareDocIds), expected);
  t.deepEqual(expected, ['B', 'a', 'a-b', 'a_b', 'b', 'z', 'é', '\uFFFD', '\u{1F600}']);
});

test('a view returns rows in collation order, ties by document id', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  shuffled(ORDERED).forEach((key, i) => capi.source.set(`doc${String(i).padStart(2, '0')}`, { key }));
  for (const id of ['t3', 't1', 'T2', 't10']) capi.source.set(id, { key: 'tie' });
  t.is((await capi.putDesign('c', { views: { v: { map: 'function (doc) { emit(doc.key, null); }' } } })).status, 201);
  const res = await capi.view('c', 'v', { stale: 'false' });
  t.is(res.status, 200);
  const keys = keysOf(res.body);
  const tiesAt = keys.indexOf('tie');
  t.deepEqual(keys.filter((k) => k !== 'tie'), ORDERED);
  t.deepEqual(idsOf(res.body).slice(tiesAt, tiesAt + 4), ['T2', 't1', 't10', 't3']);
  const desc = await capi.view('c', 'v', { descending: true });
  t.deepEqual(keysOf(desc.body), keys.slice().reverse());
  t.deepEqual(idsOf(desc.body), idsOf(res.body).slice().reverse());
});
