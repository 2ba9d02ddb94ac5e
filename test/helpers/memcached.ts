/**
 * Starts a real memcached (Debian's /usr/bin/memcached) on a random loopback port for a test,
 * and stops it on teardown. UDP is off (`-U 0`); as root memcached needs `-u root`.
 *
 * ```ts
 * const mc = await startMemcached();
 * t.teardown(() => mc.stop());
 * // mc.connectionString === 'memcached://127.0.0.1:<port>'
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';

export interface Memcached {
  port: number;
  connectionString: string;
  stop(): Promise<void>;
}

const MEMCACHED = process.env.MEMCACHED_BIN ?? 'memcached';

/** A loopback port free right now (the caller binds it next). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True when something accepts TCP connections on loopback `port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function tryStart(port: number, deadline: number): Promise<ChildProcess | undefined> {
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child = spawn(MEMCACHED, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  while (Date.now() < deadline) {
    const started = await Promise.race([accepts(port), spawnError]);
    if (started instanceof Error) throw new Error(`cannot run ${MEMCACHED}: ${started.message}`);
    if (started) return child;
    if (exited) return undefined; // port taken in between: try another
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`memcached did not accept connections on port ${port} in time`);
}

export async function startMemcached(): Promise<Memcached> {
  const deadline = Date.now() + 10_000;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = await tryStart(port, deadline);
    if (!child) continue;
    let stopped: Promise<void> | undefined;
    return {
      port,
      connectionString: `memcached://127.0.0.1:${port}`,
      stop() {
        stopped ??= (async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exit = once(child, 'exit');
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
          await exit;
          clearTimeout(timer);
        })();
        return stopped;
      },
    };
  }
  throw new Error('could not start memcached on a free port');
}
