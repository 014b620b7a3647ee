import type { FrameTable } from "./frames.js";

// One message block file: an append-only run of records. The write block keeps its bytes in
// memory (it doubles as write buffer and recent-write cache); sealed blocks are read-only on
// disk except for eraseMsg overwrites and compaction rewrites.

export class Block {
  /** Bytes of records appended (written or not). */
  size = 0;
  /**
   * Bytes whose records carry their checksums. Appended messages are checksummed together
   * (BlockLog.sealPending) before their bytes are written, copied or read as a sealed block.
   */
  sealed = 0;
  /** Bytes handed to write calls (some may still be in flight). */
  issued = 0;
  /** Bytes the OS confirmed written. */
  flushed = 0;
  /** Writes in flight that read `buf`. */
  inflight = 0;
  /** Bumped when the file is rewritten or deleted, so that writes issued before are ignored. */
  generation = 0;
  /** In-memory copy: always for the write block, while cached for sealed blocks. */
  buf: Buffer | null = null;
  /** First message sequence ever appended here (0: none yet); the per-block index starts there. */
  base = 0;
  /** Highest sequence any record here refers to. */
  maxSeq = 0;
  /** Live messages and their record bytes. */
  live = 0;
  liveBytes = 0;
  /** Sequences removed by tombstones stored in this block (to carry them when it goes away). */
  tombs: number[] = [];
  /** Reads served from disk since the block was last cached, to decide when to cache it. */
  diskReads = 0;
  /** Messages ever added (the per-block index has a slot per sequence from base on). */
  added = 0;
  /** Frames of a block compressed when sealed (null: a plain run of records). */
  frames: FrameTable | null = null;
  /** Size of the file of a framed block (its records, `size`, are larger). */
  fileSize = 0;
  /** Set when recovery found damage here. */
  damaged = false;
  private offsets = new Uint32Array(64);
  private lens = new Uint32Array(64);
  private slots = 0;

  constructor(
    readonly id: number,
    readonly path: string,
    public fd: number,
  ) {}

  /** Registers the record of message `seq` at `offset`. Sequences arrive in increasing order. */
  addMsg(seq: number, offset: number, len: number): void {
    if (this.base === 0) this.base = seq;
    const i = seq - this.base;
    if (i >= this.offsets.length) {
      let cap = this.offsets.length * 2;
      while (cap <= i) cap *= 2;
      const o = new Uint32Array(cap);
      o.set(this.offsets);
      const l = new Uint32Array(cap);
      l.set(this.lens);
      this.offsets = o;
      this.lens = l;
    }
    this.offsets[i] = offset + 1;
    this.lens[i] = len;
    this.added++;
    if (i + 1 > this.slots) this.slots = i + 1;
    this.live++;
    this.liveBytes += len;
    if (seq > this.maxSeq) this.maxSeq = seq;
  }

  /** True when the message `seq` is physically in this block's range of slots. */
  covers(seq: number): boolean {
    return this.base > 0 && seq >= this.base && seq < this.base + this.slots;
  }

  /** Offset of live message `seq` or -1. */
  offsetOf(seq: number): number {
    if (!this.covers(seq) || this.lens[seq - this.base] === 0) return -1;
    return this.offsets[seq - this.base] - 1;
  }

  /** True while the record of `seq` is still in the file, live or removed. */
  holds(seq: number): boolean {
    return this.covers(seq) && this.offsets[seq - this.base] !== 0;
  }

  lenOf(seq: number): number {
    return this.lens[seq - this.base];
  }

  /** Forgets message `seq`; returns its record length (0 if it was not here). */
  dropMsg(seq: number): number {
    const off = this.offsetOf(seq);
    if (off < 0) return 0;
    const len = this.lens[seq - this.base];
    // The offset stays: the record is still in the file until the block is rewritten.
    this.lens[seq - this.base] = 0;
    this.live--;
    this.liveBytes -= len;
    return len;
  }

  /** Live message sequences in order. */
  *liveSeqs(): Generator<number> {
    for (let i = 0; i < this.slots; i++) if (this.lens[i] !== 0) yield this.base + i;
  }

  /** After a rewrite: only messages seqs[i] remain, at offsets offs[i] with lengths lens[i]. */
  rebuildSlots(seqs: number[], offs: number[], lens: number[]): void {
    this.offsets.fill(0);
    for (let i = 0; i < seqs.length; i++) {
      this.offsets[seqs[i] - this.base] = offs[i] + 1;
      this.lens[seqs[i] - this.base] = lens[i];
    }
    this.liveBytes = 0;
    for (let i = 0; i < this.slots; i++) this.liveBytes += this.lens[i];
  }

  /** True when slots up to `seq` would be mostly empty: a big sequence jump (compact past the end, skips). */
  tooSparseFor(seq: number): boolean {
    const span = seq - this.base;
    return this.base > 0 && span >= 65536 && span > 4 * this.added;
  }

  indexBytes(): number {
    return this.offsets.byteLength + this.lens.byteLength;
  }
}

export const blockFileName = (id: number): string => `${id}.blk`;
