#!/usr/bin/env node
/**
 * couchbase-rx-emulator: starts the cluster emulator and prints one JSON line on stdout when
 * ready: {"connectionString", "restUrl", "nodes":[{"kv","views"}], "buckets", "username", "password"}.
 * Exits cleanly on SIGINT/SIGTERM (and, with --exit-with-parent, when the parent goes away).
 */
import { startEmulator, type EmulatorOptions } from './index.js';

const USAGE = `usage: couchbase-rx-emulator [options]
  --nodes N                 nodes in the cluster (default 1)
  --replicas N              replicas per bucket (default 0)
  --bucket NAME[:PASSWORD]  create a bucket (repeatable; default "default")
  --sample BUCKET=PATH      load a sample folder or zip into BUCKET (repeatable)
  --username USER           administrator (default Administrator)
  --password PASS           administrator password (default password)
  --data-dir DIR            keep documents and design docs across restarts
  --rest-port PORT          cluster manager REST port (default random)
  --kv-port PORT            KV port of the first node, next nodes count up (default random)
  --replication-delay MS    delay before mutations reach replicas
  --persistence-delay MS    delay before mutations are persisted
  --no-views                do not run the views engine
  --exit-with-parent        exit when the parent process goes away
  --help`;

function fail(msg: string): never {
  process.stderr.write(`couchbase-rx-emulator: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv: string[]): { opts: EmulatorOptions; exitWithParent: boolean } {
  const opts: EmulatorOptions = {};
  const buckets: Array<{ name: string; password?: string }> = [];
  const samples: Record<string, string> = {};
  let exitWithParent = false;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0 && a !== '--sample') {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = Number(val());
      if (!Number.isInteger(v) || v < 0) fail(`${a} needs a non-negative integer`);
      return v;
    };
    switch (a) {
      case '--nodes':
        opts.nodes = Math.max(1, int());
        break;
      case '--replicas':
        opts.replicas = int();
        break;
      case '--bucket': {
        const v = val();
        const c = v.indexOf(':');
        buckets.push(c < 0 ? { name: v } : { name: v.slice(0, c), password: v.slice(c + 1) });
        break;
      }
      case '--sample': {
        const v = val();
        const k = v.indexOf('=');
        if (k <= 0) fail('--sample needs BUCKET=PATH');
        samples[v.slice(0, k)] = v.slice(k + 1);
        break;
      }
      case '--username':
        opts.username = val();
        break;
      case '--password':
        opts.password = val();
        break;
      case '--data-dir':
        opts.dataDir = val();
        break;
      case '--rest-port':
        opts.restPort = int();
        break;
      case '--kv-port': {
        const p = int();
        opts.kvPorts = p === 0 ? undefined : Array.from({ length: 64 }, (_, j) => p + j);
        break;
      }
      case '--replication-delay':
        opts.replicationDelayMs = int();
        break;
      case '--persistence-delay':
        opts.persistenceDelayMs = int();
        break;
      case '--no-views':
        opts.views = false;
        break;
      case '--exit-with-parent':
        exitWithParent = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
        break;
      default:
        fail(`unknown option ${a}`);
    }
  }
  if (buckets.length) opts.buckets = buckets;
  for (const b of Object.keys(samples)) if (opts.buckets && !opts.buckets.some((x) => (typeof x === 'string' ? x : x.name) === b)) opts.buckets.push({ name: b });
  if (Object.keys(samples).length) opts.samples = samples;
  return { opts, exitWithParent };
}

async function main(): Promise<void> {
  const { opts, exitWithParent } = parse(process.argv.slice(2));
  const emu = await startEmulator(opts);
  let stopping = false;
  const shutdown = (code: number): void => {
    if (stopping) return;
    stopping = true;
    emu.stop().then(
      () => process.exit(code),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(code), 3000).unref();
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  if (exitWithParent) {
    const ppid = process.ppid;
    setInterval(() => {
      if (process.ppid !== ppid) shutdown(0);
    }, 500).unref();
    process.stdin.on('end', () => shutdown(0));
    process.stdin.resume();
  }
  const line = {
    connectionString: emu.connectionString,
    restUrl: emu.restUrl,
    nodes: emu.nodes,
    buckets: emu.buckets,
    username: emu.username,
    password: emu.password,
  };
  process.stdout.write(JSON.stringify(line) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`couchbase-rx-emulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
