import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../../emulator/index.js';
import { ClusterClient, KvClient, encodeRequest, setExtras } from '../../emulator/testing/kv-client.js';
import { BucketLog, replay } from '../../emulator/store/disk.js';
import { vbucketOf } from '../../emulator/cluster/vbucket-map.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-data-'));
  dirs.push(d);
  return d;
}
test.after.always(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('log replay keeps exactly the complete records at every truncation point', (t) => {
  const dir = tmp();
  const file = path.join(dir, 'b.log');
  const { log } = BucketLog.open(file);
  for (let i = 0; i < 5; i++) log.set({ key: `k${i}`, value: Buffer.from(`value-${i}`), flags: i, exp: 0, cas: BigInt(i + 1), datatype: 0, revSeqno: 1 });
  log.delete('k0');
  log.close();
  const full = fs.readFileSync(file);
  const whole = replay(full);
  t.is(whole.validLength, full.length);
  t.deepEqual([...whole.docs.keys()], ['k1', 'k2', 'k3', 'k4']);
  let lastCount = -1;
  for (let cut = 0; cut <= full.length; cut++) {
    const r = replay(full.subarray(0, cut));
    t.true(r.validLength <= cut);
    for (const d of r.docs.values()) t.is(d.value.toString(), `value-${d.key.slice(1)}`);
    t.true(r.docs.size >= 0);
    lastCount = r.docs.size;
  }
  t.is(lastCount, 4);
  // A flipped byte in the middle stops replay there, never yields a corrupt document.
  const bad = Buffer.from(full);
  bad[40] ^= 0xff;
  const r = replay(bad);
  for (const d of r.docs.values()) t.is(d.value.toString(), `value-${d.key.slice(1)}`);
  t.true(r.validLength < full.length);
});

test('log compaction keeps the live state and appends after it', (t) => {
  const dir = tmp();
  const file = path.join(dir, 'c.log');
  const { log } = BucketLog.open(file);
  for (let i = 0; i < 50; i++) log.set({ key: `k${i % 5}`, value: Buffer.from(`v${i}`), flags: 0, exp: 0, cas: BigInt(i + 1), datatype: 0, revSeqno: i });
  log.sync();
  const before = fs.statSync(file).size;
  log.compact([{ key: 'k0', value: Buffer.from('v45'), flags: 0, exp: 0, cas: 46n, datatype: 0, revSeqno: 45 }]);
  t.true(fs.statSync(file).size < before);
  log.set({ key: 'k9', value: Buffer.from('later'), flags: 0, exp: 0, cas: 99n, datatype: 0, revSeqno: 1 });
  log.close();
  const r = replay(fs.readFileSync(file));
  t.deepEqual([...r.docs.keys()], ['k0', 'k9']);
  t.is(r.docs.get('k9')!.value.toString(), 'later');
});

test('in-process: documents, buckets and design docs survive a restart', async (t) => {
  const dir = tmp();
  let emu = await startEmulator({ dataDir: dir, nodes: 2, replicas: 1 });
  await emu.createBucket('extra');
  let kv = new ClusterClient(emu);
  for (let i = 0; i < 100; i++) await kv.request({ opcode: 0x01, key: `doc${i}`, extras: setExtras(i), value: `{"i":${i}}` });
  await kv.request({ opcode: 0x04, key: 'doc5' });
  await kv.request({ opcode: 0x0e, key: 'doc6', value: ' ' });
  const views = emu.cluster.views('default');
  views?.putDesignDoc('dev_test', { views: { all: { map: 'function (doc, meta) { emit(meta.id, null); }' } } });
  kv.close();
  await emu.stop();

  emu = await startEmulator({ dataDir: dir, nodes: 1 });
  t.true(emu.buckets.includes('extra'));
  kv = new ClusterClient(emu);
  const g = await kv.request({ opcode: 0x00, key: 'doc7' });
  t.is(g.status, 0);
  t.is(g.value.toString(), '{"i":7}');
  t.is(g.extras.readUInt32BE(0), 7);
  t.is((await kv.request({ opcode: 0x00, key: 'doc5' })).status, 0x01);
  t.is((await kv.request({ opcode: 0x00, key: 'doc6' })).value.toString(), '{"i":6} ');
  if (views) t.truthy(emu.cluster.views('default')?.getDesignDoc('dev_test'));
  kv.close();
  await emu.stop();
});

test('a data dir in use by a live emulator is refused; a stale claim is taken over', async (t) => {
  const dir = tmp();
  const a = await startEmulator({ dataDir: dir, views: false });
  await t.throwsAsync(startEmulator({ dataDir: dir, views: false }), { message: /in use by process/ });
  await a.stop();
  fs.writeFileSync(path.join(dir, 'emulator.pid'), '999999999');
  const b = await startEmulator({ dataDir: dir, views: false });
  await b.stop();
  t.false(fs.existsSync(path.join(dir, 'emulator.pid')));
});

async function startCli(dir: string): Promise<{ child: ChildProcess; kv: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'emulator/cli.ts'), '--data-dir', dir, '--no-views'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  while (!out.includes('\n')) {
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    out += chunk.toString();
  }
  const info = JSON.parse(out.split('\n')[0]);
  return { child, kv: info.nodes[0].kv };
}

test('CLI: kill -9 in the middle of a write storm leaves a loadable, uncorrupted store', async (t) => {
  const dir = tmp();
  const first = await startCli(dir);
  const c = await KvClient.open(first.kv);
  // Batch A, confirmed and given time to reach the log.
  for (let i = 0; i < 200; i++) await c.request({ opcode: 0x01, key: `a${i}`, extras: setExtras(), value: `A-${i}-`.padEnd(64, 'x') });
  await new Promise((r) => setTimeout(r, 300));
  // Batch B: pipelined large writes; the process is killed while they stream in.
  const big = Buffer.alloc(32 * 1024, 0x62);
  let sent = 0;
  const pump = setInterval(() => {
    const parts = [];
    for (let i = 0; i < 20; i++, sent++) {
      const k = Buffer.from(`b${sent}`);
      parts.push(encodeRequest({ opcode: 0x11, key: k, extras: setExtras(), value: Buffer.concat([Buffer.from(`B-${sent}-`), big]), vbucket: vbucketOf(k) }, sent));
    }
    c.write(Buffer.concat(parts));
  }, 1);
  await new Promise((r) => setTimeout(r, 400));
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  clearInterval(pump);
  c.close();

  const second = await startCli(dir);
  const c2 = await KvClient.open(second.kv);
  for (let i = 0; i < 200; i++) {
    const g = await c2.request({ opcode: 0x00, key: `a${i}` });
    t.is(g.status, 0);
    t.is(g.value.toString(), `A-${i}-`.padEnd(64, 'x'));
  }
  let found = 0;
  for (let i = 0; i < sent; i += 7) {
    const g = await c2.request({ opcode: 0x00, key: `b${i}` });
    if (g.status === 0) {
      found++;
      t.true(g.value.subarray(0, `B-${i}-`.length).toString() === `B-${i}-`);
      t.is(g.value.length, `B-${i}-`.length + big.length);
    } else {
      t.is(g.status, 0x01);
    }
  }
  t.log(`batch B: sent ${sent}, sampled survivors ${found}`);
  // Writes after recovery go on working.
  t.is((await c2.request({ opcode: 0x01, key: 'after', extras: setExtras(), value: 'ok' })).status, 0);
  c2.close();
  second.child.kill('SIGTERM');
  const [code] = await once(second.child, 'exit');
  t.is(code, 0);
});
