// What a prebuilt addon is built for, and whether it fits the machine that installs it.
// Shared by scripts/prebuild.mjs (pack time) and scripts/install.mjs (install time).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const addonName = 'couchbase_rx.node';
export const metaName = 'couchbase_rx.json';

/** node's arguments for a cmake-js command (no npx: it may not be on the PATH of an install). */
export function cmakeJsArgs(...args) {
  return [createRequire(join(packageRoot, 'package.json')).resolve('cmake-js/bin/cmake-js'), ...args];
}

/** prebuilds/<platform>-<arch>: the folder loadNative() looks in after build/Release. */
export function prebuiltDir(root = packageRoot) {
  return join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/** The C library this node runs on: { libc: 'glibc', glibc: '2.36' }, or { libc: 'other' } (musl, macOS, ...). */
export function runtimeLibc() {
  const glibc = process.platform === 'linux' ? process.report.getReport().header.glibcVersionRuntime : undefined;
  return glibc ? { libc: 'glibc', glibc } : { libc: 'other' };
}

/** The Node-API version the addon is compiled for (NAPI_VERSION in CMakeLists.txt). */
export function requiredNapiVersion(root = packageRoot) {
  const m = /NAPI_VERSION=(\d+)/.exec(readFileSync(join(root, 'CMakeLists.txt'), 'utf8'));
  if (!m) throw new Error('NAPI_VERSION not found in CMakeLists.txt');
  return Number(m[1]);
}

/** The highest GLIBC_x.y symbol version an ELF file asks for (objdump is part of every toolchain). */
export function requiredGlibc(file) {
  const out = spawnSync('objdump', ['-T', file], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`objdump -T ${file} failed: ${out.stderr || out.error}`);
  const versions = [...out.stdout.matchAll(/\bGLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1]);
  return versions.sort(compareVersions).at(-1);
}

export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Why the prebuilt addon in `dir` does not fit this node and machine, or undefined when it does. */
export function prebuiltMisfit(dir = prebuiltDir()) {
  const metaFile = join(dir, metaName);
  if (!existsSync(metaFile) || !existsSync(join(dir, addonName))) return `none for ${process.platform}-${process.arch}`;
  const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
  if (meta.platform !== process.platform || meta.arch !== process.arch) return `built for ${meta.platform}-${meta.arch}`;
  const napi = Number(process.versions.napi);
  if (napi < meta.napi) return `needs Node-API ${meta.napi}, this node has ${napi}`;
  if (meta.libc === 'glibc') {
    const { libc, glibc } = runtimeLibc();
    if (libc !== 'glibc') return 'built for glibc, this system has another C library';
    if (compareVersions(glibc, meta.glibc) < 0) return `needs glibc ${meta.glibc}, this system has ${glibc}`;
  }
  // The addon binds to the OpenSSL that node exports: the same major version, or not at all.
  const openssl = process.versions.openssl?.split('.')[0];
  if (meta.openssl !== openssl) return `built against OpenSSL ${meta.openssl}, this node has ${openssl ?? 'none'}`;
  return loadFailure(join(dir, addonName));
}

/**
 * Loads the addon in a child node with every symbol bound now (node itself binds lazily, which
 * would hide a missing symbol until first use). Returns the error text, or undefined when it loads.
 */
export function loadFailure(file) {
  const probe = `
    const m = { exports: {} };
    process.dlopen(m, ${JSON.stringify(file)}, require('node:os').constants.dlopen.RTLD_NOW);
    if (typeof m.exports.Connection !== 'function' || typeof m.exports.lcbVersion !== 'string') throw new Error('not the couchbase-rx addon');`;
  const out = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  if (out.status === 0) return undefined;
  const lines = (out.stderr || String(out.error)).split('\n').filter((l) => /Error|error:/.test(l));
  return `does not load: ${lines[0] ?? `exit ${out.status}`}`;
}
