// Conformance: both official SDKs, unchanged, against the emulator started the way a user starts
// it (the couchbase-rx-emulator CLI in its own process, JSON line on stdout), with --data-dir
// surviving a restart, and with legacy bucket-name/password credentials.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, loadSdk, within, type SdkName } from '../official/harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Started {
  child: ChildProcess;
  info: { connectionString: string; restUrl: string; username: string; password: string; buckets: string[]; nodes: unknown[] };
  stderr: () => string;
}

/** Start the CLI (TypeScript source through tsx, as `npm start` does) and wait for its JSON line. */
async function startCli(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'emulator', 'cli.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d.toString()));
  const rl = createInterface({ input: child.stdout! });
  const line = await within(
    new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`emulator CLI exited (${code}) before printing its JSON line: ${err}`)));
    }),
    30_000,
    'emulator CLI JSON line',
  );
  return { child, info: JSON.parse(line), stderr: () => err };
}

async function stopCli(s: Started): Promise<number | null> {
  if (s.child.exitCode !== null) return s.child.exitCode;
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill('SIGTERM');
  return within(exited, 15_000, 'emulator CLI exit after SIGTERM').catch((e) => {
    s.child.kill('SIGKILL');
    throw e;
  });
}

function connectOpts(name: SdkName, username: string, password: string) {
  return name === 'couchbase3'
    ? { username, password, kvTimeout: 5000, viewTimeout: 10000, managementTimeout: 10000 }
    : { username, password, timeouts: { kvTimeout: 5000, viewTimeout: 10000, managementTimeout: 10000, bootstrapTimeout: 10000 } };
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'official-cli-'));
test.after.always(() => rmSync(dataDir, { recursive: true, force: true }));

test.before(async (t) => {
  t.timeout(10 * 60_000, 'building couchbase3 may take a few minutes on a fresh machine');
  await loadSdk('couchbase3');
});

test.serial('CLI: both SDKs use the printed connection string; --data-dir keeps documents and design docs across a restart; SIGTERM exits 0', async (t) => {
  t.timeout(120_000);
  const args = ['--nodes', '2', '--replicas', '1', '--bucket', 'default', '--data-dir', dataDir];
  let s = await startCli(args);
  t.teardown(() => {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  });
  t.regex(s.info.connectionString, /^couchbase:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
  t.deepEqual(s.info.buckets, ['default']);
  const map = 'function (doc, meta) { if (doc.kind === "cli") { emit(doc.n, null); } }';
  for (const name of ['couchbase4', 'couchbase3'] as const) {
    const sdk = await loadSdk(name);
    const cl = await within(sdk.connect(s.info.connectionString, connectOpts(name, s.info.username, s.info.password)), 20_000, `${name} connect`);
    try {
      const bucket = cl.bucket('default');
      const coll = bucket.defaultCollection();
      for (let i = 0; i < 5; i++) await within(coll.upsert(`${name}::cli-${i}`, { kind: 'cli', n: i, by: name }), 8000, `${name} upsert`);
      t.deepEqual((await within(coll.get(`${name}::cli-3`), 8000, `${name} get`)).content, { kind: 'cli', n: 3, by: name });
      if (name === 'couchbase4') {
        await within(bucket.viewIndexes().upsertDesignDocument(new sdk.DesignDocument('cli', { by_n: new sdk.DesignDocumentView(map) })), 15_000, 'upsert ddoc');
      }
    } finally {
      await within(cl.close(), 10_000, `${name} close`).catch((e) => t.log(describe(e)));
    }
  }
  t.is(await stopCli(s), 0, 'SIGTERM: clean exit, code 0');

  // Restart on the same data dir: new ports, same data.
  s = await startCli(args);
  for (const name of ['couchbase3', 'couchbase4'] as const) {
    const sdk = await loadSdk(name);
    const cl = await within(sdk.connect(s.info.connectionString, connectOpts(name, s.info.username, s.info.password)), 20_000, `${name} reconnect`);
    try {
      const bucket = cl.bucket('default');
      const coll = bucket.defaultCollection();
      for (const by of ['couchbase3', 'couchbase4']) {
        t.deepEqual((await within(coll.get(`${by}::cli-4`), 8000, `${name} get after restart`)).content, { kind: 'cli', n: 4, by }, `${name} reads ${by}'s document after the restart`);
      }
      const dd = await within(bucket.viewIndexes().getDesignDocument('cli'), 10_000, `${name} getDesignDocument after restart`);
      t.is(dd.views.by_n.map, map);
      const res = await within(bucket.viewQuery('cli', 'by_n', { scanConsistency: sdk.ViewScanConsistency.RequestPlus }), 15_000, `${name} view after restart`);
      t.is(res.rows.length, 10, `${name}: the view sees all 10 documents after the restart`);
    } finally {
      await within(cl.close(), 10_000, `${name} close`).catch((e) => t.log(describe(e)));
    }
  }
  t.is(await stopCli(s), 0);
});

test.serial('legacy credentials: bucket name + bucket password (and the empty password of a bucket without one)', async (t) => {
  t.timeout(120_000);
  const s = await startCli(['--nodes', '1', '--bucket', 'default', '--bucket', 'secure:s3cret']);
  t.teardown(() => {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
  });
  for (const name of ['couchbase3', 'couchbase4'] as const) {
    const sdk = await loadSdk(name);
    // bucket "secure", its own name and password
    const cl = await within(sdk.connect(s.info.connectionString, connectOpts(name, 'secure', 's3cret')), 20_000, `${name} connect as bucket`);
    try {
      const coll = cl.bucket('secure').defaultCollection();
      await within(coll.upsert(`${name}::legacy`, { ok: true }), 8000, `${name} upsert as bucket user`);
      t.deepEqual((await within(coll.get(`${name}::legacy`), 8000, `${name} get as bucket user`)).content, { ok: true });
    } finally {
      await within(cl.close(), 10_000, `${name} close`).catch((e) => t.log(describe(e)));
    }
    // wrong bucket password
    const bad = await within(
      sdk.connect(s.info.connectionString, connectOpts(name, 'secure', 'nope')).then(
        (c: any) => c,
        (e: unknown) => e,
      ),
      20_000,
      `${name} connect with a wrong bucket password`,
    );
    if (bad && typeof bad.close === 'function') {
      await within(bad.close(), 10_000, 'close').catch(() => undefined);
      t.fail(`${name}: a wrong bucket password was accepted`);
    } else {
      t.true(bad instanceof sdk.AuthenticationFailureError, `${name}: ${describe(bad)}`);
    }
    // "default" has no password: its name and the empty password
    const cl2 = await within(
      sdk.connect(s.info.connectionString, connectOpts(name, 'default', '')).then(
        (c: any) => c,
        (e: unknown) => e,
      ),
      20_000,
      `${name} connect as default with empty password`,
    );
    if (cl2 && typeof cl2.close === 'function') {
      try {
        const coll = cl2.bucket('default').defaultCollection();
        await within(coll.upsert(`${name}::legacy-default`, 1), 8000, `${name} upsert as default/empty`);
        t.pass();
      } finally {
        await within(cl2.close(), 10_000, 'close').catch(() => undefined);
      }
    } else {
      t.fail(`${name}: bucket "default" with its empty password refused: ${describe(cl2)}`);
    }
  }
  t.is(await stopCli(s), 0);
});
