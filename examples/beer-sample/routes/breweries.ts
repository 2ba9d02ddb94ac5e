/** The brewery pages: the list and its search box, and a brewery's page with its beers. */
import type { FastifyInstance } from 'fastify';
import { breweryKind } from '../kinds.js';
import { load } from '../store.js';
import { breweryBeers, listBreweries, MAX_SEARCH_LENGTH, searchBreweries } from '../views.js';
import { oneParam, type Deps, type IdParams } from './deps.js';

export function breweryRoutes(app: FastifyInstance, { db, render }: Deps): void {
  app.get('/breweries', async (_request, reply) => render(reply, 'brewery/index.njk', { results: await listBreweries(db) }));

  app.get<{ Querystring: Record<string, unknown> }>('/breweries/search', async (request) =>
    searchBreweries(db, oneParam(request.query.value, 'value', MAX_SEARCH_LENGTH)));

  app.get<IdParams>('/breweries/show/:id', async (request, reply) => {
    const brewery = await load(db, breweryKind, request.params.id);
    return render(reply, 'brewery/show.njk', {
      kind: breweryKind,
      item: brewery,
      fields: Object.entries(brewery.doc),
      beers: await breweryBeers(db, brewery.id),
    });
  });
}
