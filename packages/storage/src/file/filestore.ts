import { randomFillSync } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StoreError, storeError } from "../errors.js";
import type { Body } from "../store-core.js";
import { StoreQueries } from "../store-queries.js";
import type { SubjectEntry } from "../subject-index.js";
import { FileConsumerStore } from "../consumer/consumer-store.js";
import type { ConsumerStore, ConsumerStoreConfig, FileStoreConfig, SnapshotResult, StorageType, StoreOptions, StoreWarning, StreamState } from "../types.js";
import { Block, blockFileName } from "./block.js";
import { AAD_END, AAD_START, BodyCodec, newSalt } from "./body-codec.js";
import { initChecksum } from "./checksum.js";
import { defaultFsOps, syncDir, type FsOps } from "./fs-ops.js";
import { GroupCommit } from "./group-commit.js";
import {
  CHECKSUM_LEN,
  EMPTY_RECORD_LEN,
  encodeMarker,
  HEADER_LEN,
  readSeq,
  readTs,
  RecordKind,
  skipEnd,
  recordIsValid,
  sealRecord,
  writeHeader,
  writeHeaderFields,
} from "./record.js";
import { scanRecords } from "./scan.js";
import { packDirectory, unpackDirectory } from "./snapshot.js";

const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
const DEFAULT_CACHE_SIZE = 32 * 1024 * 1024;
const DEFAULT_SYNC_INTERVAL_NS = 120e9;
const READS_BEFORE_CACHING = 32;
const META_FILE = "meta.json";
const MSGS_DIR = "msgs";

/** Non-configuration hooks for FileStore. */
export interface FileStoreOptions extends StoreOptions {
  /** Replacement file operations, for fault-injection tests. */
  fs?: FsOps;
}

interface Meta {
  format: 1;
  created: string;
  salt: string;
  keyCheck?: string;
}

/** Go's fileStoreMsgSize: the bytes a message is accounted for in stream state. */
export function fileStoreMsgSize(subjectLen: number, hdrLen: number, msgLen: number): number {
  return hdrLen === 0 ? 22 + subjectLen + msgLen + 8 : 22 + subjectLen + 4 + hdrLen + msgLen + 8;
}

/**
 * Durable StreamStore on append-only, checksummed block files (Go's fileStore).
 *
 * @example
 * const store = await FileStore.open({ dir: "/data/orders", max_age: 3600e9, sync: "always" });
 * const { seq } = await store.storeMsg("orders.eu", null, Buffer.from("{}")); // resolves after fsync
 * await store.stop();
 */
export class FileStore extends StoreQueries {
  /** Problems found and worked around since open (damage, lost records, I/O errors). */
  readonly warnings: StoreWarning[] = [];
  private readonly fs: FsOps;
  private readonly dir: string;
  private readonly msgsDir: string;
  private readonly blockSize: number;
  private readonly cacheSize: number;
  private readonly onWarning?: (w: StoreWarning) => void;
  private codec!: BodyCodec;
  private blocks: Block[] = [];
  private wb!: Block;
  private cached = new Set<Block>();
  private cacheBytes = 0;
  private commit!: GroupCommit;
  private dirty = new Set<number>();
  private retiredFds: number[] = [];
  private unlinkAfterCommit: string[] = [];
  private maintenance = new Set<Block>();
  private pendingFloor = 0;
  private writtenFloor = 0;
  private syncTimer?: NodeJS.Timeout;
  private dirFd = -1;
  private lost: number[] = [];
  private lostBytes = 0;

  private constructor(private fcfg: FileStoreConfig, opts: FileStoreOptions) {
    super(fcfg, opts);
    this.fs = opts.fs ?? defaultFsOps;
    this.onWarning = opts.onWarning;
    this.dir = fcfg.dir;
    this.msgsDir = join(fcfg.dir, MSGS_DIR);
    this.blockSize = fcfg.block_size && fcfg.block_size > 0 ? fcfg.block_size : DEFAULT_BLOCK_SIZE;
    this.cacheSize = fcfg.cache_size ?? DEFAULT_CACHE_SIZE;
  }

