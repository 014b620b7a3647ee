import { randomFillSync } from "node:crypto";
import { join } from "node:path";
import { storeError } from "../errors.js";
import type { Body } from "../store-core.js";
import { StoreQueries } from "../store-queries.js";
import type { SubjectEntry } from "../subject-index.js";
import type { FileStoreConfig, StoreOptions, StoreWarning } from "../types.js";
import { Block, blockFileName } from "./block.js";
import { AAD_END, AAD_START, type BodyCodec } from "./body-codec.js";
import { blockBuffers } from "./buffer-pool.js";
import { defaultFsOps, syncDir, type FsOps } from "./fs-ops.js";
import type { GroupCommit } from "./group-commit.js";
import {
  CHECKSUM_LEN,
  EMPTY_RECORD_LEN,
  encodeMarker,
  HEADER_LEN,
  readSeq,
  RecordKind,
  recordIsValid,
  sealRecord,
  sealRecords,
  skipEnd,
  writeHeader,
  writeHeaderFields,
} from "./record.js";
import { RunBuilder } from "./run-builder.js";
import { scanRecords } from "./scan.js";
import { decodeFrames, encodeFrames, plainRecordOf, readFrame } from "./frames.js";

const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
/** Go's maxBlockSize. */
const MAX_BLOCK_SIZE = 8 * 1024 * 1024;
const DEFAULT_CACHE_SIZE = 32 * 1024 * 1024;
const READS_BEFORE_CACHING = 32;
export const MSGS_DIR = "msgs";

/** A write handed to the commit cycle, pinned to the file and generation of its block. */
interface PendingWrite {
  b: Block;
  buf: Buffer;
  from: number;
  to: number;
  pos: number;
  appended: boolean;
  fd: number;
  generation: number;
}

/** Non-configuration hooks for FileStore. */
export interface FileStoreOptions extends StoreOptions {
  /** Replacement file operations, for fault-injection tests. */
  fs?: FsOps;
}

/**
 * The block layer of FileStore: the write block and sealed blocks, appending records, group
 * commit hooks, reads with checksum verification, and maintenance (compaction, removal and
 * truncation of blocks). FileStore adds opening, recovery and the public lifecycle.
 */
export abstract class BlockLog extends StoreQueries {
  /** Problems found and worked around since open (damage, lost records, I/O errors). */
  readonly warnings: StoreWarning[] = [];
  protected readonly fs: FsOps;
  protected readonly dir: string;
  protected readonly msgsDir: string;
  protected readonly blockSize: number;
  protected readonly cacheSize: number;
  protected readonly onWarning?: (w: StoreWarning) => void;
  protected codec!: BodyCodec;
  /** Encodes and decodes the frames of blocks compressed when sealed. */
  protected frameCodec!: BodyCodec;
  /** Compress blocks when they are sealed (compression "s2"/"snappy"). */
  protected readonly compressSealed: boolean;
  /** The last frame decompressed for a read, for reads that walk through a block. */
  private lastFrame?: { block: Block; generation: number; index: number; plain: Buffer };
  protected blocks: Block[] = [];
  protected wb!: Block;
  protected cached = new Set<Block>();
  protected cacheBytes = 0;
  protected commit!: GroupCommit;
  protected dirty = new Set<number>();
  protected retiredFds: number[] = [];
  protected unlinkAfterCommit: string[] = [];
  protected maintenance = new Set<Block>();
  protected pendingFloor = 0;
  protected writtenFloor = 0;
  protected dirFd = -1;
  /** Highest block id created or found, so that new blocks never take an old block's name. */
  protected lastBlockId = 0;
  /** Rotated blocks whose tails are not yet handed to a write. */
  protected sealing: Block[] = [];
  /** Erased records to write over their originals on disk. */
  protected overwrites: { block: Block; generation: number; off: number; rec: Buffer }[] = [];

