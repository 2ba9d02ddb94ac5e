/** Creating beers and breweries (ids in beer-sample's style, a taken id is a 400), and deleting a beer. */
import test from 'ava';
import { postForm, useApp, textOf } from './_app.js';

const web = useApp(test);

type Doc = Record<string, unknown>;

test('the create form is empty, or has the brewery filled in when a brewery page links to it', async (t) => {
  const plain = await web().app.inject('/beers/create');
  t.is(plain.statusCode, 200);
  t.true(plain.body.includes('<h3>Create Beer</h3>'));
  t.false(plain.body.includes('name="cas"'));
  const linked = await web().app.inject('/beers/create?brewery_id=anchor_brewing');
  t.true(linked.body.includes('name="beer_brewery_id" placeholder="The brewery" value="anchor_brewing"'));
});

test("a new beer gets the id '<brewery>-<name in lower case>', its type, and numbers as numbers", async (t) => {
  const r = await postForm(web().app, '/beers/create', {
    beer_name: 'Crème Brûlée Stout No. 2', beer_abv: '9.5', beer_ibu: '', beer_brewery_id: 'anchor_brewing', beer_style: ' Stout ',
  });
  t.is(r.statusCode, 303);
  const id = 'anchor_brewing-creme_brulee_stout_no_2';
  t.is(r.headers.location, `/beers/show/${id}`);
  const doc = (await web().db.get<Doc>(id)).value;
  t.like(doc, { name: 'Crème Brûlée Stout No. 2', abv: 9.5, ibu: 0, style: 'Stout', type: 'beer', brewery_id: 'anchor_brewing' });
  t.regex(String(doc.updated), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  t.is((await web().app.inject(r.headers.location as string)).statusCode, 200);
});

test('creating a beer whose id is taken is a 400 and leaves the existing one alone', async (t) => {
  const before = await web().db.get('anchor_brewing-liberty_ale');
  const r = await postForm(web().app, '/beers/create', { beer_name: 'Liberty Ale', beer_brewery_id: 'anchor_brewing', beer_description: 'impostor' });
  t.is(r.statusCode, 400);
  t.true(textOf(r.body).includes("A beer with the id 'anchor_brewing-liberty_ale' already exists"));
  t.true(r.body.includes('value="Liberty Ale"'));
  t.is((await web().db.get('anchor_brewing-liberty_ale')).cas, before.cas);
});

test('a create form with errors comes back with what was typed and the reasons', async (t) => {
  const r = await postForm(web().app, '/beers/create', { beer_name: '', beer_brewery_id: 'nowhere', beer_style: 'Kept style' });
  t.is(r.statusCode, 400);
  const text = textOf(r.body);
  t.true(text.includes('Name is required'));
  t.true(r.body.includes('value="Kept style"'));
  const unnamed = await postForm(web().app, '/beers/create', { beer_name: '!!!', beer_brewery_id: 'anchor_brewing' });
  t.is(unnamed.statusCode, 400);
  t.true(textOf(unnamed.body).includes('Name must contain a letter or a digit'));
  const unknownBrewery = await postForm(web().app, '/beers/create', { beer_name: 'Ghost Ale', beer_brewery_id: 'nowhere' });
  t.is(unknownBrewery.statusCode, 400);
  t.true(textOf(unknownBrewery.body).includes("Brewery 'nowhere' not found"));
});

test('a beer named <script> shows as text, on its page and in its forms', async (t) => {
  const name = '<script>alert("x")</script> & "Co" \'s';
  const r = await postForm(web().app, '/beers/create', { beer_name: name, beer_brewery_id: 'anchor_brewing', beer_description: '<img src=x onerror=alert(1)>' });
  t.is(r.statusCode, 303);
  const show = await web().app.inject(r.headers.location as string);
  t.is(show.statusCode, 200);
  t.false(show.body.includes('<script>alert'));
  t.false(show.body.includes('<img src=x'));
  t.true(show.body.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Co&quot; &#39;s'));
  t.true(textOf(show.body).includes(`Show Details for Beer “${name}”`));
  const edit = await web().app.inject((r.headers.location as string).replace('/show/', '/edit/'));
  t.false(edit.body.includes('<script>alert'));
  t.true(edit.body.includes('value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Co&quot; &#39;s"'));
});

test('a new brewery gets its name in lower case as its id', async (t) => {
  const form = await web().app.inject('/breweries/create');
  t.is(form.statusCode, 200);
  t.true(form.body.includes('<h3>Create Brewery</h3>'));
  t.true(form.body.includes('<textarea id="brewery_address" name="brewery_address"'));
  const r = await postForm(web().app, '/breweries/create', { brewery_name: 'Test Brauerei Köln', brewery_city: 'Köln', brewery_address: 'Hauptstr. 1\nHof 2' });
  t.is(r.statusCode, 303);
  t.is(r.headers.location, '/breweries/show/test_brauerei_koln');
  t.like((await web().db.get<Doc>('test_brauerei_koln')).value, { name: 'Test Brauerei Köln', type: 'brewery', address: ['Hauptstr. 1', 'Hof 2'] });
  const again = await postForm(web().app, '/breweries/create', { brewery_name: 'Test Brauerei Köln' });
  t.is(again.statusCode, 400);
});

test('deleting a beer: a confirmation page, then the delete; the beer and its likes are gone', async (t) => {
  const id = 'anchor_brewing-bock';
  t.is((await web().app.inject({ method: 'POST', url: `/beers/like/${id}` })).statusCode, 303);
  const confirm = await web().app.inject(`/beers/delete/${id}`);
  t.is(confirm.statusCode, 200);
  t.true(textOf(confirm.body).includes('Delete beer “Bock”?'));
  t.true((await web().db.get(id, { quiet: true })).success);

  const r = await web().app.inject({ method: 'POST', url: `/beers/delete/${id}` });
  t.is(r.statusCode, 303);
  t.is(r.headers.location, '/beers');
  t.false((await web().db.get(id, { quiet: true })).success);
  t.false((await web().db.get(`${id}::likes`, { quiet: true })).success);
  t.is((await web().app.inject(`/beers/show/${id}`)).statusCode, 404);
  t.is((await web().app.inject({ method: 'POST', url: `/beers/delete/${id}` })).statusCode, 404);
});

test('deleting an unknown beer is a 404, asked and confirmed', async (t) => {
  const get = await web().app.inject('/beers/delete/no_such_beer');
  t.is(get.statusCode, 404);
  t.true(textOf(get.body).includes("No such beer 'no_such_beer'"));
  t.is((await web().app.inject({ method: 'POST', url: '/beers/delete/no_such_beer' })).statusCode, 404);
  t.is((await web().app.inject({ method: 'POST', url: '/beers/delete/anchor_brewing' })).statusCode, 404);
  t.true((await web().db.get('anchor_brewing', { quiet: true })).success);
});
