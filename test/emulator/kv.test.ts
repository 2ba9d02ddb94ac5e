import test from 'ava';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { ClusterClient, KvClient, counterExtras, frameInfos, setExtras, u32 } from '../../emulator/testing/kv-client.js';
import { vbucketOf } from '../../emulator/cluster/vbucket-map.js';

let emu: Emulator;
let kv: ClusterClient;
let n = 0;
const key = (p = 'k'): string => `${p}-${process.pid}-${n++}`;

test.before(async () => {
  emu = await startEmulator({ nodes: 3, replicas: 1, views: false });
  kv = new ClusterClient(emu);
});
test.after.always(async () => {
  kv?.close();
  await emu?.stop();
});

const SET = 0x01;
const GET = 0x00;

test('set/get round trip with flags and CAS', async (t) => {
  const k = key();
  const s = await kv.request({ opcode: SET, key: k, extras: setExtras(0xdeadbeef), value: '{"a":1}' });
  t.is(s.status, 0);
  t.not(s.cas, 0n);
  const g = await kv.request({ opcode: GET, key: k });
  t.is(g.status, 0);
  t.is(g.value.toString(), '{"a":1}');
  t.is(g.extras.readUInt32BE(0), 0xdeadbeef);
  t.is(g.cas, s.cas);
  const miss = await kv.request({ opcode: GET, key: key() });
  t.is(miss.status, 0x01);
});

test('HELLO grants only implemented features; MUTATION_SEQNO adds extras', async (t) => {
  const c = await KvClient.connect(emu.nodes[0].kv);
  const feats = Buffer.alloc(2 * 8);
  [0x03, 0x04, 0x07, 0x08, 0x0b, 0x12, 0x10, 0x0a].forEach((f, i) => feats.writeUInt16BE(f, i * 2));
  const h = await c.request({ opcode: 0x1f, key: 'test', value: feats });
  const granted = [];
  for (let i = 0; i < h.value.length; i += 2) granted.push(h.value.readUInt16BE(i));
  t.deepEqual(granted, [0x03, 0x04, 0x07, 0x08, 0x0b, 0x10]);
  await c.request({ opcode: 0x21, key: 'PLAIN', value: Buffer.from('\0Administrator\0password') });
  await c.request({ opcode: 0x89, key: 'default' });
  // Find a key this node owns.
  let k = key();
  while (kv.owner(k) !== 0) k = key();
  const s = await c.request({ opcode: SET, key: k, extras: setExtras(), value: 'x' });
  t.is(s.status, 0);
  t.is(s.extras.length, 16);
  t.true(s.extras.readBigUInt64BE(8) > 0n);
  c.close();
});

test('NOT_MY_VBUCKET carries the config', async (t) => {
  let k = key();
  while (kv.owner(k) === 0) k = key();
  const c = await kv.node(0);
  const r = await c.request({ opcode: GET, key: k });
  t.is(r.status, 0x07);
  const cfg = JSON.parse(r.value.toString());
  t.is(cfg.vBucketServerMap.hashAlgorithm, 'CRC');
  t.is(cfg.vBucketServerMap.vBucketMap.length, 1024);
});

test('quiet variants: GETQ miss silent, SETQ success silent, errors still answered', async (t) => {
  const k = key();
  const c = await kv.node(kv.owner(k));
  const got = await c.pipeline([
    { opcode: 0x09, key: k },
    { opcode: 0x11, key: k, extras: setExtras(), value: 'v' },
    { opcode: 0x0d, key: k },
    { opcode: 0x12, key: k, extras: setExtras(), value: 'v' },
  ]);
  t.deepEqual(got.map((r) => [r.opcode, r.status]), [
    [0x0d, 0],
    [0x12, 0x02],
  ]);
  t.is(got[0].key.toString(), k);
});

test('CAS mismatch, add/replace, delete', async (t) => {
  const k = key();
  const a = await kv.request({ opcode: SET, key: k, extras: setExtras(), value: '1' });
  t.is((await kv.request({ opcode: SET, key: k, extras: setExtras(), value: '2', cas: a.cas + 1n })).status, 0x02);
  t.is((await kv.request({ opcode: 0x02, key: k, extras: setExtras(), value: '2' })).status, 0x02);
  t.is((await kv.request({ opcode: 0x03, key: key(), extras: setExtras(), value: '2' })).status, 0x01);
  t.is((await kv.request({ opcode: 0x04, key: k, cas: a.cas + 1n })).status, 0x02);
  t.is((await kv.request({ opcode: 0x04, key: k })).status, 0);
  t.is((await kv.request({ opcode: GET, key: k })).status, 0x01);
});

