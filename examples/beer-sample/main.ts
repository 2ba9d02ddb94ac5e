/**
 * `npm start`: the beer-sample web application, on the embedded emulator with beer-sample loaded.
 *
 *   PORT=5000              where it listens, on 127.0.0.1 (0: any free port)
 *   BEER_SAMPLE=<path>     another copy of the dataset for the emulator (a folder or zip, sample layout)
 *   COUCHBASE_CONNSTR=couchbase://host1,host2 (+ COUCHBASE_USERNAME, COUCHBASE_PASSWORD)
 *                          a real cluster instead; its beer-sample bucket must be there
 *
 * Ctrl-C (or SIGTERM) stops the web server, the connection and the emulator, and exits.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { connect, type Couchbase } from '../../src/index.js';
import { beerSampleZip, openTarget } from '../support/target.js';
import { buildApp } from './app.js';
import { ensureDesignDocuments } from './design.js';

function portFrom(text: string | undefined): number {
  if (text === undefined || text === '') return 5000;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number (0-65535), not '${text}'`);
    process.exit(2);
  }
  return port;
}

const port = portFrom(process.env.PORT);
const sample = process.env.BEER_SAMPLE ? resolve(process.env.BEER_SAMPLE) : beerSampleZip;
if (!existsSync(sample)) {
  console.error(`BEER_SAMPLE: no such file or folder: ${sample}`);
  process.exit(2);
}
if (process.env.COUCHBASE_CONNSTR && process.env.BEER_SAMPLE) {
  console.error('BEER_SAMPLE is loaded into the embedded emulator only; with COUCHBASE_CONNSTR it is ignored.');
}

const target = await openTarget(console.error, sample);
let cb: Couchbase | undefined;
let app: FastifyInstance | undefined;

async function stop(): Promise<void> {
  await app?.close();
  await cb?.close();
  await target.close();
}

try {
  // A generous bootstrap timeout: an emulator that has just loaded the dataset may share a busy machine.
  cb = await connect({ ...target.bucket('beer-sample'), configTimeout: 30 });
  await ensureDesignDocuments(cb, { log: console.error });
  app = await buildApp({ db: cb });
  await app.listen({ host: '127.0.0.1', port });
} catch (e) {
  const reason = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${port} is in use (set PORT to another one)` : String(e);
  console.error(`The beer-sample app could not start: ${reason}`);
  await stop();
  process.exit(1);
}

const { port: listening } = app.server.address() as AddressInfo;
console.log(`Beer sample app running at http://127.0.0.1:${listening}/ (Ctrl-C stops it)`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // One Ctrl-C often arrives twice (from the terminal and relayed by npm): stop once.
    if (stopping) return;
    stopping = true;
    console.error('Stopping ...');
    // Should closing hang (a cluster that stopped answering), do not keep the user waiting.
    setTimeout(() => {
      console.error('Stopping took too long; exiting anyway.');
      process.exit(1);
    }, 10_000).unref();
    stop().then(
      () => console.error('Stopped.'),
      (e: unknown) => {
        console.error('Stopping failed:', e);
        process.exitCode = 1;
      },
    );
  });
}
