/** SASL_LIST_MECHS, SASL_AUTH, SASL_STEP with PLAIN and SCRAM-SHA1/256/512. */
import { Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { parsePlain } from '../sasl/plain.js';
import { MECHANISMS, ScramServer } from '../sasl/scram.js';

const MECHS = Buffer.from('SCRAM-SHA512 SCRAM-SHA256 SCRAM-SHA1 PLAIN');

export function listMechs(s: Session, r: Request): void {
  s.reply(r, Status.Success, 0n, undefined, MECHS);
}

function authenticated(s: Session, user: string): void {
  s.user = user;
  s.bucket = undefined;
  // As on pre-RBAC servers, authenticating as a bucket selects it.
  if (!s.cluster.isAdmin(user)) s.bucket = s.cluster.bucket(user);
}

export function auth(s: Session, r: Request): void {
  const mech = r.buf.toString('latin1', r.keyStart, r.keyStart + r.keylen);
  const payload = r.value();
  s.scram = undefined;
  if (mech === 'PLAIN') {
    const p = parsePlain(payload);
    const pw = p ? s.cluster.passwordOf(p.user) : undefined;
    if (!p || pw === undefined || pw !== p.password) return fail(s, r);
    authenticated(s, p.user);
    return s.reply(r, Status.Success, 0n, undefined, Buffer.from('Authenticated'));
  }
  const hash = MECHANISMS[mech];
  if (!hash) return fail(s, r);
  const server = new ScramServer(hash, (u) => s.cluster.passwordOf(u));
  const first = server.first(payload.toString('utf8'));
  if (first === undefined) return fail(s, r);
  s.scram = server;
  s.reply(r, Status.AuthContinue, 0n, undefined, Buffer.from(first));
}

export function step(s: Session, r: Request): void {
  const server = s.scram;
  s.scram = undefined;
  if (!server) return fail(s, r);
  const res = server.final(r.value().toString('utf8'));
  if (!res) return fail(s, r);
  authenticated(s, res.user);
  s.reply(r, Status.Success, 0n, undefined, Buffer.from(res.serverFinal));
}

function fail(s: Session, r: Request): void {
  s.user = undefined;
  s.bucket = undefined;
  s.reply(r, Status.AuthError, 0n, undefined, s.xerror ? Buffer.from('{"error":{"context":"Authentication failed"}}') : undefined, s.xerror ? 1 : 0);
}
