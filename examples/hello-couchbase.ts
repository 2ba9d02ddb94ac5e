/** The seed's "Hello Couchbase": read a beer, print it, add a comment and replace it. */
import { Couchbase, CouchbaseError } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

export async function helloCouchbase(target: Target): Promise<void> {
  const c = await Couchbase.connect(target.bucket('beer-sample'));
  try {
    let beer;
    try {
      beer = await c.get('aass_brewery-juleol');
    } catch (e) {
      if (e instanceof CouchbaseError) console.log("Couldn't retrieve value for key", String(e));
      throw e;
    }
    const doc = beer.value as { name: string; abv: number; comment?: string };
    console.log(`${doc.name}, ABV: ${doc.abv}`);

    doc.comment = 'Random beer from Norway';
    try {
      const result = await c.replace('aass_brewery-juleol', doc);
      console.log(String(result));
    } catch (e) {
      console.log("Couldn't replace key");
      throw e;
    }
  } finally {
    await c.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(helloCouchbase);
