/**
 * Wire constants of the memcached binary protocol as Couchbase Server speaks it.
 * Reference: kv_engine docs/BinaryProtocol.md (opcodes, status codes, HELLO features).
 */
export const enum Magic {
  Request = 0x80,
  Response = 0x81,
}

export const enum Opcode {
  Get = 0x00,
  Set = 0x01,
  Add = 0x02,
  Replace = 0x03,
  Delete = 0x04,
  Increment = 0x05,
  Decrement = 0x06,
  Quit = 0x07,
  Flush = 0x08,
  GetQ = 0x09,
  Noop = 0x0a,
  Version = 0x0b,
  GetK = 0x0c,
  GetKQ = 0x0d,
  Append = 0x0e,
  Prepend = 0x0f,
  Stat = 0x10,
  SetQ = 0x11,
  AddQ = 0x12,
  ReplaceQ = 0x13,
  DeleteQ = 0x14,
  IncrementQ = 0x15,
  DecrementQ = 0x16,
  QuitQ = 0x17,
  FlushQ = 0x18,
  AppendQ = 0x19,
  PrependQ = 0x1a,
  Verbosity = 0x1b,
  Touch = 0x1c,
  Gat = 0x1d,
  GatQ = 0x1e,
  Hello = 0x1f,
  SaslListMechs = 0x20,
  SaslAuth = 0x21,
  SaslStep = 0x22,
  GetReplica = 0x83,
  SelectBucket = 0x89,
  ObserveSeqno = 0x91,
  Observe = 0x92,
  GetLocked = 0x94,
  UnlockKey = 0x95,
  GetMeta = 0xa0,
  GetClusterConfig = 0xb5,
  GetErrorMap = 0xfe,
}

export const enum Status {
  Success = 0x00,
  KeyEnoent = 0x01,
  KeyEexists = 0x02,
  E2big = 0x03,
  Einval = 0x04,
  NotStored = 0x05,
  DeltaBadval = 0x06,
  NotMyVbucket = 0x07,
  NoBucket = 0x08,
  Locked = 0x09,
  AuthError = 0x20,
  AuthContinue = 0x21,
  Erange = 0x22,
  Eaccess = 0x24,
  UnknownCommand = 0x81,
  Enomem = 0x82,
  NotSupported = 0x83,
  Einternal = 0x84,
  Ebusy = 0x85,
  Etmpfail = 0x86,
  DurabilityInvalidLevel = 0xa0,
  DurabilityImpossible = 0xa1,
  SyncWriteInProgress = 0xa2,
  SyncWriteAmbiguous = 0xa3,
}

/** HELLO feature codes (BinaryProtocol.md, "HELLO"). Only the ones we implement are granted. */
export const enum HelloFeature {
  TcpNodelay = 0x03,
  MutationSeqno = 0x04,
  TcpDelay = 0x05,
  Xerror = 0x07,
  SelectBucket = 0x08,
  Json = 0x0b,
  AltRequest = 0x10,
  SyncReplication = 0x11,
  PreserveTtl = 0x14,
}

export const SUPPORTED_FEATURES: ReadonlySet<number> = new Set([
  HelloFeature.TcpNodelay,
  HelloFeature.MutationSeqno,
  HelloFeature.Xerror,
  HelloFeature.SelectBucket,
  HelloFeature.Json,
  HelloFeature.AltRequest,
  HelloFeature.SyncReplication,
  HelloFeature.PreserveTtl,
]);

export const enum Datatype {
  Raw = 0x00,
  Json = 0x01,
  Snappy = 0x02,
  Xattr = 0x04,
}

export const HEADER_LEN = 24;
export const MAX_KEY_LEN = 250;
/** Largest document value Couchbase accepts (20 MiB). */
export const MAX_VALUE_LEN = 20 * 1024 * 1024;
/** Bodies up to this many bytes are read; larger ones are answered E2BIG and skipped. */
export const MAX_BODY_LEN = MAX_VALUE_LEN + 1024;
/** Bodies past this are treated as hostile: the connection is closed. */
export const HOSTILE_BODY_LEN = 64 * 1024 * 1024;

export const STATUS_NAMES: Record<number, [string, string, string[]]> = {
  0x00: ['SUCCESS', 'Success', ['success']],
  0x01: ['KEY_ENOENT', 'Not Found', ['item-only']],
  0x02: ['KEY_EEXISTS', 'key already exists, or CAS mismatch', ['item-only']],
  0x03: ['E2BIG', 'Value is too big', ['item-only', 'invalid-input']],
  0x04: ['EINVAL', 'Invalid packet', ['internal', 'invalid-input']],
  0x05: ['NOT_STORED', 'Not Stored', ['item-only']],
  0x06: ['DELTA_BADVAL', 'Existing document not a number', ['item-only', 'invalid-input']],
  0x07: ['NOT_MY_VBUCKET', 'Server which received this command does not own the vBucket', ['fetch-config', 'retry-now']],
  0x08: ['NO_BUCKET', 'Not connected to a bucket', ['conn-state-invalidated']],
  0x09: ['LOCKED', 'Requested resource is locked', ['item-locked', 'item-only', 'retry-now']],
  0x20: ['AUTH_ERROR', 'Authentication failed', ['auth', 'conn-state-invalidated']],
  0x21: ['AUTH_CONTINUE', 'Continue authentication', ['special-handling']],
  0x22: ['ERANGE', 'Range error', ['invalid-input']],
  0x24: ['EACCESS', 'No access', ['support']],
  0x81: ['UNKNOWN_COMMAND', 'Unknown command', ['support']],
  0x82: ['ENOMEM', 'Out of memory', ['temp', 'retry-later']],
  0x83: ['NOT_SUPPORTED', 'Not supported', ['support']],
  0x84: ['EINTERNAL', 'Internal error', ['internal']],
  0x85: ['EBUSY', 'Server too busy', ['temp', 'retry-later']],
  0x86: ['ETMPFAIL', 'Temporary failure', ['temp', 'retry-now']],
  0x80: ['UNKNOWN_FRAME_INFO', 'Unknown frame info identifier', ['support']],
  0xa0: ['DURABILITY_INVALID_LEVEL', 'Invalid durability level', ['invalid-input']],
  0xa1: ['DURABILITY_IMPOSSIBLE', 'Durability requirements cannot be met with the current topology', ['item-only']],
  0xa2: ['SYNC_WRITE_IN_PROGRESS', 'A synchronous write is in progress on this key', ['item-only', 'retry-later']],
  0xa3: ['SYNC_WRITE_AMBIGUOUS', 'The synchronous write did not complete in time', ['item-only']],
};
