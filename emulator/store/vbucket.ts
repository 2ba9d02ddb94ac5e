/**
 * Documents of one vBucket copy (active or replica) on one node.
 * Keys are latin1 strings holding the key's raw bytes (binary-safe, cheap to build).
 */
export class Item {
  /** Clock milliseconds until which the item is locked (GET_LOCKED); 0 = not locked. */
  lockedUntil = 0;
  /** The CAS handed out by GET_LOCKED; a store with it unlocks. */
  lockCas = 0n;
  /** This copy reached the simulated disk. */
  persisted = false;

  constructor(
    public readonly value: Buffer,
    public readonly flags: number,
    /** Absolute Unix seconds (emulator clock); 0 = never. */
    public readonly exp: number,
    public readonly cas: bigint,
    public readonly datatype: number,
    public readonly revSeqno: number,
    public seqno: number,
    public readonly deleted: boolean,
  ) {}

  /** A copy for a replica (same document state, own persistence flag). */
  clone(): Item {
    return new Item(this.value, this.flags, this.exp, this.cas, this.datatype, this.revSeqno, this.seqno, this.deleted);
  }

  live(nowSec: number): boolean {
    return !this.deleted && (this.exp === 0 || this.exp > nowSec);
  }
}

export class VbCopy {
  readonly items = new Map<string, Item>();
  highSeqno = 0;
  persistedSeqno = 0;
  constructor(public readonly node: number) {}
}

/** One vBucket of a bucket: its identity and the copies on nodes. */
export class VBucket {
  /** The copy on the active node (undefined while the vBucket has no active node). */
  active: VbCopy | undefined;
  /** Node id of the active copy, -1 when none. */
  activeNode = -1;
  readonly copies = new Map<number, VbCopy>();
  constructor(public readonly id: number, public uuid: bigint) {}
}
