/**
 * Instructions per sequential get, under callgrind: a load-independent measure of the
 * one-at-a-time path (wall-clock latency on the shared box moves with its load).
 *
 * Warms up (`warm` gets, default 20,000, so that the hot functions are optimized), turns
 * callgrind's instrumentation on for `n` gets, then off again:
 *
 *   memcached -l 127.0.0.1 -p 21999 -U 0 -d        # (-u root as root); load bench::0..999 first:
 *   npx tsx bench/seq-get-callgrind.ts rx 0 21999 0 --load
 *   node_modules/.bin/esbuild bench/seq-get-callgrind.ts --bundle --platform=node --format=esm --outfile=.tmp/sg.mjs
 *   valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/sg.out \
 *     node .tmp/sg.mjs rx 2000 21999 20000          # rx | bare; CG_FRAMES=5 records call sites; CG_OP=set for sets
 *   # instructions per get = "Collected" / 2000 (minus the same run with n = 1, the toggling itself)
 *   callgrind_annotate --inclusive=yes /tmp/sg.out | head -80
 *
 * (The bundle is there so that the module loader's own work stays out of the window, and so that
 * `../build/Release/couchbase_rx.node` resolves from .tmp/.)
 * @module
 */
import { execFileSync } from 'node:child_process';
import { open as openBare } from './clients/bare-socket.js';
import { open as openRx } from './clients/couchbase-rx.js';
import { docOf, keyOf } from './harness/doc.js';
import { preload } from './harness/servers.js';
import type { Client } from './clients/client.js';
import { setCallSiteFrames } from '../src/index.js';

const [which, nArg, port, warmArg] = process.argv.slice(2);
if (process.env.CG_FRAMES !== undefined) setCallSiteFrames(Number(process.env.CG_FRAMES));
const target = { server: 'memcached' as const, connectionString: `memcached://127.0.0.1:${port}`, host: '127.0.0.1', port: Number(port), bucket: 'default' };
const keys = Array.from({ length: 1000 }, (_, i) => keyOf('bench', i));

const docs = keys.map((_, i) => docOf(i));
const sets = process.env.CG_OP === 'set';

/** `n` gets (or sets, with CG_OP=set), one at a time. */
async function gets(c: Pick<Client, 'get' | 'set'>, n: number): Promise<void> {
  if (sets) for (let i = 0; i < n; i++) await c.set(keys[i % 1000]!, docs[i % 1000]!);
  else for (let i = 0; i < n; i++) await c.get(keys[i % 1000]!);
}

/** Turns callgrind's instrumentation on or off for this process (a no-op outside valgrind). */
function instrument(on: boolean): void {
  if (process.env.CG !== '0') execFileSync('callgrind_control', ['-i', on ? 'on' : 'off', String(process.pid)], { stdio: 'ignore' });
}

if (process.argv.includes('--load')) {
  await preload(target, 1000, 1000);
} else {
  const opened = await (which === 'bare' ? openBare : openRx)(target);
  if ('na' in opened) throw new Error(opened.na);
  await gets(opened, Number(warmArg ?? 20000));
  instrument(false); // the toggle's own code path, compiled outside the window
  instrument(true);
  await gets(opened, Number(nArg ?? 2000));
  instrument(false);
  await opened.close();
}
