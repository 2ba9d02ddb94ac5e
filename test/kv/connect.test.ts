import {
  AuthError, BucketNotFoundError, ConnectError, Couchbase, NotFoundError, ObjectDestroyedError, TimeoutError,
} from '../../src/index.js';
import { freshKey, serverSuite } from '../helpers/harness.js';

const suite = serverSuite('emulator', { nodes: 2 });
const creds = (s: { username?: string; password?: string }) => ({ username: s.username, password: s.password });

suite.test('bootstrap failures are typed', async (t, { server }) => {
  await t.throwsAsync(Couchbase.connect({ connectionString: server.connectionString, username: server.username, password: 'wrong' }), { instanceOf: AuthError });
  await t.throwsAsync(Couchbase.connect({ connectionString: `${server.connectionString}/nobucket`, ...creds(server) }), { instanceOf: BucketNotFoundError });
  const e = await t.throwsAsync(Couchbase.connect({ connectionString: 'couchbase://127.0.0.1:1', ...creds(server), timeout: 1 }), { instanceOf: ConnectError });
  t.regex(e!.stack!.split('\n')[1]!, /connect\.test\.ts/);
  // TLS against a plaintext port: a typed failure, never a crash
  const tls = await t.throwsAsync(Couchbase.connect({ connectionString: server.connectionString.replace('couchbase:', 'couchbases:'), ...creds(server), timeout: 1 }));
  t.true(tls instanceof ConnectError || tls instanceof TimeoutError, String(tls));
});

suite.test('host lists are tried in turn; names are resolved', async (t, { server }) => {
  const hosts = server.connectionString.replace('couchbase://', '').split(',');
  const a = await Couchbase.connect({ host: ['127.0.0.1:1', hosts[0]!], ...creds(server) });
  t.true((await a.set(freshKey(), 1)).success);
  t.is(a.serverNodes.length, 2);
  await a.close();
  const b = await Couchbase.connect({ connectionString: server.connectionString.replace(/127\.0\.0\.1/g, 'localhost'), ...creds(server) });
  t.notRegex(b.connectionString, /localhost/);
  t.true((await b.set(freshKey(), 1)).success);
  await b.close();
});

suite.test('http:// bootstrap through the REST port', async (t, { server }) => {
  const rest = new URL((server.emulator as { restUrl: string }).restUrl);
  const cb = await Couchbase.connect({ connectionString: `http://${rest.host}/default`, ...creds(server) });
  t.true((await cb.set(freshKey(), 1)).success);
  await cb.close();
});

suite.test('timeout, properties, close', async (t, { server }) => {
  const cb = await Couchbase.connect({ connectionString: `${server.connectionString}?operation_timeout=4`, ...creds(server) });
  t.is(cb.timeout, 4);
  cb.timeout = 5.5;
  t.is(cb.timeout, 5.5);
  t.is(cb.bucket, 'default');
  t.regex(cb.lcbVersion, /^3\./);
  await t.throwsAsync(cb.get(freshKey()), { instanceOf: NotFoundError });
  const pending = cb.get(freshKey(), { quiet: true }).toPromise();
  await cb.close();
  await pending.then(() => t.pass(), (e) => t.truthy(e));
  t.true(cb.closed);
  await t.throwsAsync(cb.get('k'), { instanceOf: ObjectDestroyedError });
});