  protected constructor(protected fcfg: FileStoreConfig, opts: FileStoreOptions) {
    super(fcfg, opts);
    this.fs = opts.fs ?? defaultFsOps;
    this.onWarning = opts.onWarning;
    this.dir = fcfg.dir;
    this.msgsDir = join(fcfg.dir, MSGS_DIR);
    const blockSize = fcfg.block_size ?? 0;
    if (!Number.isFinite(blockSize) || blockSize > MAX_BLOCK_SIZE) throw storeError("BadConfig", "filestore max block size is 8.00 MB");
    this.blockSize = blockSize > 0 ? Math.ceil(blockSize) : DEFAULT_BLOCK_SIZE;
    const cacheSize = fcfg.cache_size ?? DEFAULT_CACHE_SIZE;
    if (!Number.isFinite(cacheSize)) throw storeError("BadConfig", "cache_size must be a finite number");
    this.cacheSize = cacheSize;
    const ratio = fcfg.compact_ratio ?? 0.5;
    if (!(ratio >= 0 && ratio <= 1)) throw storeError("BadConfig", "compact_ratio must be between 0 and 1");
    this.compressSealed = fcfg.compression === "s2" || fcfg.compression === "snappy";
  }

  // ---- blocks ------------------------------------------------------------------------------

  protected blockBuffer(content: Buffer): Buffer {
    const buf = content.length <= this.blockSize ? this.takeBuffer() : Buffer.allocUnsafe(content.length + 1024);
    content.copy(buf, 0);
    return buf;
  }

  /** A write-block buffer, from the process-wide pool (reused memory is cheaper to fill). */
  protected takeBuffer(): Buffer {
    return blockBuffers.take(this.blockSize + 1024);
  }

  /** Returns a buffer from takeBuffer that was only borrowed. */
  protected giveBackBuffer(buf: Buffer): void {
    blockBuffers.give(buf, this.blockSize + 1024);
  }

  /** Takes back the buffer of block `b`, which drops it (only whole write-block buffers are kept). */
  protected recycleBuffer(b: Block): void {
    // A write in flight still reads the buffer.
    if (b.buf && b.inflight === 0) blockBuffers.give(b.buf, this.blockSize + 1024);
  }

  protected newWriteBlock(): void {
    // Ids are never reused: a dropped block's file may still be waiting to be unlinked.
    const id = Math.max(this.lastBlockId, this.blocks.length > 0 ? this.blocks[this.blocks.length - 1].id : 0) + 1;
    this.lastBlockId = id;
    const path = join(this.msgsDir, blockFileName(id));
    const b = new Block(id, path, this.fs.openSync(path, "w+"));
    b.buf = this.takeBuffer();
    this.blocks.push(b);
    this.wb = b;
    // The new file's directory entry becomes durable with the next group commit.
    this.dirty.add(this.dirFd);
  }

  protected rotate(): void {
    const old = this.wb;
    // Reads of a sealed block verify checksums.
    this.sealPending(old);
    if (old.issued < old.size) this.sealing.push(old);
    this.newWriteBlock();
    // Maintenance rewrites it: compacted when mostly removed, compressed when compression is on.
    if (this.compressSealed || old.live === 0 || old.liveBytes < this.compactRatio() * old.size) {
      this.maintenance.add(old);
      this.commit.kick();
    }
    // The sealed block's bytes stay cached: recent messages are the likeliest reads.
    if (old.buf) {
      old.buf = old.buf.subarray(0, old.size);
      this.cached.add(old);
      this.cacheBytes += old.size;
      this.evictCache();
    }
  }

  protected evictCache(): void {
    for (const b of this.cached) {
      if (this.cacheBytes <= this.cacheSize) break;
      // Bytes not yet on disk have no other copy.
      if (b.flushed < b.size || b.inflight > 0) continue;
      this.cached.delete(b);
      this.cacheBytes -= b.buf?.length ?? 0;
      this.recycleBuffer(b);
      b.buf = null;
      b.diskReads = 0;
    }
  }

