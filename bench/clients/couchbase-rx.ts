/**
 * couchbase-rx as a benchmarked client: plain calls, the …Multi calls, and the reactive
 * operators (getEach, storeEach, bufferTime into getMulti).
 * @module
 */
import { bufferTime, filter, from, lastValueFrom, mergeMap, reduce } from 'rxjs';
import { Couchbase } from '../../src/index.js';
import { getEach, storeEach } from '../../src/operators/index.js';
import type { Client, Doc, Open, Target } from './client.js';

/** getMulti calls of the bufferTime pipeline in flight at once. */
const PIPELINE_CONCURRENCY = 8;

export const open: Open = async (target: Target) => {
  const cb = await Couchbase.connect({
    connectionString: target.server === 'emulator' ? `${target.connectionString}/${target.bucket}` : target.connectionString,
    username: target.username,
    password: target.password,
    timeout: 30,
  });
  const entries = (keys: readonly string[], docs: readonly Doc[]) => {
    const kv: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) kv[keys[i]!] = docs[i]!.value;
    return kv;
  };
  const client: Client = {
    sameTick: true,
    get: (key) => cb.get(key),
    set: (key, doc) => cb.set(key, doc.value),
    getMulti: (keys) => cb.getMulti(keys),
    setMulti: (keys, docs) => cb.setMulti(entries(keys, docs)),
    getEach: (keys) => lastValueFrom(from(keys).pipe(getEach(cb), reduce((n) => n + 1, 0))),
    storeEach: (keys, docs) =>
      lastValueFrom(from(keys.map((k, i) => [k, docs[i]!.value] as const)).pipe(storeEach(cb), reduce((n) => n + 1, 0))),
    bufferTimeGetMulti: (keys) =>
      lastValueFrom(from(keys).pipe(
        bufferTime(1, null, 1_000),
        filter((batch) => batch.length > 0),
        mergeMap((batch) => cb.getMulti(batch), PIPELINE_CONCURRENCY),
        reduce((n, results) => n + results.size, 0),
      )),
    ...(target.server === 'emulator'
      ? { durableSetWindow: (keys: readonly string[], docs: readonly Doc[]) => cb.setMulti(entries(keys, docs), { persistTo: 1, replicateTo: 1 }) }
      : {}),
    missing: { durableSetWindow: 'memcached has no replicas or persistence' },
    close: () => cb.close(),
  };
  return client;
};
