/**
 * The two servers every client of a run shares: a memcached of its own (so that its CPU time
 * can be read from /proc) and the 3-node emulator in the harness's process (whose CPU time is
 * then the harness's, which does little else during a pass). Each is loaded with the documents
 * the get workloads read.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { Target } from '../clients/client.js';
import { keysAndDocs } from './doc.js';
import { KEY_PREFIX } from './workloads.js';
import { accepts, freePort } from '../../test/helpers/memcached.js';

export interface Server {
  target: Target;
  /** CPU time (ms, user + system) the server has used so far. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** utime + stime of a process, from /proc/<pid>/stat, in ms. */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

export async function startMemcachedServer(): Promise<Server> {
  const port = await freePort();
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '1024'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child: ChildProcess = spawn(process.env.MEMCACHED_BIN ?? 'memcached', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`memcached did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    target: { server: 'memcached', connectionString: `memcached://127.0.0.1:${port}`, host: '127.0.0.1', port, bucket: 'default' },
    cpuMs: () => procCpuMs(child.pid!),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      await exit;
    },
  };
}

export async function startEmulatorServer(): Promise<Server> {
  const { startEmulator } = await import('../../emulator/index.js');
  const emulator = await startEmulator({ nodes: 3, replicas: 1, buckets: ['default'] });
  return {
    target: {
      server: 'emulator', connectionString: emulator.connectionString, host: '127.0.0.1', port: emulator.nodes[0]!.kv, bucket: 'default',
      username: emulator.username, password: emulator.password,
    },
    cpuMs: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    },
    stop: () => emulator.stop(),
  };
}

/** Stores the documents the get workloads read, with couchbase-rx. */
export async function preload(target: Target, count: number, window: number): Promise<void> {
  const { Couchbase } = await import('../../src/index.js');
  const cb = await Couchbase.connect({
    connectionString: target.server === 'emulator' ? `${target.connectionString}/${target.bucket}` : target.connectionString,
    username: target.username, password: target.password, timeout: 30,
  });
  try {
    const { keys, docs } = keysAndDocs(KEY_PREFIX, count);
    for (let i = 0; i < count; i += window) {
      const kv: Record<string, unknown> = {};
      for (let j = i; j < Math.min(count, i + window); j++) kv[keys[j]!] = docs[j]!.value;
      await cb.setMulti(kv);
    }
  } finally {
    await cb.close();
  }
}
