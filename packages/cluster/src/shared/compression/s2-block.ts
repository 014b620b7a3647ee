import * as snappy from "snappyjs";
import { S2FormatError } from "./errors.js";

// The S2 block format is Snappy's (a varint decoded length, then literal and copy elements)
// with one extension: a 1-byte-offset copy whose offset is 0 repeats the last offset used in
// the block, with a length coded in the tag and up to 3 more bytes. Snappy never writes an
// offset of 0, so every Snappy block is a valid S2 block, which is why the encoder can be a
// Snappy compressor while the decoder must know the extension (Go's s2 writer uses repeats).

/** Largest decoded size of one block in an S2 stream (Snappy streams: 64 KiB). */
export const S2_MAX_BLOCK_SIZE = 4 << 20;

const TAG_LITERAL = 0;
const TAG_COPY1 = 1;
const TAG_COPY2 = 2;

function corrupt(what: string): S2FormatError {
  return new S2FormatError(`corrupt S2 block: ${what}`);
}

/** Reads the block's varint decoded length (at most 32 bits); returns [length, bytes used]. */
function readDecodedLength(src: Uint8Array): [number, number] {
  let value = 0;
  for (let i = 0, scale = 1; i < 5; i++, scale *= 128) {
    if (i >= src.length) throw corrupt("truncated decoded length");
    const b = src[i];
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (value > 0xffffffff) throw corrupt("decoded length overflows 32 bits");
      return [value, i + 1];
    }
  }
  throw corrupt("decoded length overflows 32 bits");
}

/**
 * Decodes one S2 (or Snappy) block. Anything malformed (truncated element, copy before the
 * start of the output, output longer or shorter than announced, larger than `maxDecodedLength`)
 * throws an {@link S2FormatError}; nothing is written outside the returned buffer.
 *
 * @example
 * decodeS2Block(Buffer.from([0x05, 0x10, 0x68, 0x65, 0x6c, 0x6c, 0x6f])).toString(); // "hello"
 */
export function decodeS2Block(src: Uint8Array, maxDecodedLength = S2_MAX_BLOCK_SIZE): Buffer {
  const [length, start] = readDecodedLength(src);
  if (length > maxDecodedLength) throw new S2FormatError(`S2 block of ${length} bytes exceeds the maximum of ${maxDecodedLength}`);
  const dst = Buffer.allocUnsafe(length);
  const end = src.length;
  let s = start;
  let d = 0;
  let offset = 0;
  while (s < end) {
    const tag = src[s];
    let n: number;
    const kind = tag & 3;
    if (kind === TAG_LITERAL) {
      n = tag >>> 2;
      if (n < 60) {
        s += 1;
      } else {
        const extra = n - 59;
        if (s + 1 + extra > end) throw corrupt("truncated literal length");
        n = src[s + 1];
        if (extra > 1) n |= src[s + 2] << 8;
        if (extra > 2) n |= src[s + 3] << 16;
        if (extra > 3) n = (n | (src[s + 4] << 24)) >>> 0;
        s += 1 + extra;
      }
      n += 1;
      if (n > end - s) throw corrupt("literal runs past the end of the block");
      if (n > length - d) throw corrupt("literal runs past the decoded length");
      dst.set(src.subarray(s, s + n), d);
      s += n;
      d += n;
      continue;
    }
    if (kind === TAG_COPY1) {
      if (s + 2 > end) throw corrupt("truncated copy");
      const code = (tag >>> 2) & 7;
      const off = ((tag & 0xe0) << 3) | src[s + 1];
      s += 2;
      if (off !== 0) {
        offset = off;
        n = code + 4;
      } else if (code < 5) {
        // Repeat of the last offset: lengths 4..8 fit in the tag.
        n = code + 4;
      } else if (code === 5) {
        if (s + 1 > end) throw corrupt("truncated repeat length");
        n = src[s] + 8;
        s += 1;
      } else if (code === 6) {
        if (s + 2 > end) throw corrupt("truncated repeat length");
        n = (src[s] | (src[s + 1] << 8)) + 260;
        s += 2;
      } else {
        if (s + 3 > end) throw corrupt("truncated repeat length");
        n = (src[s] | (src[s + 1] << 8) | (src[s + 2] << 16)) + 65540;
        s += 3;
      }
    } else if (kind === TAG_COPY2) {
      if (s + 3 > end) throw corrupt("truncated copy");
      n = (tag >>> 2) + 1;
      offset = src[s + 1] | (src[s + 2] << 8);
      s += 3;
    } else {
      if (s + 5 > end) throw corrupt("truncated copy");
      n = (tag >>> 2) + 1;
      offset = (src[s + 1] | (src[s + 2] << 8) | (src[s + 3] << 16) | (src[s + 4] << 24)) >>> 0;
      s += 5;
    }
    // A repeat before any copy has offset 0, which lands here too.
    if (offset === 0 || offset > d) throw corrupt("copy offset out of range");
    if (n > length - d) throw corrupt("copy runs past the decoded length");
    copyOverlapping(dst, d, offset, n);
    d += n;
  }
  if (d !== length) throw corrupt(`decoded ${d} bytes, the block announced ${length}`);
  return dst;
}

/**
 * Copies `n` bytes that start `offset` bytes back, which may overlap what is being written
 * (offset 1 repeats one byte n times): the source is periodic, so it is copied in runs that
 * double each time and never overlap their own destination.
 */
function copyOverlapping(dst: Buffer, d: number, offset: number, n: number): void {
  const from = d - offset;
  if (offset >= n) {
    dst.copyWithin(d, from, from + n);
    return;
  }
  let done = 0;
  while (done < n) {
    const run = Math.min(n - done, offset + done);
    dst.copyWithin(d + done, from, from + run);
    done += run;
  }
}

/** Compresses one block (Snappy's encoder; its output is a valid S2 block). */
export function encodeBlock(src: Buffer): Buffer {
  return snappy.compress(src);
}
