/**
 * Opcode -> handler table (cf. CouchbaseMock's executor array): every slot starts as
 * UNKNOWN_COMMAND, real handlers are registered over it. Fault rules (control API
 * `inject`) run first, as a middleware in front of the table.
 */
import { Opcode, Status } from './opcodes.js';
import type { Request } from './packet.js';
import type { Session } from './session.js';
import * as hello from './handlers/hello.js';
import * as misc from './handlers/misc.js';
import * as sasl from './handlers/sasl.js';
import { selectBucket } from './handlers/select-bucket.js';
import { clusterConfig } from './handlers/config.js';
import * as get from './handlers/get.js';
import * as lock from './handlers/lock.js';
import { getReplica } from './handlers/replica.js';
import { getMeta } from './handlers/meta.js';
import * as store from './handlers/store.js';
import { remove } from './handlers/delete.js';
import { counter } from './handlers/counter.js';
import * as observe from './handlers/observe.js';
import * as stats from './handlers/stats.js';

export type Handler = (s: Session, r: Request) => void;

const unknown: Handler = (s, r) => s.error(r, Status.UnknownCommand);

const table: Handler[] = new Array(256).fill(unknown);

function on(op: Opcode, h: Handler): void {
  table[op] = h;
}

on(Opcode.Hello, hello.hello);
on(Opcode.GetErrorMap, hello.errorMap);
on(Opcode.Noop, misc.noop);
on(Opcode.Version, misc.version);
on(Opcode.Verbosity, misc.verbosity);
on(Opcode.Quit, misc.quit);
on(Opcode.QuitQ, misc.quit);
on(Opcode.SaslListMechs, sasl.listMechs);
on(Opcode.SaslAuth, sasl.auth);
on(Opcode.SaslStep, sasl.step);
on(Opcode.SelectBucket, selectBucket);
on(Opcode.GetClusterConfig, clusterConfig);
on(Opcode.Get, get.get);
on(Opcode.GetQ, get.get);
on(Opcode.GetK, get.get);
on(Opcode.GetKQ, get.get);
on(Opcode.Gat, get.gat);
on(Opcode.GatQ, get.gat);
on(Opcode.Touch, get.touch);
on(Opcode.GetLocked, lock.getLocked);
on(Opcode.UnlockKey, lock.unlock);
on(Opcode.GetReplica, getReplica);
on(Opcode.GetMeta, getMeta);
for (const op of [Opcode.Set, Opcode.SetQ, Opcode.Add, Opcode.AddQ, Opcode.Replace, Opcode.ReplaceQ]) on(op, store.store);
on(Opcode.Delete, remove);
on(Opcode.DeleteQ, remove);
for (const op of [Opcode.Append, Opcode.AppendQ, Opcode.Prepend, Opcode.PrependQ]) on(op, store.concat);
for (const op of [Opcode.Increment, Opcode.IncrementQ, Opcode.Decrement, Opcode.DecrementQ]) on(op, counter);
on(Opcode.Observe, observe.observe);
on(Opcode.ObserveSeqno, observe.observeSeqno);
on(Opcode.Stat, stats.stat);

export function dispatch(s: Session, r: Request): void {
  const faults = s.cluster.faults;
  if (faults.length !== 0 && applyFault(s, r, faults)) return;
  table[r.opcode](s, r);
}

function applyFault(s: Session, r: Request, faults: Session['cluster']['faults']): boolean {
  for (let i = 0; i < faults.length; i++) {
    const f = faults[i];
    if (f.opcode !== undefined && f.opcode !== r.opcode) continue;
    if (f.key !== undefined) {
      if (r.keylen === 0 || r.buf.toString('utf8', r.keyStart, r.keyStart + r.keylen) !== f.key) continue;
    }
    if (--f.count <= 0) faults.splice(i, 1);
    if (f.action === 'error') s.error(r, f.status ?? Status.Etmpfail);
    else if (f.action === 'reset') s.resetMidResponse(r);
    return true;
  }
  return false;
}
