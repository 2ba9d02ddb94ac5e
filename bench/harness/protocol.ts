/**
 * What the harness (bench/run.ts) and a client's process (bench/harness/child.ts) say to each other.
 * @module
 */
import type { Target } from '../clients/client.js';
import type { Sizes } from './workloads.js';

/** The Node clients, by the module in bench/clients that opens them. */
export const NODE_CLIENTS = ['couchbase-rx', 'couchbase@4.7.1', 'couchbase@3.2.7', 'memjs', 'bare socket'] as const;
export type NodeClient = (typeof NODE_CLIENTS)[number];

export interface ChildArgs {
  client: NodeClient;
  /** A workload id, or PROBE: report which workloads the client has, then exit. */
  workload: string;
  target: Target;
  sizes: Sizes;
}

/** One pass as the client's process measured it. */
export interface PassReport {
  ops: number;
  ms: number;
  /** The client process's CPU time (user + system) during the pass. */
  cpuMs: number;
  p50Us?: number;
  p99Us?: number;
}

/** The workload id of a probe: the client connects, says what it can run, and exits. */
export const PROBE = 'probe';

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'caps'; na: Record<string, string> }
  | { type: 'na'; reason: string }
  | ({ type: 'pass' } & PassReport)
  | { type: 'done'; maxRssMb: number }
  | { type: 'error'; message: string };

export type ParentMessage = 'pass' | 'exit';
