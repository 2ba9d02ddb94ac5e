#!/usr/bin/env node
// npm run prebuild (run by prepack): builds the addon from this checkout's sources with the bundled,
// patched libcouchbase, strips it and puts it in prebuilds/<platform>-<arch>/ with what it needs
// recorded beside it (couchbase_rx.json), so that an installed package loads it and compiles nothing.
// Its own build folder (build/prebuild), so a dev build against a system libcouchbase stays as it is.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  addonName,
  cmakeJsArgs,
  loadFailure,
  metaName,
  packageRoot,
  prebuiltDir,
  requiredGlibc,
  requiredNapiVersion,
  runtimeLibc,
} from './native-target.mjs';

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: packageRoot, stdio: 'inherit', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error ?? `exit ${r.status}`})`);
}

const out = join(packageRoot, 'build', 'prebuild');
const env = { ...process.env };
delete env.LIBCOUCHBASE_PREFIX;
run(process.execPath, cmakeJsArgs('compile', '--log-level', 'warn', '-O', out, '--CDCBRX_BUNDLED_LCB=ON'), env);

const dir = prebuiltDir();
const target = join(dir, addonName);
mkdirSync(dir, { recursive: true });
copyFileSync(join(out, 'Release', addonName), target);
run('strip', ['--strip-unneeded', target]);

const failure = loadFailure(target);
if (failure) throw new Error(`the prebuilt addon ${failure}`);
const { libc } = runtimeLibc();
const meta = {
  platform: process.platform,
  arch: process.arch,
  napi: requiredNapiVersion(),
  ...(libc === 'glibc' ? { libc, glibc: requiredGlibc(target) } : {}),
  openssl: process.versions.openssl?.split('.')[0],
  lcbVersion: createRequire(import.meta.url)(target).lcbVersion,
  builtWith: process.version,
};
writeFileSync(join(dir, metaName), JSON.stringify(meta, null, 2) + '\n');
console.log(`prebuilt ${target}: ${JSON.stringify(meta)}`);
