/**
 * View queries through libcouchbase on a 3-node emulator with beer-sample: every row the views
 * must return (computed here from the dataset files), through the client's paging, in both
 * directions, with ranges, keys, skip/limit, includeDocs, row processors and cancellation.
 */
import test from 'ava';
import { firstValueFrom, take, toArray } from 'rxjs';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { connect, coreOf, type Couchbase } from '../../src/connection.js';
import { HttpError, Query, STRING_RANGE_END, ArgumentError, ViewRow, type RawRow, type RowProcessor } from '../../src/index.js';
import { BEER_SAMPLE, breweryBeers, byLocation, cmpKey, groupCounts, loadDocs, type Row } from '../helpers/beer-sample.js';

let emu: Emulator;
let cb: Couchbase;
let docs: Map<string, any>;

test.before(async () => {
  docs = loadDocs();
  emu = await startEmulator({ nodes: 3, replicas: 1, buckets: ['beer-sample'], samples: { 'beer-sample': BEER_SAMPLE } });
  cb = await connect({ connectionString: `${emu.connectionString}/beer-sample`, username: emu.username, password: emu.password, timeout: 10 });
});

test.after.always(async () => {
  await cb?.close();
  await emu?.stop();
});

/**
 * Counts the native view requests of `cb` (and their cancels) until restored. With `holdEnd`,
 * each answer's end is handed on that many ms after its rows, `beforeEnd` called just before.
 */
function spyViews(hold?: { holdEnd: number; beforeEnd: () => void }) {
  const native = coreOf(cb).native;
  const original = native.viewQuery;
  const spy = { started: 0, cancelled: 0, restore: () => { delete (native as { viewQuery?: unknown }).viewQuery; } };
  Object.defineProperty(native, 'viewQuery', {
    configurable: true,
    value: (spec: Parameters<typeof original>[0], onRows: Parameters<typeof original>[1]) => {
      spy.started++;
      let ended = false;
      const h = original.call(native, spec, (json, end) => {
        ended ||= end !== undefined;
        if (!hold || end === undefined) return onRows(json, end);
        onRows(json, undefined);
        setTimeout(() => {
          hold.beforeEnd();
          onRows('[]', end);
        }, hold.holdEnd);
      });
      // Only a cancel that stops a request still in flight counts.
      return { cancel: () => { if (!ended) spy.cancelled++; h.cancel(); } };
    },
  });
  return spy;
}

const plain = (r: ViewRow): Row => ({ id: r.docid!, key: r.key, value: r.value });
async function rows<T = ViewRow>(design: string, view: string, opts: Parameters<Couchbase['query']>[2] = {}): Promise<T[]> {
  const out: T[] = [];
  for await (const r of cb.query(design, view, opts as never)) out.push(r as T);
  return out;
}

test('brewery_beers: every row, in collation order, through pages of 17; totalRows', async (t) => {
  const expected = breweryBeers(docs);
  const view = cb.query('beer', 'brewery_beers', { pageSize: 17, stale: false });
  const got: Row[] = [];
  for await (const r of view) got.push(plain(r));
  t.deepEqual(got, expected);
  t.is(view.totalRows, expected.length);
  t.is(view.totalRows, 7303);
});

test('the same rows pushed through an Observable, descending, in pages of 100', async (t) => {
  const got = await firstValueFrom(cb.query('beer', 'brewery_beers', { descending: true, pageSize: 100 }).pipe(toArray()));
  t.deepEqual(got.map(plain), breweryBeers(docs).reverse());
});

test('by_location map rows where many rows share a key: each row once, pages of 17', async (t) => {
  const expected = byLocation(docs);
  const shared = expected.filter((r, i) => i > 0 && JSON.stringify(expected[i - 1]!.key) === JSON.stringify(r.key)).length;
  t.true(shared > 300, `${shared} rows repeat the key before them`);
  t.deepEqual((await rows('beer', 'by_location', { reduce: false, pageSize: 17 })).map(plain), expected);
  t.deepEqual((await rows('beer', 'by_location', { reduce: false, pageSize: 17, descending: true })).map(plain), expected.slice().reverse());
});

