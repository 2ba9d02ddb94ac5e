/**
 * The guide's Beer and BeerListRowProcessor. Rows of `beer/by_name` become Beers; one batched
 * get reads the beers (for their brewery ids) and their like counters, one more reads the
 * breweries' names, so a page of 30 beers costs two round trips however many rows it has.
 */
import type { Couchbase, RawRow, RowProcessor } from '../../src/index.js';
import { likesFrom, likesKey } from './likes.js';

export class Beer {
  breweryId = '';
  breweryName = '';
  likes = 0;

  constructor(
    readonly id: string,
    readonly name: string,
  ) {}
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

/** `beer/by_name` is keyed by the name, `beer/by_brewery_and_name` by [brewery id, name]. */
function nameFromKey(key: unknown): string {
  return String(Array.isArray(key) ? key[key.length - 1] : key);
}

export class BeerListRowProcessor implements RowProcessor<Beer> {
  async handleRows(rows: RawRow[], connection: Pick<Couchbase, 'getMulti'>): Promise<Beer[]> {
    if (rows.length === 0) return [];
    const beers = rows.flatMap((r) => (r.id === undefined ? [] : [new Beer(r.id, nameFromKey(r.key))]));
    // Quiet: the index may still list a beer that has just been deleted; such a row is dropped.
    const docs = await connection.getMulti(beers.flatMap((b) => [b.id, likesKey(b.id)]), { quiet: true });
    const found = beers.filter((b) => docs.get(b.id)?.success);
    for (const beer of found) {
      beer.breweryId = String(field(docs.get(beer.id)!.value, 'brewery_id') ?? '');
      beer.likes = likesFrom(docs.get(likesKey(beer.id)));
    }
    const breweryIds = [...new Set(found.map((b) => b.breweryId).filter((id) => id !== ''))];
    const breweries = breweryIds.length ? await connection.getMulti(breweryIds, { quiet: true }) : new Map();
    for (const beer of found) {
      const brewery = breweries.get(beer.breweryId);
      beer.breweryName = String((brewery?.success && field(brewery.value, 'name')) || beer.breweryId);
    }
    return found;
  }
}
