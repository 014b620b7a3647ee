import { StoreError } from "../errors.js";
import type { BodyCodec } from "./body-codec.js";
import { checksumAt } from "./checksum.js";
import { AAD_START as AAD_START_RECORD } from "./body-codec.js";
import { CHECKSUM_LEN, EMPTY_RECORD_LEN, HEADER_LEN, sealRecord } from "./record.js";

// With compression on, a block is compressed when it is sealed: its records (the block's
// "logical image", exactly the bytes of a plain block) are cut at record boundaries into frames
// of about FRAME_TARGET bytes, each compressed (and encrypted, with a cipher) on its own, so a
// random read decompresses one frame, not the block, and damage costs one frame, not the block.
// A framed block file is a run of frames:
//    0 u32 FRAME_MAGIC   4 u8 flags (compressed, encrypted)   5..8 zero
//    8 u32 logical offset of the frame's first record   12 u32 plain length
//   16 u32 stored length   20 u32 zero   24 stored bytes   end-8 u64 xxhash64 of all before it.
// The magic is above any record length, so a framed file is never mistaken for a plain one.
export const FRAME_MAGIC = 0x9a5c17f3;
export const FRAME_HEADER_LEN = 24;
const FRAME_TRAILER_LEN = 8;
const FRAME_TARGET = 64 * 1024;
/** Bytes 8..16 (position and plain length) are authenticated with the frame's contents. */
const AAD_START = 8;
const AAD_END = 16;

/** Where each frame of a framed block is, in the file and in the logical image. */
export class FrameTable {
  readonly starts: number[] = [];
  readonly plainLens: number[] = [];
  readonly fileOffs: number[] = [];
  readonly fileLens: number[] = [];

  add(start: number, plainLen: number, fileOff: number, fileLen: number): void {
    this.starts.push(start);
    this.plainLens.push(plainLen);
    this.fileOffs.push(fileOff);
    this.fileLens.push(fileLen);
  }

  /** Index of the frame holding logical offset `off`, or -1. */
  find(off: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] > off) hi = mid - 1;
      else if (off >= this.starts[mid] + this.plainLens[mid]) lo = mid + 1;
      else return mid;
    }
    return -1;
  }
}

export function isFramed(file: Buffer): boolean {
  return file.length >= 4 && file.readUInt32LE(0) === FRAME_MAGIC;
}

/** Compresses (and encrypts) a logical image of whole records into a framed block file. */
export function encodeFrames(logical: Buffer, codec: BodyCodec): { file: Buffer; table: FrameTable } {
  const parts: Buffer[] = [];
  const table = new FrameTable();
  let fileOff = 0;
  let start = 0;
  while (start < logical.length) {
    let end = start;
    while (end < logical.length && (end === start || end - start + logical.readUInt32LE(end) <= FRAME_TARGET)) {
      const len = logical.readUInt32LE(end);
      if (len < EMPTY_RECORD_LEN) throw new StoreError("CorruptState", "framing a block image that is not a run of records");
      end += len;
    }
    const head = Buffer.alloc(FRAME_HEADER_LEN);
    head.writeUInt32LE(FRAME_MAGIC, 0);
    head.writeUInt32LE(start, 8);
    head.writeUInt32LE(end - start, 12);
    const { body, flags } = codec.encode(logical.subarray(start, end), head.subarray(AAD_START, AAD_END));
    head[4] = flags;
    head.writeUInt32LE(body.length, 16);
    const frame = Buffer.allocUnsafe(FRAME_HEADER_LEN + body.length + FRAME_TRAILER_LEN);
    head.copy(frame, 0);
    body.copy(frame, FRAME_HEADER_LEN);
    frame.writeBigInt64LE(BigInt.asIntN(64, checksumAt(frame, 0, frame.length - FRAME_TRAILER_LEN)), frame.length - FRAME_TRAILER_LEN);
    parts.push(frame);
    table.add(start, end - start, fileOff, frame.length);
    fileOff += frame.length;
    start = end;
  }
  return { file: Buffer.concat(parts, fileOff), table };
}

