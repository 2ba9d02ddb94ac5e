import test from 'ava';
import * as http from 'node:http';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { ClusterClient, KvClient, setExtras } from '../../emulator/testing/kv-client.js';

let emu: Emulator;
const auth = 'Basic ' + Buffer.from('Administrator:password').toString('base64');

test.before(async () => {
  emu = await startEmulator({ nodes: 3, replicas: 1, buckets: ['default', { name: 'other', password: 'pw', replicas: 2 }] });
});
test.after.always(async () => {
  await emu?.stop();
});

async function get(path: string, headers: Record<string, string> = { authorization: auth }): Promise<{ status: number; json: any }> {
  const r = await fetch(emu.restUrl + path, { headers });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, json };
}

async function post(path: string, body: Record<string, string>): Promise<number> {
  const r = await fetch(emu.restUrl + path, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
  await r.arrayBuffer();
  return r.status;
}

test.serial('pools and bucket configs carry the documented fields', async (t) => {
  const pools = await get('/pools');
  t.is(pools.status, 200);
  t.is(pools.json.pools[0].name, 'default');
  const pd = await get('/pools/default');
  t.is(pd.json.nodes.length, 3);
  const b = await get('/pools/default/buckets/default');
  t.is(b.status, 200);
  t.is(b.json.vBucketServerMap.hashAlgorithm, 'CRC');
  t.is(b.json.vBucketServerMap.numReplicas, 1);
  t.is(b.json.vBucketServerMap.serverList.length, 3);
  t.is(b.json.vBucketServerMap.vBucketMap.length, 1024);
  t.true(b.json.vBucketServerMap.vBucketMap.every((row: number[]) => row.length === 2 && row[0] !== row[1]));
  t.deepEqual(Object.keys(b.json.nodesExt[0].services).sort(), ['capi', 'kv', 'mgmt']);
  t.true(Array.isArray(b.json.bucketCapabilities));
  t.is(typeof b.json.rev, 'number');
  const terse = await get('/pools/default/b/other');
  t.is(terse.json.vBucketServerMap.numReplicas, 2);
  const list = await get('/pools/default/buckets');
  t.deepEqual(list.json.map((x: { name: string }) => x.name).sort(), ['default', 'other']);
  const dd = await get('/pools/default/buckets/default/ddocs');
  t.deepEqual(dd.json.rows, []);
});

test.serial('basic auth: admin, bucket credentials for its own bucket, else 401', async (t) => {
  t.is((await get('/pools/default/buckets/default', {})).status, 401); // no anonymous access, even without a bucket password
  t.is((await get('/pools/default/buckets/default', { authorization: 'Basic ' + Buffer.from('default:').toString('base64') })).status, 200);
  t.is((await get('/pools/default/buckets/other', {})).status, 401);
  const own = 'Basic ' + Buffer.from('other:pw').toString('base64');
  t.is((await get('/pools/default/b/other', { authorization: own })).status, 200);
  t.is((await get('/pools/default', { authorization: 'Basic ' + Buffer.from('Administrator:nope').toString('base64') })).status, 401);
  t.is((await get('/_emulator/nodes', { authorization: own })).status, 401);
});

function streamConfigs(path: string, want: number): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const url = new URL(emu.restUrl + path);
    const req = http.get({ host: url.hostname, port: url.port, path: url.pathname, headers: { authorization: auth } }, (res) => {
      let buf = '';
      const got: any[] = [];
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n\n\n')) >= 0) {
          got.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 4);
          if (got.length === want) {
            req.destroy();
            resolve(got);
          }
        }
      });
    });
    req.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e);
    });
  });
}

