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