/** Length of the intact frame at `off`, or 0 when there is none (damage, truncation). */
function frameLenAt(file: Buffer, off: number): number {
  if (file.length - off < FRAME_HEADER_LEN + FRAME_TRAILER_LEN || file.readUInt32LE(off) !== FRAME_MAGIC || file[off + 4] > 3) return 0;
  const len = FRAME_HEADER_LEN + file.readUInt32LE(off + 16) + FRAME_TRAILER_LEN;
  if (len > file.length - off) return 0;
  const stored = file.readBigInt64LE(off + len - FRAME_TRAILER_LEN);
  return stored === BigInt.asIntN(64, checksumAt(file, off, len - FRAME_TRAILER_LEN)) ? len : 0;
}

/** The plain records of the intact frame at `off` (length from frameLenAt). */
function decodeFrame(file: Buffer, off: number, len: number, codec: BodyCodec): Buffer {
  const plainLen = file.readUInt32LE(off + 12);
  const plain = codec.decode(file.subarray(off + FRAME_HEADER_LEN, off + len - FRAME_TRAILER_LEN), file[off + 4], file.subarray(off + AAD_START, off + AAD_END), plainLen);
  if (plain.length !== plainLen) throw new StoreError("CorruptState", "frame decodes to the wrong length");
  return plain;
}

/**
 * Rebuilds the logical image of a framed block file. Damaged frames are skipped (the search
 * resumes at the next intact frame) and their logical range is left zeroed, which the record
 * scanner then reports as damage. A wrong key fails the whole open (BadKey), as for records.
 */
export function decodeFrames(file: Buffer, codec: BodyCodec): { logical: Buffer; table: FrameTable; damagedBytes: number } {
  const table = new FrameTable();
  const plains: Buffer[] = [];
  let damagedBytes = 0;
  let damagedTail = false;
  let off = 0;
  while (off < file.length) {
    const len = frameLenAt(file, off);
    let plain: Buffer | undefined;
    if (len > 0) {
      try {
        plain = decodeFrame(file, off, len, codec);
      } catch (e) {
        if (e instanceof StoreError && (e.code === "NoEncryptionKey" || e.code === "BadKey")) throw e;
      }
    }
    if (!plain) {
      let next = off + 1;
      while (next < file.length && frameLenAt(file, next) === 0) next++;
      damagedBytes += next - off;
      damagedTail = next >= file.length;
      off = next;
      continue;
    }
    table.add(file.readUInt32LE(off + 8), plain.length, off, len);
    plains.push(plain);
    off += len;
  }
  const n = table.starts.length;
  // Damage at the end leaves no later frame to say how long the image was: one zero byte
  // stands for it, so that the scanner still reports damage there.
  const size = (n > 0 ? table.starts[n - 1] + table.plainLens[n - 1] : 0) + (damagedTail ? 1 : 0);
  const logical = Buffer.alloc(size);
  for (let i = 0; i < n; i++) if (table.starts[i] + plains[i].length <= size) plains[i].copy(logical, table.starts[i]);
  return { logical, table, damagedBytes };
}

/** Reads frame `i` of a block through `read` (file bytes at an offset) and returns its records. */
export function readFrame(table: FrameTable, i: number, read: (off: number, len: number) => Buffer, codec: BodyCodec): Buffer {
  const raw = read(table.fileOffs[i], table.fileLens[i]);
  const len = frameLenAt(raw, 0);
  if (len !== table.fileLens[i]) throw new StoreError("CorruptState", `frame at ${table.fileOffs[i]} failed its checksum`);
  return decodeFrame(raw, 0, len, codec);
}

/**
 * The record at `off` with a plain body (flags 0): records written compressed or encrypted one
 * by one go into frames plain, so that the frame compresses them all together (and a cipher
 * encrypts the frame instead).
 */
export function plainRecordOf(img: Buffer, off: number, len: number, codec: BodyCodec): Buffer {
  const rec = img.subarray(off, off + len);
  if (img[off + 5] === 0) return rec;
  const subjLen = img.readUInt16LE(off + 6);
  const bodyLen = subjLen + img.readUInt32LE(off + 8) + img.readUInt32LE(off + 12);
  const plain = codec.decode(img.subarray(off + HEADER_LEN, off + len - CHECKSUM_LEN), img[off + 5], img.subarray(off + AAD_START_RECORD, off + HEADER_LEN), bodyLen);
  const out = Buffer.allocUnsafe(HEADER_LEN + bodyLen + CHECKSUM_LEN);
  rec.copy(out, 0, 0, HEADER_LEN);
  out.writeUInt32LE(out.length, 0);
  out[5] = 0;
  plain.copy(out, HEADER_LEN);
  sealRecord(out, 0, out.length);
  return out;
}
