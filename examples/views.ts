/**
 * The seed's view programs ("Getting Documents by Querying Views", "Working With Views", and the
 * beer app's BeerListRowProcessor): rows of beer-sample's `beer/brewery_beers`, documents with
 * `includeDocs`, key ranges with STRING_RANGE_END, options as key-value pairs, a Query object or
 * an encoded string, and a row processor over `beer/by_name`.
 */
import { Couchbase, Query, type DesignDocument, type RawRow, type RowProcessor } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

const BY_NAME = 'function (doc, meta) {\n  if (doc.type && doc.type == "beer") {\n    emit(doc.name, null);\n  }\n}';

/** The guide's tutorial adds `by_name` to the `beer` design document; done here when it is missing. */
async function ensureByName(cb: Couchbase): Promise<void> {
  const beer = (await cb.designGet('beer', { useDevmode: false })).value as DesignDocument;
  if (beer.views?.by_name) return;
  await cb.designCreate('beer', { views: { ...beer.views, by_name: { map: BY_NAME } } }, { syncwait: 60 });
  await cb.designPublish('beer', { syncwait: 60 });
}

class Beer {
  breweryId = '';

  constructor(
    readonly id: string,
    readonly name: string,
  ) {}
}

/** The guide's BeerListRowProcessor: rows of `beer/by_name` become Beers, their brewery ids read with one getMulti per page. */
class BeerListRowProcessor implements RowProcessor<Beer> {
  async handleRows(rows: RawRow[], connection: Couchbase): Promise<Beer[]> {
    const beers = rows.map((r) => new Beer(r.id!, String(r.key)));
    // Quiet: the index may still list a beer deleted since; its row is dropped.
    const docs = await connection.getMulti(beers.map((b) => b.id), { quiet: true });
    const found = beers.filter((b) => docs.get(b.id)?.success);
    for (const beer of found) beer.breweryId = (docs.get(beer.id)!.value as { brewery_id: string }).brewery_id;
    return found;
  }
}

export async function views(target: Target): Promise<void> {
  const client = await Couchbase.connect(target.bucket('beer-sample'));
  try {
    // Getting Documents by Querying Views: every row of the view (the first three printed).
    let n = 0;
    for await (const result of client.query('beer', 'brewery_beers')) {
      if (n++ >= 3) continue;
      console.log('Mapped key: %j', result.key);
      console.log('Emitted value: %j', result.value);
      console.log('Document ID: %s', result.docid);
    }
    console.log(`... ${n - 3} more rows`);

    for await (const result of client.query('beer', 'brewery_beers', { includeDocs: true, limit: 5 })) {
      console.log('key is %j', result.key);
      const doc = result.doc!.value as { type: string; abv: number };
      if (doc.type === 'beer') console.log(`Got a beer. It's got ${doc.abv.toFixed(2)} ABV`);
    }

    // Working With Views: a View is iterable, not a list; collect it to get one.
    const rowsAsList = [];
    for await (const row of client.query('beer', 'brewery_beers', { limit: 10 })) rowsAsList.push(row);
    console.log(`${rowsAsList.length} rows in a list`);

    // Breweries whose id starts with "abbaye", highest first: descending walks from the range's end.
    for await (const row of client.query('beer', 'brewery_beers', {
      limit: 3,
      mapkeyRange: [['abbaye' + Query.STRING_RANGE_END], ['abbaye']],
      descending: true,
    })) console.log(String(row));

    // The same server options three ways: an encoded string (sent as given), key-value pairs, a Query object.
    const keys = async (view: AsyncIterable<{ key: unknown }>) => {
      const out = [];
      for await (const row of view) out.push(JSON.stringify(row.key));
      return out.join(' ');
    };
    console.log('encoded string:', await keys(client.query('beer', 'brewery_beers', { query: 'limit=3&skip=1&stale=false' })));
    console.log('key-value pairs:', await keys(client.query('beer', 'brewery_beers', { limit: 3, skip: 1, stale: false })));
    const q = new Query();
    q.limit = 3;
    q.skip = 1;
    q.stale = false;
    console.log(`Query object (${String(q)}):`, await keys(client.query('beer', 'brewery_beers', { query: q })));

    // The beer app's listing and search, through the row processor.
    await ensureByName(client);
    const rp = new BeerListRowProcessor();
    const listed: Beer[] = [];
    for await (const beer of client.query('beer', 'by_name', { limit: 30, rowProcessor: rp })) listed.push(beer);
    console.log(`${listed.length} beers listed, the first: ${listed[0]!.name} (brewery ${listed[0]!.breweryId})`);

    const search = new Query();
    search.mapkeyRange = ['Abbaye', 'Abbaye' + Query.STRING_RANGE_END];
    search.limit = 30;
    const found = [];
    for await (const beer of client.query('beer', 'by_name', { rowProcessor: rp, query: search, includeDocs: true })) {
      found.push({ id: beer.id, name: beer.name, brewery: beer.breweryId });
    }
    console.log(JSON.stringify(found.slice(0, 3)));
  } finally {
    await client.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(views);
