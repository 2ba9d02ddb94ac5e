import test from 'ava';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { KvClient } from '../../emulator/testing/kv-client.js';
import { ScramClient, type ScramHash } from '../../emulator/kv/sasl/scram.js';

let emu: Emulator;

test.before(async () => {
  emu = await startEmulator({ buckets: ['default', { name: 'secured', password: 's3cret' }], views: false });
});
test.after.always(async () => {
  await emu?.stop();
});

test('LIST_MECHS offers SCRAM and PLAIN', async (t) => {
  const c = await KvClient.connect(emu.nodes[0].kv);
  const r = await c.request({ opcode: 0x20 });
  t.deepEqual(r.value.toString().split(' ').sort(), ['PLAIN', 'SCRAM-SHA1', 'SCRAM-SHA256', 'SCRAM-SHA512']);
  c.close();
});

async function plain(user: string, pass: string): Promise<{ c: KvClient; status: number }> {
  const c = await KvClient.connect(emu.nodes[0].kv);
  const r = await c.request({ opcode: 0x21, key: 'PLAIN', value: Buffer.from(`\0${user}\0${pass}`) });
  return { c, status: r.status };
}

test('PLAIN: admin, bucket credentials, wrong password', async (t) => {
  const a = await plain('Administrator', 'password');
  t.is(a.status, 0);
  t.is((await a.c.request({ opcode: 0x89, key: 'secured' })).status, 0);
  a.c.close();
  const b = await plain('secured', 's3cret');
  t.is(b.status, 0);
  // Authenticating as a bucket selects it; other buckets are refused.
  t.is((await b.c.request({ opcode: 0x00, key: 'nope' })).status, 0x01);
  t.is((await b.c.request({ opcode: 0x89, key: 'default' })).status, 0x24);
  b.c.close();
  const w = await plain('Administrator', 'wrong');
  t.is(w.status, 0x20);
  t.is((await w.c.request({ opcode: 0x89, key: 'default' })).status, 0x24);
  t.is((await w.c.request({ opcode: 0x00, key: 'k' })).status, 0x24);
  w.c.close();
  const u = await plain('nobody', 'password');
  t.is(u.status, 0x20);
  u.c.close();
  const d = await plain('default', '');
  t.is(d.status, 0);
  d.c.close();
});

for (const [mech, hash] of [['SCRAM-SHA1', 'sha1'], ['SCRAM-SHA256', 'sha256'], ['SCRAM-SHA512', 'sha512']] as const) {
  async function scram(user: string, pass: string): Promise<{ status: number; verified: boolean; c: KvClient }> {
    const c = await KvClient.connect(emu.nodes[0].kv);
    const client = new ScramClient(hash as ScramHash, user, pass);
    const first = await c.request({ opcode: 0x21, key: mech, value: client.first() });
    if (first.status !== 0x21) return { status: first.status, verified: false, c };
    const fin = await c.request({ opcode: 0x22, key: mech, value: client.final(first.value.toString()) });
    return { status: fin.status, verified: fin.status === 0 && client.verify(fin.value.toString()), c };
  }

  test(`${mech}: right password authenticates and the server proves itself`, async (t) => {
    const r = await scram('Administrator', 'password');
    t.is(r.status, 0);
    t.true(r.verified);
    t.is((await r.c.request({ opcode: 0x89, key: 'default' })).status, 0);
    r.c.close();
    const b = await scram('secured', 's3cret');
    t.is(b.status, 0);
    b.c.close();
  });

  test(`${mech}: wrong password and unknown user fail`, async (t) => {
    const r = await scram('Administrator', 'nope');
    t.is(r.status, 0x20);
    t.is((await r.c.request({ opcode: 0x89, key: 'default' })).status, 0x24);
    r.c.close();
    const u = await scram('ghost', 'password');
    t.is(u.status, 0x20);
    u.c.close();
  });
}

test('SASL_STEP without AUTH fails', async (t) => {
  const c = await KvClient.connect(emu.nodes[0].kv);
  t.is((await c.request({ opcode: 0x22, key: 'SCRAM-SHA512', value: 'c=biws,r=x,p=eA==' })).status, 0x20);
  c.close();
});
