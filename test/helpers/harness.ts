/**
 * Servers for the integration tests: a real memcached (through libcouchbase's memcached://
 * scheme, via test/helpers/memcached.ts) and the embedded emulator (emulator/index.ts).
 * Each suite starts its server once (test.before), connects, and closes it afterwards;
 * tests use fresh keys. A test of a feature the server lacks is registered as skipped, with
 * the reason printed. A missing addon is a failure, not a skip: `npm install` builds it.
 */
import test, { type ExecutionContext } from 'ava';
import { startEmulator } from '../../emulator/index.js';
import { Couchbase, type ConnectOptions } from '../../src/index.js';
import { startMemcached } from './memcached.js';

export type ServerKind = 'memcached' | 'emulator';

/** Operations some servers lack. */
export type Feature = 'observe' | 'replica' | 'lock' | 'durability' | 'expiry-clock' | 'stats';

export interface EmulatorSpec {
  nodes?: number;
  replicas?: number;
  buckets?: string[];
  replicationDelayMs?: number;
  persistenceDelayMs?: number;
}

/** A running server for tests. */
export interface TestServer {
  kind: ServerKind;
  connectionString: string;
  username?: string;
  password?: string;
  /** Moves the server's clock forward (emulator only). */
  advanceClock?(seconds: number): Promise<void>;
  /** Connects with the test credentials. */
  connect(options?: ConnectOptions): Promise<Couchbase>;
  stop(): Promise<void>;
  /** The emulator handle, when kind is 'emulator'. */
  emulator?: unknown;
}

/** Whether a server started with `spec` offers `feature` (memcached has no vBuckets, replicas or locks). */
export function supports(kind: ServerKind, spec: EmulatorSpec, feature: Feature): boolean {
  if (kind === 'memcached') return feature === 'stats';
  const replicas = Math.min(spec.replicas ?? 0, (spec.nodes ?? 1) - 1);
  return feature === 'replica' || feature === 'durability' ? replicas > 0 : true;
}

/** Starts a server of the given kind. */
export async function startServer(kind: ServerKind, spec: EmulatorSpec = {}): Promise<TestServer> {
  if (kind === 'memcached') {
    const mc = await startMemcached();
    return {
      kind,
      connectionString: mc.connectionString,
      connect: (options = {}) => Couchbase.connect({ connectionString: mc.connectionString, timeout: 5, ...options }),
      stop: async () => { await mc.stop(); },
    };
  }
  const emu = await startEmulator({
    nodes: spec.nodes ?? 1, replicas: spec.replicas ?? 0, buckets: spec.buckets ?? ['default'],
    replicationDelayMs: spec.replicationDelayMs, persistenceDelayMs: spec.persistenceDelayMs, views: false,
  });
  return {
    kind,
    connectionString: emu.connectionString,
    username: emu.username,
    password: emu.password,
    emulator: emu,
    advanceClock: (s) => emu.advanceClock(s),
    connect: (options = {}) => Couchbase.connect({
      connectionString: emu.connectionString, username: emu.username, password: emu.password, timeout: 5, ...options,
    }),
    stop: () => emu.stop(),
  };
}

let counter = 0;
/** A key nobody else uses. */
export function freshKey(prefix = 'k'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

export interface SuiteContext {
  server: TestServer;
  cb: Couchbase;
}

/**
 * Registers tests against one server kind: the server starts once for the file, one
 * connection is shared.
 */
export function serverSuite(kind: ServerKind, spec: EmulatorSpec = {}) {
  const ctx: Partial<SuiteContext> = {};
  test.before(async () => {
    ctx.server = await startServer(kind, spec);
    ctx.cb = await ctx.server.connect();
  });
  test.after.always(async () => {
    await ctx.cb?.close();
    await ctx.server?.stop();
  });
  return {
    kind,
    /** A test that needs `feature`; registered as skipped, with the reason printed, where the server lacks it. */
    test(title: string, fn: (t: ExecutionContext, c: SuiteContext) => Promise<void> | void, feature?: Feature) {
      const full = `[${kind}] ${title}`;
      if (feature && !supports(kind, spec, feature)) {
        console.log(`skipped "${full}": ${kind} does not support ${feature}`);
        test.skip(full, () => {});
        return;
      }
      test(full, (t) => fn(t, ctx as SuiteContext));
    },
  };
}
