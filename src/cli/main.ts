#!/usr/bin/env node
/**
 * couchbase-rx: command-line tools on the SDK.
 *
 *   couchbase-rx load <folder|zip> --bucket NAME [--connstr URL] ...
 *
 * Exit codes: 0 everything loaded, 1 something did not (each listed), 2 a usage error.
 * @module
 */
import { load, LOAD_USAGE, parseLoadArgs } from './load.js';
import { progressBar, progressLines } from './progress.js';

const USAGE = `usage: couchbase-rx <command> ...

${LOAD_USAGE}`;

function usage(problem: string): never {
  process.stderr.write(`couchbase-rx: ${problem}\n\n${USAGE}\n`);
  process.exit(2);
}

const [command, ...args] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (command !== 'load') usage(`unknown command '${command}'`);

const options = parseLoadArgs(args);
if (typeof options === 'string') usage(options);

const line = (text: string) => process.stderr.write(`${text}\n`);
try {
  const summary = await load(options, {
    line,
    progress: (total) => (process.stderr.isTTY ? progressBar(total, process.stderr) : progressLines(total, line)),
  });
  for (const failure of summary.failures) line(`not loaded: ${failure}`);
  const all = summary.failures.length === 0;
  line(`${all ? 'loaded' : 'NOT all loaded'}: ${summary.stored.toLocaleString('en-US')} of ${summary.docs.toLocaleString('en-US')} documents, ${summary.designDocs} design documents`);
  process.exitCode = all ? 0 : 1;
} catch (e) {
  line(`couchbase-rx load: ${(e as Error).message}`);
  process.exitCode = 1;
}
