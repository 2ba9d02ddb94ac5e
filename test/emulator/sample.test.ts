import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { startEmulator } from '../../emulator/index.js';
import { readZip } from '../../emulator/sample/zip.js';
import { readSample } from '../../emulator/sample/loader.js';
import { crc32 } from '../../emulator/cluster/vbucket-map.js';
import { ClusterClient } from '../../emulator/testing/kv-client.js';

const BEER = '/work/shared/datasets/beer-sample';
const beerDir = [BEER, path.resolve('../shared/datasets/beer-sample'), path.resolve('shared/datasets/beer-sample')].find((p) => fs.existsSync(path.join(p, 'docs')));

/** Writes a zip (PKWARE layout) with the given entries; `store` entries are not compressed. */
function writeZip(entries: Array<{ name: string; data: Buffer; store?: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const comp = e.store ? e.data : deflateRawSync(e.data);
    const method = e.store ? 0 : 8;
    const crc = crc32(e.data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(e.data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, comp);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(e.data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const small = [
  { name: 'mini/docs/alpha.json', data: Buffer.from('{"type":"beer","name":"Alpha"}') },
  { name: 'mini/docs/beta.json', data: Buffer.from('{"type":"brewery","name":"Beta"}'), store: true },
  { name: 'mini/docs/raw.json', data: Buffer.from('not json at all') },
  { name: 'mini/design_docs/beer.json', data: Buffer.from(JSON.stringify({ _id: '_design/beer', language: 'javascript', views: { by_name: { map: 'function (doc, meta) { emit(doc.name, null); }' } } })) },
  { name: 'mini/design_docs/indexes.json', data: Buffer.from('{"statements":[]}') },
];

test('zip reader: stored and deflated entries', (t) => {
  const zip = writeZip(small);
  const entries = readZip(zip);
  t.deepEqual(entries.map((e) => e.name), small.map((e) => e.name));
  for (let i = 0; i < small.length; i++) t.deepEqual(entries[i].data(), small[i].data);
  t.throws(() => readZip(Buffer.from('definitely not a zip file, just some bytes here')));
});

test('loads a sample from a zip (docs, design docs; index statements skipped)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-zip-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'mini.zip');
  fs.writeFileSync(file, writeZip(small));
  const emu = await startEmulator({ buckets: ['mini'] });
  try {
    const r = await emu.loadSample('mini', file);
    t.is(r.docs, 3);
    const kv = new ClusterClient(emu, 'mini');
    t.is((await kv.request({ opcode: 0x00, key: 'alpha' })).value.toString(), '{"type":"beer","name":"Alpha"}');
    t.is((await kv.request({ opcode: 0x00, key: 'raw' })).value.toString(), 'not json at all');
    kv.close();
    const views = emu.cluster.views('mini');
    if (views) {
      t.is(r.designDocs, 1);
      t.truthy(views.getDesignDoc('beer'));
    }
  } finally {
    await emu.stop();
  }
});

test('loads beer-sample from its folder (startEmulator samples option) and from a zip of it', async (t) => {
  if (!beerDir) {
    t.pass('beer-sample dataset not present');
    return;
  }
  const files = readSample(beerDir);
  const docCount = files.filter((f) => f.kind === 'doc').length;
  t.is(docCount, 7303);
  const emu = await startEmulator({ nodes: 2, replicas: 1, buckets: ['beer-sample'], samples: { 'beer-sample': beerDir } });
  try {
    t.is(emu.cluster.bucket('beer-sample')!.count(), 7303);
    const kv = new ClusterClient(emu, 'beer-sample');
    const g = await kv.request({ opcode: 0x00, key: '21st_amendment_brewery_cafe-21a_ipa' });
    t.is(g.status, 0);
    t.is(JSON.parse(g.value.toString()).name, '21A IPA');
    kv.close();
    // Zip the folder (prefix folder as in the original beer-sample.zip) and load it again.
    const entries = fs.readdirSync(path.join(beerDir, 'docs')).filter((n) => n.endsWith('.json')).map((n) => ({ name: `beer-sample/docs/${n}`, data: fs.readFileSync(path.join(beerDir, 'docs', n)) }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-beer-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const zip = path.join(dir, 'beer-sample.zip');
    fs.writeFileSync(zip, writeZip(entries));
    await emu.createBucket('beer2');
    const r = await emu.loadSample('beer2', zip);
    t.is(r.docs, 7303);
    t.is(emu.cluster.bucket('beer2')!.count(), 7303);
  } finally {
    await emu.stop();
  }
});
