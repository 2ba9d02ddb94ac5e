#!/usr/bin/env node
// Builds the native addon of the official couchbase@3.2.7 SDK (installed as
// node_modules/couchbase3) when it is missing.
//
// Why: package.json denies couchbase's install script (allowScripts: couchbase=false),
// so `npm ci` leaves couchbase3 without build/Release/couchbase_impl.node. Its install
// script would run `prebuild-install || node-gyp rebuild`; prebuild-install downloads
// from GitHub, which is unreachable here, so we go straight to node-gyp, which compiles
// the SDK's NAN binding together with its bundled libcouchbase 3.3.4 (deps/lcb).
//
// Offline: node-gyp is told `--nodedir=<prefix of process.execPath>` so that it uses the
// headers Node installs in <prefix>/include/node (and Node's bundled OpenSSL headers there)
// instead of downloading a header tarball. node-gyp itself is the copy bundled with npm.
//
// Cache: the built couchbase_impl.node is copied to a cache directory keyed by the
// couchbase version, the Node ABI, platform and arch:
//   $COUCHBASE3_ADDON_CACHE, else $XDG_CACHE_HOME/couchbase-rx, else ~/.cache/couchbase-rx
// so a fresh clone on the same machine (CI) restores it in milliseconds, and a fresh machine
// builds once (60-150 s wall, ~110 s CPU with -j 2 on this 2-core machine). Concurrent callers (several ava worker
// processes) serialise on a lock directory; only one builds.
//
// Usage:
//   node test/official/ensure-couchbase3.mjs          # build if needed, print the addon path
//   import { ensureCouchbase3 } from './ensure-couchbase3.mjs'; await ensureCouchbase3()
// Exit code 0 = addon present and loadable; 1 = build failed (reason printed).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

function log(msg) {
  process.stderr.write(`[ensure-couchbase3] ${msg}\n`);
}

export function couchbase3Dir() {
  const require = createRequire(path.join(repoRoot, 'package.json'));
  return path.dirname(require.resolve('couchbase3/package.json'));
}

function cacheRoot() {
  if (process.env.COUCHBASE3_ADDON_CACHE) return process.env.COUCHBASE3_ADDON_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'couchbase-rx');
}

function cacheKey(pkgVersion) {
  return `couchbase3-${pkgVersion}-node-abi${process.versions.modules}-${process.platform}-${process.arch}`;
}

/** Does this .node file load in this Node? (run in a child so a bad addon cannot kill us) */
async function loads(addonPath) {
  const code = `process.dlopen({exports:{}}, ${JSON.stringify(addonPath)})`;
  const { code: rc } = await run(process.execPath, ['-e', code], { quiet: true });
  return rc === 0;
}

function run(cmd, args, { cwd, env, quiet, logFile } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const sink = logFile ? fs.createWriteStream(logFile) : null;
    const onData = (d) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      sink?.write(d);
      if (!quiet && process.env.ENSURE_COUCHBASE3_VERBOSE) process.stderr.write(d);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => resolve({ code: -1, out: out + String(err) }));
    child.on('close', (code) => {
      sink?.end();
      resolve({ code, out });
    });
  });
}

/** Locate node-gyp: $npm_config_node_gyp, npm's bundled copy next to this node, or a local one. */
export function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(
    path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  try {
    const require = createRequire(path.join(repoRoot, 'package.json'));
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not installed locally */
  }
  return candidates.find((c) => fs.existsSync(c));
}

