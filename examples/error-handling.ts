/** The seed's "Error Handling": NotFoundError, quiet per call and per connection, rcToExctype, allOk. */
import { Couchbase, CouchbaseError, NotFoundError } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

export async function errorHandling(target: Target): Promise<void> {
  const client = await Couchbase.connect(target.bucket('default'));
  try {
    try {
      await client.get('non-exist-key');
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      console.log('A missing key raises', e.name);
    }

    let result = await client.get('non-exist-key', { quiet: true });
    if (result.success) console.log('Got document OK');
    else console.log("Couldn't retrieve document. Result was received with code", result.rc);
    console.log('The error that would have been thrown:', CouchbaseError.rcToExctype(result.rc).name);

    await client.set('i exist', 'yes');
    const results = await client.getMulti(['i exist', "but i don't"], { quiet: true });
    if (!results.allOk) console.log("Couldn't get all keys");
  } finally {
    await client.close();
  }

  const quietClient = await Couchbase.connect({ ...target.bucket('default'), quiet: true });
  try {
    const result = await quietClient.get('non-exist-key');
    console.log(result.success ? 'Got document OK' : "Couldn't retrieve document");
  } finally {
    await quietClient.close();
  }

  const c = await Couchbase.connect(target.bucket('default'));
  try {
    await c.set('foo', 'foo value');
    try {
      await c.addMulti({ foo: 'foo value', bar: 'bar value', baz: 'baz value' });
    } catch (e) {
      if (!(e instanceof CouchbaseError) || !e.allResults) throw e;
      for (const [k, res] of e.allResults) {
        if (res.success) console.log(`Key ${k} stored`);
        else {
          console.log(`Key ${k} failed with error code ${res.rc}`);
          console.log(`Exception ${CouchbaseError.rcToExctype(res.rc).name} would have been thrown`);
        }
      }
    }

    try {
      await c.set('key', { big: 1n });
    } catch (e) {
      if (!(e instanceof CouchbaseError)) throw e;
      console.log(String(e));
    }
  } finally {
    await c.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(errorHandling);
