/**
 * Flags interop: what couchbase-rx writes, the official Node SDK (couchbase@4) reads with its
 * default transcoder, and the other way round. Runs against the emulator.
 */
import test from 'ava';
import { createRequire } from 'node:module';
import { FMT_BYTES, FMT_JSON, FMT_UTF8 } from '../../src/index.js';
import { freshKey, serverSuite } from '../helpers/harness.js';

const require = createRequire(import.meta.url);
let sdk: any;
let loadError: string | undefined;
try {
  sdk = require('couchbase4');
} catch (e) {
  loadError = `official SDK couchbase4 does not load here: ${(e as Error).message.split('\n')[0]}`;
}

if (loadError) {
  console.log(`[interop] skipped: ${loadError}`);
  test.skip('flags interop with the official SDK', () => {});
} else {
  const suite = serverSuite('emulator');
  suite.test('flags interop with the official SDK (couchbase@4)', async (t, { cb, server }) => {
    const cluster = await sdk.connect(server.connectionString, {
      username: server.username, password: server.password, timeouts: { kvTimeout: 5000, connectTimeout: 10000 },
    });
    try {
      const coll = cluster.bucket('default').defaultCollection();
      const [j, s, b] = [freshKey('json'), freshKey('str'), freshKey('bin')];
      // ours → theirs
      await cb.set(j, { a: [1, 'two'] }, { format: FMT_JSON });
      await cb.set(s, 'plain text', { format: FMT_UTF8 });
      await cb.set(b, Buffer.from([0, 1, 2]), { format: FMT_BYTES });
      t.deepEqual((await coll.get(j)).content, { a: [1, 'two'] });
      t.is((await coll.get(s)).content, 'plain text');
      t.deepEqual(Buffer.from((await coll.get(b)).content), Buffer.from([0, 1, 2]));
      // theirs → ours
      const [j2, s2, b2] = [freshKey('json'), freshKey('str'), freshKey('bin')];
      await coll.upsert(j2, { from: 'official' });
      await coll.upsert(s2, 'official string');
      await coll.upsert(b2, Buffer.from([9, 8]));
      t.deepEqual((await cb.get(j2)).value, { from: 'official' });
      t.is((await cb.get(s2)).value, 'official string');
      t.deepEqual((await cb.get(b2)).value, Buffer.from([9, 8]));
    } finally {
      await cluster.close();
    }
  });
}
