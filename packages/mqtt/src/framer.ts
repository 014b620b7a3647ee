/** Receives one complete MQTT control packet: its bytes and where the variable header starts. */
export type FrameHandler = (packet: Buffer, bodyStart: number) => void;

/**
 * Splits a byte stream into whole MQTT control packets (fixed header: type/flags byte, then a
 * remaining length of 1 to 4 bytes). Packets are refused by their declared size before their
 * bytes are buffered, and partial packets are kept as a chunk list so a large packet arriving
 * in many reads is copied once.
 */
export class PacketFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the packet at the head of the buffer needs, once its header was read; 0 = unknown. */
  private needed = 0;
  /** Largest remaining length accepted. */
  limit = Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly onFrame: FrameHandler,
    private readonly onError: (reason: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    this.needed = 0;
    let pos = 0;
    while (pos < buf.length) {
      let len = 0;
      let mult = 1;
      let i = pos + 1;
      let complete = false;
      for (let k = 0; k < 4 && i < buf.length; k++) {
        const b = buf[i++]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (i - pos - 1 >= 4) return this.onError("malformed variable int");
        break; // the length continues in the next read
      }
      if (len > this.limit) return this.onError(`maximum payload exceeded: ${len} > ${this.limit}`);
      const end = i + len;
      if (end > buf.length) {
        this.needed = end - pos;
        break;
      }
      this.onFrame(buf.subarray(pos, end), i - pos);
      pos = end;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.chunks.push(rest);
      this.buffered = rest.length;
    }
  }

  /** Forgets buffered bytes (the connection is closing). */
  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.needed = 0;
  }
}
