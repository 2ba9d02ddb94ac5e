// @ts-check
// The user program of scripts/pack-check.sh, run inside a fresh project that installed the packed
// couchbase-rx: both entry points and the CLI, as a user reaches them. Type-checked there too (checkJs)
// against the installed declarations; each @ts-expect-error fails the check if those types are missing.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { connect } from 'couchbase-rx';
import { startEmulator } from 'couchbase-rx/emulator';

// @ts-expect-error a number is not a connection string or options
void (() => connect(42));
// @ts-expect-error nodes is a number
void (() => startEmulator({ nodes: 'two' }));

const COUNT = 1000;

/** @param {unknown} cond @param {string} msg @returns {asserts cond} */
function check(cond, msg) {
  if (!cond) throw new Error(`pack-check: ${msg}`);
}

const emu = await startEmulator({ buckets: ['default'] });
const cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password });
const keys = Array.from({ length: COUNT }, (_, i) => `pack-check-${i}`);
await Promise.all(keys.map((key, i) => cb.set(key, { i, key })));
/** @type {import('couchbase-rx').MultiResult<import('couchbase-rx').ValueResult<{ i: number, key: string }>>} */
const got = await cb.getMulti(keys);
check(got.size === COUNT && got.allOk, `getMulti answered ${got.size} keys, allOk=${got.allOk}`);
keys.forEach((key, i) => check(got.get(key)?.value?.i === i, `${key} read back as ${JSON.stringify(got.get(key)?.value)}`));
await cb.close();
await emu.stop();
console.log(`stored and read ${COUNT} documents on the embedded emulator`);

// The CLI as `npx couchbase-rx-emulator` (--no: never fetch it from the registry), with the shipped
// sample; --exit-with-parent stops it when its stdin closes, which reaches it through npx.
const sample = 'node_modules/couchbase-rx/data/beer-sample/beer-sample.zip';
const args = ['--no', '--', 'couchbase-rx-emulator', '--bucket', 'default', '--sample', `beer-sample=${sample}`, '--exit-with-parent'];
const cli = spawn('npx', args, { stdio: ['pipe', 'pipe', 'inherit'] });
/** @type {Promise<number | null>} */
const exited = new Promise((resolve) => cli.once('exit', (code) => resolve(code)));
const first = await Promise.race([createInterface({ input: cli.stdout })[Symbol.asyncIterator]().next(), exited]);
check(typeof first === 'object' && first !== null && 'value' in first && typeof first.value === 'string', 'the emulator CLI printed no line');
const ready = JSON.parse(first.value);
const beers = await connect({ connectionString: `${ready.connectionString}/beer-sample`, username: ready.username, password: ready.password });
/** @type {import('couchbase-rx').ValueResult<{ type?: string }>} */
const brewery = await beers.get('21st_amendment_brewery_cafe');
check(brewery.value?.type === 'brewery', `beer-sample document read as ${JSON.stringify(brewery.value)}`);
await beers.close();
cli.stdin.end();
const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000).unref())]);
if (code !== 0) cli.kill('SIGKILL');
check(code === 0, `the emulator CLI exited with ${code}`);
console.log(`npx couchbase-rx-emulator served beer-sample from the package (${ready.connectionString})`);
