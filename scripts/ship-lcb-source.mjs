#!/usr/bin/env node
// Run by prepack: copies the libcouchbase source from npm:couchbase@3.2.7 (libcouchbase-src, a dev
// dependency) to deps/libcouchbase, so that a source build of the installed package finds it beside
// CMakeLists.txt and a user's install never fetches couchbase@3.2.7 nor runs its install script.
// Only what the library build reads: the same parts CMakeLists.txt leaves out of its copy, and the gyp files.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { packageRoot } from './native-target.mjs';

const unused = new Set(['tests', 'doc', 'example', 'tools', 'gtest-1.8.1', '.git', 'gyp_config', 'libcouchbase.gyp']);
const pkg = createRequire(join(packageRoot, 'package.json')).resolve('libcouchbase-src/package.json');
const source = join(dirname(pkg), 'deps', 'lcb');
const target = join(packageRoot, 'deps', 'libcouchbase');
if (!existsSync(join(source, 'CMakeLists.txt'))) throw new Error(`${source} holds no libcouchbase source`);
rmSync(target, { recursive: true, force: true });
cpSync(source, target, { recursive: true, filter: (path) => !unused.has(basename(path)) });
console.log(`libcouchbase source copied from ${source} to ${target}`);