test.serial('streaming config is pushed on failover; failover promotes replicas and data stays', async (t) => {
  const kv = new ClusterClient(emu);
  const keys: string[] = [];
  for (let i = 0; i < 50; i++) {
    const k = `fo-${i}`;
    keys.push(k);
    t.is((await kv.request({ opcode: 0x01, key: k, extras: setExtras(), value: `v${i}` })).status, 0);
  }
  const stream = streamConfigs('/pools/default/bs/default', 2);
  await new Promise((r) => setTimeout(r, 100));
  const before = await get('/pools/default/b/default');
  t.is(await post('/controller/failOver', { otpNode: 'n_1@127.0.0.1' }), 200);
  const [first, second] = await stream;
  t.true(second.rev > first.rev);
  t.is(second.vBucketServerMap.serverList.length, 2);
  t.false(second.vBucketServerMap.serverList.includes(`127.0.0.1:${emu.nodes[1].kv}`));
  const after = await get('/pools/default/b/default');
  t.true(after.json.rev > before.json.rev);
  t.false(emu.connectionString.includes(`:${emu.nodes[1].kv}`));
  // The failed node owns nothing: NOT_MY_VBUCKET with the new config.
  const c1 = await KvClient.open(emu.nodes[1].kv);
  const r = await c1.request({ opcode: 0x00, key: keys[0] });
  t.is(r.status, 0x07);
  t.is(JSON.parse(r.value.toString()).rev, after.json.rev);
  c1.close();
  // Every document is readable from its new active node.
  for (let i = 0; i < keys.length; i++) {
    const g = await kv.request({ opcode: 0x00, key: keys[i] });
    t.is(g.status, 0);
    t.is(g.value.toString(), `v${i}`);
  }
  // Rebalance ejects the failed node; replicas are whole again.
  t.is(await post('/controller/rebalance', { knownNodes: '', ejectedNodes: '' }), 200);
  const reb = await get('/pools/default/b/default');
  t.true(reb.json.vBucketServerMap.vBucketMap.every((row: number[]) => row[0] >= 0 && row[1] >= 0 && row[0] !== row[1]));
  for (const k of keys) t.is((await kv.request({ opcode: 0x83, key: k }, 1)).status, 0);
  kv.close();
});

test.serial('add a node: vBuckets move, old owners answer NOT_MY_VBUCKET', async (t) => {
  const kv = new ClusterClient(emu);
  await kv.request({ opcode: 0x01, key: 'mover', extras: setExtras(), value: 'x' });
  const oldMap = emu.cluster.bucket('default')!.map.map((r) => r[0]);
  const id = await emu.addNode();
  const newMap = emu.cluster.bucket('default')!.map.map((r) => r[0]);
  t.true(newMap.some((n) => n === id));
  const moved = newMap.findIndex((n, vb) => n !== oldMap[vb]);
  t.true(moved >= 0);
  const old = await KvClient.open(emu.cluster.nodes[oldMap[moved]].kvPort);
  t.is((await old.request({ opcode: 0x00, key: 'x', vbucket: moved })).status, 0x07);
  old.close();
  const kv2 = new ClusterClient(emu);
  t.is((await kv2.request({ opcode: 0x00, key: 'mover' })).value.toString(), 'x');
  kv.close();
  kv2.close();
});

test.serial('/controller/addNode then /controller/rebalance admits the node', async (t) => {
  const before = emu.cluster.activeNodes().length;
  const r = await fetch(emu.restUrl + '/controller/addNode', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'hostname=127.0.0.1&user=Administrator&password=password' });
  const { otpNode } = (await r.json()) as { otpNode: string };
  t.regex(otpNode, /^n_\d+@127\.0\.0\.1$/);
  t.is(emu.cluster.activeNodes().length, before);
  t.is(await post('/controller/rebalance', { knownNodes: '', ejectedNodes: '' }), 200);
  t.is(emu.cluster.activeNodes().length, before + 1);
});

