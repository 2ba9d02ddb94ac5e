/**
 * The official Couchbase SDK (3.x and 4.x share this API) as a benchmarked client: plain calls
 * only (neither has multi calls or reactive operators), legacy durability (persistTo/replicateTo)
 * on the emulator. memcached:// is not a server either SDK talks to.
 * @module
 */
import { createRequire } from 'node:module';
import type { Client, Doc, Target } from './client.js';

export async function openOfficial(pkg: 'couchbase3' | 'couchbase4', label: string, target: Target): Promise<Client | { na: string }> {
  if (target.server === 'memcached') {
    return { na: pkg === 'couchbase3'
      ? `${label}'s unpatched libcouchbase 3.3.4 hangs on memcached:// against this memcached (docs/native.md, patch 0001)`
      : `${label} has no memcached:// support` };
  }
  const sdk = createRequire(import.meta.url)(pkg);
  const timeouts = { kvTimeout: 30_000, kvDurableTimeout: 60_000 };
  const cluster = await sdk.connect(target.connectionString, pkg === 'couchbase3'
    ? { username: target.username, password: target.password, ...timeouts }
    : { username: target.username, password: target.password, timeouts: { ...timeouts, bootstrapTimeout: 20_000 } });
  const collection = cluster.bucket(target.bucket).defaultCollection();
  const noOperators = `${label} has no reactive operators`;
  return {
    sameTick: true,
    get: (key: string) => collection.get(key),
    set: (key: string, doc: Doc) => collection.upsert(key, doc.value),
    durableSetWindow: (keys: readonly string[], docs: readonly Doc[]) =>
      Promise.all(keys.map((k, i) => collection.upsert(k, docs[i]!.value, { durabilityPersistTo: 1, durabilityReplicateTo: 1 }))),
    missing: {
      getMulti: `${label} has no multi-key calls`,
      setMulti: `${label} has no multi-key calls`,
      getEach: noOperators,
      storeEach: noOperators,
      bufferTimeGetMulti: noOperators,
    },
    close: () => cluster.close(),
  };
}
