/**
 * Client processes of the benchmarks run plain JavaScript, as an application would ship it: their
 * entry bundled once per run (couchbase-rx's TypeScript included), the npm packages left to
 * node_modules. Under `--import=tsx` every process carried tsx's loader thread (about 30 MB of
 * RSS), and couchbase-rx its compile-on-load, in the peak RSS being compared.
 * The bundles sit in the repository's .tmp/ so that the addon's `../build/Release` resolves.
 * @module
 */
import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

const made = new Map<string, string>();

/** `entry` bundled to .tmp/`name` (once per process); the bundle's path. */
export function bundled(entry: string, name: string): string {
  let outfile = made.get(entry);
  if (outfile === undefined) {
    outfile = fileURLToPath(new URL(`../../.tmp/${name}`, import.meta.url));
    buildSync({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
    made.set(entry, outfile);
  }
  return outfile;
}
