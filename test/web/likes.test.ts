/** Like and unlike ("Food for thought"): counters shown on the pages, never below zero. */
import test from 'ava';
import { useApp, textOf } from './_app.js';

const web = useApp(test);

const post = (url: string, json = false) => web().app.inject({ method: 'POST', url, headers: json ? { accept: 'application/json' } : {} });
const shownLikes = async (url: string) => /Likes: (\d+)/.exec(textOf((await web().app.inject(url)).body))?.[1];

test('likes of a beer count up and down on its page; a form post is sent back to the page', async (t) => {
  const id = 'brooklyn_brewery-brooklyn_lager';
  const page = `/beers/show/${id}`;
  t.is(await shownLikes(page), '0');
  const r = await post(`/beers/like/${id}`);
  t.is(r.statusCode, 303);
  t.is(r.headers.location, page);
  await post(`/beers/like/${id}`);
  t.is(await shownLikes(page), '2');
  await post(`/beers/unlike/${id}`);
  t.is(await shownLikes(page), '1');
});

test("the page's script gets the new count as JSON", async (t) => {
  const id = 'brooklyn_brewery-black_ops';
  const liked = await post(`/beers/like/${id}`, true);
  t.is(liked.statusCode, 200);
  t.deepEqual(liked.json(), { likes: 1 });
  t.deepEqual((await post(`/beers/unlike/${id}`, true)).json(), { likes: 0 });
});

test('unliking more often than liked stops at zero', async (t) => {
  const id = 'brooklyn_brewery-brown_ale';
  for (let i = 0; i < 3; i++) t.deepEqual((await post(`/beers/unlike/${id}`, true)).json(), { likes: 0 });
  t.deepEqual((await post(`/beers/like/${id}`, true)).json(), { likes: 1 });
});

test('breweries are liked the same way', async (t) => {
  t.deepEqual((await post('/breweries/like/brooklyn_brewery', true)).json(), { likes: 1 });
  t.deepEqual((await post('/breweries/like/brooklyn_brewery', true)).json(), { likes: 2 });
  t.deepEqual((await post('/breweries/unlike/brooklyn_brewery', true)).json(), { likes: 1 });
  t.is((await web().db.get('brooklyn_brewery::likes')).value, 1);
});

test('liking what is not there is a 404 and creates no counter', async (t) => {
  for (const url of ['/beers/like/no_such_beer', '/beers/unlike/no_such_beer', '/breweries/like/brooklyn_brewery-brooklyn_lager', `/beers/like/${'x'.repeat(260)}`]) {
    t.is((await post(url)).statusCode, 404, url);
  }
  t.false((await web().db.get('no_such_beer::likes', { quiet: true })).success);
});

test('a like is not a GET', async (t) => {
  t.is((await web().app.inject('/beers/like/brooklyn_brewery-brooklyn_lager')).statusCode, 404);
});