  /** Opens (creating or recovering) the store in `cfg.dir`. */
  static async open(cfg: FileStoreConfig, opts: FileStoreOptions = {}): Promise<FileStore> {
    if (!cfg.dir) throw storeError("BadConfig", "dir is required");
    await initChecksum();
    const store = new FileStore(cfg, opts);
    store.init();
    return store;
  }

  type(): StorageType {
    return "file";
  }

  protected msgSize(subjectLen: number, hdrLen: number, msgLen: number): number {
    return fileStoreMsgSize(subjectLen, hdrLen, msgLen);
  }

  // ---- opening and recovery ----------------------------------------------------------------

  private init(): void {
    mkdirSync(this.msgsDir, { recursive: true });
    this.dirFd = this.fs.openSync(this.msgsDir, "r");
    const meta = this.loadMeta();
    this.codec = new BodyCodec(this.fcfg.compression === "s2" || this.fcfg.compression === "snappy", this.fcfg.cipher, Buffer.from(meta.salt, "hex"));
    const check = this.codec.keyCheck();
    if (meta.keyCheck && !check) throw storeError("NoEncryptionKey");
    if (meta.keyCheck && check !== meta.keyCheck) throw storeError("BadKey");
    if (check && !meta.keyCheck) this.writeMeta({ ...meta, keyCheck: check });
    this.commit = new GroupCommit(
      {
        writePending: () => this.writePending(),
        takeDirtyFds: () => {
          const fds = [...this.dirty];
          this.dirty.clear();
          return fds;
        },
        afterCommit: () => this.afterCommit(),
        onWriteError: (e) => this.recoverFromWriteError(e),
        fdatasync: (fd) => new Promise((res, rej) => this.fs.fdatasync(fd, (err) => (err ? rej(err) : res()))),
      },
      this.fcfg.sync ?? "always",
    );
    this.recover();
    if (this.fcfg.sync === "interval") {
      const ms = Math.max(1, (this.fcfg.sync_interval ?? DEFAULT_SYNC_INTERVAL_NS) / 1e6);
      this.syncTimer = setInterval(() => this.syncAll(), ms);
      this.syncTimer.unref();
    }
    this.expireMsgs();
  }

  private loadMeta(): Meta {
    const path = join(this.dir, META_FILE);
    if (existsSync(path)) {
      try {
        const m = JSON.parse(readFileSync(path, "utf8")) as Meta;
        if (m.format === 1 && typeof m.salt === "string") return m;
      } catch {
        // fall through: a damaged meta file is rewritten; keys cannot be checked then.
      }
      this.warn({ kind: "bad-index", file: path, message: "meta file unreadable; recreated" });
    }
    const meta: Meta = { format: 1, created: new Date().toISOString(), salt: newSalt().toString("hex") };
    this.writeMeta(meta);
    return meta;
  }

  private writeMeta(meta: Meta): void {
    const path = join(this.dir, META_FILE);
    writeFileSync(`${path}.tmp`, JSON.stringify(meta));
    this.fs.renameSync(`${path}.tmp`, path);
    syncDir(this.dir);
  }

  private warn(w: StoreWarning): void {
    this.warnings.push(w);
    this.onWarning?.(w);
  }

