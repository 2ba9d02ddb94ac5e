/**
 * The pages that query views: the beer and brewery lists (the guide's row processor), the
 * search boxes' JSON (mapkeyRange with STRING_RANGE_END), a brewery's beers and the search
 * within them, and a brewery with beers refused deletion ("Food for thought").
 */
import test from 'ava';
import { postForm, textOf, useApp } from './_app.js';

const web = useApp(test);

interface BeerEntry {
  id: string;
  name: string;
  brewery: string;
  breweryName: string;
  likes: number;
}

const search = async (query: string) => {
  const r = await web().app.inject(`/beers/search?${query}`);
  return { status: r.statusCode, type: r.headers['content-type'] as string, body: r.json() as BeerEntry[] & { error?: string } };
};

test('the beer list shows the first 30 beers by name, each with its brewery by name and its likes', async (t) => {
  const r = await web().app.inject('/beers');
  t.is(r.statusCode, 200);
  const rows = [...r.body.matchAll(/<tr>\s*<td><a href="\/beers\/show\/([^"]+)">([^<]*)<\/a><\/td>\s*<td><a href="\/breweries\/show\/([^"]+)">([^<]*)<\/a><\/td>\s*<td>(\d+)<\/td>/g)];
  t.is(rows.length, 30);
  t.deepEqual(rows[0]!.slice(1), ['sullivan_s_black_forest_brew_haus_grill-38_special_bitter', '.38 Special Bitter', 'sullivan_s_black_forest_brew_haus_grill', 'Sullivan&#39;s Black Forest Brew Haus &amp; Grill', '0']);
  for (const row of rows) t.true(row[1]!.startsWith(`${row[3]}-`), `${row[1]} is a beer of ${row[3]}`);
});

test('the search answers the guide\'s JSON: beers whose names start with the text, at most 30', async (t) => {
  const liberty = await search('value=Liberty');
  t.is(liberty.status, 200);
  t.regex(liberty.type, /^application\/json/);
  t.deepEqual(liberty.body.map((b) => b.name), ['Liberty Ale', 'Liberty Nut Brown Ale', 'Liberty Pale Ale', 'Liberty Pale Ale', 'Liberty Raspberry Wheat Ale', 'Liberty Unfiltered Wheat Ale', 'Liberty White Ale']);
  t.like(liberty.body[0], { id: 'anchor_brewing-liberty_ale', brewery: 'anchor_brewing', breweryName: 'Anchor Brewing', likes: 0 });
  t.is((await search('value=')).body.length, 30);
  t.is((await search('')).body.length, 30);
  t.deepEqual((await search('value=Libertyy')).body, []);
});

test('searching for ", \\, % or text in any script answers JSON, never an error', async (t) => {
  for (const value of ['"', '\\', '%', '"}]', '\u0FFF', 'Ä', '啤酒', '\u{1F37A}', "' OR 1=1 --"]) {
    const r = await search(`value=${encodeURIComponent(value)}`);
    t.is(r.status, 200, value);
    t.true(Array.isArray(r.body), value);
  }
});

test('a search longer than a name can be, or given twice, is a 400 with a JSON reason', async (t) => {
  const long = await search(`value=${'a'.repeat(10 * 1024)}`);
  t.is(long.status, 400);
  t.regex(long.type, /^application\/json/);
  t.is(long.body.error, "'value' is longer than 100 characters");
  const twice = await search('value=a&value=b');
  t.is(twice.status, 400);
  t.is(twice.body.error, "'value' must be given once");
});

test("a new beer is in the search and on its brewery's page right after it is created", async (t) => {
  const created = await postForm(web().app, '/beers/create', { beer_name: 'Aaaa First Beer', beer_brewery_id: '21st_amendment_brewery_cafe' });
  t.is(created.statusCode, 303);
  t.deepEqual((await search('value=Aaaa')).body.map((b) => b.id), ['21st_amendment_brewery_cafe-aaaa_first_beer']);
  const brewery = await web().app.inject('/breweries/show/21st_amendment_brewery_cafe');
  t.true(brewery.body.includes('<a href="/beers/show/21st_amendment_brewery_cafe-aaaa_first_beer">Aaaa First Beer</a>'));
});

