import { StoreError } from "../errors.js";
import { checksumAt, sealRuns } from "./checksum.js";

// On-disk record, little-endian:
//   0 u32 record length (header + body + checksum)   4 u8 kind   5 u8 flags   6 u16 subject length
//   8 u32 header length   12 u32 payload length   16 u32 seq low   20 u32 seq high
//  24 i64 timestamp ns   32 i32 ttl seconds
//  Skip records carry their count in bytes 8..16 (u64) and the stream's last time in the
//  timestamp field.
//  36 body: subject | headers | payload (possibly compressed, then encrypted)
//  end-8 u64 xxhash64 of everything before it.
export const HEADER_LEN = 36;
export const CHECKSUM_LEN = 8;
export const EMPTY_RECORD_LEN = HEADER_LEN + CHECKSUM_LEN;
export const MAX_RECORD_LEN = 0x7fff_ffff;

export const enum RecordKind {
  Msg = 1,
  /** Removal of one message stored earlier. */
  Tombstone = 2,
  /** Sequences consumed without a message; a count of 0 only re-states the last sequence. */
  Skip = 3,
  /** Every sequence below `seq` is removed (purge, compact, limits from the front). */
  Floor = 4,
  /** A message overwritten by eraseMsg; carries no data. */
  Erased = 5,
}

export const FLAG_COMPRESSED = 1;
export const FLAG_ENCRYPTED = 2;

export interface RecordHeader {
  len: number;
  kind: RecordKind;
  flags: number;
  subjLen: number;
  hdrLen: number;
  msgLen: number;
  seq: number;
  ts: bigint;
  ttl: number;
}

export function writeHeader(buf: Buffer, off: number, h: RecordHeader): void {
  writeHeaderFields(buf, off, h.len, h.kind, h.flags, h.subjLen, h.hdrLen, h.msgLen, h.seq, h.ts, h.ttl);
}

/** writeHeader without the object, for the store hot path. */
// 8-byte scratch for 64-bit values: a typed-array store plus a byte copy is much cheaper
// than Buffer.writeBig(U)Int64LE on the hot path.
const scratch64 = new BigInt64Array(1);
const scratch8 = new Uint8Array(scratch64.buffer);

function put64(buf: Buffer, off: number): void {
  buf[off] = scratch8[0];
  buf[off + 1] = scratch8[1];
  buf[off + 2] = scratch8[2];
  buf[off + 3] = scratch8[3];
  buf[off + 4] = scratch8[4];
  buf[off + 5] = scratch8[5];
  buf[off + 6] = scratch8[6];
  buf[off + 7] = scratch8[7];
}

function load64(buf: Buffer, off: number): void {
  scratch8[0] = buf[off];
  scratch8[1] = buf[off + 1];
  scratch8[2] = buf[off + 2];
  scratch8[3] = buf[off + 3];
  scratch8[4] = buf[off + 4];
  scratch8[5] = buf[off + 5];
  scratch8[6] = buf[off + 6];
  scratch8[7] = buf[off + 7];
}

/** Timestamp field of the record at `off`. */
export function readTs(buf: Buffer, off: number): bigint {
  load64(buf, off + 24);
  return scratch64[0];
}

/** Little-endian 32-bit store without Buffer's argument checks (values are ours). */
function put32(buf: Buffer, off: number, v: number): void {
  buf[off] = v;
  buf[off + 1] = v >>> 8;
  buf[off + 2] = v >>> 16;
  buf[off + 3] = v >>> 24;
}

export function writeHeaderFields(buf: Buffer, off: number, len: number, kind: RecordKind, flags: number, subjLen: number, hdrLen: number, msgLen: number, seq: number, ts: bigint, ttl: number): void {
  put32(buf, off, len);
  buf[off + 4] = kind;
  buf[off + 5] = flags;
  buf[off + 6] = subjLen;
  buf[off + 7] = subjLen >>> 8;
  put32(buf, off + 8, hdrLen);
  put32(buf, off + 12, msgLen);
  // seq >>> 0 is seq mod 2^32 for integers below 2^53, without a floating-point remainder.
  const lo = seq >>> 0;
  put32(buf, off + 16, lo);
  put32(buf, off + 20, (seq - lo) / 0x1_0000_0000);
  scratch64[0] = ts;
  put64(buf, off + 24);
  put32(buf, off + 32, ttl);
}

export function readSeq(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off + 16) + buf.readUInt32LE(off + 20) * 0x1_0000_0000;
}

/** Writes the checksum of [off, off+len-8) at its end. */
export function sealRecord(buf: Buffer, off: number, len: number): void {
  scratch64[0] = checksumAt(buf, off, len - CHECKSUM_LEN);
  put64(buf, off + len - CHECKSUM_LEN);
}

/**
 * Writes the checksum of every record in buf[from, to) (a run of whole records appended by
 * this process), in one call when the buffer is hashable in place.
 */
export function sealRecords(buf: Buffer, from: number, to: number): void {
  const at = sealRuns(buf, from, to, EMPTY_RECORD_LEN);
  if (at !== to) throw new StoreError("CorruptState", `record at offset ${at} of a block being written has a bad length`);
}

/**
 * True when a complete, undamaged record starts at `off`: plausible header and matching
 * checksum. Never trusts a length that points past the buffer.
 */
export function recordIsValid(buf: Buffer, off: number, end: number): boolean {
  if (end - off < EMPTY_RECORD_LEN) return false;
  const len = buf.readUInt32LE(off);
  const kind = buf[off + 4];
  const flags = buf[off + 5];
  if (len < EMPTY_RECORD_LEN || len > end - off || kind < RecordKind.Msg || kind > RecordKind.Erased || flags > 3) return false;
  // Structural checks first: during resynchronisation after damage they reject almost every
  // offset before paying for a checksum.
  const plain = EMPTY_RECORD_LEN + buf.readUInt16LE(off + 6) + buf.readUInt32LE(off + 8) + buf.readUInt32LE(off + 12);
  if (kind === RecordKind.Msg || kind === RecordKind.Erased) {
    if (flags === 0 ? len !== plain : len > plain + 64) return false;
  } else if (len !== EMPTY_RECORD_LEN) {
    return false;
  }
  // Compared byte for byte: the hash may come back signed or unsigned.
  scratch64[0] = checksumAt(buf, off, len - CHECKSUM_LEN);
  const at = off + len - CHECKSUM_LEN;
  for (let i = 0; i < CHECKSUM_LEN; i++) if (buf[at + i] !== scratch8[i]) return false;
  return true;
}

/** A record without body (tombstone, skip, floor). */
export function encodeMarker(kind: RecordKind, seq: number, count = 0, ts = 0n): Buffer {
  const buf = Buffer.allocUnsafe(EMPTY_RECORD_LEN);
  writeHeader(buf, 0, { len: EMPTY_RECORD_LEN, kind, flags: 0, subjLen: 0, hdrLen: 0, msgLen: 0, seq, ts, ttl: 0 });
  buf.writeUInt32LE(count % 0x1_0000_0000, 8);
  buf.writeUInt32LE(Math.floor(count / 0x1_0000_0000), 12);
  sealRecord(buf, 0, EMPTY_RECORD_LEN);
  return buf;
}

/** Count of a skip record. */
export function readSkipCount(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off + 8) + buf.readUInt32LE(off + 12) * 0x1_0000_0000;
}

/** Last sequence a skip record accounts for. */
export function skipEnd(buf: Buffer, off: number): number {
  const count = readSkipCount(buf, off);
  return count > 0 ? readSeq(buf, off) + count - 1 : readSeq(buf, off);
}
