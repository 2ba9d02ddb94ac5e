/**
 * `couchbase-rx load`: loads a dataset in the sample layout (`docs/<key>.json`,
 * `design_docs/<name>.json`; a folder or a zip, as beer-sample is packed) into a bucket, as
 * Couchbase's `cbdocloader` does. Documents go through `storeEach`, pulled from the files as
 * slots free up; design documents through `designCreate`. A file that is not JSON is reported
 * by name and the rest still loads; the result says whether everything did.
 * @module
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { lastValueFrom, tap } from 'rxjs';
import { readSample, type SampleFile } from '../../emulator/sample/loader.js';
import { connect, type Couchbase } from '../index.js';
import { errorInfo } from '../errors/index.js';
import { pullable, storeEach } from '../operators/index.js';
import type { Progress } from './progress.js';

export const LOAD_USAGE = `usage: couchbase-rx load <folder|zip> --bucket NAME [options]
  --bucket, -b NAME        the bucket to load into (it must exist)
  --connstr, -c URL        the cluster (default $COUCHBASE_CONNSTR, else couchbase://localhost)
  --username, -u USER      (default $COUCHBASE_USERNAME)
  --password, -p PASS      (default $COUCHBASE_PASSWORD)
  --concurrency N          documents in flight at most (default 512)
  --timeout SECONDS        for each store (default 10); connecting may take up to 30 s
  --syncwait SECONDS       wait until each design document is usable (default 0: do not wait)`;

export interface LoadOptions {
  source: string;
  bucket: string;
  connectionString: string;
  username?: string;
  password?: string;
  concurrency: number;
  /** Seconds for each operation. */
  timeout: number;
  syncwait: number;
}

/** The options of a `load` command line, or the reason it is not one. */
export function parseLoadArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): LoadOptions | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        bucket: { type: 'string', short: 'b' },
        connstr: { type: 'string', short: 'c' },
        username: { type: 'string', short: 'u' },
        password: { type: 'string', short: 'p' },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        syncwait: { type: 'string' },
      },
    });
  } catch (e) {
    return (e as Error).message;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return 'give exactly one folder or zip to load';
  if (!values.bucket) return '--bucket is required';
  const concurrency = Number(values.concurrency ?? 512);
  if (!Number.isInteger(concurrency) || concurrency < 1) return '--concurrency must be a whole number, at least 1';
  const timeout = Number(values.timeout ?? 10);
  if (!Number.isFinite(timeout) || timeout <= 0) return '--timeout must be a positive number of seconds';
  const syncwait = Number(values.syncwait ?? 0);
  if (!Number.isFinite(syncwait) || syncwait < 0) return '--syncwait must be a number of seconds';
  return {
    source: positionals[0]!,
    bucket: values.bucket,
    connectionString: bucketUrl(values.connstr ?? env.COUCHBASE_CONNSTR ?? 'couchbase://localhost', values.bucket),
    username: values.username ?? env.COUCHBASE_USERNAME,
    password: values.password ?? env.COUCHBASE_PASSWORD,
    concurrency,
    timeout,
    syncwait,
  };
}

/** `couchbase://h1,h2?opt=1` with the bucket as its path: `couchbase://h1,h2/NAME?opt=1`. */
function bucketUrl(connstr: string, bucket: string): string {
  const [base = '', query] = connstr.split('?', 2);
  const hosts = base.replace(/^([a-z]+:\/\/[^/]*).*$/, '$1');
  return `${hosts}/${encodeURIComponent(bucket)}${query === undefined ? '' : `?${query}`}`;
}

/** Where a load writes: lines for the user, and the progress of the documents. */
export interface LoadOutput {
  line(text: string): void;
  progress(total: number): Progress;
}

export interface LoadSummary {
  docs: number;
  stored: number;
  designDocs: number;
  /** One line per thing that did not load: the file or key, and why. */
  failures: string[];
}

function why(rc: number): string {
  const info = errorInfo(rc);
  return info ? `${info.name}: ${info.description}` : `rc 0x${rc.toString(16)}`;
}

/** The documents as [key, value], parsed as they are pulled; a file that is not JSON is a failure, not a stop. */
function* documents(files: SampleFile[], failed: (line: string) => void): Generator<[string, unknown]> {
  for (const f of files) {
    let value: unknown;
    try {
      value = JSON.parse(f.data().toString('utf8'));
    } catch (e) {
      failed(`docs/${f.name}.json: not JSON (${(e as Error).message})`);
      continue;
    }
    yield [f.name, value];
  }
}

async function loadDocuments(cb: Couchbase, files: SampleFile[], options: LoadOptions, out: LoadOutput, failures: string[]): Promise<number> {
  const progress = out.progress(files.length);
  let stored = 0;
  const input = documents(files, (line) => {
    failures.push(line);
    progress.tick(false);
  });
  await lastValueFrom(pullable(input).pipe(
    storeEach(cb, { concurrency: options.concurrency, quiet: true }),
    tap((r) => {
      if (r.success) stored++;
      else failures.push(`${r.key}: not stored (${why(r.rc)})`);
      progress.tick(r.success);
    }),
  ), { defaultValue: undefined });
  progress.finish();
  return stored;
}

async function loadDesignDocuments(cb: Couchbase, files: SampleFile[], options: LoadOptions, out: LoadOutput, failures: string[]): Promise<number> {
  let loaded = 0;
  for (const f of files) {
    const where = `design_docs/${f.name}.json`;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(f.data().toString('utf8')) as Record<string, unknown>;
    } catch (e) {
      failures.push(`${where}: not JSON (${(e as Error).message})`);
      continue;
    }
    if (typeof doc !== 'object' || doc === null || !('views' in doc)) {
      out.line(`${where}: no views, skipped (N1QL index statements are not loaded)`);
      continue;
    }
    const name = (typeof doc._id === 'string' ? doc._id : f.name).replace(/^_design\//, '');
    const { _id: _drop, _rev: _drop2, ...design } = doc;
    try {
      await cb.designCreate(name, design, { useDevmode: false, syncwait: options.syncwait });
      out.line(`design document '${name}' created`);
      loaded++;
    } catch (e) {
      failures.push(`${where}: not created (${(e as Error).message})`);
    }
  }
  return loaded;
}

/** Loads everything it can; the summary lists what did not load. */
export async function load(options: LoadOptions, out: LoadOutput): Promise<LoadSummary> {
  if (!existsSync(options.source)) throw new Error(`no such file or folder: ${options.source}`);
  const files = readSample(options.source);
  const docs = files.filter((f) => f.kind === 'doc');
  const designs = files.filter((f) => f.kind === 'ddoc');
  out.line(`loading ${docs.length.toLocaleString('en-US')} documents and ${designs.length} design documents into '${options.bucket}'`);
  // A bulk load waits longer than an interactive call would: a loaded cluster answers slower.
  const cb = await connect({
    connectionString: options.connectionString, username: options.username, password: options.password,
    timeout: options.timeout, configTimeout: Math.max(30, options.timeout),
  });
  try {
    const failures: string[] = [];
    const stored = await loadDocuments(cb, docs, options, out, failures);
    const designDocs = await loadDesignDocuments(cb, designs, options, out, failures);
    return { docs: docs.length, stored, designDocs, failures };
  } finally {
    await cb.close();
  }
}
