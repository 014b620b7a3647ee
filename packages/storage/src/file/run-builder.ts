/**
 * A run of records assembled by copying them one after another into one buffer (block
 * rewrites): no view per record and no final concatenation.
 *
 * @example
 * const run = new RunBuilder(img.length);
 * const at = run.append(img, off, len); // offset of the record in the run
 * const content = run.bytes();
 */
export class RunBuilder {
  private buf: Buffer;
  private size = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 64));
  }

  /** Copies src[from, from + len) to the end of the run; returns where it starts. */
  append(src: Buffer, from: number, len: number): number {
    const at = this.size;
    if (at + len > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, at + len));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    src.copy(this.buf, at, from, from + len);
    this.size = at + len;
    return at;
  }

  get length(): number {
    return this.size;
  }

  /** The run, in a buffer of exactly its length (copied when the capacity was not all used). */
  bytes(): Buffer {
    return this.size === this.buf.length ? this.buf : Buffer.from(this.buf.subarray(0, this.size));
  }
}