  /** Rebuilds every in-memory index from the block files. */
  private recover(): void {
    const ids = readdirSync(this.msgsDir)
      .filter((f) => /^\d+\.blk$/.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b);
    for (const f of readdirSync(this.msgsDir)) if (f.endsWith(".tmp")) rmSync(join(this.msgsDir, f), { force: true });
    const tombstoned = new Set<number>();
    let floor = 0;
    let maxSeq = 0;
    let lastMsgSeq = 0;
    let lastTs = 0n;
    let lastTsSeq = 0;
    for (const [i, id] of ids.entries()) {
      const path = join(this.msgsDir, blockFileName(id));
      const isLast = i === ids.length - 1;
      const b = new Block(id, path, this.fs.openSync(path, "r+"));
      const image = readFileSync(path);
      const { validEnd, damaged } = scanRecords(image, (off, len) => {
        const kind = image[off + 4] as RecordKind;
        const seq = readSeq(image, off);
        switch (kind) {
          case RecordKind.Msg: {
            if (seq <= lastMsgSeq) {
              this.warn({ kind: "corrupt-record", file: path, offset: off, message: `out of order message sequence ${seq} ignored` });
              return;
            }
            const subjLen = image.readUInt16LE(off + 6);
            const hdrLen = image.readUInt32LE(off + 8);
            const msgLen = image.readUInt32LE(off + 12);
            const subject = this.recoveredSubject(image, off, len, image[off + 5], subjLen, hdrLen + msgLen);
            if (subject === undefined) return;
            const ts = readTs(image, off);
            b.addMsg(seq, off, len);
            this.recoverMsg(seq, subject, ts, image.readInt32LE(off + 32), fileStoreMsgSize(subjLen, hdrLen, msgLen));
            lastMsgSeq = seq;
            if (seq >= lastTsSeq) {
              lastTsSeq = seq;
              lastTs = ts;
            }
            break;
          }
          case RecordKind.Tombstone:
            tombstoned.add(seq);
            b.tombs.push(seq);
            break;
          case RecordKind.Skip: {
            const end = skipEnd(image, off);
            const ts = image.readBigInt64LE(off + 24);
            if (ts !== 0n && end >= lastTsSeq) {
              lastTsSeq = end;
              lastTs = ts;
            }
            if (end > maxSeq) maxSeq = end;
            if (end > b.maxSeq) b.maxSeq = end;
            return;
          }
          case RecordKind.Floor:
            if (seq > floor) floor = seq;
            if (seq - 1 > maxSeq) maxSeq = seq - 1;
            return;
          case RecordKind.Erased:
            if (seq >= lastTsSeq) {
              lastTsSeq = seq;
              lastTs = image.readBigInt64LE(off + 24);
            }
            break;
        }
        if (seq > maxSeq) maxSeq = seq;
        if (seq > b.maxSeq) b.maxSeq = seq;
      });
      b.size = b.flushed = validEnd;
      for (const d of damaged) this.reportDamage(b, d.start, d.end, isLast && d.end === image.length);
      if (isLast && validEnd < image.length) {
        // A torn or damaged tail: cut it so appends continue after the last good record.
        this.fs.ftruncateSync(b.fd, validEnd);
      }
      if (isLast) b.buf = this.blockBuffer(image.subarray(0, validEnd));
      this.blocks.push(b);
    }
    this.lastSeq = Math.max(maxSeq, lastMsgSeq);
    this.lastTime = lastTs;
    this.writtenFloor = this.pendingFloor = floor;
    // Removals recorded after the messages they remove.
    if (floor > 0) for (let s = this.index.nextLive(0, Math.min(floor - 1, this.lastSeq)); s >= 0; s = this.index.nextLive(s + 1, floor - 1)) this.dropRecovered(s);
    for (const s of tombstoned) if (this.index.has(s)) this.dropRecovered(s);
    const first = this.msgs > 0 ? this.index.nextLive(0, this.lastSeq) : -1;
    if (first >= 0) {
      this.firstSeq = first;
      this.firstTime = this.index.ts(first);
    } else {
      this.firstSeq = this.lastSeq + 1;
      if (this.lastSeq === 0 && floor === 0) {
        this.firstSeq = 0;
        this.applyFirstSeq();
      }
    }
    this.detectLost(tombstoned, floor);
    if (this.blocks.length === 0) this.newWriteBlock();
    else {
      this.wb = this.blocks[this.blocks.length - 1];
      if (this.wb.damaged) this.newWriteBlock();
    }
    for (const b of this.blocks) if (b !== this.wb && (b.live === 0 || b.liveBytes < this.compactRatio() * b.size)) this.maintenance.add(b);
    if (this.maintenance.size > 0) this.commit.kick();
  }

