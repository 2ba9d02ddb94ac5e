/** The beer pages: the list and its search box, and a beer's own page. */
import type { FastifyInstance } from 'fastify';
import type { Beer } from '../beer.js';
import { beerKind, breweryKind } from '../kinds.js';
import { load, nameOf } from '../store.js';
import { listBeers, MAX_SEARCH_LENGTH, searchBeers, searchBreweryBeers } from '../views.js';
import { oneParam, type Deps, type IdParams } from './deps.js';

/** The guide's search answer, `{id, name, brewery}`, with the brewery's name and the likes. */
function searchEntry(beer: Beer) {
  return { id: beer.id, name: beer.name, brewery: beer.breweryId, breweryName: beer.breweryName, likes: beer.likes };
}

export function beerRoutes(app: FastifyInstance, { db, render }: Deps): void {
  app.get('/beers', async (_request, reply) => render(reply, 'beer/index.njk', { results: await listBeers(db) }));

  app.get<{ Querystring: Record<string, unknown> }>('/beers/search', async (request) => {
    const value = oneParam(request.query.value, 'value', MAX_SEARCH_LENGTH);
    const brewery = oneParam(request.query.brewery, 'brewery', 250);
    const beers = brewery ? await searchBreweryBeers(db, brewery, value) : await searchBeers(db, value);
    return beers.map(searchEntry);
  });

  app.get<IdParams>('/beers/show/:id', async (request, reply) => {
    const beer = await load(db, beerKind, request.params.id);
    const breweryId = String(beer.doc.brewery_id ?? '');
    return render(reply, 'beer/show.njk', {
      kind: beerKind,
      item: beer,
      breweryId,
      breweryName: breweryId ? await nameOf(db, breweryKind, breweryId) : undefined,
      fields: Object.entries(beer.doc).filter(([name]) => name !== 'brewery_id'),
    });
  });
}
