/**
 * Design documents through the client (create, get, publish, delete with syncwait), queries on
 * development design documents with fullSet, map functions that fail on some documents
 * (onError), and a views node that dies mid-stream.
 */
import test from 'ava';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { connect, type Couchbase } from '../../src/connection.js';
import { HttpError, NetworkError, NotSupportedError, CouchbaseError, TimeoutError, type ViewRow } from '../../src/index.js';
import { startMemcached } from '../helpers/memcached.js';

let emu: Emulator;
let cb: Couchbase;

test.before(async () => {
  emu = await startEmulator({ nodes: 3, replicas: 1, buckets: ['default'] });
  cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password, timeout: 10 });
  const docs: Record<string, unknown> = {};
  for (let i = 0; i < 300; i++) docs[`d${String(i).padStart(3, '0')}`] = { type: i % 3 === 0 ? 'fizz' : 'plain', n: i };
  await cb.setMulti(docs);
});

test.after.always(async () => {
  await cb?.close();
  await emu?.stop();
});

async function all<T = ViewRow>(design: string, view: string, opts: Parameters<Couchbase['query']>[2] = {}): Promise<T[]> {
  const out: T[] = [];
  for await (const r of cb.query(design, view, opts as never)) out.push(r as T);
  return out;
}

const byType = { views: { by_type: { map: 'function (doc, meta) { emit(doc.type, doc.n); }', reduce: '_count' } } };

test.serial('life cycle: create (dev_, syncwait), get, query with fullSet, publish, delete', async (t) => {
  const created = await cb.designCreate('lc', byType, { syncwait: 10 });
  t.true(created.success);
  t.is(created.httpStatus, 201);
  // syncwait: queryable at once.
  const dev = await all('dev_lc', 'by_type', { reduce: false, fullSet: true, stale: false });
  t.is(dev.length, 300);
  const got = await cb.designGet('lc');
  t.deepEqual((got.value as typeof byType).views, byType.views);
  await t.throwsAsync(cb.designGet('lc', { useDevmode: false }), { instanceOf: HttpError, message: /404/ });

  const published = await cb.designPublish('lc', { syncwait: 10 });
  t.true(published.success);
  const counts = await all('lc', 'by_type', { group: true, stale: false });
  t.deepEqual(counts.map((r) => [r.key, r.value]), [['fizz', 100], ['plain', 200]]);
  const e = await t.throwsAsync(cb.designGet('lc'), { instanceOf: HttpError });
  t.is(e.httpStatus, 404, 'publishing removed the development copy');

  const deleted = await cb.designDelete('lc', { useDevmode: false, syncwait: 10 });
  t.true(deleted.success);
  const gone = await t.throwsAsync(all('lc', 'by_type'), { instanceOf: HttpError });
  t.is(gone.httpStatus, 404);
});

test.serial('design documents: bad input is an ArgumentError, a missing one an HttpError with the result', async (t) => {
  await t.throwsAsync(cb.designCreate('', byType), { message: /name/ });
  await t.throwsAsync(cb.designCreate('x', '{not json'), { message: /JSON/ });
  await t.throwsAsync(cb.designCreate('x', byType, { use_devmode: false } as never), { message: /did you mean 'useDevmode'/ });
  await t.throwsAsync(cb.designCreate('x', byType, { syncwait: -1 }), { message: /syncwait/ });
  const e = await t.throwsAsync(cb.designDelete('never_there'), { instanceOf: HttpError });
  t.is(e.httpStatus, 404);
  t.is((e.result as { httpStatus?: number }).httpStatus, 404);
});

test.serial('functions that fail on some documents: map errors skip them (debugInfo), reduce errors are listed (continue) or fail the query (stop)', async (t) => {
  const flaky = {
    views: {
      map: { map: 'function (doc, meta) { if (doc.type === "fizz") throw new Error("fizz is not allowed"); emit(doc.n, null); }' },
      reduce: {
        map: 'function (doc, meta) { emit(doc.type, 1); }',
        reduce: 'function (keys, values, rereduce) { if (!rereduce && JSON.stringify(keys).indexOf("fizz") >= 0) throw new Error("cannot reduce fizz"); return values.length; }',
      },
    },
  };
  await cb.designCreate('flaky', flaky, { useDevmode: false, syncwait: 10 });
  const mapped = cb.query('flaky', 'map', { stale: false, debug: true });
  const rows = await all('flaky', 'map', { stale: false });
  t.is(rows.length, 200, 'the documents the map function failed on have no rows');
  for await (const _ of mapped) { /* drain */ }
  t.regex(JSON.stringify(mapped.debugInfo), /fizz is not allowed/, 'debugInfo after completion carries the map errors');

  const reduced = cb.query('flaky', 'reduce', { group: true, stale: false });
  const groups: ViewRow[] = [];
  for await (const r of reduced) groups.push(r);
  t.deepEqual(groups.map((g) => g.key), ['plain']);
  t.true(reduced.errors.length > 0, 'the server\'s errors array is surfaced');
  t.regex(String(reduced.errors[0]!.reason), /cannot reduce fizz/);
  const e = await t.throwsAsync(all('flaky', 'reduce', { group: true, onError: 'stop' }), { instanceOf: HttpError });
  t.regex(e.message, /cannot reduce fizz/);
  await cb.designDelete('flaky', { useDevmode: false });
});

test.serial('a views node that dies mid-stream makes the stream error, never complete as if whole', async (t) => {
  const big = { views: { many: { map: 'function (doc, meta) { for (var i = 0; i < 200; i++) emit([doc.n, i], null); }' } } };
  await cb.designCreate('big', big, { useDevmode: false, syncwait: 10 });
  let n = 0;
  let stopped = false;
  const outcome = await (async () => {
    try {
      for await (const _ of cb.query('big', 'many', { stale: false, pageSize: 20000, timeout: 5 })) {
        if (++n === 100 && !stopped) {
          stopped = true;
          // Every node: whichever serves the views, it goes away mid-stream.
          await Promise.all([0, 1, 2].map((i) => emu.stopNode(i)));
        }
      }
      return 'completed';
    } catch (error) {
      return error;
    }
  })();
  await Promise.all([0, 1, 2].map((i) => emu.startNode(i)));
  t.not(outcome, 'completed', `completed after ${n} of 60000 rows`);
  t.true(outcome instanceof TimeoutError || outcome instanceof NetworkError || outcome instanceof CouchbaseError, String(outcome));
});

test('memcached:// has no views: NotSupportedError before anything is sent', async (t) => {
  const mc = await startMemcached();
  const m = await connect({ connectionString: `memcached://127.0.0.1:${mc.port}` });
  try {
    const e = await t.throwsAsync(async () => {
      for await (const _ of m.query('beer', 'by_name')) { /* nothing */ }
    }, { instanceOf: NotSupportedError });
    t.regex(e.message, /memcached/);
    await t.throwsAsync(m.designGet('beer'), { instanceOf: NotSupportedError });
  } finally {
    await m.close();
    await mc.stop();
  }
});
