/**
 * `couchbase-rx load` as a user runs it (src/cli/main.ts in a child process, output not a
 * terminal) against the emulator: the whole of beer-sample from its zip, and a folder with a
 * file that is not JSON; plus the progress lines it draws on a terminal.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { barLine, plainLine } from '../../src/cli/progress.js';
import { connect } from '../../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const beerSampleZip = join(root, 'data/beer-sample/beer-sample.zip');

let emulator: Emulator;
test.before(async () => {
  emulator = await startEmulator({ nodes: 2, buckets: ['beers', 'mixed', 'other'] });
});
test.after.always(async () => {
  await emulator?.stop();
});

interface Run {
  code: number | string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, COUCHBASE_USERNAME: emulator.username, COUCHBASE_PASSWORD: emulator.password };
  delete env.COUCHBASE_CONNSTR;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import=tsx', 'src/cli/main.ts', ...args], { cwd: root, env, timeout: 100_000 }, (error, _stdout, stderr) => {
      const { code, signal } = (error ?? {}) as { code?: number; signal?: string };
      resolve({ code: signal ?? code ?? 0, stderr });
    });
  });
}

test('beer-sample loads from its zip: every document, the design document, exit code 0', async (t) => {
  const run = await cli(['load', beerSampleZip, '--bucket', 'beers', '--connstr', emulator.connectionString]);
  t.is(run.code, 0, run.stderr);
  t.true(run.stderr.includes("loading 7,303 documents and 2 design documents into 'beers'"));
  t.regex(run.stderr, /loaded 7,303\/7,303 docs \([\d,]+\/s\)\n/);
  t.true(run.stderr.includes('design_docs/indexes.json: no views, skipped'));
  t.true(run.stderr.includes("design document 'beer' created"));
  t.true(run.stderr.endsWith('loaded: 7,303 of 7,303 documents, 1 design documents\n'));

  const cb = await connect({ connectionString: `${emulator.connectionString}/beers`, username: emulator.username, password: emulator.password });
  try {
    t.is((await cb.get<{ name: string }>('21st_amendment_brewery_cafe-21a_ipa')).value.name, '21A IPA');
    let rows = 0;
    for await (const _row of cb.query('beer', 'brewery_beers', { stale: false })) rows++;
    t.is(rows, 7303);
  } finally {
    await cb.close();
  }
});

test('a file that is not JSON is reported by name, the rest loads, and the exit code is 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'load-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'good1.json'), '{"n":1}');
  writeFileSync(join(dir, 'docs', 'broken.json'), '{"n":');
  writeFileSync(join(dir, 'docs', 'good2.json'), '[1,2]');
  const run = await cli(['load', dir, '-b', 'mixed', '-c', emulator.connectionString]);
  t.is(run.code, 1, run.stderr);
  t.regex(run.stderr, /not loaded: docs\/broken\.json: not JSON \(/);
  t.true(run.stderr.includes('NOT all loaded: 2 of 3 documents, 0 design documents'));
  const cb = await connect({ connectionString: `${emulator.connectionString}/mixed`, username: emulator.username, password: emulator.password });
  try {
    const got = await cb.getMulti(['good1', 'good2', 'broken'], { quiet: true });
    t.deepEqual([...got.values()].map((r) => r.success), [true, true, false]);
  } finally {
    await cb.close();
  }
});

test('usage errors and a bucket that is not there: a message and a non-zero exit code', async (t) => {
  const noBucket = await cli(['load', beerSampleZip]);
  t.is(noBucket.code, 2);
  t.true(noBucket.stderr.includes('--bucket is required'));
  const unknown = await cli(['unload']);
  t.is(unknown.code, 2);
  t.true(unknown.stderr.includes("unknown command 'unload'"));
  const missing = await cli(['load', '/nonexistent', '--bucket', 'other', '--connstr', emulator.connectionString]);
  t.is(missing.code, 1);
  t.true(missing.stderr.includes('no such file or folder: /nonexistent'));
  const wrongBucket = await cli(['load', beerSampleZip, '--bucket', 'no_such_bucket', '--connstr', emulator.connectionString]);
  t.is(wrongBucket.code, 1);
  t.regex(wrongBucket.stderr, /couchbase-rx load: .*no_such_bucket/);
});

test('the progress line on a terminal: bar, count, rate, time left; plain lines elsewhere', (t) => {
  t.is(barLine({ done: 0, failed: 0, total: 7303, elapsedMs: 0 }, 10), '[>         ] 0/7,303 docs  0/s  ETA ?');
  t.is(barLine({ done: 3000, failed: 2, total: 6000, elapsedMs: 2000 }, 10), '[=====>    ] 3,000/6,000 docs  1,500/s  ETA 2s  (2 failed)');
  t.is(barLine({ done: 100, failed: 0, total: 100_000, elapsedMs: 1000 }, 10), '[>         ] 100/100,000 docs  100/s  ETA 16m39s');
  t.is(barLine({ done: 6000, failed: 0, total: 6000, elapsedMs: 4000 }, 10), '[==========] 6,000/6,000 docs  1,500/s  done');
  t.is(barLine({ done: 1, failed: 0, total: 7303, elapsedMs: 100 }, 10), '[>         ] 1/7,303 docs  10/s  ETA ?');
  t.is(plainLine({ done: 1200, failed: 3, total: 7303, elapsedMs: 1000 }), 'loaded 1,200/7,303 docs (1,200/s, 3 failed)');
});