  private recoveredSubject(image: Buffer, off: number, len: number, flags: number, subjLen: number, restLen: number): string | undefined {
    if (flags === 0) return image.toString("utf8", off + HEADER_LEN, off + HEADER_LEN + subjLen);
    try {
      const plain = this.codec.decode(image.subarray(off + HEADER_LEN, off + len - CHECKSUM_LEN), flags, image.subarray(off + AAD_START, off + AAD_END), subjLen + restLen);
      return plain.toString("utf8", 0, subjLen);
    } catch (e) {
      if (e instanceof StoreError && e.code === "NoEncryptionKey") throw e;
      this.warn({ kind: "corrupt-record", offset: off, message: `record body unreadable: ${(e as Error).message}` });
      return undefined;
    }
  }

  private reportDamage(b: Block, start: number, end: number, tail: boolean): void {
    b.damaged = true;
    this.warn({
      kind: tail ? "truncated-block" : "corrupt-record",
      file: b.path,
      offset: start,
      message: `${end - start} damaged bytes at offset ${start} of ${blockFileName(b.id)} skipped${tail ? " (torn tail cut off)" : ""}`,
    });
    this.lostBytes += end - start;
  }

  /** Sequences inside the stream range with neither a message nor a removal record were lost. */
  private detectLost(tombstoned: Set<number>, floor: number): void {
    if (this.lostBytes === 0 || this.msgs === 0) return;
    const from = Math.max(this.firstSeq, floor);
    const explained = tombstoned;
    const lost: number[] = [];
    for (let s = from; s <= this.lastSeq && lost.length < 100_000; s++) {
      // Skip and erase records are not indexed per sequence: a gap next to damage is reported
      // as lost, erring on the side of telling the operator.
      if (!this.index.has(s) && !explained.has(s)) lost.push(s);
    }
    if (lost.length > 0) {
      this.lost = lost;
      this.warn({ kind: "lost-messages", lostSeqs: lost, message: `${lost.length} message(s) lost to damage: ${lost.slice(0, 10).join(", ")}${lost.length > 10 ? ", ..." : ""}` });
    }
  }

  private compactRatio(): number {
    return this.fcfg.compact_ratio ?? 0.5;
  }

  // ---- blocks ------------------------------------------------------------------------------

  private blockBuffer(content: Buffer): Buffer {
    const buf = Buffer.allocUnsafe(Math.max(this.blockSize + 1024, content.length + 1024));
    content.copy(buf, 0);
    return buf;
  }

  private newWriteBlock(): void {
    const id = this.blocks.length > 0 ? this.blocks[this.blocks.length - 1].id + 1 : 1;
    const path = join(this.msgsDir, blockFileName(id));
    const b = new Block(id, path, this.fs.openSync(path, "w+"));
    b.buf = Buffer.allocUnsafe(this.blockSize + 1024);
    this.blocks.push(b);
    this.wb = b;
    // The new file's directory entry becomes durable with the next group commit.
    this.dirty.add(this.dirFd);
  }

  private rotate(): void {
    const old = this.wb;
    this.writeBlock(old);
    this.newWriteBlock();
    if (old.live === 0 || old.liveBytes < this.compactRatio() * old.size) this.maintenance.add(old);
    // The sealed block's bytes stay cached: recent messages are the likeliest reads.
    if (old.buf) {
      old.buf = old.buf.subarray(0, old.size);
      this.cached.add(old);
      this.cacheBytes += old.size;
      this.evictCache();
    }
  }

  private evictCache(): void {
    for (const b of this.cached) {
      if (this.cacheBytes <= this.cacheSize) break;
      this.cached.delete(b);
      this.cacheBytes -= b.buf?.length ?? 0;
      b.buf = null;
      b.diskReads = 0;
    }
  }

