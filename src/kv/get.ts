/**
 * get, get-and-touch and replica reads: validate, build the command, decode.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import type { Command } from '../batcher.js';
import type { Item } from '../items.js';
import { argError, readBool, readTtl, readUint } from '../options.js';
import type { ValueResult } from '../results.js';
import { valueResult, type GetOptions, type KeyOp, type KvContext, type ReplicaOptions } from './context.js';
import type { ConnectionCore } from '../core/core.js';
import type { ItemCollection } from '../items.js';
import { multiEntries, perKey } from '../multi.js';
import type { CallSite, Op } from '../op.js';
import { checkOptions } from '../options.js';
import type { MultiResult } from '../results.js';
import { GET_OPTS, REPLICA_OPTS } from './context.js';

/** Builds a get (or get-and-touch / replica read) for one key. */
export function getOp(ctx: KvContext, where: string, key: string, o: Partial<GetOptions>, item?: Item): KeyOp<ValueResult> {
  const k = ctx.encodeKey(where, key);
  const ttl = readTtl(where, o.ttl);
  const replica = readBool(where, 'replica', o.replica, false);
  const noFormat = readBool(where, 'noFormat', o.noFormat, false);
  const quiet = readBool(where, 'quiet', o.quiet, ctx.quiet);
  if (replica && o.ttl !== undefined) throw argError(`${where}: 'ttl' (get-and-touch) cannot be combined with 'replica'`, o);
  const cmd: Command = replica ? { op: NativeOp.GetReplica, key: k, aux: -1 } : { op: NativeOp.Get, key: k, expiry: ttl };
  return { key, cmd, quiet, item, decode: (rs) => valueResult(ctx, key, rs[rs.length - 1]!, noFormat, item) };
}

/** Builds a replica read (any replica, or replica `index`). */
export function replicaOp(ctx: KvContext, where: string, key: string, o: Partial<ReplicaOptions>, item?: Item): KeyOp<ValueResult> {
  const k = ctx.encodeKey(where, key);
  const index = o.index === undefined ? -1 : readUint(where, 'index', o.index, 0, 3);
  const quiet = readBool(where, 'quiet', o.quiet, ctx.quiet);
  const noFormat = readBool(where, 'noFormat', o.noFormat, false);
  return { key, item, quiet, cmd: { op: NativeOp.GetReplica, key: k, aux: index }, decode: (rs) => valueResult(ctx, key, rs[rs.length - 1]!, noFormat, item) };
}

/** The options of a call without options (read only). */
const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

/** get(key, options). */
export function get(core: ConnectionCore, site: CallSite, key: string, options: GetOptions | undefined): Op<ValueResult> {
  return core.single(site, 'get', () => getOp(core, 'get', key, options == null ? NO_OPTIONS : checkOptions('get', options, GET_OPTS)));
}

/** getMulti(keys | Record/Map key → GetOptions | items, options): one batch. */
export function getMulti(core: ConnectionCore, site: CallSite, keys: unknown, options: GetOptions | undefined): Op<MultiResult<ValueResult>> {
  return core.multi(site, 'getMulti', () => {
    const o = checkOptions<GetOptions>('getMulti', options, GET_OPTS);
    return multiEntries('getMulti', keys, false).map((e) =>
      getOp(core, 'getMulti', e.key, e.v === undefined ? o : { ...o, ...perKey('getMulti', e.v, GET_OPTS, 'ttl') }, e.item));
  });
}

/** getReplica(key, options). */
export function getReplica(core: ConnectionCore, site: CallSite, key: string, options: ReplicaOptions | undefined): Op<ValueResult> {
  return core.single(site, 'getReplica', () => replicaOp(core, 'getReplica', key, checkOptions('getReplica', options, REPLICA_OPTS)));
}

/** getReplicaMulti(keys | items, options). */
export function getReplicaMulti(core: ConnectionCore, site: CallSite, keys: Iterable<string> | ItemCollection, options: ReplicaOptions | undefined): Op<MultiResult<ValueResult>> {
  return core.multi(site, 'getReplicaMulti', () => {
    const o = checkOptions<ReplicaOptions>('getReplicaMulti', options, REPLICA_OPTS);
    return multiEntries('getReplicaMulti', keys, false).map((e) => replicaOp(core, 'getReplicaMulti', e.key, o, e.item));
  });
}
