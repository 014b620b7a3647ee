import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StoreError, storeError } from "../errors.js";
import { FileConsumerStore } from "../consumer/consumer-store.js";
import type { SubjectEntry } from "../subject-index.js";
import type { ConsumerStore, ConsumerStoreConfig, FileStoreConfig, SnapshotResult, StorageType, StreamState } from "../types.js";
import { Block, blockFileName } from "./block.js";
import { BlockLog, type FileStoreOptions } from "./block-log.js";
import { AAD_END, AAD_START, BodyCodec } from "./body-codec.js";
import { lockDirectory } from "./dir-lock.js";
import { syncDir } from "./fs-ops.js";
import { decodeFrames, isFramed } from "./frames.js";
import { GroupCommit } from "./group-commit.js";
import { CHECKSUM_LEN, HEADER_LEN, readSeq, readTs, RecordKind, skipEnd } from "./record.js";
import { scanRecords } from "./scan.js";
import { packDirectory, unpackDirectory } from "./snapshot.js";

export type { FileStoreOptions } from "./block-log.js";

const DEFAULT_SYNC_INTERVAL_NS = 120e9;
const META_FILE = "meta.json";

interface Meta {
  format: 1;
  created: string;
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
export class FileStore extends BlockLog {
  private syncTimer?: NodeJS.Timeout;
  private lost: number[] = [];
  private lostBytes = 0;
  private unlock?: () => void;

  private constructor(fcfg: FileStoreConfig, opts: FileStoreOptions) {
    super(fcfg, opts);
  }

