/**
 * Every view query the app makes. `stale: false` throughout: each page follows a redirect from
 * a write (create, edit, delete) and must show it.
 */
import { Beer, BeerListRowProcessor } from './beer.js';
import { STRING_RANGE_END, type Couchbase, type ViewRow } from '../../src/index.js';

/** Rows per list page and per search answer (the guide's ENTRIES_PER_PAGE). */
export const ENTRIES_PER_PAGE = 30;

/** A search longer than any name could be is refused before it reaches the view engine. */
export const MAX_SEARCH_LENGTH = 100;

export interface BreweryRow {
  id: string;
  name: string;
  city: string;
  country: string;
}

async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

/** Every name that starts with `prefix`: the guide's search range. */
function startingWith(prefix: string): [string, string] {
  return [prefix, prefix + STRING_RANGE_END];
}

export function listBeers(db: Couchbase): Promise<Beer[]> {
  return collect(db.query('beer', 'by_name', { limit: ENTRIES_PER_PAGE, stale: false, rowProcessor: new BeerListRowProcessor() }));
}

export function searchBeers(db: Couchbase, prefix: string): Promise<Beer[]> {
  return collect(db.query('beer', 'by_name', {
    mapkeyRange: startingWith(prefix),
    limit: ENTRIES_PER_PAGE,
    stale: false,
    rowProcessor: new BeerListRowProcessor(),
  }));
}

/** A brewery's beers whose names start with `prefix` ("Food for thought": search within a brewery). */
export function searchBreweryBeers(db: Couchbase, breweryId: string, prefix: string): Promise<Beer[]> {
  const [from, to] = startingWith(prefix);
  return collect(db.query('beer', 'by_brewery_and_name', {
    mapkeyRange: [[breweryId, from], [breweryId, to]],
    limit: ENTRIES_PER_PAGE,
    stale: false,
    rowProcessor: new BeerListRowProcessor(),
  }));
}

/** Ids and names of every beer of a brewery (beer-sample's own `brewery_beers` view). */
export async function breweryBeers(db: Couchbase, breweryId: string): Promise<Array<{ id: string; name: string }>> {
  // The brewery's own row is keyed [id]; its beers' rows [id, beer id] sort after it, before [id, {}].
  const rows = await collect(db.query('beer', 'brewery_beers', { startkey: [breweryId, null], endkey: [breweryId, {}], includeDocs: true, stale: false }));
  return rows
    .filter(found)
    .map((r) => ({ id: r.docid, name: String(docField(r, 'name') ?? r.docid) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A row whose document was fetched (the index may still list one deleted since). */
function found(row: ViewRow): row is ViewRow & { docid: string } {
  return row.docid !== undefined && Boolean(row.doc?.success);
}

function docField(row: ViewRow, name: string): unknown {
  const value = row.doc?.value;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function breweryRows(rows: ViewRow[]): BreweryRow[] {
  return rows
    .filter(found)
    .map((r) => ({ id: r.docid, name: String(r.key), city: String(docField(r, 'city') ?? ''), country: String(docField(r, 'country') ?? '') }));
}

export async function listBreweries(db: Couchbase): Promise<BreweryRow[]> {
  return breweryRows(await collect(db.query('brewery', 'by_name', { limit: ENTRIES_PER_PAGE, includeDocs: true, stale: false })));
}

export async function searchBreweries(db: Couchbase, prefix: string): Promise<BreweryRow[]> {
  return breweryRows(await collect(db.query('brewery', 'by_name', {
    mapkeyRange: startingWith(prefix),
    limit: ENTRIES_PER_PAGE,
    includeDocs: true,
    stale: false,
  })));
}
