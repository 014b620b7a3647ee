import { S2FormatError } from "./errors.js";
import { maskedCrc32c } from "./crc.js";
import { decodeS2Block, encodeBlock, S2_MAX_BLOCK_SIZE } from "./s2-block.js";

// S2 streams use Snappy's framing format: chunks of a 1-byte type, a 3-byte little-endian
// length and a body. A stream starts with a stream identifier chunk (0xff, "S2sTwO", or
// Snappy's "sNaPpY"), which may repeat; data chunks (0x00 compressed, 0x01 uncompressed) start
// with the masked CRC-32C of their decoded bytes; 0x80..0xfe are skipped (0xfe is padding);
// 0x02..0x7f are reserved and must not be skipped. S2 raises the block limit from 64 KiB to 4 MiB.

const CHUNK_COMPRESSED = 0x00;
const CHUNK_UNCOMPRESSED = 0x01;
const CHUNK_STREAM_IDENTIFIER = 0xff;
const FIRST_SKIPPABLE = 0x80;
const CHECKSUM_SIZE = 4;
const S2_MAGIC = "S2sTwO";
const SNAPPY_MAGIC = "sNaPpY";
const SNAPPY_MAX_BLOCK_SIZE = 1 << 16;

/** The stream identifier chunk every S2 stream (and every flush of an {@link S2StreamWriter}) starts with. */
export const S2_STREAM_IDENTIFIER = Buffer.from([CHUNK_STREAM_IDENTIFIER, 6, 0, 0, ...Buffer.from(S2_MAGIC, "latin1")]);

/** Go's s2 writer default block size: large enough to amortise chunk overhead, well under S2's 4 MiB. */
const DEFAULT_BLOCK_SIZE = 1 << 20;
/** Below this a block is sent uncompressed: compressing it could not pay for the chunk header. */
const MIN_COMPRESSIBLE = 32;

/** Longest encoded form of a block of `n` bytes that the reader accepts (Snappy's bound, with slack). */
function maxEncodedLength(n: number): number {
  return 32 + n + Math.ceil(n / 6);
}

/** How an {@link S2StreamWriter} writes its data chunks. */
export interface S2WriterOptions {
  /** Only uncompressed chunks (Go's s2_uncompressed level: framing and checksums, no compression). */
  uncompressed?: boolean;
  /** Largest block per chunk (default 1 MiB, at most 4 MiB). */
  blockSize?: number;
}

/**
 * Writes S2 streams, one per flush, as Go's server does (it resets its s2 writer and closes it
 * on every flush of a connection): each {@link frame} is a stream identifier followed by the
 * data chunks of the bytes given, complete and readable on its own.
 *
 * @example
 * const w = new S2StreamWriter();
 * socket.write(w.frame([Buffer.from("LMSG foo 2\r\nhi\r\n")]));
 */
export class S2StreamWriter {
  readonly uncompressed: boolean;
  private readonly blockSize: number;

  constructor(options: S2WriterOptions = {}) {
    this.uncompressed = options.uncompressed === true;
    this.blockSize = Math.max(1, Math.min(options.blockSize ?? DEFAULT_BLOCK_SIZE, S2_MAX_BLOCK_SIZE));
  }

  /** Encodes the bytes of one flush (one or more buffers, taken in order) as one S2 stream. */
  frame(parts: readonly Uint8Array[]): Buffer {
    return Buffer.concat(this.framed(parts));
  }

  /**
   * {@link frame} as a list of buffers to write in order (one writev): uncompressed chunks
   * reference the given bytes instead of copying them, which keeps s2_uncompressed cheap.
   */
  framed(parts: readonly Uint8Array[]): Buffer[] {
    const out: Buffer[] = [S2_STREAM_IDENTIFIER];
    let block: Buffer[] = [];
    let blockLength = 0;
    for (const part of parts) {
      const buf = Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.length);
      for (let at = 0; at < buf.length; ) {
        const take = Math.min(buf.length - at, this.blockSize - blockLength);
        block.push(take === buf.length ? buf : buf.subarray(at, at + take));
        blockLength += take;
        at += take;
        if (blockLength === this.blockSize) {
          this.chunk(out, block, blockLength);
          block = [];
          blockLength = 0;
        }
      }
    }
    if (blockLength > 0) this.chunk(out, block, blockLength);
    return out;
  }

  private chunk(out: Buffer[], block: Buffer[], length: number): void {
    if (!this.uncompressed && length >= MIN_COMPRESSIBLE) {
      const data = block.length === 1 ? block[0] : Buffer.concat(block, length);
      const compressed = encodeBlock(data);
      // Keep the compressed form only when it saves something worth decoding for.
      if (compressed.length < length - (length >>> 5)) out.push(chunkHeader(CHUNK_COMPRESSED, compressed.length, maskedCrc32c(data)), compressed);
      else out.push(chunkHeader(CHUNK_UNCOMPRESSED, length, maskedCrc32c(data)), data);
      return;
    }
    out.push(chunkHeader(CHUNK_UNCOMPRESSED, length, maskedCrc32c(block)), ...block);
  }
}

/** Type, 3-byte length (checksum included) and checksum of a data chunk of `bodyLength` bytes after the checksum. */
function chunkHeader(type: number, bodyLength: number, crc: number): Buffer {
  const header = Buffer.allocUnsafe(4 + CHECKSUM_SIZE);
  const length = CHECKSUM_SIZE + bodyLength;
  header[0] = type;
  header[1] = length & 0xff;
  header[2] = (length >>> 8) & 0xff;
  header[3] = (length >>> 16) & 0xff;
  header.writeUInt32LE(crc, 4);
  return header;
}

