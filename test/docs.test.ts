/**
 * The guide's code samples, run as a reader would run them. Every ```ts fence of docs/guide/*.md
 * (and of the reference pages the guide builds on, such as docs/views.md) is a complete program:
 * it is written to .tmp/docs-samples/ and run in its own process (node --import=tsx) against one
 * embedded emulator with the `default` and `beer-sample` buckets.
 *
 * Samples look like user code: they import 'couchbase-rx' (and '/operators', '/ix', '/emulator')
 * and connect to `couchbase://localhost/<bucket>` or `host: 'localhost'` with Administrator /
 * password. Here those imports point at the repository's sources and `localhost` at the emulator's
 * nodes; nothing else in a sample is changed, line for line, so a failure names the guide's line.
 * A ```text output fence right after a sample is what the sample must print (`…` stands for any
 * text within a line). A ```ts no-run fence is shown but not run (type-checked all the same).
 * The reference pages' samples read COUCHBASE_CONNSTR / _USERNAME / _PASSWORD, set here too.
 * Samples run in chapter order on one cluster, so a chapter may build on its earlier samples, as
 * a reader following it would (the tutorial's first sample creates the views the others query).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator } from '../emulator/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const guideDir = path.join(root, 'docs/guide');
/** Reference pages whose samples are part of the guide's (chapter 3 builds on views.md). */
const mergedPages = ['docs/views.md'];
const workDir = path.join(root, '.tmp/docs-samples');
const sampleTimeoutMs = 60_000;

interface Sample {
  /** The page, e.g. `docs/guide/02-documents.md`. */
  chapter: string;
  /** Line of the opening fence (1-based); the sample's line n is the chapter's line `fence + n`. */
  fence: number;
  code: string;
  run: boolean;
  /** The output fence that follows the sample, if any. */
  output?: string;
  file: string;
}

/** Every ts fence of the guide, in chapter order, with the output fence that follows it. */
function extractSamples(): Sample[] {
  const samples: Sample[] = [];
  const pages = [...readdirSync(guideDir).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/guide/${f}`), ...mergedPages];
  for (const chapter of pages) {
    const lines = readFileSync(path.join(root, chapter), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = /^```(\S+)(.*)$/.exec(lines[i]!);
      if (!open) continue;
      const end = lines.indexOf('```', i + 1);
      if (end < 0) throw new Error(`${chapter}:${i + 1}: unterminated code fence`);
      const body = lines.slice(i + 1, end).join('\n');
      const words = open[2]!.trim().split(/\s+/);
      if (open[1] === 'ts') {
        const stem = `${path.basename(chapter, '.md')}-L${i + 1}`;
        samples.push({ chapter, fence: i + 1, code: body, run: !words.includes('no-run'), file: path.join(workDir, `${stem}.ts`) });
      } else if (open[1] === 'text' && words.includes('output')) {
        const last = samples[samples.length - 1];
        if (!last || last.chapter !== chapter || last.output !== undefined) throw new Error(`${chapter}:${i + 1}: an output fence must follow a ts sample`);
        last.output = body;
      }
      i = end;
    }
  }
  return samples;
}

