import test from 'ava';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { KvClient } from '../../emulator/testing/kv-client.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`CLI prints one JSON line when ready and exits cleanly on ${signal}`, async (t) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'emulator/cli.ts'), '--nodes', '2', '--replicas', '1', '--bucket', 'default', '--bucket', 'other:pw'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    while (!out.includes('\n')) {
      const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
      out += chunk.toString();
    }
    const line = out.split('\n')[0];
    const info = JSON.parse(line);
    t.deepEqual(Object.keys(info), ['connectionString', 'restUrl', 'nodes', 'buckets', 'username', 'password']);
    t.regex(info.connectionString, /^couchbase:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    t.regex(info.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    t.is(info.nodes.length, 2);
    t.deepEqual(info.buckets, ['default', 'other']);
    t.is(info.username, 'Administrator');
    const c = await KvClient.open(info.nodes[0].kv, 'other', 'pw', '');
    t.is((await c.request({ opcode: 0x0a })).status, 0);
    c.close();
    child.kill(signal);
    const [code] = await once(child, 'exit');
    t.is(code, 0);
  });
}

test('CLI rejects unknown options with exit code 2', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'emulator/cli.ts'), '--bogus'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const [code] = await once(child, 'exit');
  t.is(code, 2);
});