  /** Block holding message `seq`, by binary search over block bases. */
  private blockOf(seq: number): Block | undefined {
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
  private reserve(len: number, marker = false): number {
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

  private append(rec: Buffer): { block: Block; off: number } {
    const off = this.reserve(rec.length, true);
    rec.copy(this.wb.buf!, off);
    return { block: this.wb, off };
  }

  private appendMarker(kind: RecordKind, seq: number, count = 0): void {
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
    if (!this.codec.transforms) {
      const len = HEADER_LEN + subj.length + hdr.length + msg.length + CHECKSUM_LEN;
      const off = this.reserve(len);
      const buf = this.wb.buf!;
      writeHeaderFields(buf, off, len, RecordKind.Msg, 0, subj.length, hdr.length, msg.length, seq, ts, ttl);
      let p = off + HEADER_LEN;
      subj.copy(buf, p);
      p += subj.length;
      if (hdr.length > 0) buf.set(hdr, p);
      buf.set(msg, p + hdr.length);
      sealRecord(buf, off, len);
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
    sealRecord(this.wb.buf!, off, len);
    this.wb.addMsg(seq, off, len);
  }

  protected readBody(seq: number): Body {
    const b = this.blockOf(seq)!;
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

  private readFromDisk(b: Block, off: number, len: number): Buffer {
    // Cache a whole block only once a good share of it has been read (a scan), not for
    // scattered random reads, where loading megabytes per hit would thrash the cache.
    if (++b.diskReads > Math.max(READS_BEFORE_CACHING, b.live / 4) && this.cacheSize >= b.size) {
      const whole = Buffer.allocUnsafe(b.size);
      this.readFully(b, whole, 0);
      b.buf = whole;
      this.cached.add(b);
      this.cacheBytes += b.size;
      this.evictCache();
      if (b.buf) return b.buf.subarray(off, off + len);
    }
    const out = Buffer.allocUnsafe(len);
    this.readFully(b, out, off);
    return out;
  }

  private readFully(b: Block, out: Buffer, position: number): void {
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
    const b = this.blockOf(seq)!;
    const off = b.offsetOf(seq);
    const len = b.lenOf(seq);
    const erased = Buffer.allocUnsafe(len);
    // The timestamp stays so the stream's last time survives a restart.
    writeHeader(erased, 0, { len, kind: RecordKind.Erased, flags: 0, subjLen: 0, hdrLen: 0, msgLen: len - EMPTY_RECORD_LEN, seq, ts: this.index.ts(seq), ttl: 0 });
    // Random filler: nothing of the message survives in place.
    randomFillSync(erased.subarray(HEADER_LEN, len - CHECKSUM_LEN));
    sealRecord(erased, 0, len);
    if (b.buf) erased.copy(b.buf, off);
    if (off < b.flushed) {
      this.fs.writeSync(b.fd, erased, 0, len, off);
      this.dirty.add(b.fd);
    }
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

  /** Writes the unflushed tail of every block (normally just the write block). */
  private writePending(): void {
    if (this.pendingFloor > this.writtenFloor) {
      this.appendMarker(RecordKind.Floor, this.pendingFloor);
      this.writtenFloor = this.pendingFloor;
    }
    this.runMaintenance();
    this.writeBlock(this.wb);
  }

  private writeBlock(b: Block): void {
    while (b.flushed < b.size) {
      const n = this.fs.writeSync(b.fd, b.buf!, b.flushed, b.size - b.flushed, b.flushed);
      b.flushed += n;
      this.dirty.add(b.fd);
    }
  }

  private afterCommit(): void {
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
  private retire(fd: number): void {
    this.dirty.delete(fd);
    this.retiredFds.push(fd);
  }

  private safeClose(fd: number): void {
    try {
      this.fs.closeSync(fd);
    } catch {
      // Closing is best effort.
    }
  }

  private syncAll(): void {
    for (const fd of this.dirty) {
      try {
        this.fs.fsyncSync(fd);
      } catch (e) {
        this.warn({ kind: "io", message: `fsync failed: ${(e as Error).message}` });
      }
    }
    this.dirty.clear();
  }

  /**
   * A write failed (disk full, I/O error): cut the write block back to what reached the OS and
   * rebuild the in-memory state from disk, so memory never claims what the disk lacks.
   */
  private recoverFromWriteError(e: unknown): void {
    this.warn({ kind: "io", file: this.wb.path, message: `write failed, rolled back to last written record: ${(e as Error).message}` });
    try {
      this.fs.ftruncateSync(this.wb.fd, this.wb.flushed);
    } catch {
      // If even truncation fails, recovery's checksum scan cuts the torn tail.
    }
    for (const b of this.blocks) this.retire(b.fd);
    this.blocks = [];
    this.cached.clear();
    this.cacheBytes = 0;
    this.maintenance.clear();
    this.dirty.clear();
    this.resetCoreState();
    this.lost = [];
    this.lostBytes = 0;
    this.recover();
  }

  // ---- maintenance: removing and compacting sealed blocks ------------------------------------

  private runMaintenance(): void {
    if (this.maintenance.size === 0 || this.commit.busy) return;
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
  private anchor(): void {
    if (this.firstSeq > 1) this.appendMarker(RecordKind.Floor, this.msgs > 0 ? this.firstSeq : this.lastSeq + 1);
    this.appendMarker(RecordKind.Skip, this.lastSeq, 0);
  }

  /**
   * A tombstone in block `b` matters while the record it removes is still in another block's
   * file; once that block is compacted or gone, the tombstone can go too.
   */
  private tombstoneMatters(b: Block, target: number): boolean {
    return target >= this.firstSeq && !b.covers(target) && this.blockOf(target)?.holds(target) === true;
  }

  private dropBlock(b: Block): void {
    this.blocks = this.blocks.filter((x) => x !== b);
    this.uncache(b);
    this.retire(b.fd);
    this.unlinkAfterCommit.push(b.path);
  }

  private uncache(b: Block): void {
    if (this.cached.delete(b)) this.cacheBytes -= b.buf?.length ?? 0;
    b.buf = null;
  }

  private blockImage(b: Block): Buffer {
    if (b.buf) return b.buf.subarray(0, b.size);
    const img = Buffer.allocUnsafe(b.size);
    this.readFully(b, img, 0);
    return img;
  }

  /**
   * Rewrites a block keeping the records `keep` accepts (tombstones are kept only while they
   * still refer to messages of older blocks), via a synced temp file and an atomic rename.
   */
  private rewriteBlock(b: Block, keep: (kind: RecordKind, seq: number, off: number) => boolean, clipTo = Number.MAX_SAFE_INTEGER): void {
    const img = this.blockImage(b);
    const parts: Buffer[] = [];
    const moved: [number, number][] = [];
    const tombs: number[] = [];
    let size = 0;
    let maxSeq = 0;
    scanRecords(img, (off, len) => {
      const kind = img[off + 4] as RecordKind;
      const seq = readSeq(img, off);
      if (!keep(kind, seq, off)) return;
      let rec = img.subarray(off, off + len);
      if (kind === RecordKind.Tombstone) {
        if (!this.tombstoneMatters(b, seq)) return;
        tombs.push(seq);
        maxSeq = Math.max(maxSeq, seq);
      } else if (kind === RecordKind.Skip) {
        const end = skipEnd(img, off);
        if (end > clipTo) rec = encodeMarker(RecordKind.Skip, seq, clipTo - seq + 1, img.readBigInt64LE(off + 24));
        maxSeq = Math.max(maxSeq, Math.min(end, clipTo));
      } else if (kind === RecordKind.Msg) {
        moved.push([seq, size]);
        maxSeq = Math.max(maxSeq, seq);
      } else if (kind === RecordKind.Floor) {
        maxSeq = Math.max(maxSeq, seq - 1);
      }
      parts.push(rec);
      size += rec.length;
    });
    const content = Buffer.concat(parts, size);
    const tmp = `${b.path}.tmp`;
    const fd = this.fs.openSync(tmp, "w+");
    try {
      if (content.length > 0) this.fs.writeSync(fd, content, 0, content.length, 0);
      this.fs.fsyncSync(fd);
      this.fs.renameSync(tmp, b.path);
    } catch (e) {
      this.safeClose(fd);
      throw e;
    }
    syncDir(this.msgsDir);
    this.retire(b.fd);
    b.fd = fd;
    b.rebuildSlots(moved);
    b.tombs = tombs;
    b.size = b.flushed = content.length;
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
  private truncateBlocks(seq: number): void {
    this.writeBlock(this.wb);
    if (seq === 0) {
      for (const b of this.blocks) {
        this.retire(b.fd);
        this.fs.unlinkSync(b.path);
        this.uncache(b);
      }
      this.blocks = [];
      this.pendingFloor = this.writtenFloor = 0;
      this.newWriteBlock();
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
    if (last !== this.wb) {
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
    this.writeBlock(this.wb);
    this.fs.fsyncSync(this.wb.fd);
    syncDir(this.msgsDir);
    this.afterCommit();
  }

  // ---- state and lifecycle -----------------------------------------------------------------

  override state(): StreamState {
    const st = super.state();
    if (this.lost.length > 0) st.lost = { msgs: [...this.lost], bytes: this.lostBytes };
    return st;
  }

  utilization(): { total: number; reported: number } {
    let total = 0;
    for (const b of this.blocks) total += b.size;
    return { total, reported: this.bytes };
  }

  /**
   * A consistent copy of the whole store (messages, consumers, metadata) as one checksummed
   * buffer, restorable with FileStore.restore. Blocks are flushed and synced first.
   */
  async snapshot(): Promise<SnapshotResult> {
    this.checkOpen();
    for (const c of this.consumers) await c.flush();
    await this.commit.wait();
    // Anything stored since the commit above goes in too, so data and state agree.
    this.writePending();
    this.syncAll();
    return { data: packDirectory(this.dir), state: this.state() };
  }

  /** Writes a snapshot into the empty directory `cfg.dir` and opens it. */
  static async restore(cfg: FileStoreConfig, data: Uint8Array, opts: FileStoreOptions = {}): Promise<FileStore> {
    await initChecksum();
    unpackDirectory(data, cfg.dir);
    return FileStore.open(cfg, opts);
  }

  /** Opens or recovers consumer `name`, persisted under `<dir>/obs/<name>`. */
  consumerStore(name: string, cfg: ConsumerStoreConfig): ConsumerStore {
    this.checkOpen();
    if (!/^[^/\\.][^/\\]*$/.test(name)) throw storeError("BadConfig", `invalid consumer name ${JSON.stringify(name)}`);
    const c = new FileConsumerStore(join(this.dir, "obs", name), cfg, this.clock, (x) => this.consumers.delete(x), this.fs);
    this.consumers.add(c);
    return c;
  }

  /** Bytes of index memory beyond block buffers: per-sequence, per-subject and per-block indexes. */
  indexMemory(): number {
    let n = this.index.memoryBytes() + this.subjects.memoryBytes();
    for (const b of this.blocks) n += b.indexBytes();
    return n;
  }

  /** Flushes, fsyncs and closes every file. The store cannot be used afterwards. */
  async stop(): Promise<void> {
    if (this.closed) return;
    for (const c of [...this.consumers]) {
      await c.stop().catch((e: Error) => this.warn({ kind: "io", message: `consumer state not saved: ${e.message}` }));
    }
    await this.commit.idle();
    this.closed = true;
    this.commit.close();
    this.stopTimers();
    if (this.syncTimer) clearInterval(this.syncTimer);
    try {
      this.writePending();
      this.syncAll();
    } catch (e) {
      this.warn({ kind: "io", message: `final flush failed: ${(e as Error).message}` });
    }
    this.afterCommit();
    for (const b of this.blocks) this.safeClose(b.fd);
    for (const fd of this.retiredFds.splice(0)) this.safeClose(fd);
    this.safeClose(this.dirFd);
    this.blocks = [];
    this.cached.clear();
  }

  /** Stops the store and removes its directory. */
  async delete(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Directory of this store (consumer state lives beneath it). */
  get directory(): string {
    return this.dir;
  }
}
