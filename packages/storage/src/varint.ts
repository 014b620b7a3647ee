import { StoreError } from "./errors.js";

/** Appends Go-compatible varints (encoding/binary Uvarint and zigzag Varint). */
export class VarintWriter {
  private buf = Buffer.allocUnsafe(64);
  private n = 0;

  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }

  byte(v: number): void {
    this.ensure(1);
    this.buf[this.n++] = v;
  }

  uvarint(v: number | bigint): void {
    let x = BigInt(v);
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.n++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.n++] = Number(x);
  }

  varint(v: bigint): void {
    this.uvarint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }

  u64le(v: number | bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.n);
    this.n += 8;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

/** Reads Go-compatible varints; malformed or truncated input throws CorruptState. */
export class VarintReader {
  private i: number;
  constructor(private readonly buf: Uint8Array, start: number) {
    this.i = start;
  }

  get done(): boolean {
    return this.i >= this.buf.length;
  }

  uvarint(): bigint {
    let x = 0n;
    let shift = 0n;
    for (let k = 0; k < 10; k++) {
      if (this.i >= this.buf.length) throw new StoreError("CorruptState");
      const b = this.buf[this.i++];
      x |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return x;
      shift += 7n;
    }
    throw new StoreError("CorruptState");
  }

  /** A uvarint added to `base` modulo 2^64, as Go decodes floor-relative sequences. */
  relSeq(base: number): number {
    const v = BigInt.asUintN(64, this.uvarint() + BigInt(base));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new StoreError("CorruptState");
    return Number(v);
  }

  seq(): number {
    const v = this.uvarint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new StoreError("CorruptState");
    return Number(v);
  }

  varint(): bigint {
    const u = this.uvarint();
    return u & 1n ? -((u + 1n) >> 1n) : u >> 1n;
  }
}
