import test from 'ava';
import { startCapi, keysOf, idsOf, qs, type Capi } from './_helpers.js';

const DDOC = {
  views: {
    by_n: { map: 'function (doc, meta) { emit(doc.n, null); }' },
    by_k: { map: 'function (doc, meta) { emit(doc.k, doc.n); }', reduce: '_sum' },
    pair: { map: 'function (doc, meta) { emit([doc.tag, doc.k, doc.n], 1); }', reduce: '_count' },
  },
};

// d00..d11: n = i, k = i % 4, tag alternates x/y.
async function setup(t: { teardown(fn: () => unknown): void }): Promise<Capi> {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  for (let i = 0; i < 12; i++) {
    capi.source.set(`d${String(i).padStart(2, '0')}`, { n: i, k: i % 4, tag: i % 2 ? 'y' : 'x' });
  }
  const put = await capi.putDesign('q', DDOC);
  if (put.status !== 201) throw new Error(JSON.stringify(put));
  return capi;
}

const ns = (body: any) => keysOf(body) as number[];

test('map output shape, total_rows and the wire format', async (t) => {
  const capi = await setup(t);
  const res = await capi.view('q', 'by_n', { limit: 2 });
  t.is(res.status, 200);
  t.is(
    res.text,
    '{"total_rows":12,"rows":[\r\n{"id":"d00","key":0,"value":null},\r\n{"id":"d01","key":1,"value":null}\r\n]\r\n}',
  );
  const empty = await capi.view('q', 'by_n', { key: 99 });
  t.is(empty.text, '{"total_rows":12,"rows":[\r\n]\r\n}');
  t.deepEqual(empty.body, { total_rows: 12, rows: [] });
});

