/**
 * `npm start` as a user runs it (examples/beer-sample/main.ts in a child process): it prints
 * the URL, serves the app, and Ctrl-C stops everything and exits 0. BEER_SAMPLE loads another
 * copy of the dataset; a bad PORT or BEER_SAMPLE is a message and exit code 2. Serial: each
 * start loads a dataset into a two-node emulator, which is enough work at a time.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, PORT: '0', ...extra };
  delete e.COUCHBASE_CONNSTR;
  return e;
}

function run(extra: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import=tsx', 'examples/beer-sample/main.ts'], { cwd: root, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Starts the app and waits for the line with its URL. */
async function start(extra: Record<string, string> = {}): Promise<Started> {
  const child = run(extra);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /running at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before serving:\n${out}`)));
  });
  return { child, url, output: () => out };
}

/** Ctrl-C; `twice` as npm relays it on top of the terminal's. */
async function stop(started: Started, twice = false): Promise<number | null> {
  const exited = once(started.child, 'exit');
  started.child.kill('SIGINT');
  if (twice) started.child.kill('SIGINT');
  const [code] = (await exited) as [number | null];
  return code;
}

test.serial('npm start serves the app on the embedded emulator and Ctrl-C (even relayed twice) stops it cleanly', async (t) => {
  const app = await start();
  try {
    t.regex(app.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const welcome = await fetch(app.url);
    t.is(welcome.status, 200);
    const beers = await fetch(`${app.url}beers`);
    t.is(beers.status, 200);
    t.true((await beers.text()).includes('.38 Special Bitter'));
    const search = await fetch(`${app.url}beers/search?value=Juleøl`);
    t.deepEqual((await search.json() as Array<{ id: string }>).map((b) => b.id), ['aass_brewery-juleol']);
  } finally {
    t.is(await stop(app, true), 0, app.output());
  }
  t.regex(app.output(), /Stopping \.\.\.\nStopped\.\n$/);
});

test.serial('BEER_SAMPLE loads another copy of the dataset (a folder in the sample layout)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'beer-sample-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'docs'));
  writeFileSync(join(dir, 'docs', 'tiny_brewery.json'), JSON.stringify({ name: 'Tiny Brewery', type: 'brewery', city: 'Nowhere' }));
  writeFileSync(join(dir, 'docs', 'tiny_brewery-first.json'), JSON.stringify({ name: 'First', type: 'beer', brewery_id: 'tiny_brewery', abv: 5 }));
  writeFileSync(join(dir, 'docs', 'tiny_brewery-second.json'), JSON.stringify({ name: 'Second', type: 'beer', brewery_id: 'tiny_brewery', abv: 6 }));
  const app = await start({ BEER_SAMPLE: dir });
  try {
    const list = await (await fetch(`${app.url}beers`)).text();
    t.deepEqual([...list.matchAll(/href="\/beers\/show\/([^"]+)">/g)].map((m) => m[1]), ['tiny_brewery-first', 'tiny_brewery-second']);
    const brewery = await (await fetch(`${app.url}breweries/show/tiny_brewery`)).text();
    t.true(brewery.includes('Beers brewed here (<span id="beer-count">2</span>)'));
  } finally {
    t.is(await stop(app), 0, app.output());
  }
});

test.serial('a PORT that is not a port, or a BEER_SAMPLE that is not there, is a message and exit code 2', async (t) => {
  for (const [extra, message] of [
    [{ PORT: 'http' }, "PORT must be a port number (0-65535), not 'http'"],
    [{ BEER_SAMPLE: '/nonexistent/beer-sample.zip' }, 'BEER_SAMPLE: no such file or folder: /nonexistent/beer-sample.zip'],
  ] as const) {
    const child = run(extra);
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    t.is(code, 2);
    t.true(err.includes(message), err);
  }
});