for (const level of [0, 1, 2, 3, 'exact'] as const) {
  test(`by_location reduced, ${level === 'exact' ? 'group: true' : level === 0 ? 'no grouping' : `groupLevel ${level}`}, paged by group key both ways`, async (t) => {
    const all = byLocation(docs);
    const expected = level === 0 ? [{ key: null, value: all.length }] : groupCounts(all, level);
    const opts = level === 'exact' ? { group: true } : level === 0 ? {} : { groupLevel: level };
    const up = await rows('beer', 'by_location', { ...opts, pageSize: 7 });
    t.deepEqual(up.map((r) => ({ key: r.key, value: r.value })), expected);
    t.true(up.every((r) => r.docid === undefined));
    if (level !== 0) {
      const down = await rows('beer', 'by_location', { ...opts, pageSize: 7, descending: true });
      t.deepEqual(down.map((r) => ({ key: r.key, value: r.value })), expected.slice().reverse());
    }
  });
}

test('ranges: startkey/endkey, mapkeyRange with STRING_RANGE_END, inclusiveEnd, a Query object', async (t) => {
  const expected = breweryBeers(docs);
  const brewery = '21st_amendment_brewery_cafe';
  const mine = expected.filter((r) => (r.key as string[])[0] === brewery);
  t.deepEqual((await rows('beer', 'brewery_beers', { startkey: [brewery], endkey: [brewery, STRING_RANGE_END], pageSize: 3 })).map(plain), mine);
  t.deepEqual((await rows('beer', 'brewery_beers', { mapkeyRange: [[brewery], [brewery, Query.STRING_RANGE_END]] })).map(plain), mine);
  const q = new Query({ inclusiveEnd: false });
  q.startkey = [brewery];
  q.endkey = mine[mine.length - 1]!.key;
  t.deepEqual((await rows('beer', 'brewery_beers', { query: q, pageSize: 2 })).map(plain), mine.slice(0, -1));
  const prefix = (await rows('beer', 'by_location', { reduce: false, mapkeyRange: [['United States', 'Cal'], ['United States', 'Cal' + STRING_RANGE_END]] })).map(plain);
  t.deepEqual(prefix, byLocation(docs).filter((r) => {
    const k = r.key as string[];
    return k[0] === 'United States' && typeof k[1] === 'string' && k[1].startsWith('Cal');
  }));
  t.true(prefix.length > 0);
});

test('skip and limit count across pages; descending; an encoded query string is used as given', async (t) => {
  const expected = breweryBeers(docs);
  t.deepEqual((await rows('beer', 'brewery_beers', { skip: 10, limit: 45, pageSize: 7 })).map(plain), expected.slice(10, 55));
  t.deepEqual((await rows('beer', 'brewery_beers', { skip: 3, limit: 20, descending: true, pageSize: 6 })).map(plain), expected.slice().reverse().slice(3, 23));
  t.deepEqual((await rows('beer', 'brewery_beers', { limit: 0 })), []);
  t.deepEqual((await rows('beer', 'brewery_beers', { query: 'limit=3&skip=1&stale=false' })).map(plain), expected.slice(1, 4));
});

test('key and keys (3,000 keys go in a POST body), in the order given', async (t) => {
  const expected = breweryBeers(docs);
  t.deepEqual((await rows('beer', 'brewery_beers', { key: expected[5]!.key })).map(plain), [expected[5]]);
  const picked = expected.filter((_, i) => i % 2 === 1).slice(0, 3000).reverse();
  t.is(picked.length, 3000);
  const got = await rows('beer', 'brewery_beers', { keys: picked.map((r) => r.key), pageSize: 700 });
  t.deepEqual(got.map(plain), picked);
  const skipped = await rows('beer', 'brewery_beers', { keys: picked.map((r) => r.key), pageSize: 700, skip: 690, limit: 30 });
  t.deepEqual(skipped.map(plain), picked.slice(690, 720));
});

