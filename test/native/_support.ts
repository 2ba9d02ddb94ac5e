/**
 * Helpers for the native tests: they drive the NativeAddon (src/binding.ts) directly.
 * Not a test file (ava only runs *.test.ts).
 */
import { BATCH_BYTES_PER_COMMAND, batchColumnOffsets, loadNative, type NativeAddon, type NativeBatch, type NativeConnection, type NativeResponses } from '../../src/binding.js';

export const native: NativeAddon = loadNative();

/** lcb_STATUS codes the tests look at. */
export const RC = {
  SUCCESS: 0,
  TIMEOUT: 201,
  REQUEST_CANCELED: 202,
  INVALID_ARGUMENT: 203,
  UNSUPPORTED: 214,
  CAS_MISMATCH: 209,
  NOT_FOUND: 301,
  LOCKED: 303,
  EXISTS: 305,
  NO_CONFIGURATION: 1016,
  CONNECTION_REFUSED: 1024,
  NOT_STORED: 1043,
} as const;

export interface Command {
  op: number;
  key?: string | Buffer;
  value?: string | Buffer;
  flags?: number;
  expiry?: number;
  cas?: bigint;
  delta?: bigint;
  initial?: bigint;
  aux?: number;
}

export interface Reply {
  seq: number;
  rc: number;
  cas: bigint;
  flags: number;
  u64: bigint;
  aux: number;
  final: boolean;
  data: Buffer;
  text: string | undefined;
}

export function makeBatch(cmds: Command[], firstSeq = 1): NativeBatch {
  const n = cmds.length;
  const keys: Buffer[] = [];
  const values: Buffer[] = [];
  const b = {
    count: n,
    seq: new Uint32Array(n),
    op: new Uint8Array(n),
    keyEnd: new Uint32Array(n),
    valueEnd: new Uint32Array(n),
    flags: new Uint32Array(n),
    expiry: new Uint32Array(n),
    cas: new BigUint64Array(n),
    delta: new BigUint64Array(n),
    initial: new BigUint64Array(n),
    aux: new Int32Array(n),
  };
  let ko = 0;
  let vo = 0;
  cmds.forEach((c, i) => {
    const k = Buffer.from(c.key ?? '');
    const v = Buffer.from(c.value ?? '');
    keys.push(k);
    values.push(v);
    ko += k.length;
    vo += v.length;
    b.seq[i] = firstSeq + i;
    b.op[i] = c.op;
    b.keyEnd[i] = ko;
    b.valueEnd[i] = vo;
    b.flags[i] = c.flags ?? 0;
    b.expiry[i] = c.expiry ?? 0;
    b.cas[i] = c.cas ?? 0n;
    b.delta[i] = c.delta ?? 0n;
    b.initial[i] = c.initial ?? 0n;
    b.aux[i] = c.aux ?? 0;
  });
  return { ...b, keys: Buffer.concat(keys), values: Buffer.concat(values) };
}

export function unpack(r: NativeResponses): Reply[] {
  const out: Reply[] = [];
  for (let i = 0; i < r.count; i++) {
    const start = i ? r.dataEnd[i - 1] : 0;
    out.push({
      seq: r.seq[i], rc: r.rc[i], cas: r.cas[i], flags: r.flags[i], u64: r.u64[i], aux: r.aux[i],
      final: r.final[i] === 1, data: Buffer.from(r.data.subarray(start, r.dataEnd[i])), text: r.text[i],
    });
  }
  return out;
}

/** A batch's fixed-width columns copied into one ArrayBuffer laid out for `capacity` commands (submitColumns' form). */
export function packColumns(b: NativeBatch, capacity: number): ArrayBuffer {
  const buffer = new ArrayBuffer(capacity * BATCH_BYTES_PER_COMMAND);
  const at = batchColumnOffsets(capacity);
  new BigUint64Array(buffer, at.cas, capacity).set(b.cas);
  new BigUint64Array(buffer, at.delta, capacity).set(b.delta);
  new BigUint64Array(buffer, at.initial, capacity).set(b.initial);
  new Uint32Array(buffer, at.seq, capacity).set(b.seq);
  new Uint32Array(buffer, at.keyEnd, capacity).set(b.keyEnd);
  new Uint32Array(buffer, at.valueEnd, capacity).set(b.valueEnd);
  new Uint32Array(buffer, at.flags, capacity).set(b.flags);
  new Uint32Array(buffer, at.expiry, capacity).set(b.expiry);
  new Int32Array(buffer, at.aux, capacity).set(b.aux);
  new Uint8Array(buffer, at.op, capacity).set(b.op);
  return buffer;
}

