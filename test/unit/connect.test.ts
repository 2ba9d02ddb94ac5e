import { connectWithAddon } from '../../src/connection.js';
import test from 'ava';
import {
  ArgumentError, AuthError, BucketNotFoundError, ConnectError, Couchbase, ObjectDestroyedError, connect,
} from '../../src/index.js';
import { dnsHooks, formatConnectionString, parseConnectionString, parseHost } from '../../src/connstr.js';
import { FakeCluster } from '../helpers/fake-native.js';

test('connection strings parse and round trip', (t) => {
  const s = parseConnectionString('couchbase://10.0.0.1,10.0.0.2:11210/default?operation_timeout=5.5');
  t.is(s.scheme, 'couchbase');
  t.deepEqual(s.hosts, [{ host: '10.0.0.1', port: undefined, type: undefined }, { host: '10.0.0.2', port: 11210, type: undefined }]);
  t.is(s.bucket, 'default');
  t.deepEqual(s.params, [['operation_timeout', '5.5']]);
  t.is(formatConnectionString(s), 'couchbase://10.0.0.1,10.0.0.2:11210/default?operation_timeout=5.5');
  for (const scheme of ['couchbases', 'http', 'memcached'] as const) t.is(parseConnectionString(`${scheme}://h`).scheme, scheme);
  t.is(formatConnectionString(parseConnectionString('memcached://127.0.0.1:11211')), 'memcached://127.0.0.1:11211');
  t.deepEqual(parseHost('h:8091=http'), { host: 'h', port: 8091, type: 'http' });
  t.deepEqual(parseHost('[::1]:11210'), { host: '[::1]', port: 11210, type: undefined });
  t.deepEqual(parseHost('::1'), { host: '[::1]', port: undefined, type: undefined });
  for (const bad of ['', 'a b', 'h:x', 'h:70000', 'a@b', 'h/x', '[::1', 'h;x']) t.throws(() => parseHost(bad), { instanceOf: ArgumentError }, bad);
  t.throws(() => parseConnectionString('ftp://h'), { instanceOf: ArgumentError });
});

test('host names are resolved asynchronously before libcouchbase sees them', async (t) => {
  const cluster = new FakeCluster();
  const seen: string[] = [];
  const orig = dnsHooks.lookup;
  dnsHooks.lookup = async (h) => { seen.push(h); await new Promise((r) => setTimeout(r, 5)); return h === 'db.example' ? '192.0.2.7' : orig(h); };
  try {
    const cb = await connectWithAddon(cluster.addon, { host: ['db.example:11210', '127.0.0.1'] });
    t.deepEqual(seen, ['db.example']);
    t.is(cluster.connections[0]!.options.connstr, 'couchbase://192.0.2.7:11210,127.0.0.1/default');
    t.is(cb.connectionString, 'couchbase://192.0.2.7:11210,127.0.0.1/default');
    await cb.close();
    // unresolvable names are dropped; none resolvable → ConnectError
    dnsHooks.lookup = async (h) => { if (h === 'ok.example') return '192.0.2.8'; throw new Error('ENOTFOUND'); };
    const cb2 = await connectWithAddon(cluster.addon, { host: ['nope.example', 'ok.example'] });
    t.is(cb2.connectionString, 'couchbase://192.0.2.8/default');
    await cb2.close();
    await t.throwsAsync(connectWithAddon(cluster.addon, { host: 'nope.example' }), { instanceOf: ConnectError, message: /resolve/ });
  } finally {
    dnsHooks.lookup = orig;
  }
});

test('connection string options: bucket, timeout, credentials', async (t) => {
  const cluster = new FakeCluster({ buckets: ['beer-sample'], password: 's3cr3t' });
  const cb = await connectWithAddon(cluster.addon, { connectionString: 'couchbase://127.0.0.1/beer-sample?operation_timeout=5.5', password: 's3cr3t' });
  t.is(cb.bucket, 'beer-sample');
  t.is(cb.timeout, 5.5);
  const o = cluster.connections[0]!.options;
  t.is(o.operationTimeoutUs, 5_500_000);
  t.is(o.username, 'beer-sample');
  t.is(o.password, 's3cr3t');
  t.is(cb.lcbVersion, '3.3.4-fake');
  await cb.close();
  await t.throwsAsync(connectWithAddon(cluster.addon, { bucket: 'beer-sample', host: '127.0.0.1', password: 'wrong' }), { instanceOf: AuthError });
  await t.throwsAsync(connectWithAddon(cluster.addon, { bucket: 'nope', host: '127.0.0.1', password: 's3cr3t' }), { instanceOf: BucketNotFoundError });
});

test('unreachable hosts → ConnectError with a stack at the call', async (t) => {
  const cluster = new FakeCluster({ unreachable: ['127.0.0.9'] });
  const e = await t.throwsAsync(connectWithAddon(cluster.addon, { host: '127.0.0.9' }), { instanceOf: ConnectError });
  t.regex(e!.stack!.split('\n')[1]!, /connect\.test\.ts/);
  const ok = await connectWithAddon(cluster.addon, { host: ['127.0.0.9', '127.0.0.1'] });
  t.false(ok.closed);
  await ok.close();
});

test('close releases everything; later calls fail with a typed error', async (t) => {
  const cluster = new FakeCluster();
  const cb = await connectWithAddon(cluster.addon, { host: '127.0.0.1' });
  cluster.hold = true;
  const pending = cb.set('k', 1).toPromise();
  await new Promise((r) => setImmediate(r));
  const closing = cb.close();
  t.is(cb.close(), closing);
  await closing;
  t.true(cb.closed);
  // the held response is delivered at close
  await t.notThrowsAsync(pending);
  await t.throwsAsync(cb.get('k'), { instanceOf: ObjectDestroyedError });
  await t.throwsAsync(cb.setMulti({ a: 1 }), { instanceOf: ObjectDestroyedError });
  await t.throwsAsync(cb.stats(), { instanceOf: ObjectDestroyedError });
  t.deepEqual(cb.serverNodes, []);
  t.is(cb.batchStats.outstanding, 0);
});

test('an op created before close and subscribed after fails typed', async (t) => {
  const cluster = new FakeCluster();
  const cb = await connectWithAddon(cluster.addon, { host: '127.0.0.1' });
  const op = cb.get('k');
  await cb.close();
  await t.throwsAsync(op, { instanceOf: ObjectDestroyedError });
});

test('connect accepts a bare connection string', async (t) => {
  const cluster = new FakeCluster();
  const cb = await connectWithAddon(cluster.addon, { connectionString: 'couchbase://127.0.0.1' });
  t.is(cb.bucket, 'default');
  t.deepEqual(cb.serverNodes, ['127.0.0.1:11210']);
  await cb.close();
});
