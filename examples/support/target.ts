/**
 * Where the examples connect: the cluster named by COUCHBASE_CONNSTR (with COUCHBASE_USERNAME /
 * COUCHBASE_PASSWORD), or else an embedded emulator started here with the `default` and
 * `beer-sample` buckets, the latter loaded from the copy of the dataset this repository carries.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../../emulator/index.js';

export interface Target {
  /** A connection string without a bucket, e.g. `couchbase://127.0.0.1:11210`. */
  connectionString: string;
  username: string;
  password: string;
  /** Connection options for a bucket, ready for `connect(...)`. */
  bucket(name: string): { connectionString: string; username: string; password: string };
  close(): Promise<void>;
}

export const beerSampleZip = fileURLToPath(new URL('../../data/beer-sample/beer-sample.zip', import.meta.url));

function makeTarget(connectionString: string, username: string, password: string, close: () => Promise<void>): Target {
  return {
    connectionString,
    username,
    password,
    bucket: (name) => ({ connectionString: `${connectionString}/${name}`, username, password }),
    close,
  };
}

/** `sample`: the copy of beer-sample the emulator loads (a folder or zip in the sample layout). */
export async function openTarget(log: (line: string) => void = console.error, sample = beerSampleZip): Promise<Target> {
  const given = process.env.COUCHBASE_CONNSTR;
  if (given) {
    return makeTarget(
      given.replace(/\/+$/, ''),
      process.env.COUCHBASE_USERNAME ?? 'Administrator',
      process.env.COUCHBASE_PASSWORD ?? 'password',
      async () => {},
    );
  }
  log('Starting the embedded Couchbase emulator (2 nodes, 1 replica) and loading beer-sample ...');
  const emulator = await startEmulator({
    nodes: 2,
    replicas: 1,
    buckets: ['default', 'beer-sample'],
    samples: { 'beer-sample': sample },
  });
  log(`Emulator ready at ${emulator.connectionString} (REST ${emulator.restUrl})`);
  return makeTarget(emulator.connectionString, emulator.username, emulator.password, () => emulator.stop());
}

/** Runs one example program on its own: `tsx examples/crud.ts`. */
export async function runStandalone(program: (target: Target) => Promise<void>): Promise<void> {
  const target = await openTarget();
  try {
    await program(target);
  } finally {
    await target.close();
  }
}

/** True when the module at `url` is the script node was started with. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(url) === resolve(process.argv[1]);
}
