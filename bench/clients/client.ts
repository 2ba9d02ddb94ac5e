/**
 * What a benchmarked client offers the workloads (bench/harness/workloads.ts). A client leaves out
 * what it has no such thing for; the workload then prints n/a with the client's reason.
 * @module
 */

/** Where a client connects: the same server for every client of a run. */
export interface Target {
  server: 'memcached' | 'emulator';
  /** memcached://host:port, or couchbase://host:kv1,host:kv2,... (no bucket). */
  connectionString: string;
  host: string;
  /** memcached's port; the first KV port of the emulator. */
  port: number;
  bucket: string;
  username?: string;
  password?: string;
}

/** The benchmark's document: its JSON text (exactly 150 bytes) and the object it encodes. */
export interface Doc {
  json: string;
  value: Record<string, unknown>;
}

export interface Client {
  get(key: string): PromiseLike<unknown>;
  set(key: string, doc: Doc): PromiseLike<unknown>;
  /** One multi call (a window of keys). */
  getMulti?(keys: readonly string[]): PromiseLike<unknown>;
  setMulti?(keys: readonly string[], docs: readonly Doc[]): PromiseLike<unknown>;
  /** Plain calls issued in one tick, awaited together: false for a client meant for one call at a time. */
  readonly sameTick: boolean;
  /** Streams of keys through the reactive operators; each resolves with the results seen. */
  getEach?(keys: readonly string[]): Promise<number>;
  storeEach?(keys: readonly string[], docs: readonly Doc[]): Promise<number>;
  bufferTimeGetMulti?(keys: readonly string[]): Promise<number>;
  /** A window of sets with persistTo 1, replicateTo 1, issued in one tick. */
  durableSetWindow?(keys: readonly string[], docs: readonly Doc[]): PromiseLike<unknown>;
  /** Why a workload the client leaves out is n/a, by workload method name. */
  readonly missing: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** A client module's export: a connected client, or why it cannot run against this target. */
export type Open = (target: Target) => Promise<Client | { na: string }>;