  /** Opens (creating or recovering) the store in `cfg.dir`. */
  static async open(cfg: FileStoreConfig, opts: FileStoreOptions = {}): Promise<FileStore> {
    if (!cfg.dir) throw storeError("BadConfig", "dir is required");
    const store = new FileStore(cfg, opts);
    try {
      store.init();
    } catch (e) {
      store.releaseFiles();
      throw e;
    }
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
    this.unlock = lockDirectory(this.dir);
    this.dirFd = this.fs.openSync(this.msgsDir, "r");
    const meta = this.loadMeta();
    // Records are never compressed one by one any more (blocks are, when sealed); records that
    // older versions compressed still decode.
    this.codec = new BodyCodec(false, this.fcfg.cipher);
    this.frameCodec = new BodyCodec(true, this.fcfg.cipher);
    const check = this.codec.keyCheck();
    if (meta.keyCheck && !check) throw storeError("NoEncryptionKey");
    if (meta.keyCheck && check !== meta.keyCheck) throw storeError("BadKey");
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
        onSyncError: (e) => this.warn({ kind: "io", message: `fsync failed: ${(e as Error).message}` }),
        fdatasync: (fd) => new Promise((res, rej) => this.fs.fdatasync(fd, (err) => (err ? rej(err) : res()))),
      },
      this.fcfg.sync ?? "always",
    );
    this.recover();
    // Only a key that just decrypted every record is remembered as the store's key.
    if (check && !meta.keyCheck) this.writeMeta({ ...meta, keyCheck: check });
    if (this.fcfg.sync === "interval") {
      const interval = this.fcfg.sync_interval ?? DEFAULT_SYNC_INTERVAL_NS;
      // Timers hold at most 2^31-1 ms; a missing, invalid or zero interval means Go's default.
      const ms = Math.min(2 ** 31 - 1, Math.max(1, (Number.isFinite(interval) && interval > 0 ? interval : DEFAULT_SYNC_INTERVAL_NS) / 1e6));
      // The fsync runs in the commit cycle, off the event loop.
      this.syncTimer = setInterval(() => this.commit.requestSync(), ms);
      this.syncTimer.unref();
    }
    this.expireMsgs();
  }

  private loadMeta(): Meta {
    const path = join(this.dir, META_FILE);
    if (existsSync(path)) {
      try {
        const m = JSON.parse(readFileSync(path, "utf8")) as Meta;
        if (m.format === 1) return m;
      } catch {
        // fall through: a damaged meta file is rewritten; keys cannot be checked then.
      }
      this.warn({ kind: "bad-index", file: path, message: "meta file unreadable; recreated" });
    }
    const meta: Meta = { format: 1, created: new Date().toISOString() };
    this.writeMeta(meta);
    return meta;
  }

  private writeMeta(meta: Meta): void {
    const path = join(this.dir, META_FILE);
    writeFileSync(`${path}.tmp`, JSON.stringify(meta));
    this.fs.renameSync(`${path}.tmp`, path);
    syncDir(this.dir);
  }

  /** Rebuilds every in-memory index from the block files. */
  private recover(): void {
    const ids = readdirSync(this.msgsDir)
      .filter((f) => /^\d+\.blk$/.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b);
    this.lastBlockId = Math.max(this.lastBlockId, ids.at(-1) ?? 0);
    for (const f of readdirSync(this.msgsDir)) if (f.endsWith(".tmp")) rmSync(join(this.msgsDir, f), { force: true });
    const tombstoned = new Set<number>();
    let floor = 0;
    let maxSeq = 0;
    let lastMsgSeq = 0;
    let lastTs = 0n;
    let lastTsSeq = 0;
    const gaps: { after: number; before: number }[] = [];
    let openGap: { after: number; before: number } | undefined;
    // Block files are read into one write-block buffer, whose records hash in place.
    const scratch = this.takeBuffer();
    for (const [i, id] of ids.entries()) {
      const path = join(this.msgsDir, blockFileName(id));
      const isLast = i === ids.length - 1;
      const b = new Block(id, path, this.fs.openSync(path, "r+"));
      const file = this.readForRecovery(b, scratch);
      let image: Buffer = file;
      if (isFramed(file)) {
        const decoded = decodeFrames(file, this.frameCodec);
        image = decoded.logical;
        b.frames = decoded.table;
        b.fileSize = file.length;
      }
      const { validEnd, damaged } = scanRecords(image, (off, len) => {
        if (openGap && image[off + 4] === RecordKind.Msg) {
          openGap.before = readSeq(image, off);
          openGap = undefined;
        }
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
      }, () => {
        // Messages between the last good one and the next good one may have been in here.
        if (!openGap) {
          openGap = { after: lastMsgSeq, before: Number.MAX_SAFE_INTEGER };
          gaps.push(openGap);
        }
      });
      b.size = b.sealed = b.flushed = b.issued = validEnd;
      const plain = b.frames === null;
      for (const d of damaged) this.reportDamage(b, d.start, d.end, plain && isLast && d.end === image.length);
      if (plain && isLast && validEnd < image.length) {
        // A torn or damaged tail: cut it so appends continue after the last good record.
        this.fs.ftruncateSync(b.fd, validEnd);
      }
      if (plain && isLast) b.buf = this.blockBuffer(image.subarray(0, validEnd));
      this.blocks.push(b);
    }
    this.giveBackBuffer(scratch);
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
    this.detectLost(gaps, tombstoned, floor);
    if (this.blocks.length === 0) this.newWriteBlock();
    else {
      this.wb = this.blocks[this.blocks.length - 1];
      // Appends go to an undamaged plain block (a compressed one is last when the crash came
      // before the next block's file was created).
      if (this.wb.damaged || this.wb.frames) this.newWriteBlock();
    }
    for (const b of this.blocks) {
      if (b === this.wb) continue;
      // A block sealed but not yet compressed when the store stopped is compressed now.
      const uncompressed = this.compressSealed && !b.frames && b === this.blocks[this.blocks.length - 2];
      if (uncompressed || b.live === 0 || b.liveBytes < this.compactRatio() * b.size) this.maintenance.add(b);
    }
    if (this.maintenance.size > 0) this.commit.kick();
  }

  /** The bytes of block `b`'s file: in `scratch` when they fit (valid until the next call). */
  private readForRecovery(b: Block, scratch: Buffer): Buffer {
    const size = this.fs.fstatSync(b.fd).size;
    const out = size <= scratch.length ? scratch.subarray(0, size) : Buffer.allocUnsafe(size);
    this.readFully(b, out, 0);
    return out;
  }

  private recoveredSubject(image: Buffer, off: number, len: number, flags: number, subjLen: number, restLen: number): SubjectEntry | string | undefined {
    if (flags === 0) return this.subjects.internBytes(image, off + HEADER_LEN, off + HEADER_LEN + subjLen);
    try {
      const plain = this.codec.decode(image.subarray(off + HEADER_LEN, off + len - CHECKSUM_LEN), flags, image.subarray(off + AAD_START, off + AAD_END), subjLen + restLen);
      return plain.toString("utf8", 0, subjLen);
    } catch (e) {
      // The checksum matched, so the bytes are what was written: failing to decrypt means the
      // wrong key or cipher. Refuse to open rather than treat the messages as gone, which would
      // let compaction delete them.
      if (e instanceof StoreError && (e.code === "NoEncryptionKey" || e.code === "BadKey")) throw e;
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

  /**
   * Sequences next to damage (between the last good message before it and the first good one
   * after it) with neither a message nor a removal record were lost. A torn tail has no good
   * message after it, so it only loses what was never acknowledged past the last sequence.
   */
  private detectLost(gaps: { after: number; before: number }[], tombstoned: Set<number>, floor: number): void {
    const lost: number[] = [];
    for (const g of gaps) {
      // Not bounded by the first sequence: damage at the head (a whole frame of the first block)
      // moves it past messages that were lost, not removed.
      const from = Math.max(g.after + 1, floor);
      const to = Math.min(g.before - 1, this.lastSeq);
      // Skip and erase records are not indexed per sequence: a gap next to damage is reported
      // as lost, erring on the side of telling the operator.
      for (let s = from; s <= to && lost.length < 100_000; s++) if (!this.index.has(s) && !tombstoned.has(s)) lost.push(s);
    }
    if (lost.length > 0) {
      this.lost = lost;
      this.warn({ kind: "lost-messages", lostSeqs: lost, message: `${lost.length} message(s) lost to damage: ${lost.slice(0, 10).join(", ")}${lost.length > 10 ? ", ..." : ""}` });
    }
  }


  /**
   * A write failed (disk full, I/O error): cut the write block back to what reached the OS and
   * rebuild the in-memory state from disk, so memory never claims what the disk lacks.
   */
  private recoverFromWriteError(e: unknown): void {
    this.warn({ kind: "io", file: this.wb.path, message: `write failed, rolled back to last written record: ${(e as Error).message}` });
    for (const b of this.blocks) {
      if (b.flushed >= b.size) continue;
      try {
        this.fs.ftruncateSync(b.fd, b.flushed);
      } catch {
        // If even truncation fails, recovery's checksum scan cuts the torn tail.
      }
    }
    for (const b of this.blocks) {
      b.generation++;
      this.retire(b.fd);
    }
    this.blocks = [];
    this.sealing = [];
    this.overwrites = [];
    this.cached.clear();
    this.cacheBytes = 0;
    this.maintenance.clear();
    this.dirty.clear();
    this.resetCoreState();
    this.lost = [];
    this.lostBytes = 0;
    this.recover();
  }

  // ---- state and lifecycle -----------------------------------------------------------------

  override state(): StreamState {
    const st = super.state();
    if (this.lost.length > 0) st.lost = { msgs: [...this.lost], bytes: this.lostBytes };
    return st;
  }

  utilization(): { total: number; reported: number } {
    let total = 0;
    for (const b of this.blocks) total += b.frames ? b.fileSize : b.size;
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
    this.writeAllSync();
    this.syncAll();
    return { data: packDirectory(this.dir), state: this.state() };
  }

  /** Writes a snapshot into the empty directory `cfg.dir` and opens it. */
  static async restore(cfg: FileStoreConfig, data: Uint8Array, opts: FileStoreOptions = {}): Promise<FileStore> {
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
      this.writeAllSync();
      this.syncAll();
    } catch (e) {
      this.warn({ kind: "io", message: `final flush failed: ${(e as Error).message}` });
    }
    this.afterCommit();
    for (const b of this.blocks) {
      this.safeClose(b.fd);
      // Nothing is in flight any more: the buffers serve the next block or store.
      this.recycleBuffer(b);
      b.buf = null;
    }
    for (const fd of this.retiredFds.splice(0)) this.safeClose(fd);
    this.safeClose(this.dirFd);
    this.blocks = [];
    this.cached.clear();
    this.unlock?.();
  }

  /** Closes every file descriptor without flushing (a failed open). */
  private releaseFiles(): void {
    this.closed = true;
    this.commit?.close();
    for (const b of this.blocks) this.safeClose(b.fd);
    for (const fd of this.retiredFds.splice(0)) this.safeClose(fd);
    if (this.dirFd >= 0) this.safeClose(this.dirFd);
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.blocks = [];
    this.unlock?.();
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
