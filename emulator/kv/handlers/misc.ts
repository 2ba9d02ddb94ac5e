/** NOOP, VERBOSITY, VERSION, QUIT/QUITQ. */
import { Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { VERSION } from '../../cluster/config.js';

export function noop(s: Session, r: Request): void {
  s.reply(r, Status.Success);
}

/** VERBOSITY changes nothing here, but as on kv_engine it needs an authenticated connection. */
export function verbosity(s: Session, r: Request): void {
  s.reply(r, s.user === undefined ? Status.Eaccess : Status.Success);
}

const versionBody = Buffer.from(VERSION);

export function version(s: Session, r: Request): void {
  s.reply(r, Status.Success, 0n, undefined, versionBody);
}

export function quit(s: Session, r: Request): void {
  if (r.opcode === 0x07) s.reply(r, Status.Success);
  s.end();
}
