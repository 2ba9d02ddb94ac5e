/**
 * Servers for the integration tests: a real memcached (through libcouchbase's memcached://
 * scheme, via test/helpers/memcached.ts) and the embedded emulator (emulator/index.ts).
 * Each suite starts its server once (test.before), connects, and closes it afterwards;
 * tests use fresh keys. When the addon is not built or a server is unavailable, the
 * suite's tests are registered as skipped and the reason is printed.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Couchbase, type ConnectOptions } from '../../src/index.js';

export const NATIVE_PATH = fileURLToPath(new URL('../../build/Release/couchbase_rx.node', import.meta.url));
const MEMCACHED_HELPER = fileURLToPath(new URL('./memcached.ts', import.meta.url));
const EMULATOR_INDEX = fileURLToPath(new URL('../../emulator/index.ts', import.meta.url));

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
  /** Whether the server supports a feature (memcached has no observe, replicas or locks). */
  supports(feature: Feature): boolean;
  /** Moves the server's clock forward (emulator only). */
  advanceClock?(seconds: number): Promise<void>;
  /** Connects with the test credentials. */
  connect(options?: ConnectOptions): Promise<Couchbase>;
  stop(): Promise<void>;
  /** The emulator handle, when kind is 'emulator'. */
  emulator?: unknown;
}

/** Why a server kind cannot be used here, or undefined when it can. */
export function skipReason(kind: ServerKind): string | undefined {
  if (!existsSync(NATIVE_PATH)) return `native addon not built (${NATIVE_PATH} is missing; run npm install)`;
  if (kind === 'memcached' && !existsSync(MEMCACHED_HELPER)) return 'test/helpers/memcached.ts (startMemcached) is not available yet';
  if (kind === 'emulator' && !existsSync(EMULATOR_INDEX)) return 'emulator/index.ts is not available';
  return undefined;
}

/** Starts a server of the given kind. */
export async function startServer(kind: ServerKind, spec: EmulatorSpec = {}): Promise<TestServer> {
  if (kind === 'memcached') {
    const path = MEMCACHED_HELPER;
    const mod = (await import(path)) as { startMemcached(): Promise<{ port: number; connectionString: string; stop(): Promise<void> | void }> };
    const mc = await mod.startMemcached();
    const unsupported = new Set<Feature>(['observe', 'replica', 'lock', 'durability', 'expiry-clock']);
    return {
      kind,
      connectionString: mc.connectionString,
      supports: (f) => !unsupported.has(f),
      connect: (options = {}) => Couchbase.connect({ connectionString: mc.connectionString, timeout: 5, ...options }),
      stop: async () => { await mc.stop(); },
    };
  }
  const mod = (await import(EMULATOR_INDEX)) as {
    startEmulator(o: object): Promise<{
      connectionString: string; username: string; password: string; stop(): Promise<void>; advanceClock(s: number): Promise<void>;
    }>;
  };
  const emu = await mod.startEmulator({
    nodes: spec.nodes ?? 1, replicas: spec.replicas ?? 0, buckets: spec.buckets ?? ['default'],
    replicationDelayMs: spec.replicationDelayMs, persistenceDelayMs: spec.persistenceDelayMs, views: false,
  });
  const replicas = Math.min(spec.replicas ?? 0, (spec.nodes ?? 1) - 1);
  return {
    kind,
    connectionString: emu.connectionString,
    username: emu.username,
    password: emu.password,
    emulator: emu,
    supports: (f) => (f === 'replica' || f === 'durability' ? replicas > 0 : true),
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

const printed = new Set<string>();

/**
 * Registers tests against one server kind: the server starts once for the file, one
 * connection is shared. Unavailable → every test skipped, with the reason printed.
 */
export function serverSuite(kind: ServerKind, spec: EmulatorSpec = {}) {
  const reason = skipReason(kind);
  const ctx: Partial<SuiteContext> = {};
  if (!reason) {
    test.before(async () => {
      ctx.server = await startServer(kind, spec);
      ctx.cb = await ctx.server.connect();
    });
    test.after.always(async () => {
      await ctx.cb?.close();
      await ctx.server?.stop();
    });
  } else if (!printed.has(kind)) {
    printed.add(kind);
    console.log(`[${kind}] integration tests skipped: ${reason}`);
  }
  return {
    kind,
    reason,
    /** A test that needs `feature` (skipped with a log line when the server lacks it). */
    test(title: string, fn: (t: ExecutionContext, c: SuiteContext) => Promise<void> | void, feature?: Feature) {
      const full = `[${kind}] ${title}`;
      if (reason) return test.skip(full, () => {});
      test(full, async (t) => {
        const c = ctx as SuiteContext;
        if (feature && !c.server.supports(feature)) {
          t.log(`skipped: ${kind} does not support ${feature}`);
          t.pass();
          return;
        }
        await fn(t, c);
      });
    },
  };
}