test.serial('includeDocs: documents in view order; one deleted since indexing gives a failed doc, not a failed query', async (t) => {
  const expected = breweryBeers(docs).slice(0, 40);
  const victim = expected[7]!.id;
  // Index everything first, then delete: stale=ok answers from the index that still has the row.
  await rows('beer', 'brewery_beers', { limit: 1, stale: false });
  const saved = await cb.get(victim);
  await cb.delete(victim);
  try {
    const got = await rows('beer', 'brewery_beers', { limit: 40, includeDocs: true, stale: true, pageSize: 9 });
    t.deepEqual(got.map(plain), expected);
    for (const r of got) {
      if (r.docid === victim) {
        t.false(r.doc!.success);
        t.is(r.doc!.value, undefined);
      } else {
        t.true(r.doc!.success, r.docid);
        t.deepEqual(r.doc!.value, docs.get(r.docid!));
      }
    }
  } finally {
    await cb.set(victim, saved.value);
  }
});

/** The seed's BeerListRowProcessor, in TypeScript: rows → beers, one getMulti per page for the brewery ids. */
class Beer {
  breweryId = '';
  constructor(readonly id: string, readonly name: string) {}
}
class BeerListRowProcessor implements RowProcessor<Beer> {
  async handleRows(rows: RawRow[], connection: Couchbase): Promise<Beer[]> {
    const ret = rows.map((r) => new Beer(r.id!, String(r.key)));
    const byDocids = new Map(ret.map((b) => [b.id, b]));
    const docs = await connection.getMulti<{ brewery_id: string }>(ret.map((b) => b.id), { quiet: true });
    for (const [beerId, doc] of docs) {
      const beer = byDocids.get(beerId)!;
      if (!doc.success) {
        ret.splice(ret.indexOf(beer), 1);
        continue;
      }
      beer.breweryId = doc.value.brewery_id;
    }
    return ret;
  }
}

test.serial('a row processor (the seed\'s BeerListRowProcessor) runs per page with the connection; one getMulti per page', async (t) => {
  const byName = { views: { by_name: { map: 'function (doc, meta) { if (doc.type && doc.type == "beer") { emit(doc.name, null); } }' } } };
  await cb.designCreate('beer_names', byName, { useDevmode: false, syncwait: 10 });
  const native = coreOf(cb).batcher.stats;
  const submitsBefore = native.submits;
  const beers = await rows<Beer>('beer_names', 'by_name', { limit: 30, pageSize: 10, rowProcessor: new BeerListRowProcessor() });
  t.is(beers.length, 30);
  const expected = [...docs].filter(([, d]) => d.type === 'beer').map(([id, d]) => ({ id, name: d.name as string, brewery: d.brewery_id as string }))
    .sort((a, b) => cmpKey(a.name, b.name) || Buffer.compare(Buffer.from(a.id), Buffer.from(b.id))).slice(0, 30);
  t.deepEqual(beers.map((b) => ({ id: b.id, name: b.name, brewery: b.breweryId })), expected);
  t.is(native.submits - submitsBefore, 3, 'one multi-get per page of 10');
  await cb.designDelete('beer_names', { useDevmode: false });
});

test.serial('cancellation: take() and break stop the paging; unsubscribing cancels the request in flight', async (t) => {
  const spy = spyViews();
  try {
    const rows15 = await firstValueFrom(cb.query('beer', 'brewery_beers', { pageSize: 10 }).pipe(take(15), toArray()));
    t.is(rows15.length, 15);
    t.is(spy.started, 2, 'two pages of 10 for 15 rows');
    spy.started = 0;
    for await (const _ of cb.query('beer', 'brewery_beers', { pageSize: 100 })) break;
    t.is(spy.started, 1, 'one request for one row');
    const sub = cb.query('beer', 'brewery_beers').subscribe();
    sub.unsubscribe();
    t.is(spy.started, 2);
    t.is(spy.cancelled, 1, 'the request in flight was cancelled');
  } finally {
    spy.restore();
  }
});