test('key and keys (GET and POST), in the order of keys', async (t) => {
  const capi = await setup(t);
  t.deepEqual(idsOf((await capi.view('q', 'by_k', { key: 1, reduce: false })).body), ['d01', 'd05', 'd09']);
  const multi = await capi.view('q', 'by_n', { keys: [5, 1, 42, 3] });
  t.deepEqual(ns(multi.body), [5, 1, 3]);
  t.is(multi.body.total_rows, 12);
  const post = await capi.request(`/_design/q/_view/by_n${qs({ limit: 2 })}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ keys: [7, 2, 9] }),
  });
  t.is(post.status, 200);
  t.deepEqual(ns(post.body), [7, 2]);
  const grouped = await capi.view('q', 'by_k', { keys: [3, 0], group: true });
  t.deepEqual(grouped.body.rows, [
    { key: 3, value: 3 + 7 + 11 },
    { key: 0, value: 0 + 4 + 8 },
  ]);
});

test('startkey/endkey (both spellings), docids and inclusive_end', async (t) => {
  const capi = await setup(t);
  t.deepEqual(ns((await capi.view('q', 'by_n', { startkey: 3, endkey: 6 })).body), [3, 4, 5, 6]);
  t.deepEqual(ns((await capi.view('q', 'by_n', { start_key: 3, end_key: 6 })).body), [3, 4, 5, 6]);
  t.deepEqual(ns((await capi.view('q', 'by_n', { startkey: 3, endkey: 6, inclusive_end: false })).body), [3, 4, 5]);
  t.deepEqual(ns((await capi.view('q', 'by_n', { startkey: 10 })).body), [10, 11]);
  t.deepEqual(ns((await capi.view('q', 'by_n', { endkey: 1 })).body), [0, 1]);
  // k = 1 rows are d01, d05, d09: docids bound the range within equal keys.
  const base = { reduce: false };
  t.deepEqual(idsOf((await capi.view('q', 'by_k', { ...base, startkey: 1, startkey_docid: 'd05', endkey: 1 })).body), ['d05', 'd09']);
  t.deepEqual(idsOf((await capi.view('q', 'by_k', { ...base, startkey: 1, endkey: 1, endkey_docid: 'd05' })).body), ['d01', 'd05']);
  t.deepEqual(
    idsOf((await capi.view('q', 'by_k', { ...base, startkey: 1, endkey: 1, endkey_docid: 'd05', inclusive_end: false })).body),
    ['d01'],
  );
  t.deepEqual(idsOf((await capi.view('q', 'by_k', { ...base, startkey: 1, start_key_doc_id: 'd02', endkey: 2, end_key_doc_id: 'd02' })).body), [
    'd05',
    'd09',
    'd02',
  ]);
  // A docid without its key is ignored.
  t.is((await capi.view('q', 'by_n', { startkey_docid: 'd05' })).body.rows.length, 12);
});

test('descending reverses the walk; startkey is then the upper bound', async (t) => {
  const capi = await setup(t);
  t.deepEqual(ns((await capi.view('q', 'by_n', { descending: true, limit: 3 })).body), [11, 10, 9]);
  t.deepEqual(ns((await capi.view('q', 'by_n', { descending: true, startkey: 6, endkey: 3 })).body), [6, 5, 4, 3]);
  t.deepEqual(ns((await capi.view('q', 'by_n', { descending: true, startkey: 6, endkey: 3, inclusive_end: false })).body), [6, 5, 4]);
  t.deepEqual(idsOf((await capi.view('q', 'by_k', { reduce: false, descending: true, key: 1 })).body), ['d09', 'd05', 'd01']);
  t.deepEqual(
    idsOf((await capi.view('q', 'by_k', { reduce: false, descending: true, startkey: 1, startkey_docid: 'd05', endkey: 1 })).body),
    ['d05', 'd01'],
  );
});

test('limit and skip', async (t) => {
  const capi = await setup(t);
  t.deepEqual(ns((await capi.view('q', 'by_n', { skip: 10 })).body), [10, 11]);
  t.deepEqual(ns((await capi.view('q', 'by_n', { skip: 2, limit: 3 })).body), [2, 3, 4]);
  t.deepEqual(ns((await capi.view('q', 'by_n', { limit: 0 })).body), []);
  t.deepEqual(ns((await capi.view('q', 'by_n', { skip: 100 })).body), []);
  t.deepEqual((await capi.view('q', 'by_k', { group: true, skip: 1, limit: 2 })).body.rows, [
    { key: 1, value: 15 },
    { key: 2, value: 18 },
  ]);
});

test('reduce, group, group_level and reduce=false', async (t) => {
  const capi = await setup(t);
  const all = await capi.view('q', 'by_k');
  t.is(all.text, '{"rows":[\r\n{"key":null,"value":66}\r\n]\r\n}');
  t.deepEqual((await capi.view('q', 'by_k', { group: false })).body.rows, [{ key: null, value: 66 }]);
  t.deepEqual((await capi.view('q', 'by_k', { startkey: 2 })).body.rows, [{ key: null, value: 18 + 21 }]);
  t.deepEqual((await capi.view('q', 'by_k', { key: 9 })).body, { rows: [] });
  t.deepEqual((await capi.view('q', 'by_k', { group: true })).body.rows.map((r: any) => r.value), [12, 15, 18, 21]);
  t.deepEqual((await capi.view('q', 'by_k', { group: true, descending: true })).body.rows.map((r: any) => r.key), [3, 2, 1, 0]);
  t.deepEqual((await capi.view('q', 'pair', { group_level: 1 })).body.rows, [
    { key: ['x'], value: 6 },
    { key: ['y'], value: 6 },
  ]);
  t.deepEqual((await capi.view('q', 'pair', { group_level: 2 })).body.rows, [
    { key: ['x', 0], value: 3 },
    { key: ['x', 2], value: 3 },
    { key: ['y', 1], value: 3 },
    { key: ['y', 3], value: 3 },
  ]);
  t.deepEqual((await capi.view('q', 'pair', { group_level: 2, descending: true, limit: 2 })).body.rows, [
    { key: ['y', 3], value: 3 },
    { key: ['y', 1], value: 3 },
  ]);
  t.is((await capi.view('q', 'pair', { group_level: 3 })).body.rows.length, 12);
  t.is((await capi.view('q', 'pair', { group_level: 9 })).body.rows.length, 12);
  t.deepEqual((await capi.view('q', 'pair', { group_level: 0 })).body.rows, [{ key: null, value: 12 }]);
  const rows = await capi.view('q', 'pair', { reduce: false, limit: 1 });
  t.deepEqual(rows.body, { total_rows: 12, rows: [{ id: 'd00', key: ['x', 0, 0], value: 1 }] });
});

test('stale, on_error, full_set, debug and connection_timeout are accepted', async (t) => {
  const capi = await setup(t);
  for (const stale of ['ok', 'false', 'update_after', 'FALSE']) {
    t.is((await capi.view('q', 'by_n', { stale })).status, 200, stale);
  }
  t.is((await capi.view('q', 'by_n', { on_error: 'stop' })).status, 200);
  t.is((await capi.view('q', 'by_n', { on_error: 'continue', full_set: true, connection_timeout: 60000 })).status, 200);
  const debug = await capi.view('q', 'by_n', { debug: true, limit: 1 });
  t.is(debug.status, 200);
  t.is(debug.body.debug_info.local.design_doc, '_design/q');
  t.is(debug.body.rows.length, 1);
  t.is((await capi.view('q', 'by_n', { include_docs: false, some_unknown: 'x' })).status, 200);
});

const parseErrors: Array<[string, string, Record<string, unknown>, string]> = [
  ['by_n', 'limit', { limit: 'abc' }, 'Invalid value for integer parameter: "abc"'],
  ['by_n', 'negative limit', { limit: -1 }, 'Invalid value for positive integer parameter: "-1"'],
  ['by_n', 'skip', { skip: '1.5' }, 'Invalid value for integer parameter: "1.5"'],
  ['by_n', 'descending', { descending: 'yes' }, 'Invalid boolean parameter: "yes"'],
  ['by_n', 'inclusive_end', { inclusive_end: '1' }, 'Invalid boolean parameter: "1"'],
  ['by_n', 'stale', { stale: 'maybe' }, 'stale only available as stale=ok, stale=update_after or stale=false'],
  ['by_n', 'reduce on a map view', { reduce: true }, 'Invalid URL parameter `reduce` for map view.'],
  ['by_n', 'group on a map view', { group: true }, "Invalid URL parameter 'group' or  'group_level' for non-reduce view."],
  ['by_k', 'group_level with reduce=false', { group_level: 1, reduce: false }, "Invalid URL parameter 'group' or  'group_level' for non-reduce view."],
  ['by_k', 'group and group_level', { group: true, group_level: 1 }, 'Query parameter `group_level` is not compatible with `group`'],
  ['by_n', 'empty range', { startkey: 5, endkey: 1 }, 'No rows can match your key range, reverse your start_key and end_key or set descending=true'],
  ['by_n', 'empty descending range', { startkey: 1, endkey: 5, descending: true }, 'No rows can match your key range, reverse your start_key and end_key or set descending=false'],
  ['by_n', 'key with keys', { key: 1, keys: [1] }, 'Query parameter `start_key` is not compatible with multi-get'],
  ['by_k', 'keys on a reduce without group', { keys: [1] }, 'Multi-key fetchs for reduce view must include `group=true`'],
  ['by_k', 'include_docs on a reduce', { include_docs: true }, 'Query parameter `include_docs` is invalid for reduce views.'],
  ['by_n', 'count', { count: 1 }, "Query parameter 'count' is now 'limit'."],
];

for (const [view, title, params, reason] of parseErrors) {
  test(`query_parse_error: ${title}`, async (t) => {
    const capi = await setup(t);
    const res = await capi.view('q', view, params);
    t.is(res.status, 400);
    t.deepEqual(res.body, { error: 'query_parse_error', reason });
  });
}

test('bad_request: malformed JSON parameters, keys not an array, on_error, connection_timeout', async (t) => {
  const capi = await setup(t);
  for (const params of [{ key: 'abc' }, { startkey: '[1' }, { keys: '{' }]) {
    const res = await capi.view('q', 'by_n', params);
    t.is(res.status, 400);
    t.is(res.body.error, 'bad_request');
  }
  const notArray = await capi.view('q', 'by_n', { keys: { a: 1 } });
  t.deepEqual(notArray.body, { error: 'bad_request', reason: '`keys` parameter is not an array.' });
  const onError = await capi.view('q', 'by_n', { on_error: 'panic' });
  t.deepEqual(onError.body, {
    error: 'bad_request',
    reason: 'Invalid value (`panic`) for the parameter `on_error`. It must be `continue` (default) or `stop`.',
  });
  const timeout = await capi.view('q', 'by_n', { connection_timeout: 'soon' });
  t.is(timeout.status, 400);
  const timeout2 = await capi.view('q', 'by_n', { connection_timeout: 1.5 });
  t.deepEqual(timeout2.body, { error: 'bad_request', reason: 'Query parameter `connection_timeout` must be an integer' });
  const badPost = await capi.request('/_design/q/_view/by_n', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ keys: 5 }),
  });
  t.deepEqual(badPost.body, { error: 'bad_request', reason: '`keys` parameter is not an array.' });
  const badType = await capi.request('/_design/q/_view/by_n', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
  t.is(badType.status, 415);
  t.is(badType.body.error, 'bad_content_type');
});