test('counters, append/prepend, touch/gat', async (t) => {
  const k = key();
  const c1 = await kv.request({ opcode: 0x05, key: k, extras: counterExtras(5n, 10n) });
  t.is(c1.value.readBigUInt64BE(0), 10n);
  const c2 = await kv.request({ opcode: 0x05, key: k, extras: counterExtras(5n, 10n) });
  t.is(c2.value.readBigUInt64BE(0), 15n);
  const c3 = await kv.request({ opcode: 0x06, key: k, extras: counterExtras(100n) });
  t.is(c3.value.readBigUInt64BE(0), 0n);
  t.is((await kv.request({ opcode: 0x05, key: key(), extras: counterExtras(1n, 0n, 0xffffffff) })).status, 0x01);
  const s = key();
  await kv.request({ opcode: SET, key: s, extras: setExtras(), value: 'b' });
  await kv.request({ opcode: 0x0e, key: s, value: 'c' });
  await kv.request({ opcode: 0x0f, key: s, value: 'a' });
  t.is((await kv.request({ opcode: GET, key: s })).value.toString(), 'abc');
  t.is((await kv.request({ opcode: 0x05, key: s, extras: counterExtras(1n) })).status, 0x06);
  t.is((await kv.request({ opcode: 0x0e, key: key(), value: 'c' })).status, 0x05);
  t.is((await kv.request({ opcode: 0x1c, key: s, extras: u32(5) })).status, 0);
  const g = await kv.request({ opcode: 0x1d, key: s, extras: u32(0) });
  t.is(g.value.toString(), 'abc');
});

test.serial('expiry follows the injected clock', async (t) => {
  const k = key();
  await kv.request({ opcode: SET, key: k, extras: setExtras(0, 10), value: 'x' });
  t.is((await kv.request({ opcode: GET, key: k })).status, 0);
  await emu.advanceClock(11);
  t.is((await kv.request({ opcode: GET, key: k })).status, 0x01);
});

test.serial('GET_LOCKED / UNLOCK, LOCKED with XERROR and TMPFAIL without', async (t) => {
  const k = key();
  await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'x' });
  const l = await kv.request({ opcode: 0x94, key: k, extras: u32(5) });
  t.is(l.status, 0);
  t.is((await kv.request({ opcode: GET, key: k })).cas, 0xffffffffffffffffn);
  t.is((await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'y' })).status, 0x86);
  const x = await KvClient.open(emu.cluster.nodes[kv.owner(k)].kvPort);
  const feats = Buffer.alloc(2);
  feats.writeUInt16BE(0x07);
  await x.request({ opcode: 0x1f, key: 't', value: feats });
  t.is((await x.request({ opcode: SET, key: k, extras: setExtras(), value: 'y' })).status, 0x09);
  x.close();
  t.is((await kv.request({ opcode: 0x94, key: k })).status, 0x86);
  t.is((await kv.request({ opcode: 0x95, key: k, cas: l.cas + 1n })).status, 0x86);
  t.is((await kv.request({ opcode: 0x95, key: k, cas: l.cas })).status, 0);
  t.is((await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'y' })).status, 0);
  // Lock times out by the clock; a CAS-matching store unlocks.
  const l2 = await kv.request({ opcode: 0x94, key: k });
  t.is((await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'z', cas: l2.cas })).status, 0);
  await kv.request({ opcode: 0x94, key: k });
  await emu.advanceClock(16);
  t.is((await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'w' })).status, 0);
});

test('key > 250 bytes and bad extras are EINVAL; unknown opcode is UNKNOWN_COMMAND', async (t) => {
  const c = await kv.node(0);
  t.is((await c.request({ opcode: GET, key: 'x'.repeat(251) })).status, 0x04);
  t.is((await c.request({ opcode: SET, key: 'x', extras: Buffer.alloc(3), value: 'v' })).status, 0x04);
  t.is((await c.request({ opcode: 0xc5, key: 'x' })).status, 0x81);
  t.is((await c.request({ opcode: 0x0a })).status, 0);
});

