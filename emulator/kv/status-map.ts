/** The one place engine errors become wire statuses (cf. gocaves `translateProcErr`). */
import { EngineError } from './engine.js';
import { Status } from './opcodes.js';

export function statusOf(e: EngineError, xerror: boolean): Status {
  switch (e) {
    case EngineError.NotFound:
      return Status.KeyEnoent;
    case EngineError.Exists:
      return Status.KeyEexists;
    case EngineError.TooBig:
      return Status.E2big;
    case EngineError.Invalid:
      return Status.Einval;
    case EngineError.NotStored:
      return Status.NotStored;
    case EngineError.DeltaBadval:
      return Status.DeltaBadval;
    case EngineError.Locked:
      // Without XERROR the client would not know LOCKED (BinaryProtocol.md, "Error codes").
      return xerror ? Status.Locked : Status.Etmpfail;
    case EngineError.NotLocked:
      return Status.Etmpfail;
    default:
      return Status.Einternal;
  }
}