test.serial('control API: nodes stop/start, delays, clock, inject, bucket create/flush/delete', async (t) => {
  const nodes = await get('/_emulator/nodes');
  t.true(nodes.json.length >= 3);
  t.is(await post('/_emulator/nodes/0/stop', {}), 200);
  await t.throwsAsync(KvClient.connect(emu.nodes[0].kv));
  t.is(await post('/_emulator/nodes/0/start', {}), 200);
  const c = await KvClient.open(emu.nodes[0].kv);
  t.is((await c.request({ opcode: 0x0a })).status, 0);
  c.close();
  t.is(await post('/_emulator/delays', { replicationMs: '5', persistenceMs: '7' }), 200);
  t.deepEqual((await get('/_emulator/delays')).json, { replicationMs: 5, persistenceMs: 7 });
  await post('/_emulator/delays', { replicationMs: '0', persistenceMs: '0' });
  const before = (await get('/_emulator/clock')).json.now;
  t.is(await post('/_emulator/clock', { advance: '3600' }), 200);
  t.true((await get('/_emulator/clock')).json.now >= before + 3600_000);
  t.is(await post('/_emulator/inject', { opcode: '0', count: '1', action: 'error' }), 200);
  const r = await fetch(emu.restUrl + '/_emulator/inject', { method: 'DELETE', headers: { authorization: auth } });
  t.deepEqual(await r.json(), []);
  t.is(await post('/pools/default/buckets', { name: 'noflush', ramQuotaMB: '256', replicaNumber: '0' }), 202);
  const nf = await get('/pools/default/buckets/noflush');
  t.is(nf.json.quota.ram, 256 * 1048576);
  t.is(nf.json.controllers.flush, undefined);
  t.is(await post('/pools/default/buckets/noflush/controller/doFlush', {}), 400);
  t.is(await post('/_emulator/buckets/noflush/flush', {}), 200);
  // Edit bucket: flush enabled now.
  t.is(await post('/pools/default/buckets/noflush', { flushEnabled: '1', ramQuotaMB: '300' }), 200);
  t.is(await post('/pools/default/buckets/noflush/controller/doFlush', {}), 200);
  t.is((await get('/pools/default/buckets/noflush')).json.quota.ram, 300 * 1048576);
  t.is(await post('/pools/default/buckets/nonexistent', { flushEnabled: '1' }), 404);
  t.is(await post('/pools/default/buckets', { name: 'fresh', ramQuotaMB: '100', replicaNumber: '1', flushEnabled: '1' }), 202);
  t.true(emu.buckets.includes('fresh'));
  const kv = new ClusterClient(emu, 'fresh');
  await kv.request({ opcode: 0x01, key: 'a', extras: setExtras(), value: '1' });
  t.is(await post('/pools/default/buckets/fresh/controller/doFlush', {}), 200);
  t.is((await kv.request({ opcode: 0x00, key: 'a' })).status, 0x01);
  kv.close();
  const del = await fetch(emu.restUrl + '/pools/default/buckets/fresh', { method: 'DELETE', headers: { authorization: auth } });
  t.is(del.status, 200);
  t.false(emu.buckets.includes('fresh'));
  t.is((await get('/pools/default/buckets/fresh')).status, 404);
});

test.serial('hung node accepts but never answers; start resumes it', async (t) => {
  await emu.hangNode(0);
  const raw = await KvClient.connect(emu.nodes[0].kv);
  const pending = raw.request({ opcode: 0x0a });
  const answered = await Promise.race([pending.then(() => true), new Promise((r) => setTimeout(() => r(false), 300))]);
  t.false(answered);
  await emu.startNode(0);
  // What was sent while hung is answered once the node resumes.
  t.is((await pending).status, 0);
  const fresh = await KvClient.connect(emu.nodes[0].kv);
  t.is((await fresh.request({ opcode: 0x0a })).status, 0);
  fresh.close();
  raw.close();
});

test.serial('views port: design doc PUT, listed by /ddocs, view sees KV writes', async (t) => {
  const kv = new ClusterClient(emu);
  for (let i = 0; i < 5; i++) await kv.request({ opcode: 0x01, key: `vdoc${i}`, extras: setExtras(), value: JSON.stringify({ type: 'vt', n: i }) });
  kv.close();
  const ddoc = { views: { by_n: { map: "function (doc, meta) { if (doc.type === 'vt') emit(doc.n, null); }" } } };
  const views = emu.nodes[emu.cluster.activeNodes()[0].id].views;
  const put = await fetch(`http://127.0.0.1:${views}/default/_design/vt`, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(ddoc) });
  t.true(put.status === 201 || put.status === 200);
  const list = await get('/pools/default/buckets/default/ddocs');
  const row = list.json.rows.find((r: any) => r.doc.meta.id === '_design/vt');
  t.truthy(row);
  t.is(typeof row.doc.meta.rev, 'string');
  t.truthy(row.doc.json.views.by_n);
  const q = await fetch(`http://127.0.0.1:${views}/default/_design/vt/_view/by_n?stale=false`, { headers: { authorization: auth } });
  const body = (await q.json()) as { rows: Array<{ key: number; id: string }> };
  t.deepEqual(body.rows.map((r) => r.key), [0, 1, 2, 3, 4]);
});

test.serial('reset: documents and design docs gone', async (t) => {
  await emu.createBucket('resettable');
  const kv = new ClusterClient(emu, 'resettable');
  await kv.request({ opcode: 0x01, key: 'a', extras: setExtras(), value: '{}' });
  emu.cluster.views('resettable')?.putDesignDoc('d', { views: { v: { map: 'function (doc) { emit(null); }' } } });
  t.is(await post('/_emulator/buckets/resettable/reset', {}), 200);
  t.is((await kv.request({ opcode: 0x00, key: 'a' })).status, 0x01);
  t.deepEqual(emu.cluster.views('resettable')?.designDocs() ?? [], []);
  kv.close();
});