/** Points the sample's imports at the sources and `localhost` at the emulator, line for line. */
function rewrite(code: string, hosts: string[], fromDir: string): string {
  const entry: Record<string, string> = {
    '': 'src/index.js', '/operators': 'src/operators/index.js', '/ix': 'src/ix/index.js', '/emulator': 'emulator/index.js',
  };
  const rel = (p: string) => path.relative(fromDir, path.join(root, p)).split(path.sep).join('/');
  return code
    .replace(/(['"])couchbase-rx(\/operators|\/ix|\/emulator)?\1/g, (_, q: string, sub = '') => `${q}${rel(entry[sub]!)}${q}`)
    .replace(/couchbase:\/\/localhost(?=[/'"`?])/g, `couchbase://${hosts.join(',')}`)
    .replace(/host: (['"])localhost\1/g, `host: ${JSON.stringify(hosts)}`);
}

/** `…` in an expected line matches any text within that line. */
function outputPattern(expected: string): RegExp {
  const lines = expected.split('\n').map((l) => l.split('…').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^\\n]*'));
  return new RegExp(`^${lines.join('\\n')}$`);
}

function runNode(args: string[], timeout: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, timeout, env: { ...process.env, ...sampleEnv }, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const e = error as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
    });
  });
}

const samples = extractSamples();
let emulator: Emulator | undefined;
let hosts: string[] = [];
let sampleEnv: Record<string, string> = {};

test.before(async () => {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  emulator = await startEmulator({
    nodes: 2,
    replicas: 1,
    buckets: ['default', 'beer-sample'],
    samples: { 'beer-sample': path.join(root, 'data/beer-sample/beer-sample.zip') },
  });
  hosts = emulator.connectionString.replace('couchbase://', '').split(',');
  sampleEnv = { COUCHBASE_CONNSTR: emulator.connectionString, COUCHBASE_USERNAME: emulator.username, COUCHBASE_PASSWORD: emulator.password };
  for (const s of samples) writeFileSync(s.file, rewrite(s.code, hosts, workDir));
});

test.after.always(async () => {
  await emulator?.stop();
});

test('the guide has samples in every chapter', (t) => {
  const chapters = readdirSync(guideDir).filter((f) => f.endsWith('.md') && f !== 'README.md');
  t.true(chapters.length >= 11, `chapters: ${chapters.join(', ')}`);
  for (const c of chapters) t.true(samples.some((s) => s.chapter === `docs/guide/${c}`), `no ts sample in docs/guide/${c}`);
  for (const page of mergedPages) t.true(samples.some((s) => s.chapter === page), `no ts sample in ${page}`);
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/^```[^]*?^```/gm, '');
  return new Set([...text.matchAll(/^#+\s+(.*)$/gm)].map((m) => slug(m[1]!)));
}

test('the guide\'s links lead to files and headings that exist', (t) => {
  const broken: string[] = [];
  for (const name of readdirSync(guideDir).filter((f) => f.endsWith('.md'))) {
    const file = path.join(guideDir, name);
    const text = readFileSync(file, 'utf8').replace(/^```[^]*?^```/gm, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [where, anchor] = target!.split('#') as [string, string | undefined];
      const resolved = where === '' ? file : path.resolve(guideDir, where);
      if (!existsSync(resolved)) broken.push(`docs/guide/${name}: ${target} (no such file)`);
      else if (anchor && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) broken.push(`docs/guide/${name}: ${target} (no such heading)`);
    }
  }
  t.deepEqual(broken, []);
});

// One type-check of every sample (no-run ones included) against the sources, as a user's editor would.
test.serial('every sample type-checks', async (t) => {
  writeFileSync(path.join(workDir, 'tsconfig.json'), JSON.stringify({
    extends: '../../tsconfig.json',
    compilerOptions: { noEmit: true, rootDir: '../..' },
    include: ['*.ts'],
  }));
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const r = await runNode([tsc, '-p', path.join(workDir, 'tsconfig.json')], 240_000);
  const byFile = new Map(samples.map((s) => [path.basename(s.file), s]));
  const located = r.stdout.replace(/\.tmp\/docs-samples\/([^(]+\.ts)\((\d+),\d+\)/g,
    (all, file: string, line: string) => {
      const s = byFile.get(file);
      return s ? `${s.chapter}:${s.fence + Number(line)}` : all;
    });
  t.is(r.code, 0, located || r.stderr);
});

for (const sample of samples.filter((s) => s.run)) {
  test.serial(`${sample.chapter}:${sample.fence}`, async (t) => {
    const r = await runNode(['--import=tsx', sample.file], sampleTimeoutMs);
    const stem = path.basename(sample.file);
    const located = (text: string) => text.replaceAll(new RegExp(`\\S*${stem.replace('.', '\\.')}:(\\d+)`, 'g'),
      (_, line: string) => `${sample.chapter}:${sample.fence + Number(line)}`);
    if (r.code !== 0) {
      const why = r.signal ? `killed by ${r.signal}${r.signal === 'SIGTERM' ? ` after ${sampleTimeoutMs / 1000} s` : ''}` : `exit code ${r.code}`;
      t.fail(`the sample at ${sample.chapter}:${sample.fence} failed (${why})\n--- stderr\n${located(r.stderr)}\n--- stdout\n${r.stdout}`);
      return;
    }
    if (sample.output !== undefined) {
      const actual = r.stdout.replace(/\n+$/, '');
      t.regex(actual, outputPattern(sample.output),
        `the output of ${sample.chapter}:${sample.fence} differs from the guide's\n--- expected\n${sample.output}\n--- actual\n${actual}`);
    } else {
      t.pass();
    }
  });
}
