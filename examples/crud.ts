/** The seed's CRUD example: set, get, a failing add, replace, delete, a failing get, add. */
import { Couchbase, CouchbaseError } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

export async function crud(target: Target): Promise<void> {
  const key = 'demo_key';
  const value = 'demo_value';

  const c = await Couchbase.connect(target.bucket('default'));
  try {
    console.log(`Setting key ${key} with value ${value}`);
    let result: unknown = await c.set(key, value);
    console.log('...', String(result));

    console.log('');
    console.log(`Getting value for key ${key}`);
    result = await c.get(key);
    console.log('...', String(result));

    console.log('');
    console.log(`Creating new key ${key} with value 'new_value'`);
    console.log(`This will fail as '${key}' already exists`);
    try {
      await c.add(key, 'another value');
    } catch (e) {
      if (!(e instanceof CouchbaseError)) throw e;
      console.log(String(e));
    }

    console.log(`Replacing existing key ${key} with new value`);
    result = await c.replace(key, 'new value');
    console.log('...', String(result));

    console.log('');
    console.log(`Getting new value for key ${key}`);
    result = await c.get(key);
    console.log('...', String(result));

    console.log('');
    console.log('Deleting key', key);
    result = await c.delete(key);
    console.log('...', String(result));

    console.log('');
    console.log(`Getting value for key ${key}. This will fail as it has been deleted`);
    try {
      await c.get(key);
    } catch (e) {
      if (!(e instanceof CouchbaseError)) throw e;
      console.log(String(e));
    }

    console.log('');
    console.log(`Creating new key ${key} with value 'added_value'`);
    result = await c.add(key, 'added_value');
    console.log('...', String(result));

    console.log('Getting the new value');
    result = await c.get(key);
    console.log('...', String(result));
  } finally {
    await c.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(crud);
