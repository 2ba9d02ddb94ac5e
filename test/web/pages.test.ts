/** The welcome page, a beer's page, the static files and unknown addresses, over HTTP. */
import test from 'ava';
import { useApp, textOf } from './_app.js';

const web = useApp(test);

test('the welcome page links to the beers and the breweries', async (t) => {
  for (const url of ['/', '/welcome']) {
    const r = await web().app.inject(url);
    t.is(r.statusCode, 200);
    t.regex(r.headers['content-type'] as string, /^text\/html/);
    t.true(r.body.includes('href="/beers"'));
    t.true(r.body.includes('href="/breweries"'));
  }
});

test('pages forbid scripts from anywhere but the app itself', async (t) => {
  const r = await web().app.inject('/welcome');
  t.regex(r.headers['content-security-policy'] as string, /default-src 'self'/);
  t.is(r.headers['x-content-type-options'], 'nosniff');
});

test("a beer's page shows its fields and links its brewery by name", async (t) => {
  const r = await web().app.inject('/beers/show/21st_amendment_brewery_cafe-21a_ipa');
  t.is(r.statusCode, 200);
  const text = textOf(r.body);
  t.true(text.includes('Show Details for Beer “21A IPA”'));
  t.true(text.includes('abv 7.2'));
  t.true(text.includes('style American-Style India Pale Ale'));
  t.true(r.body.includes('<a id="brewery-link" href="/breweries/show/21st_amendment_brewery_cafe">21st Amendment Brewery Cafe</a>'));
  t.true(text.includes('Likes: 0'));
  t.true(r.body.includes('href="/beers/edit/21st_amendment_brewery_cafe-21a_ipa"'));
  t.true(r.body.includes('href="/beers/delete/21st_amendment_brewery_cafe-21a_ipa"'));
});

test('an unknown beer, a brewery shown as a beer and an id too long to be a key are all 404 pages', async (t) => {
  for (const id of ['no_such_beer', '21st_amendment_brewery_cafe', 'x'.repeat(300), '21st_amendment_brewery_cafe-21a_ipa::likes']) {
    const r = await web().app.inject(`/beers/show/${encodeURIComponent(id)}`);
    t.is(r.statusCode, 404, id);
    t.regex(r.headers['content-type'] as string, /^text\/html/);
    t.true(textOf(r.body).includes(`No such beer '${id}'`), id);
  }
});

test('an address the app does not have is a 404 page', async (t) => {
  for (const url of ['/nothing-here', '/beers/show/', '/beers/frobnicate/x', '/beers/show/a/b']) {
    const r = await web().app.inject(url);
    t.is(r.statusCode, 404, url);
    t.true(r.body.includes('There is no page at this address.'), url);
  }
});

test('the stylesheet and the script are served with their types', async (t) => {
  const css = await web().app.inject('/css/beersample.css');
  t.is(css.statusCode, 200);
  t.regex(css.headers['content-type'] as string, /^text\/css/);
  const js = await web().app.inject('/js/beersample.js');
  t.is(js.statusCode, 200);
  t.regex(js.headers['content-type'] as string, /^text\/javascript/);
  t.true(js.body.includes('input[data-search]'));
});