test.serial('rows reach the consumer as they arrive, before their answer has ended: pulled, pushed, with documents', async (t) => {
  const expected = breweryBeers(docs).slice(0, 100);
  let received = 0;
  let atEnd: number[] = [];
  const spy = spyViews({ holdEnd: 100, beforeEnd: () => atEnd.push(received) });
  try {
    const opts = { limit: 100, pageSize: 1000 };
    const pulled: Row[] = [];
    for await (const r of cb.query('beer', 'brewery_beers', opts)) received = pulled.push(plain(r));
    t.deepEqual(pulled, expected);
    t.deepEqual(atEnd, [100], 'every row was handed out while the answer was still open');
    received = 0;
    atEnd = [];
    const pushed = await new Promise<Row[]>((resolve, reject) => {
      const out: Row[] = [];
      cb.query('beer', 'brewery_beers', opts).subscribe({ next: (r) => { received = out.push(plain(r)); }, error: reject, complete: () => resolve(out) });
    });
    t.deepEqual(pushed, expected);
    t.deepEqual(atEnd, [100]);
    received = 0;
    atEnd = [];
    for await (const r of cb.query('beer', 'brewery_beers', { ...opts, includeDocs: true })) {
      t.deepEqual(r.doc!.value, docs.get(r.docid!));
      received++;
    }
    t.is(received, 100);
    t.deepEqual(atEnd, [100], 'their documents too');
  } finally {
    spy.restore();
  }
});

test.serial('a slow consumer holds at most about two pages: the next page is fetched only when the buffer runs low', async (t) => {
  const spy = spyViews();
  try {
    const it = cb.query('beer', 'brewery_beers', { pageSize: 100 })[Symbol.asyncIterator]();
    for (let i = 0; i < 70; i++) await it.next();
    await new Promise((r) => setTimeout(r, 100));
    t.is(spy.started, 1, 'nothing fetched while three quarters of the page is left');
    for (let i = 0; i < 10; i++) await it.next();
    await new Promise((r) => setTimeout(r, 100));
    t.is(spy.started, 2, 'the next page was fetched ahead once the buffer ran low');
    await it.return!();
  } finally {
    spy.restore();
  }
});

test.serial('errors: unknown design or view, reduce on a map view, bad options before anything is sent', async (t) => {
  const e1 = await t.throwsAsync(rows('beer', 'nope'), { instanceOf: HttpError });
  t.is(e1.httpStatus, 404);
  t.regex(e1.reason ?? '', /missing_named_view|not_found/);
  t.regex(e1.stack ?? '', /query\.test\.ts/, 'the stack points at the test');
  const e2 = await t.throwsAsync(rows('nope', 'nope'), { instanceOf: HttpError });
  t.is(e2.httpStatus, 404);
  const e3 = await t.throwsAsync(rows('beer', 'brewery_beers', { reduce: true }), { instanceOf: HttpError });
  t.is(e3.httpStatus, 400);
  t.regex(e3.message, /reduce/);
  const spy = spyViews();
  try {
    await t.throwsAsync(rows('beer', 'brewery_beers', { limit: -1 }), { instanceOf: ArgumentError, message: /limit/ });
    await t.throwsAsync(rows('beer', 'brewery_beers', { key: 10n }), { instanceOf: ArgumentError, message: /JSON/ });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await t.throwsAsync(rows('beer', 'brewery_beers', { startkey: cyclic }), { instanceOf: ArgumentError });
    await t.throwsAsync(rows('beer', 'brewery_beers', { include_docs: true } as never), { instanceOf: ArgumentError, message: /did you mean 'includeDocs'/ });
    await t.throwsAsync(rows('beer', 'brewery_beers', { group_level: 1 } as never), { instanceOf: ArgumentError, message: /did you mean 'groupLevel'/ });
    await t.throwsAsync(rows('beer', 'brewery_beers', { stale: 'sometimes' as never }), { instanceOf: ArgumentError });
    await t.throwsAsync(rows('beer', 'brewery_beers', { key: 1, startkey: 2 }), { instanceOf: ArgumentError });
    await t.throwsAsync(rows('beer', '', {}), { instanceOf: ArgumentError });
    t.is(spy.started, 0, 'nothing was sent');
  } finally {
    spy.restore();
  }
});