  /** Block holding message `seq`, by binary search over block bases. */
  protected blockOf(seq: number): Block | undefined {
    const bl = this.blocks;
    let lo = 0;
    let hi = bl.length - 1;
    let found: Block | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      let m = mid;
      while (m <= hi && bl[m].base === 0) m++;
      if (m > hi) {
        hi = mid - 1;
        continue;
      }
      if (bl[m].base <= seq) {
        found = bl[m];
        lo = m + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found?.covers(seq) ? found : undefined;
  }

  /** Reserves `len` bytes at the end of the write block (rotating first when they do not fit). */
  protected reserve(len: number, marker = false): number {
    // Markers may overrun the block size (up to twice it): rotating for them would let
    // maintenance, which writes markers, keep creating blocks that need maintenance.
    const limit = marker ? 2 * this.blockSize : this.blockSize;
    if (this.wb.size > 0 && this.wb.size + len > limit) this.rotate();
    const b = this.wb;
    if (b.buf!.length < b.size + len) {
      const grown = Buffer.allocUnsafe(b.size + len + 1024);
      b.buf!.copy(grown, 0, 0, b.size);
      b.buf = grown;
    }
    const off = b.size;
    b.size += len;
    return off;
  }

  protected append(rec: Buffer): { block: Block; off: number } {
    const off = this.reserve(rec.length, true);
    rec.copy(this.wb.buf!, off);
    return { block: this.wb, off };
  }

  protected appendMarker(kind: RecordKind, seq: number, count = 0): void {
    const rec = encodeMarker(kind, seq, count, kind === RecordKind.Skip ? this.lastTime : 0n);
    const { block } = this.append(rec);
    if (kind === RecordKind.Tombstone) block.tombs.push(seq);
    const top = kind === RecordKind.Skip ? skipEnd(rec, 0) : kind === RecordKind.Floor ? seq - 1 : seq;
    if (top > block.maxSeq) block.maxSeq = top;
    this.commit.kick();
  }

  // ---- persistence hooks -------------------------------------------------------------------

  protected persistMsg(seq: number, subject: SubjectEntry, hdr: Uint8Array, msg: Uint8Array, ts: bigint, ttl: number): void {
    const subj = subject.bytes;
    if (subj.length > 0xffff) throw storeError("BadSubject", "subject too long");
    if (this.wb.tooSparseFor(seq)) this.rotate();
    if (!this.codec.transforms) {
      const len = HEADER_LEN + subj.length + hdr.length + msg.length + CHECKSUM_LEN;
      const off = this.reserve(len);
      const buf = this.wb.buf!;
      writeHeaderFields(buf, off, len, RecordKind.Msg, 0, subj.length, hdr.length, msg.length, seq, ts, ttl);
      let p = off + HEADER_LEN;
      // Subjects are short: a loop beats a native copy call's overhead.
      const n = subj.length;
      if (n <= 32) for (let i = 0; i < n; i++) buf[p + i] = subj[i];
      else subj.copy(buf, p);
      p += n;
      if (hdr.length > 0) buf.set(hdr, p);
      buf.set(msg, p + hdr.length);
      // The checksum is written with the others of this commit cycle (sealPending).
      this.wb.addMsg(seq, off, len);
      return;
    }
    const head = Buffer.allocUnsafe(HEADER_LEN);
    writeHeaderFields(head, 0, 0, RecordKind.Msg, 0, subj.length, hdr.length, msg.length, seq, ts, ttl);
    const { body, flags } = this.codec.encode(Buffer.concat([subj, hdr, msg]), head.subarray(AAD_START, AAD_END));
    const len = HEADER_LEN + body.length + CHECKSUM_LEN;
    head.writeUInt32LE(len, 0);
    head[5] = flags;
    const off = this.reserve(len);
    head.copy(this.wb.buf!, off);
    body.copy(this.wb.buf!, off + HEADER_LEN);
    this.wb.addMsg(seq, off, len);
  }

  /** Writes the checksums of the records appended to `b` since the last call. */
  protected sealPending(b: Block): void {
    if (b.sealed >= b.size || !b.buf) return;
    sealRecords(b.buf, b.sealed, b.size);
    b.sealed = b.size;
  }

  /** The block holding live message `seq`; an index that disagrees is reported, not crashed on. */
  protected blockHolding(seq: number): Block {
    const b = this.blockOf(seq);
    if (!b || b.offsetOf(seq) < 0) throw storeError("CorruptState", `no block holds sequence ${seq}`);
    return b;
  }

  protected readBody(seq: number): Body {
    const b = this.blockHolding(seq);
    const off = b.offsetOf(seq);
    const len = b.lenOf(seq);
    let buf: Buffer;
    let at: number;
    if (b.buf) {
      buf = b.buf;
      at = off;
    } else {
      buf = this.readFromDisk(b, off, len);
      at = 0;
    }
    // Bytes that came from disk are verified on every read; the write block is our own memory.
    if (b !== this.wb && !recordIsValid(buf, at, at + len)) {
      this.warn({ kind: "corrupt-record", file: b.path, offset: off, lostSeqs: [seq], message: `checksum mismatch reading sequence ${seq}` });
      throw storeError("CorruptState", `sequence ${seq} failed its checksum`);
    }
    const flags = buf[at + 5];
    const subjLen = buf.readUInt16LE(at + 6);
    const hdrLen = buf.readUInt32LE(at + 8);
    const msgLen = buf.readUInt32LE(at + 12);
    let plain: Buffer;
    let p: number;
    if (flags === 0) {
      plain = Buffer.from(buf.subarray(at + HEADER_LEN + subjLen, at + len - CHECKSUM_LEN));
      p = 0;
    } else {
      plain = this.codec.decode(buf.subarray(at + HEADER_LEN, at + len - CHECKSUM_LEN), flags, buf.subarray(at + AAD_START, at + AAD_END), subjLen + hdrLen + msgLen);
      p = subjLen;
    }
    return { hdr: plain.subarray(p, p + hdrLen), msg: plain.subarray(p + hdrLen, p + hdrLen + msgLen) };
  }

  protected readFromDisk(b: Block, off: number, len: number): Buffer {
    // Cache a whole block only once a good share of it has been read (a scan), not for
    // scattered random reads, where loading megabytes per hit would thrash the cache.
    if (++b.diskReads > Math.max(READS_BEFORE_CACHING, b.live / 4) && this.cacheSize >= b.size) {
      const whole = this.blockImage(b);
      b.buf = whole;
      this.cached.add(b);
      this.cacheBytes += whole.length;
      this.evictCache();
      if (b.buf) return b.buf.subarray(off, off + len);
    }
    if (b.frames) {
      const plain = this.frameHolding(b, off);
      const at = off - b.frames.starts[this.lastFrame!.index];
      return plain.subarray(at, at + len);
    }
    const out = Buffer.allocUnsafe(len);
    this.readFully(b, out, off);
    return out;
  }

  /** The decompressed frame of framed block `b` holding logical offset `off`. */
  private frameHolding(b: Block, off: number): Buffer {
    const table = b.frames!;
    const last = this.lastFrame;
    if (last && last.block === b && last.generation === b.generation && off >= table.starts[last.index] && off < table.starts[last.index] + table.plainLens[last.index]) return last.plain;
    const index = table.find(off);
    if (index < 0) throw storeError("CorruptState", `no frame of ${blockFileName(b.id)} holds offset ${off}`);
    const plain = readFrame(table, index, (at, len) => {
      const raw = Buffer.allocUnsafe(len);
      this.readFully(b, raw, at);
      return raw;
    }, this.frameCodec);
    this.lastFrame = { block: b, generation: b.generation, index, plain };
    return plain;
  }

  protected readFully(b: Block, out: Buffer, position: number): void {
    let done = 0;
    while (done < out.length) {
      const n = this.fs.readSync(b.fd, out, done, out.length - done, position + done);
      if (n === 0) throw storeError("CorruptState", `${blockFileName(b.id)} is shorter than its index`);
      done += n;
    }
  }

  protected released(seq: number): void {
    const b = this.blockOf(seq);
    if (!b) return;
    b.dropMsg(seq);
    if (b !== this.wb && (b.live === 0 || b.liveBytes < this.compactRatio() * b.size)) {
      this.maintenance.add(b);
      this.commit.kick();
    }
  }

  protected persistRemove(seq: number, secure: boolean): void {
    if (!secure) {
      this.appendMarker(RecordKind.Tombstone, seq);
      return;
    }
    const b = this.blockHolding(seq);
    if (b.frames) {
      // A compressed block cannot be overwritten in place: the next cycle rewrites it without
      // the message (already gone from the block's index).
      this.maintenance.add(b);
      this.commit.kick();
      return;
    }
    const off = b.offsetOf(seq);
    const len = b.lenOf(seq);
    const erased = Buffer.allocUnsafe(len);
    // The timestamp stays so the stream's last time survives a restart.
    writeHeader(erased, 0, { len, kind: RecordKind.Erased, flags: 0, subjLen: 0, hdrLen: 0, msgLen: len - EMPTY_RECORD_LEN, seq, ts: this.index.ts(seq), ttl: 0 });
    // Random filler: nothing of the message survives in place.
    randomFillSync(erased.subarray(HEADER_LEN, len - CHECKSUM_LEN));
    sealRecord(erased, 0, len);
    if (b.buf) erased.copy(b.buf, off);
    // Bytes already handed to a write (maybe still in flight) are overwritten on disk by the
    // next commit cycle, after any write in flight that may carry the old bytes.
    if (off < b.issued) this.overwrites.push({ block: b, generation: b.generation, off, rec: erased });
    this.commit.kick();
  }

  protected persistFloor(seq: number): void {
    if (seq > this.pendingFloor) {
      this.pendingFloor = seq;
      this.commit.kick();
    }
  }

  protected persistSkip(seq: number, num: number): void {
    this.appendMarker(RecordKind.Skip, seq, num);
  }

  protected persistTruncate(seq: number): void {
    this.truncateBlocks(seq);
  }

  protected durable(): Promise<void> {
    return this.commit.wait();
  }

  // ---- writing -----------------------------------------------------------------------------

  /**
   * One commit cycle's writes: pending floor and maintenance first (synchronously, nothing is in
   * flight then), then every unwritten block tail and pending overwrite, handed to the OS with
   * asynchronous writes so that appending continues on the event loop meanwhile.
   */
  protected writePending(): Promise<void> {
    this.prepareWrites();
    const writes: PendingWrite[] = [];
    for (const b of this.unwritten()) {
      this.sealPending(b);
      writes.push(this.pendingWrite(b, b.buf!, b.issued, b.size, b.issued, true));
      b.issued = b.size;
    }
    for (const o of this.overwrites.splice(0)) {
      if (o.block.generation === o.generation && this.blocks.includes(o.block)) writes.push(this.pendingWrite(o.block, o.rec, 0, o.rec.length, o.off, false));
    }
    let chain = Promise.resolve();
    for (const w of writes) chain = chain.then(() => this.writeAsync(w));
    return chain;
  }

  /**
   * A write of buf[from, to) at file position `pos` of block `b`, pinned to the block's file
   * and generation as they are now (`appended`: the block's own bytes, so `flushed` advances).
   */
  private pendingWrite(b: Block, buf: Buffer, from: number, to: number, pos: number, appended: boolean): PendingWrite {
    // Counted from now on: a write waiting its turn still needs the buffer.
    b.inflight++;
    return { b, buf, from, to, pos, appended, fd: b.fd, generation: b.generation };
  }

  private prepareWrites(): void {
    if (this.pendingFloor > this.writtenFloor) {
      this.appendMarker(RecordKind.Floor, this.pendingFloor);
      this.writtenFloor = this.pendingFloor;
    }
    this.runMaintenance();
  }

  /** Sealed blocks with unwritten tails (just rotated), then the write block. */
  private unwritten(): Block[] {
    const out = this.sealing.filter((b) => b.issued < b.size && this.blocks.includes(b));
    this.sealing = [];
    if (this.wb.issued < this.wb.size) out.push(this.wb);
    return out;
  }

  /** Performs a pending write; one whose block was rewritten or deleted meanwhile is dropped. */
  private writeAsync(w: PendingWrite): Promise<void> {
    const { b, buf, to, pos, from, fd, generation } = w;
    return new Promise((resolve, reject) => {
      const finish = (err?: unknown): void => {
        b.inflight--;
        if (err) reject(err);
        else resolve();
      };
      const step = (at: number): void => {
        // Its bytes live elsewhere now (a rewrite wrote them, or they were deleted).
        if (b.generation !== generation) return finish();
        // Same generation, same file (its descriptor may have been reopened meanwhile).
        this.dirty.add(b.fd);
        this.fs.write(fd, buf, at, to - at, pos + at - from, (err, n) => {
          if (b.generation !== generation) return finish();
          if (err) return finish(err);
          const done = at + n;
          if (w.appended && done > b.flushed) b.flushed = done;
          if (done < to) step(done);
          else finish();
        });
      };
      step(from);
    });
  }

  /**
   * Writes everything appended (and pending overwrites) synchronously: for stop, snapshots and
   * truncation. A write still in flight carries identical bytes, so writing them again is
   * harmless; overwrites stay queued while one is in flight, to be applied after it.
   */
  protected writeAllSync(prelude = true): void {
    if (prelude) this.prepareWrites();
    for (const b of [...this.sealing, this.wb]) {
      if (!this.blocks.includes(b) || !b.buf) continue;
      this.sealPending(b);
      while (b.flushed < b.size) {
        const n = this.fs.writeSync(b.fd, b.buf, b.flushed, b.size - b.flushed, b.flushed);
        b.flushed += n;
        this.dirty.add(b.fd);
      }
      if (b.issued < b.flushed) b.issued = b.flushed;
    }
    this.sealing = [];
    const inflight = this.blocks.some((b) => b.inflight > 0);
    for (const o of inflight ? this.overwrites : this.overwrites.splice(0)) {
      if (o.block.generation !== o.generation || !this.blocks.includes(o.block)) continue;
      this.fs.writeSync(o.block.fd, o.rec, 0, o.rec.length, o.off);
      this.dirty.add(o.block.fd);
    }
  }

  protected afterCommit(): void {
    for (const p of this.unlinkAfterCommit.splice(0)) {
      try {
        this.fs.unlinkSync(p);
      } catch {
        // Already gone.
      }
    }
    if (!this.commit.busy) for (const fd of this.retiredFds.splice(0)) this.safeClose(fd);
  }

  /** Closes `fd` once no fsync can be in flight on it. */
  protected retire(fd: number): void {
    this.dirty.delete(fd);
    this.retiredFds.push(fd);
  }

  protected safeClose(fd: number): void {
    try {
      this.fs.closeSync(fd);
    } catch {
      // Closing is best effort.
    }
  }

  protected syncAll(): void {
    for (const fd of this.dirty) {
      try {
        this.fs.fsyncSync(fd);
      } catch (e) {
        this.warn({ kind: "io", message: `fsync failed: ${(e as Error).message}` });
      }
    }
    this.dirty.clear();
  }

  // ---- maintenance: removing and compacting sealed blocks ------------------------------------

  protected runMaintenance(): void {
    if (this.maintenance.size === 0) return;
    const todo = [...this.maintenance];
    this.maintenance.clear();
    let anchored = false;
    for (const b of todo) {
      if (b === this.wb || !this.blocks.includes(b)) continue;
      if (!anchored) {
        this.anchor();
        anchored = true;
      }
      if (b.live === 0 && !b.tombs.some((t) => this.tombstoneMatters(b, t))) this.dropBlock(b);
      else this.rewriteBlock(b, (kind, seq) => kind !== RecordKind.Erased && (kind !== RecordKind.Msg || b.offsetOf(seq) >= 0));
    }
  }

  /** Re-states first and last sequence in the write block before older blocks change. */
  protected anchor(): void {
    if (this.firstSeq > 1) this.appendMarker(RecordKind.Floor, this.msgs > 0 ? this.firstSeq : this.lastSeq + 1);
    this.appendMarker(RecordKind.Skip, this.lastSeq, 0);
  }

  /**
   * A tombstone in block `b` matters while the record it removes is still in another block's
   * file; once that block is compacted or gone, the tombstone can go too.
   */
  protected tombstoneMatters(b: Block, target: number): boolean {
    return target >= this.firstSeq && !b.covers(target) && this.blockOf(target)?.holds(target) === true;
  }

  protected dropBlock(b: Block): void {
    b.generation++;
    this.blocks = this.blocks.filter((x) => x !== b);
    this.uncache(b);
    this.retire(b.fd);
    this.unlinkAfterCommit.push(b.path);
  }

  protected uncache(b: Block): void {
    if (this.cached.delete(b)) this.cacheBytes -= b.buf?.length ?? 0;
    this.recycleBuffer(b);
    b.buf = null;
  }

  /** The records of block `b` (decompressed when it is framed; damaged frames read as zeros). */
  protected blockImage(b: Block): Buffer {
    if (b.buf) {
      this.sealPending(b);
      return b.buf.subarray(0, b.size);
    }
    if (b.frames) {
      const file = Buffer.allocUnsafe(b.fileSize);
      this.readFully(b, file, 0);
      return decodeFrames(file, this.frameCodec).logical.subarray(0, b.size);
    }
    const img = Buffer.allocUnsafe(b.size);
    this.readFully(b, img, 0);
    return img;
  }

  /**
   * Rewrites a block keeping the records `keep` accepts (tombstones are kept only while they
   * still refer to messages of older blocks), via a synced temp file and an atomic rename.
   */
  protected rewriteBlock(b: Block, keep: (kind: RecordKind, seq: number, off: number) => boolean, clipTo = Number.MAX_SAFE_INTEGER): void {
    const img = this.blockImage(b);
    // Sealed blocks are stored compressed when compression is on; the write block never is.
    const framed = this.compressSealed && b !== this.wb;
    const run = new RunBuilder(img.length);
    const movedSeqs: number[] = [];
    const movedOffs: number[] = [];
    const movedLens: number[] = [];
    const tombs: number[] = [];
    let maxSeq = 0;
    scanRecords(img, (off, len) => {
      const kind = img[off + 4] as RecordKind;
      const seq = readSeq(img, off);
      if (!keep(kind, seq, off)) return;
      if (kind === RecordKind.Tombstone) {
        if (!this.tombstoneMatters(b, seq)) return;
        tombs.push(seq);
        maxSeq = Math.max(maxSeq, seq);
      } else if (kind === RecordKind.Skip) {
        const end = skipEnd(img, off);
        maxSeq = Math.max(maxSeq, Math.min(end, clipTo));
        if (end > clipTo) {
          const clipped = encodeMarker(RecordKind.Skip, seq, clipTo - seq + 1, img.readBigInt64LE(off + 24));
          run.append(clipped, 0, clipped.length);
          return;
        }
      } else if (kind === RecordKind.Msg) {
        maxSeq = Math.max(maxSeq, seq);
        // Records compressed or encrypted one by one (older versions) go into frames plain.
        const rec = framed && img[off + 5] !== 0 ? plainRecordOf(img, off, len, this.codec) : undefined;
        movedSeqs.push(seq);
        movedOffs.push(rec ? run.append(rec, 0, rec.length) : run.append(img, off, len));
        movedLens.push(rec ? rec.length : len);
        return;
      } else if (kind === RecordKind.Floor) {
        maxSeq = Math.max(maxSeq, seq - 1);
      }
      run.append(img, off, len);
    });
    const content = run.bytes();
    const frames = framed ? encodeFrames(content, this.frameCodec) : undefined;
    const file = frames ? frames.file : content;
    const tmp = `${b.path}.tmp`;
    const fd = this.fs.openSync(tmp, "w+");
    try {
      if (file.length > 0) this.fs.writeSync(fd, file, 0, file.length, 0);
      this.fs.fsyncSync(fd);
      this.fs.renameSync(tmp, b.path);
    } catch (e) {
      this.safeClose(fd);
      throw e;
    }
    syncDir(this.msgsDir);
    this.retire(b.fd);
    b.fd = fd;
    b.rebuildSlots(movedSeqs, movedOffs, movedLens);
    b.tombs = tombs;
    b.size = b.sealed = b.flushed = b.issued = content.length;
    b.frames = frames ? frames.table : null;
    b.fileSize = file.length;
    b.generation++;
    b.maxSeq = maxSeq;
    b.damaged = false;
    const wasCached = this.cached.has(b);
    this.uncache(b);
    if (b === this.wb) b.buf = this.blockBuffer(content);
    else if (wasCached) {
      b.buf = content;
      this.cached.add(b);
      this.cacheBytes += content.length;
    }
  }

  /** Physically removes every record above `seq` (Go's Truncate), then re-anchors. */
  protected truncateBlocks(seq: number): void {
    this.writeAllSync(false);
    if (seq === 0) {
      for (const b of this.blocks) {
        b.generation++;
        this.retire(b.fd);
        this.fs.unlinkSync(b.path);
        this.uncache(b);
      }
      this.blocks = [];
      this.pendingFloor = this.writtenFloor = 0;
      this.newWriteBlock();
      // A reset store keeps its last time (Go's reset sets it to now) across a restart.
      this.appendMarker(RecordKind.Skip, 0, 0);
      this.afterCommit();
      return;
    }
    // A floor above the new end would hide sequences that get reused.
    this.pendingFloor = Math.min(this.pendingFloor, seq + 1);
    this.writtenFloor = Math.min(this.writtenFloor, this.pendingFloor);
    const carry: number[] = [];
    for (const b of [...this.blocks]) {
      if (b.maxSeq <= seq) continue;
      if (b.base === 0 || b.base > seq) {
        for (const t of b.tombs) if (t <= seq && this.tombstoneMatters(b, t)) carry.push(t);
        b.generation++;
        this.blocks = this.blocks.filter((x) => x !== b);
        this.uncache(b);
        this.retire(b.fd);
        this.fs.unlinkSync(b.path);
      } else {
        this.rewriteBlock(b, (kind, s) => (kind === RecordKind.Floor ? s <= seq + 1 : kind === RecordKind.Msg ? s <= seq && b.offsetOf(s) >= 0 : s <= seq), seq);
      }
    }
    if (this.blocks.length === 0) this.newWriteBlock();
    const last = this.blocks[this.blocks.length - 1];
    if (last !== this.wb && last.frames) {
      // Records are appended to plain blocks only.
      this.newWriteBlock();
    } else if (last !== this.wb) {
      this.retire(last.fd);
      last.fd = this.fs.openSync(last.path, "r+");
      const img = this.blockImage(last);
      this.uncache(last);
      last.buf = this.blockBuffer(img);
      this.wb = last;
    }
    for (const t of carry) this.appendMarker(RecordKind.Tombstone, t);
    // Deleted blocks may have held the floor and last-sequence markers: re-state both.
    this.anchor();
    this.writeAllSync(false);
    this.fs.fsyncSync(this.wb.fd);
    syncDir(this.msgsDir);
    this.afterCommit();
  }

  protected compactRatio(): number {
    return this.fcfg.compact_ratio ?? 0.5;
  }

  protected warn(w: StoreWarning): void {
    this.warnings.push(w);
    this.onWarning?.(w);
  }
}
