import { StoreError } from "./errors.js";
import { VarintReader, VarintWriter } from "./varint.js";

// Hashed timing wheel for per-message TTLs (Go's server/thw): 4096 one-second slots, each a
// map of sequence -> expiry (ns); a slot holds every deadline that hashes to it, whatever the
// lap, and tracks its lowest deadline so expiry can skip slots that are not due.
const TICK_NS = 1_000_000_000n;
const WHEEL_BITS = 12n;
const WHEEL_SIZE = 1 << Number(WHEEL_BITS);
const WHEEL_MASK = BigInt(WHEEL_SIZE - 1);
const NEVER = (1n << 63n) - 1n;
const HEADER_LEN = 17;

class Slot {
  readonly entries = new Map<number, bigint>();
  lowest = NEVER;
}

/**
 * @example
 * const w = new TtlWheel();
 * w.add(7, now + 5_000_000_000n);
 * w.expireTasks(now + 6_000_000_000n, (seq) => { store.removeMsg(seq); return true; });
 */
export class TtlWheel {
  private wheel: (Slot | undefined)[] = new Array(WHEEL_SIZE);
  private lowest = NEVER;
  private n = 0;

  get count(): number {
    return this.n;
  }

  private position(expires: bigint): number {
    return Number((expires / TICK_NS) & WHEEL_MASK);
  }

  add(seq: number, expires: bigint): void {
    const pos = this.position(expires);
    let s = this.wheel[pos];
    if (!s) s = this.wheel[pos] = new Slot();
    if (!s.entries.has(seq)) this.n++;
    s.entries.set(seq, expires);
    if (expires < s.lowest) {
      s.lowest = expires;
      if (expires < this.lowest) this.lowest = expires;
    }
  }

  /** Removes a task; throws when (seq, expires) is not scheduled. */
  remove(seq: number, expires: bigint): void {
    const pos = this.position(expires);
    const s = this.wheel[pos];
    if (!s || !s.entries.delete(seq)) throw new StoreError("MsgNotFound", "ttl task not found");
    this.n--;
    if (s.entries.size === 0) this.wheel[pos] = undefined;
  }

  update(seq: number, oldExpires: bigint, newExpires: bigint): void {
    this.remove(seq, oldExpires);
    this.add(seq, newExpires);
  }

  /**
   * Calls `cb` for every task due at `now`; tasks for which it returns true are removed,
   * the others stay (and come back on the next call).
   */
  expireTasks(now: bigint, cb: (seq: number, expires: bigint) => boolean): void {
    if (this.lowest > now) return;
    let globalLowest = NEVER;
    for (let pos = 0; pos < WHEEL_SIZE; pos++) {
      const s = this.wheel[pos];
      if (!s) continue;
      if (s.lowest > now) {
        if (s.lowest < globalLowest) globalLowest = s.lowest;
        continue;
      }
      let slotLowest = NEVER;
      for (const [seq, expires] of [...s.entries]) {
        if (expires <= now && cb(seq, expires)) {
          if (s.entries.delete(seq)) this.n--;
          continue;
        }
        if (expires < slotLowest) slotLowest = expires;
      }
      if (s.entries.size === 0) {
        this.wheel[pos] = undefined;
      } else {
        s.lowest = slotLowest;
        if (slotLowest < globalLowest) globalLowest = slotLowest;
      }
    }
    this.lowest = globalLowest;
  }

  /** The earliest deadline if it is before `before`, else undefined. */
  nextExpiration(before: bigint): bigint | undefined {
    return this.lowest < before ? this.lowest : undefined;
  }

  clear(): void {
    this.wheel = new Array(WHEEL_SIZE);
    this.lowest = NEVER;
    this.n = 0;
  }

  /** Go's encoding: version byte, count and stamp (u64 LE), then (varint expiry, uvarint seq) pairs. */
  encode(highSeq: number): Buffer {
    const w = new VarintWriter();
    w.byte(1);
    w.u64le(this.n);
    w.u64le(highSeq);
    for (const s of this.wheel) {
      if (!s) continue;
      for (const [seq, ts] of s.entries) {
        w.varint(ts);
        w.uvarint(seq);
      }
    }
    return w.done();
  }

  /** Replaces the contents from an encoding; returns the stamp. Throws CorruptState on bad input. */
  decode(buf: Uint8Array): number {
    if (buf.length < HEADER_LEN) throw new StoreError("CorruptState", "ttl state too short");
    if (buf[0] !== 1) throw new StoreError("CorruptState", "ttl state version not known");
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const count = b.readBigUInt64LE(1);
    const stamp = Number(b.readBigUInt64LE(9));
    this.clear();
    const r = new VarintReader(buf, HEADER_LEN);
    for (let i = 0n; i < count; i++) {
      const ts = r.varint();
      this.add(r.seq(), ts);
    }
    return stamp;
  }
}
