/**
 * Editing beers and breweries: the form carries the CAS, a save keeps the fields the form does
 * not edit, a stale save is refused and overwrites nothing, and the guide's validation.
 */
import test from 'ava';
import { beerFormFields, formCas, postForm, useApp, textOf } from './_app.js';

const web = useApp(test);

type Doc = Record<string, unknown>;
const docOf = async (id: string) => (await web().db.get<Doc>(id)).value;

test('the edit form shows the current values and the CAS of the version it edits', async (t) => {
  const id = 'anchor_brewing-liberty_ale';
  const r = await web().app.inject(`/beers/edit/${id}`);
  t.is(r.statusCode, 200);
  t.is(formCas(r.body), String((await web().db.get(id)).cas));
  t.true(r.body.includes('name="beer_name" placeholder="The name of the beer." value="Liberty Ale"'));
  t.true(r.body.includes('name="beer_brewery_id" placeholder="The brewery" value="anchor_brewing"'));
});

test('a save replaces the fields of the form and keeps the others', async (t) => {
  const id = 'anchor_brewing-anchor_steam';
  const before = await docOf(id);
  const cas = formCas((await web().app.inject(`/beers/edit/${id}`)).body);
  const r = await postForm(web().app, `/beers/edit/${id}`, { ...beerFormFields(before), beer_description: 'Steam beer, edited', beer_abv: '4.9', cas });
  t.is(r.statusCode, 303);
  t.is(r.headers.location, `/beers/show/${id}`);
  const after = await docOf(id);
  t.is(after.description, 'Steam beer, edited');
  t.is(after.abv, 4.9);
  t.is(after.type, 'beer');
  t.is(after.name, before.name);
  t.not(after.updated, before.updated);
  t.true(textOf((await web().app.inject(`/beers/show/${id}`)).body).includes('description Steam beer, edited'));
});

test('a save from a form opened before someone else saved is refused: current values shown, nothing overwritten', async (t) => {
  const id = 'anchor_brewing-old_foghorn_1996';
  const original = await docOf(id);
  const mine = formCas((await web().app.inject(`/beers/edit/${id}`)).body);
  const theirs = formCas((await web().app.inject(`/beers/edit/${id}`)).body);
  t.is(mine, theirs);

  const first = await postForm(web().app, `/beers/edit/${id}`, { ...beerFormFields(original), beer_style: 'Their style', cas: theirs });
  t.is(first.statusCode, 303);
  const saved = await web().db.get<Doc>(id);

  const stale = await postForm(web().app, `/beers/edit/${id}`, { ...beerFormFields(original), beer_style: 'My style', cas: mine });
  t.is(stale.statusCode, 409);
  const text = textOf(stale.body);
  t.true(text.includes('Not saved: someone else changed this beer after you opened the form.'));
  t.true(text.includes('Style Their style My style'));
  t.true(stale.body.includes('name="beer_style" placeholder="Bitter? Sweet? Hoppy?" value="Their style"'));
  t.is(formCas(stale.body), String(saved.cas));

  const now = await web().db.get<Doc>(id);
  t.is(now.value.style, 'Their style');
  t.is(now.cas, saved.cas);

  const retry = await postForm(web().app, `/beers/edit/${id}`, { ...beerFormFields(now.value), beer_style: 'My style', cas: formCas(stale.body) });
  t.is(retry.statusCode, 303);
  t.is((await docOf(id)).style, 'My style');
});

test('a form without a CAS, or with one that is not a CAS, is refused with a 400 and saves nothing', async (t) => {
  const id = 'anchor_brewing-porter';
  const before = await web().db.get<Doc>(id);
  for (const cas of [undefined, '', 'abc', '-1', '0', '18446744073709551616', ['1', '2']]) {
    const fields = { ...beerFormFields(before.value), beer_name: 'Changed' };
    const r = await postForm(web().app, `/beers/edit/${id}`, cas === undefined ? fields : { ...fields, cas });
    t.is(r.statusCode, 400, String(cas));
    t.true(textOf(r.body).includes('This form does not say which version of the beer it edits (no CAS)'), String(cas));
  }
  t.is((await web().db.get(id)).cas, before.cas);
});

test("the guide's validation: a name, a brewery that exists; and bounds on every field", async (t) => {
  const id = 'anchor_brewing-small_beer';
  const before = await web().db.get<Doc>(id);
  const cas = String(before.cas);
  const cases: Array<[Record<string, string | string[]>, string]> = [
    [{ beer_name: '' }, 'Name is required'],
    [{ beer_name: '   ' }, 'Name is required'],
    [{ beer_brewery_id: '' }, 'Brewery is required'],
    [{ beer_brewery_id: 'no_such_brewery' }, "Brewery 'no_such_brewery' not found"],
    [{ beer_brewery_id: 'anchor_brewing-porter' }, "Brewery 'anchor_brewing-porter' not found"],
    [{ beer_name: 'x'.repeat(101) }, 'Name is too long (at most 100 characters)'],
    [{ beer_description: 'd'.repeat(10_001) }, 'Description is too long (at most 10000 characters)'],
    [{ beer_abv: 'strong' }, 'Alcohol (ABV) must be a number from 0 to 100'],
    [{ beer_abv: '-1' }, 'Alcohol (ABV) must be a number from 0 to 100'],
    [{ beer_upc: '1.5' }, 'Universal Product Code (UPC) must be a whole number'],
    [{ beer_name: ['One', 'Two'] }, 'Name was sent more than once'],
  ];
  for (const [change, message] of cases) {
    const r = await postForm(web().app, `/beers/edit/${id}`, { ...beerFormFields(before.value), ...change, cas });
    t.is(r.statusCode, 400, message);
    t.true(textOf(r.body).includes(message), message);
  }
  t.is((await web().db.get(id)).cas, before.cas);
});

test('a form field the form does not have cannot change the document (not even its type)', async (t) => {
  const id = 'anchor_brewing-anchor_summer_beer';
  const before = await docOf(id);
  const cas = formCas((await web().app.inject(`/beers/edit/${id}`)).body);
  const r = await postForm(web().app, `/beers/edit/${id}`, { ...beerFormFields(before), beer_type: 'brewery', beer_secret: 'x', cas });
  t.is(r.statusCode, 303);
  const after = await docOf(id);
  t.is(after.type, 'beer');
  t.false('secret' in after);
});

test('editing an unknown beer is a 404, for the form and for a save', async (t) => {
  const get = await web().app.inject('/beers/edit/no_such_beer');
  t.is(get.statusCode, 404);
  const post = await postForm(web().app, '/beers/edit/no_such_beer', { beer_name: 'x', beer_brewery_id: 'anchor_brewing', cas: '1' });
  t.is(post.statusCode, 404);
  t.true(textOf(post.body).includes("No such beer 'no_such_beer'"));
});

test("a brewery's address is edited one line per line; its location (geo) is kept", async (t) => {
  const id = 'anchor_brewing';
  const page = await web().app.inject(`/breweries/edit/${id}`);
  t.is(page.statusCode, 200);
  const before = await docOf(id);
  const r = await postForm(web().app, `/breweries/edit/${id}`, {
    brewery_name: String(before.name),
    brewery_address: '1705 Mariposa Street\r\n\r\n  Building B  \r\n',
    brewery_city: 'San Francisco',
    brewery_country: 'United States',
    cas: formCas(page.body),
  });
  t.is(r.statusCode, 303);
  const after = await docOf(id);
  t.deepEqual(after.address, ['1705 Mariposa Street', 'Building B']);
  t.deepEqual(after.geo, before.geo);
  t.is(after.type, 'brewery');
});
