const CHUNK = 64 * 1024;
/** Payloads at least this big are queued by reference instead of copied. */
const BY_REFERENCE = 16 * 1024;

/**
 * Bytes waiting to go out on one route: small frames are copied into shared chunks so a burst
 * of messages leaves in one socket write; large payloads are queued by reference.
 */
export class RouteOutbound {
  private chunks: Buffer[] = [];
  private current: Buffer = Buffer.alloc(0);
  private used = 0;
  /** Bytes queued and not yet handed to the socket. */
  pending = 0;

  appendString(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.used + s.length * 3 > this.current.length) this.roll(s.length * 3);
    const n = this.current.write(s, this.used, "utf8");
    this.used += n;
    this.pending += n;
  }

  append(bytes: Buffer): void {
    const len = bytes.length;
    if (len >= BY_REFERENCE) {
      this.seal();
      this.chunks.push(bytes);
      this.pending += len;
      return;
    }
    if (this.used + len > this.current.length) this.roll(len);
    bytes.copy(this.current, this.used);
    this.used += len;
    this.pending += len;
  }

  /** Takes everything queued. */
  drain(): Buffer[] {
    this.seal();
    const out = this.chunks;
    this.chunks = [];
    this.pending = 0;
    return out;
  }

  private seal(): void {
    if (this.used === 0) return;
    this.chunks.push(this.current.subarray(0, this.used));
    this.current = this.current.subarray(this.used);
    this.used = 0;
  }

  private roll(need: number): void {
    this.seal();
    if (this.current.length < need) this.current = Buffer.allocUnsafe(Math.max(CHUNK, need));
  }
}
