import test from 'ava';
import http from 'node:http';
import { startCapi, BUCKET } from './_helpers.js';

const DDOC = { views: { v: { map: 'function (doc, meta) { emit(doc.i, meta.id); }' } } };

test('not_found shapes: design document, view, bucket, other paths', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  await capi.putDesign('d', DDOC);
  const noDoc = await capi.view('nope', 'v');
  t.is(noDoc.status, 404);
  t.deepEqual(noDoc.body, { error: 'not_found', reason: `Design document \`_design/nope\` missing in database \`${BUCKET}/master\`.` });
  const noView = await capi.view('d', 'w');
  t.is(noView.status, 404);
  t.deepEqual(noView.body, {
    error: 'not_found',
    reason: `Error opening view \`w\`, from set \`${BUCKET}\`, design document \`_design/d\`: {not_found,missing_named_view}`,
  });
  const noDdoc = await capi.request('/_design/nope');
  t.deepEqual([noDdoc.status, noDdoc.body], [404, { error: 'not_found', reason: 'missing' }]);
  const noBucket = await fetch(`${capi.base}/other/_design/d/_view/v`);
  t.is(noBucket.status, 404);
  t.deepEqual(await noBucket.json(), { error: 'not_found', reason: 'no_couchbase_bucket_exists' });
  const other = await capi.request('/_all_docs');
  t.is(other.status, 404);
  t.is(other.body.error, 'not_found');
  const welcome = await fetch(`${capi.base}/`);
  t.is(((await welcome.json()) as { couchdb: string }).couchdb, 'Welcome');
});

test('authentication, methods, bodies', async (t) => {
  const capi = await startCapi({ password: 'secret' });
  t.teardown(() => capi.close());
  const auth = { authorization: 'Basic ' + Buffer.from('Administrator:secret').toString('base64') };
  const denied = await capi.request('/_design/d', { method: 'PUT', body: JSON.stringify(DDOC) });
  t.is(denied.status, 401);
  t.is(denied.body.error, 'unauthorized');
  t.is((await capi.request('/_design/d', { method: 'PUT', body: JSON.stringify(DDOC), headers: auth })).status, 201);
  const notJson = await capi.request('/_design/d', { method: 'PUT', body: '{"views":', headers: auth });
  t.deepEqual([notJson.status, notJson.body.error], [400, 'bad_request']);
  const badMethod = await capi.request('/_design/d/_view/v', { method: 'DELETE', headers: auth });
  t.is(badMethod.status, 405);
  t.deepEqual(badMethod.body, { error: 'method_not_allowed', reason: 'Only GET,POST,HEAD allowed' });
  const ok = await capi.request('/_design/d/_view/v', { headers: auth });
  t.deepEqual(ok.body, { total_rows: 0, rows: [] });
  t.is(ok.headers.get('content-type'), 'application/json');
});

test('large results stream in chunks and respect a slow reader', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  const big = 'x'.repeat(200);
  for (let i = 0; i < 20000; i++) capi.source.set(`doc-${String(i).padStart(5, '0')}`, { i, big });
  await capi.putDesign('d', { views: { v: { map: 'function (doc, meta) { emit(doc.i, doc.big); }' } } });
  const url = new URL(`${capi.base}/${BUCKET}/_design/d/_view/v`);
  const { chunks, text } = await new Promise<{ chunks: number; text: string }>((resolve, reject) => {
    http
      .get(url, (res) => {
        res.pause();
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ chunks: parts.length, text: Buffer.concat(parts).toString() }));
        // A mutation while the response is in flight must not disturb it (snapshot).
        capi.source.set('doc-00000', { i: -1, big });
        setTimeout(() => res.resume(), 100);
      })
      .on('error', reject);
  });
  const body = JSON.parse(text);
  t.is(body.total_rows, 20000);
  t.is(body.rows.length, 20000);
  t.is(body.rows[0].id, 'doc-00000');
  t.is(body.rows[0].key, 0);
  t.true(chunks > 10, `streamed in ${chunks} chunks`);
});

test('HEAD on a design document and a view answers without a body', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  await capi.putDesign('d', DDOC);
  const head = await fetch(`${capi.base}/${BUCKET}/_design/d`, { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(await head.text(), '');
  const headView = await fetch(`${capi.base}/${BUCKET}/_design/d/_view/v`, { method: 'HEAD' });
  t.is(headView.status, 200);
});