test('GET_META reports deleted tombstones; GET_REPLICA serves replicas', async (t) => {
  const k = key();
  await kv.request({ opcode: SET, key: k, extras: setExtras(3), value: 'x' });
  const m = await kv.request({ opcode: 0xa0, key: k });
  t.is(m.status, 0);
  t.is(m.extras.readUInt32BE(0), 0);
  t.is(m.extras.readUInt32BE(4), 3);
  const r = await kv.request({ opcode: 0x83, key: k }, 1);
  t.is(r.status, 0);
  t.is(r.value.toString(), 'x');
  t.is((await kv.request({ opcode: 0x83, key: k }, 0)).status, 0x07);
  await kv.request({ opcode: 0x04, key: k });
  const d = await kv.request({ opcode: 0xa0, key: k });
  t.is(d.status, 0);
  t.is(d.extras.readUInt32BE(0), 1);
  t.is((await kv.request({ opcode: 0xa0, key: key() })).status, 0x01);
});

function observeBody(k: string): Buffer {
  const kb = Buffer.from(k);
  const b = Buffer.alloc(4 + kb.length);
  b.writeUInt16BE(vbucketOf(kb), 0);
  b.writeUInt16BE(kb.length, 2);
  kb.copy(b, 4);
  return b;
}

function observeState(r: { value: Buffer }): number {
  const kl = r.value.readUInt16BE(2);
  return r.value[4 + kl];
}

test.serial('OBSERVE reports replication and persistence truthfully under delays', async (t) => {
  await emu.setDelays({ replicationMs: 400, persistenceMs: 800 });
  try {
    const k = key();
    const t0 = Date.now();
    const s = await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'x' });
    const active = await kv.node(kv.owner(k));
    const replica = await kv.node(kv.owner(k, 1));
    const a1 = await active.request({ opcode: 0x92, value: observeBody(k) });
    const r1 = await replica.request({ opcode: 0x92, value: observeBody(k) });
    if (Date.now() - t0 < 400) {
      // Still inside the replication delay: the active copy is not persisted, the replica has nothing.
      t.is(observeState(a1), 0x00);
      t.is(observeState(r1), 0x80);
    }
    // Poll until both copies report persisted (observe-based durability waits the same way).
    let a2 = a1;
    let r2 = r1;
    for (let i = 0; i < 200 && (observeState(a2) !== 0x01 || observeState(r2) !== 0x01); i++) {
      await new Promise((res) => setTimeout(res, 50));
      a2 = await active.request({ opcode: 0x92, value: observeBody(k) });
      r2 = await replica.request({ opcode: 0x92, value: observeBody(k) });
      // States only move forward: not found -> found -> persisted.
      t.true([0x80, 0x00, 0x01].includes(observeState(r2)));
    }
    t.is(observeState(a2), 0x01);
    t.is(observeState(r2), 0x01);
    t.is(r2.value.readBigUInt64BE(4 + Buffer.byteLength(k) + 1), s.cas);
    // OBSERVE_SEQNO
    const vb = vbucketOf(Buffer.from(k));
    const uuid = s.extras.length === 16 ? s.extras.readBigUInt64BE(0) : emu.cluster.bucket('default')!.vbs[vb].uuid;
    const body = Buffer.alloc(8);
    body.writeBigUInt64BE(uuid);
    const os = await active.request({ opcode: 0x91, vbucket: vb, value: body });
    t.is(os.status, 0);
    t.is(os.value[0], 0);
    t.true(os.value.readBigUInt64BE(11) >= 1n);
    t.true(os.value.readBigUInt64BE(19) >= os.value.readBigUInt64BE(11));
  } finally {
    await emu.setDelays({ replicationMs: 0, persistenceMs: 0 });
  }
});

test.serial('fault injection: error and silence for matching commands', async (t) => {
  const k = key();
  await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'x' });
  await emu.inject({ opcode: GET, key: k, count: 1, action: 'error', status: 0x85 });
  t.is((await kv.request({ opcode: GET, key: k })).status, 0x85);
  t.is((await kv.request({ opcode: GET, key: k })).status, 0);
  await emu.inject({ key: k, count: 1, action: 'silence' });
  const c = await kv.node(kv.owner(k));
  const got = await c.pipeline([{ opcode: GET, key: k }]);
  t.is(got.length, 0);
});

test('STAT answers a series ending in an empty key', async (t) => {
  const c = await kv.node(0);
  const rs = await c.multi({ opcode: 0x10 });
  const names = rs.map((r) => r.key.toString());
  t.true(names.includes('pid'));
  t.is(names[names.length - 1], '');
});