/**
 * Reads an S2 (or Snappy framed) stream fed in arbitrary pieces, as they come off a socket,
 * and returns the decoded bytes as soon as each chunk is complete. Bad input (a reserved chunk
 * type, a stream that does not start with an identifier, a chunk or block over the size
 * limits, a corrupt block, a checksum mismatch) throws an {@link S2FormatError}; the reader
 * then refuses everything else.
 *
 * @example
 * const r = new S2StreamReader();
 * socket.on("data", (chunk) => { for (const data of r.push(chunk)) parser.parse(data); });
 */
export class S2StreamReader {
  private readonly header = Buffer.alloc(4);
  private headerLength = 0;
  /** Type and body length of the chunk being read; -1 while reading a header. */
  private chunkType = -1;
  private bodyLength = 0;
  private parts: Buffer[] = [];
  private partsLength = 0;
  private sawIdentifier = false;
  private maxBlockSize = S2_MAX_BLOCK_SIZE;
  private failed: S2FormatError | undefined;

  /** Feeds received bytes; returns the data decoded from the chunks they complete (maybe none). */
  push(input: Buffer): Buffer[] {
    if (this.failed !== undefined) throw this.failed;
    try {
      return this.read(input);
    } catch (e) {
      this.failed = e instanceof S2FormatError ? e : new S2FormatError(`corrupt S2 stream: ${(e as Error).message}`);
      throw this.failed;
    }
  }

  private read(input: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < input.length) {
      if (this.chunkType < 0) {
        const take = Math.min(4 - this.headerLength, input.length - i);
        input.copy(this.header, this.headerLength, i, i + take);
        this.headerLength += take;
        i += take;
        if (this.headerLength < 4) break;
        this.headerLength = 0;
        this.startChunk(this.header[0], this.header[1] | (this.header[2] << 8) | (this.header[3] << 16));
        if (this.bodyLength > 0) continue;
      } else {
        const take = Math.min(this.bodyLength - this.partsLength, input.length - i);
        // Skippable chunks are dropped as they stream by, never buffered.
        if (this.chunkType < FIRST_SKIPPABLE || this.chunkType === CHUNK_STREAM_IDENTIFIER) this.parts.push(input.subarray(i, i + take));
        this.partsLength += take;
        i += take;
        if (this.partsLength < this.bodyLength) break;
      }
      this.endChunk(out);
    }
    return out;
  }

  private startChunk(type: number, length: number): void {
    if (!this.sawIdentifier && type !== CHUNK_STREAM_IDENTIFIER) throw new S2FormatError("S2 stream does not start with a stream identifier");
    if (type === CHUNK_STREAM_IDENTIFIER) {
      if (length !== 6) throw new S2FormatError(`S2 stream identifier of ${length} bytes (expected 6)`);
    } else if (type === CHUNK_COMPRESSED) {
      if (length < CHECKSUM_SIZE + 1 || length > CHECKSUM_SIZE + maxEncodedLength(this.maxBlockSize)) throw new S2FormatError(`S2 compressed chunk of ${length} bytes is out of bounds`);
    } else if (type === CHUNK_UNCOMPRESSED) {
      if (length < CHECKSUM_SIZE || length > CHECKSUM_SIZE + this.maxBlockSize) throw new S2FormatError(`S2 uncompressed chunk of ${length} bytes is out of bounds`);
    } else if (type < FIRST_SKIPPABLE) {
      throw new S2FormatError(`reserved unskippable S2 chunk type 0x${type.toString(16).padStart(2, "0")}`);
    }
    this.chunkType = type;
    this.bodyLength = length;
    this.parts = [];
    this.partsLength = 0;
  }

  /** The chunk's body is complete: check it, and add what it decodes to to `out`. */
  private endChunk(out: Buffer[]): void {
    const type = this.chunkType;
    this.chunkType = -1;
    if (type >= FIRST_SKIPPABLE && type !== CHUNK_STREAM_IDENTIFIER) return;
    const parts = this.parts;
    this.parts = [];
    if (type === CHUNK_STREAM_IDENTIFIER) {
      const magic = Buffer.concat(parts).toString("latin1");
      if (magic === S2_MAGIC) this.maxBlockSize = S2_MAX_BLOCK_SIZE;
      else if (magic === SNAPPY_MAGIC) this.maxBlockSize = SNAPPY_MAX_BLOCK_SIZE;
      else throw new S2FormatError(`unknown stream identifier ${JSON.stringify(magic)}`);
      this.sawIdentifier = true;
      return;
    }
    const [expected, data] = splitChecksum(parts);
    if (type === CHUNK_COMPRESSED) {
      const decoded = decodeS2Block(data.length === 1 ? data[0] : Buffer.concat(data), this.maxBlockSize);
      if (maskedCrc32c(decoded) !== expected) throw new S2FormatError("S2 chunk checksum mismatch");
      if (decoded.length > 0) out.push(decoded);
      return;
    }
    // Uncompressed data is handed on in the pieces it arrived in, once all of it is checked.
    if (maskedCrc32c(data) !== expected) throw new S2FormatError("S2 chunk checksum mismatch");
    for (const piece of data) if (piece.length > 0) out.push(piece);
  }
}

/** The checksum at the start of a data chunk's body (maybe split across pieces) and the pieces after it. */
function splitChecksum(parts: Buffer[]): [number, Buffer[]] {
  if (parts[0].length >= CHECKSUM_SIZE) return [parts[0].readUInt32LE(0), [parts[0].subarray(CHECKSUM_SIZE), ...parts.slice(1)]];
  const joined = Buffer.concat(parts);
  return [joined.readUInt32LE(0), [joined.subarray(CHECKSUM_SIZE)]];
}
