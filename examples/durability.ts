/** The seed's persistence/durability requirements and replica reads. */
import { Couchbase, CouchbaseError, DurabilityError } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

export async function durability(target: Target): Promise<void> {
  const cb = await Couchbase.connect(target.bucket('default'));
  try {
    const stored = await cb.set('durable_key', { important: true }, { persistTo: 1, replicateTo: 1 });
    console.log('stored, persisted on the master and replicated to one replica:', String(stored));

    const observed = await cb.observe('durable_key');
    console.log(String(observed));

    try {
      await cb.set('durable_key', { important: true }, { replicateTo: 3 });
    } catch (e) {
      if (!(e instanceof DurabilityError)) throw e;
      console.log('Asking for more replicas than the bucket has fails:', e.name);
    }

    let rv;
    try {
      rv = await cb.get('durable_key');
    } catch (e) {
      if (!(e instanceof CouchbaseError)) throw e;
      rv = await cb.get('durable_key', { replica: true });
    }
    console.log('read:', JSON.stringify(rv.value));
    console.log('from a replica:', String(await cb.getReplica('durable_key')));
  } finally {
    await cb.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(durability);
