// Every port refuses a request without credentials, for every bucket, a bucket with an empty
// password included (Couchbase Server 7 has no anonymous access); the administrator, or the
// bucket's own name with its password (empty or not), is let in.
import test from 'ava';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { KvClient, setExtras } from '../../emulator/testing/kv-client.js';

let emu: Emulator;
const BUCKETS = [
  { name: 'default', password: '' },
  { name: 'open', password: '' },
  { name: 'secure', password: 's3cret' },
];
const DDOC = { views: { all: { map: 'function (doc, meta) { emit(meta.id, null); }' } } };
const admin = basic('Administrator', 'password');

function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

async function rest(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(emu.restUrl + path, init);
}

async function capi(bucket: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${emu.nodes[0].views}/${bucket}${path}`, init);
}

test.before(async () => {
  emu = await startEmulator({ nodes: 2, replicas: 1, buckets: BUCKETS });
  for (const b of BUCKETS) {
    const put = await capi(b.name, '/_design/d', { method: 'PUT', headers: { authorization: admin, 'content-type': 'application/json' }, body: JSON.stringify(DDOC) });
    if (put.status !== 201) throw new Error(`design doc for ${b.name}: ${put.status}`);
    const c = await KvClient.open(ownerPort(b.name), 'Administrator', 'password', b.name);
    await c.request({ opcode: 0x01, key: 'doc', extras: setExtras(), value: '{"v":1}' });
    c.close();
  }
});

test.after.always(async () => {
  await emu?.stop();
});

/** KV port of the node holding the active copy of "doc" in `bucket`. */
function ownerPort(bucket: string): number {
  const b = emu.cluster.bucket(bucket)!;
  return emu.cluster.nodes[b.map[b.vbucketOf('doc')][0]].kvPort;
}

for (const b of BUCKETS) {
  test(`REST without credentials: 401 for every endpoint of bucket "${b.name}", reads and writes`, async (t) => {
    const requests: Array<[string, string]> = [
      ['GET', `/pools/default/buckets/${b.name}`],
      ['GET', `/pools/default/b/${b.name}`],
      ['GET', `/pools/default/bs/${b.name}`],
      ['GET', `/pools/default/bucketsStreaming/${b.name}`],
      ['GET', `/pools/default/buckets/${b.name}/ddocs`],
      ['POST', `/pools/default/buckets/${b.name}`],
      ['POST', `/pools/default/buckets/${b.name}/controller/doFlush`],
      ['DELETE', `/pools/default/buckets/${b.name}`],
      ['POST', `/_emulator/buckets/${b.name}/flush`],
    ];
    for (const [method, path] of requests) {
      const r = await rest(path, { method });
      t.is(r.status, 401, `${method} ${path}`);
      t.is(r.headers.get('www-authenticate'), 'Basic realm="Couchbase Server Admin / REST"', `${method} ${path}`);
      t.is(await r.text(), '', `${method} ${path}: empty body, as ns_server sends`);
    }
    const still = await rest(`/pools/default/buckets/${b.name}/ddocs`, { headers: { authorization: admin } });
    t.is(still.status, 200, 'the bucket survived the refused DELETE');
    t.is(((await still.json()) as { rows: unknown[] }).rows.length, 1);
  });

  test(`REST with credentials for "${b.name}": its own name and password, or the administrator`, async (t) => {
    for (const auth of [basic(b.name, b.password), admin]) {
      t.is((await rest(`/pools/default/buckets/${b.name}`, { headers: { authorization: auth } })).status, 200);
      t.is((await rest(`/pools/default/buckets/${b.name}/ddocs`, { headers: { authorization: auth } })).status, 200);
    }
    t.is((await rest(`/pools/default/buckets/${b.name}`, { headers: { authorization: basic(b.name, 'wrong') } })).status, 401);
    const other = BUCKETS.find((x) => x.name !== b.name)!;
    t.is((await rest(`/pools/default/buckets/${b.name}`, { headers: { authorization: basic(other.name, other.password) } })).status, 401, 'another bucket\'s credentials');
  });

  test(`views port without credentials: 401 for queries and design documents of "${b.name}"`, async (t) => {
    const json = { 'content-type': 'application/json' };
    const requests: Array<[string, string, RequestInit]> = [
      ['query', '/_design/d/_view/all?stale=false', {}],
      ['POST query', '/_design/d/_view/all', { method: 'POST', headers: json, body: '{"keys":["doc"]}' }],
      ['GET ddoc', '/_design/d', {}],
      ['PUT ddoc', '/_design/d', { method: 'PUT', headers: json, body: JSON.stringify({ views: { evil: { map: 'function () { emit(1, 1); }' } } }) }],
      ['PUT new ddoc', '/_design/planted', { method: 'PUT', headers: json, body: JSON.stringify(DDOC) }],
      ['DELETE ddoc', '/_design/d', { method: 'DELETE' }],
    ];
    for (const [what, path, init] of requests) {
      for (const auth of [undefined, basic(b.name, 'wrong'), basic('Administrator', 'nope')]) {
        const r = await capi(b.name, path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(auth ? { authorization: auth } : {}) } });
        t.is(r.status, 401, `${what} (${auth ? 'wrong credentials' : 'no credentials'})`);
        t.deepEqual(await r.json(), { error: 'unauthorized', reason: 'password required' });
      }
    }
    const ddoc = await capi(b.name, '/_design/d', { headers: { authorization: admin } });
    t.deepEqual(await ddoc.json(), DDOC, 'the design document is unchanged');
    t.is((await capi(b.name, '/_design/planted', { headers: { authorization: admin } })).status, 404, 'nothing was planted');
  });

  test(`views port with the credentials of "${b.name}" (its name and password, empty or not)`, async (t) => {
    const r = await capi(b.name, '/_design/d/_view/all?stale=false', { headers: { authorization: basic(b.name, b.password) } });
    t.is(r.status, 200);
    t.deepEqual(((await r.json()) as { rows: Array<{ id: string }> }).rows.map((x) => x.id), ['doc']);
  });

  test(`KV without SASL: reads and writes of "${b.name}" refused with EACCESS`, async (t) => {
    const c = await KvClient.connect(ownerPort(b.name));
    try {
      const EACCESS = 0x24;
      t.is((await c.request({ opcode: 0x89, key: b.name })).status, EACCESS, 'SELECT_BUCKET');
      t.is((await c.request({ opcode: 0x00, key: 'doc' })).status, EACCESS, 'GET');
      t.is((await c.request({ opcode: 0x01, key: 'doc', extras: setExtras(), value: '{"v":666}' })).status, EACCESS, 'SET');
      t.is((await c.request({ opcode: 0x04, key: 'doc' })).status, EACCESS, 'DELETE');
      t.is((await c.request({ opcode: 0xb5 })).status, EACCESS, 'GET_CLUSTER_CONFIG');
      t.is((await c.request({ opcode: 0x10 })).status, EACCESS, 'STAT');
      t.is((await c.request({ opcode: 0x1b, extras: Buffer.alloc(4) })).status, EACCESS, 'VERBOSITY');
      const bad = await c.request({ opcode: 0x21, key: 'PLAIN', value: Buffer.from(`\0${b.name}\0wrong`) });
      t.is(bad.status, 0x20, 'a wrong password is AUTH_ERROR');
      t.is((await c.request({ opcode: 0x00, key: 'doc' })).status, EACCESS, 'still nothing readable');
    } finally {
      c.close();
    }
    const owner = await KvClient.open(ownerPort(b.name), b.name, b.password, b.name);
    const got = await owner.request({ opcode: 0x00, key: 'doc' });
    owner.close();
    t.is(got.status, 0, 'the bucket\'s own name and password select it');
    t.is(got.value.toString(), '{"v":1}', 'the refused SET and DELETE changed nothing');
  });
}