test('the brewery list and its search', async (t) => {
  const list = await web().app.inject('/breweries');
  t.is(list.statusCode, 200);
  t.is([...list.body.matchAll(/<td><a href="\/breweries\/show\//g)].length, 30);
  const r = await web().app.inject('/breweries/search?value=Anch');
  t.deepEqual(r.json(), [{ id: 'anchor_brewing', name: 'Anchor Brewing', city: 'San Francisco', country: 'United States' }]);
  t.is((await web().app.inject(`/breweries/search?value=${'%'.repeat(200)}`)).statusCode, 400);
});

test("a brewery's page lists its beers, and the search within them finds only its own", async (t) => {
  const r = await web().app.inject('/breweries/show/brooklyn_brewery');
  t.is(r.statusCode, 200);
  const text = textOf(r.body);
  t.true(text.includes('Show Details for Brewery “Brooklyn Brewery”'));
  t.true(text.includes('Beers brewed here (11)'));
  t.true(r.body.includes('<a href="/beers/show/brooklyn_brewery-brooklyn_lager">Brooklyn Lager</a>'));

  const within = await search('value=Brooklyn&brewery=brooklyn_brewery');
  t.is(within.status, 200);
  t.deepEqual(within.body.map((b) => b.name), ['Brooklyn Lager', 'Brooklyn Summer Ale']);
  t.true(within.body.every((b) => b.brewery === 'brooklyn_brewery'));
  t.deepEqual((await search('value=Liberty&brewery=brooklyn_brewery')).body, []);
});

test('a brewery with beers is not deleted: the page says why and lists them', async (t) => {
  for (const method of ['GET', 'POST'] as const) {
    const r = await web().app.inject({ method, url: '/breweries/delete/anchor_brewing' });
    t.is(r.statusCode, 409, method);
    const text = textOf(r.body);
    t.true(text.includes('Brewery “Anchor Brewing” cannot be deleted'));
    t.true(text.includes('It still has 19 beers.'));
    t.true(r.body.includes('<a href="/beers/show/anchor_brewing-liberty_ale">Liberty Ale</a>'));
  }
  t.true((await web().db.get('anchor_brewing', { quiet: true })).success);
});

test('a brewery whose last beer is deleted can be deleted', async (t) => {
  const created = await postForm(web().app, '/breweries/create', { brewery_name: 'Short Lived Brewing' });
  t.is(created.statusCode, 303);
  const beer = await postForm(web().app, '/beers/create', { beer_name: 'Only Ale', beer_brewery_id: 'short_lived_brewing' });
  t.is(beer.statusCode, 303);
  t.is((await web().app.inject({ method: 'POST', url: '/breweries/delete/short_lived_brewing' })).statusCode, 409);
  t.is((await web().app.inject({ method: 'POST', url: '/beers/delete/short_lived_brewing-only_ale' })).statusCode, 303);
  const confirm = await web().app.inject('/breweries/delete/short_lived_brewing');
  t.is(confirm.statusCode, 200);
  t.true(textOf(confirm.body).includes('Delete brewery “Short Lived Brewing”?'));
  const deleted = await web().app.inject({ method: 'POST', url: '/breweries/delete/short_lived_brewing' });
  t.is(deleted.statusCode, 303);
  t.is(deleted.headers.location, '/breweries');
  t.false((await web().db.get('short_lived_brewing', { quiet: true })).success);
});

test("a brewery's likes show on its page", async (t) => {
  await web().app.inject({ method: 'POST', url: '/breweries/like/anchor_brewing' });
  t.true(textOf((await web().app.inject('/breweries/show/anchor_brewing')).body).includes('Likes: 1'));
});