/** The Node install prefix that holds include/node/node.h for the running Node. */
export function findNodeDir() {
  const candidates = [];
  if (process.env.npm_config_nodedir) candidates.push(process.env.npm_config_nodedir);
  candidates.push(path.resolve(path.dirname(process.execPath), '..'));
  for (const c of candidates) {
    const header = path.join(c, 'include', 'node', 'node_version.h');
    if (!fs.existsSync(header) || !fs.existsSync(path.join(c, 'include', 'node', 'common.gypi'))) continue;
    const text = fs.readFileSync(header, 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((p) => text.match(new RegExp(`#define NODE_${p}_VERSION (\\d+)`))?.[1]);
    if (`v${v.join('.')}` === process.version) return c;
    log(`headers in ${c} are v${v.join('.')}, not ${process.version}; skipping`);
  }
  return undefined;
}

async function withLock(dir, fn) {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // Stale lock: holder gone.
      try {
        const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));
        if (pid) {
          try {
            process.kill(pid, 0);
          } catch {
            log(`removing stale lock of dead pid ${pid}`);
            fs.rmSync(dir, { recursive: true, force: true });
            continue;
          }
        }
      } catch {
        /* pid file not yet written */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for build lock ${dir}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Make sure node_modules/couchbase3/build/Release/couchbase_impl.node exists and loads.
 * Returns { addon, source: 'present' | 'cache' | 'built', seconds }.
 * Throws with a precise reason when the build fails.
 */
export async function ensureCouchbase3() {
  const t0 = Date.now();
  const dir = couchbase3Dir();
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const addon = path.join(dir, 'build', 'Release', 'couchbase_impl.node');
  const secs = () => (Date.now() - t0) / 1000;

  if (fs.existsSync(addon) && (await loads(addon))) return { addon, source: 'present', seconds: secs() };

  const key = cacheKey(pkg.version);
  const cacheDir = path.join(cacheRoot(), key);
  const cached = path.join(cacheDir, 'couchbase_impl.node');

  return withLock(path.join(cacheRoot(), `${key}.lock`), async () => {
    // Another process may have finished while we waited.
    if (fs.existsSync(addon) && (await loads(addon))) return { addon, source: 'present', seconds: secs() };
    if (fs.existsSync(cached) && (await loads(cached))) {
      fs.mkdirSync(path.dirname(addon), { recursive: true });
      fs.copyFileSync(cached, addon);
      log(`restored ${key} from cache ${cached}`);
      return { addon, source: 'cache', seconds: secs() };
    }

    const nodeGyp = findNodeGyp();
    if (!nodeGyp) throw new Error('node-gyp not found (looked for npm\'s bundled copy and $npm_config_node_gyp)');
    const nodeDir = findNodeDir();
    if (!nodeDir) {
      throw new Error(
        `Node ${process.version} headers not found under ${path.resolve(path.dirname(process.execPath), '..')}/include/node; ` +
          'node-gyp would try to download them, which is not possible offline. Install the Node headers or set npm_config_nodedir.',
      );
    }
    const jobs = String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
    const logFile = path.join(os.tmpdir(), `couchbase3-build-${process.pid}.log`);
    log(`building ${pkg.name}@${pkg.version} native addon in ${dir} (node-gyp ${nodeGyp}, --nodedir=${nodeDir}, -j ${jobs}); log: ${logFile}`);
    const env = {
      ...process.env,
      npm_config_nodedir: nodeDir,
      // Never let node-gyp reach for the network.
      npm_config_offline: 'true',
      npm_config_dist_url: 'http://127.0.0.1:9/',
    };
    const { code, out } = await run(
      process.execPath,
      [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '--release', '-j', jobs],
      { cwd: dir, env, logFile },
    );
    if (code !== 0 || !fs.existsSync(addon)) {
      const tail = out.split('\n').filter((l) => /error|Error|ERR!/.test(l)).slice(-30).join('\n');
      throw new Error(`node-gyp rebuild of couchbase3 failed (exit ${code}) after ${secs()}s; see ${logFile}\n${tail}`);
    }
    if (!(await loads(addon))) throw new Error(`built ${addon} but it does not load in ${process.version}`);
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.copyFileSync(addon, tmp);
    fs.renameSync(tmp, cached);
    log(`built in ${secs().toFixed(1)}s; cached at ${cached}`);
    return { addon, source: 'built', seconds: secs() };
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureCouchbase3().then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
    },
    (err) => {
      process.stderr.write(`[ensure-couchbase3] FAILED: ${err.message}\n`);
      process.exit(1);
    },
  );
}