test('QUIT answers, then closes', async (t) => {
  const c = await KvClient.open(emu.nodes[0].kv);
  const r = await c.request({ opcode: 0x07 });
  t.is(r.status, 0);
  await c.closed;
  t.pass();
});

test('handle(duplex) serves a stream without TCP', async (t) => {
  const { Duplex } = await import('node:stream');
  const { encodeRequest, decodeResponse } = await import('../../emulator/testing/kv-client.js');
  class Side extends Duplex {
    other!: Side;
    override _read(): void {}
    override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
      this.other.push(chunk);
      cb();
    }
  }
  const a = new Side();
  const b = new Side();
  a.other = b;
  b.other = a;
  emu.cluster.nodes[0].kv.handle(b);
  const got = new Promise<Buffer>((resolve) => a.once('data', resolve));
  a.write(Buffer.concat([encodeRequest({ opcode: 0x0a }, 7), encodeRequest({ opcode: 0x0b }, 8)]));
  const data = await got;
  const first = decodeResponse(data);
  t.is(first.opaque, 7);
  t.is(first.status, 0);
  const second = decodeResponse(data.subarray(24 + data.readUInt32BE(8)));
  t.is(second.opaque, 8);
  t.regex(second.value.toString(), /^\d+\.\d+\.\d+/);
  a.destroy();
});

test.serial('tombstones are purged once persisted everywhere and old enough', async (t) => {
  const k = key();
  await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'x' });
  await kv.request({ opcode: 0x04, key: k });
  t.is((await kv.request({ opcode: 0xa0, key: k })).extras.readUInt32BE(0), 1);
  await emu.advanceClock(301);
  t.is((await kv.request({ opcode: 0xa0, key: k })).status, 0x01);
  // The key can be created again.
  t.is((await kv.request({ opcode: 0x02, key: k, extras: setExtras(), value: 'y' })).status, 0);
});

test.serial('flexible framing: preserve TTL keeps the expiry on replace', async (t) => {
  const k = key();
  await kv.request({ opcode: SET, key: k, extras: setExtras(0, 20), value: 'a' });
  t.is((await kv.request({ opcode: 0x03, key: k, extras: setExtras(0, 0), value: 'b', framing: frameInfos({ preserveTtl: true }) })).status, 0);
  t.is((await kv.request({ opcode: GET, key: k })).value.toString(), 'b');
  await emu.advanceClock(21);
  t.is((await kv.request({ opcode: GET, key: k })).status, 0x01);
});

test.serial('synchronous durability: answered once majority holds; impossible and invalid levels refused', async (t) => {
  await emu.setDelays({ replicationMs: 200, persistenceMs: 300 });
  try {
    const k = key();
    const s = await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'x', framing: frameInfos({ durability: 1 }) });
    t.is(s.status, 0);
    // Majority of 2 copies needs the replica: it has the document by the time the write is answered.
    const r = await kv.request({ opcode: 0x83, key: k }, 1);
    t.is(r.status, 0);
    const p = await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'y', framing: frameInfos({ durability: 3 }) });
    t.is(p.status, 0);
    t.is((await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'z', framing: frameInfos({ durability: 9 }) })).status, 0xa0);
    const amb = await kv.request({ opcode: SET, key: k, extras: setExtras(), value: 'w', framing: frameInfos({ durability: 3, timeoutMs: 10 }) });
    t.is(amb.status, 0xa3);
  } finally {
    await emu.setDelays({ replicationMs: 0, persistenceMs: 0 });
  }
  // A needed replica on a stopped node: ambiguous at the write's timeout.
  const k2 = key();
  const rep = kv.owner(k2, 1);
  await emu.stopNode(rep);
  try {
    const amb = await kv.request({ opcode: SET, key: k2, extras: setExtras(), value: 'x', framing: frameInfos({ durability: 1, timeoutMs: 50 }) });
    t.is(amb.status, 0xa3);
  } finally {
    await emu.startNode(rep);
  }
  const lonely = await startEmulator({ nodes: 1, replicas: 1, views: false });
  try {
    const c = new ClusterClient(lonely);
    t.is((await c.request({ opcode: SET, key: 'x', extras: setExtras(), value: 'v', framing: frameInfos({ durability: 1 }) })).status, 0xa1);
    c.close();
  } finally {
    await lonely.stop();
  }
});
