/** Create, edit, delete and like, for beers and for breweries, with what differs between them. */
import type { FastifyInstance } from 'fastify';
import { newBeerId, newBreweryId } from '../ids.js';
import { beerKind, breweryKind } from '../kinds.js';
import { nameOf } from '../store.js';
import { breweryBeers } from '../views.js';
import type { Deps } from './deps.js';
import { deleteRoutes } from './delete.js';
import { editRoutes } from './edit.js';
import { likeRoutes } from './likes.js';

export function documentRoutes(app: FastifyInstance, deps: Deps): void {
  const { db } = deps;
  editRoutes(app, deps, beerKind, {
    // The guide's check: the brewery must exist (and be a brewery).
    async check(fields) {
      const breweryId = String(fields.brewery_id);
      return (await nameOf(db, breweryKind, breweryId)) === undefined ? [`Brewery '${breweryId}' not found`] : [];
    },
    newId: (fields) => newBeerId(String(fields.brewery_id), String(fields.name)),
    prefill: 'brewery_id',
  });
  editRoutes(app, deps, breweryKind, {
    check: async () => [],
    newId: (fields) => newBreweryId(String(fields.name)),
  });

  deleteRoutes(app, deps, beerKind, async () => []);
  deleteRoutes(app, deps, breweryKind, (id) => breweryBeers(db, id));

  likeRoutes(app, deps, beerKind);
  likeRoutes(app, deps, breweryKind);
}
