/**
 * Hostile and broken requests get a page (or JSON) with a 4xx: never a 500, never a stack trace.
 * The search boxes' inputs are in views.test.ts.
 */
import test from 'ava';
import type { LightMyRequestResponse } from 'fastify';
import { postForm, useApp, textOf } from './_app.js';

const web = useApp(test);

function assertClientError(t: { true(v: boolean, m?: string): void; false(v: boolean, m?: string): void }, r: LightMyRequestResponse, what: string): void {
  t.true(r.statusCode >= 400 && r.statusCode < 500, `${what}: ${r.statusCode}`);
  t.false(/\bat .+:\d+:\d+\)?/.test(r.body), `${what}: a stack trace`);
}

test('forms in another encoding than a browser form are refused with 415 pages', async (t) => {
  const json = await web().app.inject({ method: 'POST', url: '/beers/create', payload: { beer_name: 'x' } });
  assertClientError(t, json, 'JSON');
  t.is(json.statusCode, 415);
  t.regex(json.headers['content-type'] as string, /^text\/html/);
  const multipart = await web().app.inject({
    method: 'POST', url: '/beers/create',
    headers: { 'content-type': 'multipart/form-data; boundary=xx' },
    payload: '--xx\r\nContent-Disposition: form-data; name="beer_name"\r\n\r\nx\r\n--xx--\r\n',
  });
  t.is(multipart.statusCode, 415);
});

test('a form body over 64 KB is a 413 page', async (t) => {
  const r = await postForm(web().app, '/beers/create', { beer_name: 'Big', beer_brewery_id: 'anchor_brewing', beer_description: 'x'.repeat(70_000) });
  assertClientError(t, r, 'big body');
  t.is(r.statusCode, 413);
  t.true(textOf(r.body).includes('Payload Too Large'));
});

test('an empty post, or fields in every wrong shape, is a 400 form, not a crash', async (t) => {
  const empty = await web().app.inject({ method: 'POST', url: '/beers/create' });
  t.is(empty.statusCode, 400);
  t.true(textOf(empty.body).includes('Name is required'));
  const arrays = await postForm(web().app, '/beers/create', { beer_name: ['a', 'b'], beer_brewery_id: ['c', 'd'], beer_abv: ['1', '2'] });
  t.is(arrays.statusCode, 400);
  t.true(textOf(arrays.body).includes('Brewery was sent more than once'));
  const edit = await postForm(web().app, '/breweries/edit/anchor_brewing', { cas: ['1', '2'], brewery_name: ['x', 'y'] });
  t.is(edit.statusCode, 400);
});

test('ids that are odd as URLs or as keys: 404 pages', async (t) => {
  const urls = [
    '/beers/show/%E0%A4%A',
    '/beers/show/%00',
    `/beers/show/${'%F0%9F%8D%BA'.repeat(70)}`,
    `/beers/edit/${'y'.repeat(900)}`,
    '/beers/show/..%2F..%2Fetc%2Fpasswd',
    '/breweries/delete/%20',
  ];
  for (const url of urls) {
    const r = await web().app.inject(url);
    assertClientError(t, r, url);
  }
  const long = await web().app.inject(`/beers/show/${'z'.repeat(5000)}`);
  assertClientError(t, long, 'an id past the router limit');
});

test('a create with a name too long to make an id from is a 400', async (t) => {
  const r = await postForm(web().app, '/beers/create', { beer_name: '\u{1F37A}'.repeat(50), beer_brewery_id: 'anchor_brewing' });
  t.is(r.statusCode, 400);
  t.true(textOf(r.body).includes('Name must contain a letter or a digit'));
  const wide = await postForm(web().app, '/beers/create', { beer_name: 'ü'.repeat(100), beer_brewery_id: 'anchor_brewing' });
  t.is(wide.statusCode, 303);
  const cjk = await postForm(web().app, '/beers/create', { beer_name: '麦'.repeat(90), beer_brewery_id: 'anchor_brewing' });
  t.is(cjk.statusCode, 400);
  t.true(textOf(cjk.body).includes('Name is too long to make a document id from'));
});

test('methods a page does not have are 404 pages', async (t) => {
  for (const method of ['PUT', 'DELETE', 'PATCH'] as const) {
    const r = await web().app.inject({ method, url: '/beers/show/anchor_brewing-porter' });
    t.is(r.statusCode, 404, method);
  }
});

