#!/usr/bin/env node
// npm's install step. An installed package uses its prebuilt addon when it fits this machine and node
// (checked, then loaded) and compiles nothing. It builds from source with cmake-js when none fits, when
// asked to (npm install --build-from-source, COUCHBASE_RX_BUILD_FROM_SOURCE=1), and in a git checkout.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { addonName, cmakeJsArgs, packageRoot, prebuiltDir, prebuiltMisfit } from './native-target.mjs';

/** npm sets npm_config_build_from_source to "true" for --build-from-source (or a package name list). */
function fromSourceRequested() {
  const flag = process.env.npm_config_build_from_source ?? '';
  const env = process.env.COUCHBASE_RX_BUILD_FROM_SOURCE ?? '';
  const names = flag.split(',').map((s) => s.trim());
  return ['1', 'true'].includes(env) || flag === 'true' || names.includes('couchbase-rx');
}

function log(msg) {
  console.error(`couchbase-rx: ${msg}`);
}

const checkout = existsSync(join(packageRoot, '.git'));
if (checkout) {
  log('building the addon from source (git checkout)');
} else if (fromSourceRequested()) {
  log('building the addon from source (as requested)');
} else {
  const misfit = prebuiltMisfit();
  if (!misfit) {
    log(`using the prebuilt addon ${join(prebuiltDir(), addonName)}`);
    process.exit(0);
  }
  log(`no usable prebuilt addon (${misfit}): building from source`);
}

const build = spawnSync(process.execPath, cmakeJsArgs('compile', '--log-level', 'warn'), {
  cwd: packageRoot,
  stdio: 'inherit',
});
if (build.status !== 0) {
  log(
    'the source build failed. It needs CMake >= 3.15, a C/C++ compiler, OpenSSL headers and node\'s headers ' +
      '(uv.h); see "Install" in README.md',
  );
  process.exit(build.status ?? 1);
}

// An installed package keeps only the addon: the build tree (libcouchbase's objects) is about 15 MB.
if (!checkout) {
  const buildDir = join(packageRoot, 'build');
  for (const entry of readdirSync(buildDir)) if (entry !== 'Release') rmSync(join(buildDir, entry), { recursive: true, force: true });
  for (const entry of readdirSync(join(buildDir, 'Release'))) if (entry !== addonName) rmSync(join(buildDir, 'Release', entry), { recursive: true, force: true });
}
