import { connectWithAddon } from '../../src/connection.js';
import { Couchbase, type ConnectOptions } from '../../src/index.js';
import { FakeCluster, type FakeOptions } from '../helpers/fake-native.js';

let n = 0;
/** A unique key per test. */
export function freshKey(prefix = 'k'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++n}`;
}

/** A connection to a fresh fake cluster. */
export async function fakeConnect(opts: ConnectOptions = {}, fake: FakeOptions = {}): Promise<{ cb: Couchbase; cluster: FakeCluster }> {
  const cluster = new FakeCluster(fake);
  const cb = await connectWithAddon(cluster.addon, { host: '127.0.0.1', ...opts });
  return { cb, cluster };
}
