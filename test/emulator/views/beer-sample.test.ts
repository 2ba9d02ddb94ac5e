/**
 * beer-sample: brewery_beers and by_location must return exactly the rows Couchbase's
 * collation implies. The expectation is computed here from the dataset files with this test's
 * own code: a plain reimplementation of the two map functions, a straightforward comparator
 * (type order, ICU root collation through Intl.Collator, UTF-8 byte order of ids) and
 * a simple grouping loop.
 */
import test from 'ava';
import { startCapi, type Capi } from './_helpers.js';
import { MemoryViewSource } from '../../../emulator/views/memory-source.js';
import { readSample } from '../../../emulator/sample/loader.js';
import { BEER_SAMPLE, breweryBeers, byLocation, groupCounts, loadDesignDoc, loadDocs } from '../../helpers/beer-sample.js';

let capi: Capi;
let docs: Map<string, any>;
let firstBuildMs = 0;

test.before(async () => {
  docs = loadDocs();
  const source = new MemoryViewSource();
  for (const f of readSample(BEER_SAMPLE)) if (f.kind === 'doc') source.setRaw(f.name, f.data());
  capi = await startCapi({ source });
  const ddoc = loadDesignDoc('beer');
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

const maybe = test;
const maybeSerial = test.serial;

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
