import test from 'ava';
import { startCapi } from './_helpers.js';

const invalid: Array<[string, unknown, string | RegExp]> = [
  ['not an object', [1, 2], 'Content is not json.'],
  ['views not an object', { views: [] }, "The field `views' is not a json object."],
  ['empty view name', { views: { '': { map: 'function(d){}' } } }, 'View name cannot be an empty string'],
  ['view not an object', { views: { v: 'function(d){}' } }, "Value for view `v' is not a json object."],
  ['leading whitespace', { views: { ' v': { map: 'function(d){}' } } }, 'View name ` v` cannot have leading or trailing whitespace'],
  ['trailing whitespace', { views: { 'v\t': { map: 'function(d){}' } } }, 'View name `v\t` cannot have leading or trailing whitespace'],
  ['map missing', { views: { v: {} } }, "The `map' field for the view `v' is missing."],
  ['map not a string', { views: { v: { map: 5 } } }, "The `map' field of the view `v' is not a json string."],
  ['map syntax error', { views: { v: { map: 'function (doc) { emit(doc.id ' } } }, /^Syntax error in the map function of the view `v': SyntaxError: /],
  ['reduce not a string', { views: { v: { map: 'function(d){}', reduce: null } } }, "The `reduce' field of the view `v' is not a json string."],
  ['unknown builtin reduce', { views: { v: { map: 'function(d){}', reduce: '_foobar' } } }, "Invalid built-in reduce function for view `v': _foobar"],
  ['reduce syntax error', { views: { v: { map: 'function(d){}', reduce: 'function (k, v, r) { return sum(v);' } } }, /^Syntax error in the reduce function of the view `v': SyntaxError: /],
];

for (const [title, doc, reason] of invalid) {
  test(`invalid_design_document: ${title}`, async (t) => {
    const capi = await startCapi();
    t.teardown(() => capi.close());
    const res = await capi.putDesign('dev_bad', doc);
    t.is(res.status, 400);
    t.is(res.body.error, 'invalid_design_document');
    if (typeof reason === 'string') t.is(res.body.reason, reason);
    else t.regex(res.body.reason, reason);
    t.is((await capi.request('/_design/dev_bad')).status, 404, 'nothing stored');
    t.throws(() => capi.service.putDesignDoc('dev_bad', doc), { message: typeof reason === 'string' ? reason : reason });
  });
}

test('valid documents: no views, built-in reduces, extra members kept', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  t.is((await capi.putDesign('empty', {})).status, 201);
  const doc = {
    language: 'javascript',
    views: {
      a: { map: 'function (doc, meta) { emit(meta.id, null); }' },
      b: { map: 'function (doc, meta) { emit(meta.id, 1); };\n', reduce: '_count' },
      c: { map: 'function named(doc) { emit(1, 2) } // trailing comment', reduce: '_stats' },
      d: { map: 'function (doc) { emit(1, 2) }', reduce: '_sum' },
    },
    spatial: {},
    options: { updateMinChanges: 1 },
  };
  const put = await capi.putDesign('dev_ok', doc);
  t.deepEqual(put, { status: 201, body: { ok: true, id: '_design/dev_ok' } });
  const got = await capi.request('/_design/dev_ok');
  t.is(got.status, 200);
  t.deepEqual(got.body, doc);
  t.like(JSON.parse(got.headers.get('x-couchbase-meta') as string), { id: '_design/dev_ok', type: 'json' });
});

test('development and production copies; publish is a PUT under the production name', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  capi.source.set('k', { v: 1 });
  const dev = { views: { v: { map: 'function (doc, meta) { emit(meta.id, doc.v); }' } } };
  await capi.putDesign('dev_app', dev);
  t.is((await capi.view('app', 'v')).status, 404);
  t.deepEqual((await capi.view('dev_app', 'v', { full_set: true })).body.rows, [{ id: 'k', key: 'k', value: 1 }]);
  const fetched = await capi.request('/_design/dev_app');
  await capi.putDesign('app', fetched.body);
  t.deepEqual((await capi.view('app', 'v')).body.rows, [{ id: 'k', key: 'k', value: 1 }]);
  t.deepEqual(
    capi.service.designDocs().map((d) => d.name).sort(),
    ['app', 'dev_app'],
  );
  const del = await capi.request('/_design/dev_app', { method: 'DELETE' });
  t.deepEqual(del.body, { ok: true, id: '_design/dev_app' });
  t.deepEqual((await capi.request('/_design/dev_app', { method: 'DELETE' })).body, { error: 'not_found', reason: 'missing' });
  t.is((await capi.view('app', 'v')).status, 200, 'production copy unaffected');
});

test('designDocsListing gives the cluster manager ddocs body', async (t) => {
  const { designDocsListing } = await import('../../../emulator/views/index.js');
  const capi = await startCapi();
  t.teardown(() => capi.close());
  const doc = { views: { v: { map: 'function (doc) { emit(1, 1); }' } } };
  capi.service.putDesignDoc('dev_x', doc);
  const listing = designDocsListing('beer-sample', capi.service.designDocs());
  t.is(listing.rows.length, 1);
  t.deepEqual(listing.rows[0].doc.json, doc);
  t.is(listing.rows[0].doc.meta.id, '_design/dev_x');
  t.regex(listing.rows[0].doc.meta.rev, /^1-[0-9a-f]{8}$/);
  const got = await capi.request('/_design/dev_x');
  t.is(JSON.parse(got.headers.get('x-couchbase-meta') as string).rev, listing.rows[0].doc.meta.rev);
});