/** A connection with a promise-based `run`: submits one batch, resolves with every reply per command. */
export class TestConnection {
  readonly conn: NativeConnection;
  /** Every NativeResponses delivery, for tests that look at the batching. */
  readonly deliveries: NativeResponses[] = [];
  private waiting = new Map<number, { replies: Reply[]; done: (r: Reply[]) => void }>();
  private nextSeq = 1;

  constructor(connstr: string, opts: { operationTimeoutUs?: number; configTimeoutUs?: number; username?: string; password?: string; maxOutstanding?: number } = {}) {
    this.conn = new native.Connection(
      {
        connstr, operationTimeoutUs: opts.operationTimeoutUs ?? 2_500_000, configTimeoutUs: opts.configTimeoutUs ?? 5_000_000, username: opts.username, password: opts.password,
        ...(opts.maxOutstanding !== undefined ? { maxOutstanding: opts.maxOutstanding } : {}),
      },
      (r) => this.onResponses(r),
    );
  }

  connect(): Promise<{ rc: number; detail: string }> {
    return new Promise((resolve) => this.conn.connect((rc, detail) => resolve({ rc, detail })));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.conn.close(resolve));
  }

  /** Submits the commands as one batch; each element resolves to that command's replies (or its submit rc). */
  run(cmds: Command[]): Promise<Array<Reply[] | { submitRc: number }>> {
    const first = this.nextSeq;
    this.nextSeq += cmds.length;
    return this.replies(first, this.conn.submit(makeBatch(cmds, first)));
  }

  /** As `run`, through `submitColumns`: the columns packed into one ArrayBuffer with room to spare. */
  runPacked(cmds: Command[]): Promise<Array<Reply[] | { submitRc: number }>> {
    const first = this.nextSeq;
    this.nextSeq += cmds.length;
    const b = makeBatch(cmds, first);
    const capacity = cmds.length + 2;
    const rcs = new Int32Array(capacity).fill(-1);
    this.conn.submitColumns!(rcs, cmds.length, packColumns(b, capacity), capacity, b.keys, b.values);
    return this.replies(first, rcs.subarray(0, cmds.length));
  }

  /** Per command of a submit starting at seq `first`: its replies, or its submit rc. */
  private replies(first: number, rcs: Int32Array): Promise<Array<Reply[] | { submitRc: number }>> {
    return Promise.all(
      Array.from(rcs, (rc, i) => {
        if (rc !== 0) return Promise.resolve({ submitRc: rc });
        return new Promise<Reply[]>((done) => this.waiting.set(first + i, { replies: [], done }));
      }),
    );
  }

  /** One command, one reply expected. */
  async one(cmd: Command): Promise<Reply> {
    const [r] = await this.run([cmd]);
    if (!Array.isArray(r)) throw new Error(`submit rc ${r.submitRc} (${native.strerror(r.submitRc).name})`);
    return r[r.length - 1];
  }

  private onResponses(r: NativeResponses): void {
    this.deliveries.push(r);
    for (const reply of unpack(r)) {
      const w = this.waiting.get(reply.seq);
      if (!w) throw new Error(`response for unknown seq ${reply.seq}`);
      w.replies.push(reply);
      if (reply.final) {
        this.waiting.delete(reply.seq);
        w.done(w.replies);
      }
    }
  }
}

let keyCounter = 0;
/** A key no other test uses. */
export function freshKey(prefix = 'k'): string {
  return `${prefix}:${process.pid}:${Date.now().toString(36)}:${keyCounter++}`;
}
