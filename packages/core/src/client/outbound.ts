const SMALL_CHUNK = 4 * 1024;
const LARGE_CHUNK = 64 * 1024;
/** Payloads at least this big are queued by reference instead of copied. */
const BY_REFERENCE = 16 * 1024;

/**
 * The bytes waiting to go out on one connection. Small frames are copied into 64 KiB chunks so
 * a burst of messages leaves in one socket write; large payloads are queued by reference.
 * Chunks start small so an idle connection holds little memory, and grow once traffic needs it.
 */
export class OutboundQueue {
  private chunks: Buffer[] = [];
  private current: Buffer = Buffer.alloc(0);
  private chunkSize = SMALL_CHUNK;
  private used = 0;
  /** Bytes queued and not yet handed to the socket. */
  pending = 0;

  /** Appends a control line (subjects may hold UTF-8, so it is encoded here). */
  appendString(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.used + s.length * 3 > this.current.length) this.roll(s.length * 3);
    const n = this.current.write(s, this.used, "utf8");
    this.used += n;
    this.pending += n;
  }

  append(bytes: Uint8Array): void {
    const len = bytes.length;
    if (len >= BY_REFERENCE) {
      this.seal();
      this.chunks.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, len));
      this.pending += len;
      return;
    }
    if (this.used + len > this.current.length) this.roll(len);
    this.current.set(bytes, this.used);
    this.used += len;
    this.pending += len;
  }

  /** Takes everything queued, leaving the queue empty. */
  drain(): Buffer[] {
    this.seal();
    const out = this.chunks;
    if (this.pending > SMALL_CHUNK) this.chunkSize = LARGE_CHUNK;
    this.chunks = [];
    this.pending = 0;
    return out;
  }

  get isEmpty(): boolean {
    return this.pending === 0;
  }

  private seal(): void {
    if (this.used === 0) return;
    this.chunks.push(this.current.subarray(0, this.used));
    this.current = this.current.subarray(this.used);
    this.used = 0;
  }

  private roll(need: number): void {
    this.seal();
    if (this.current.length < need) this.current = Buffer.allocUnsafe(Math.max(this.chunkSize, need));
  }
}
