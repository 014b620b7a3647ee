import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import type { Entry, HardState, Snapshot } from "../core/types.js";
import { CodecError, Reader, Writer, readEntry, readSnapshotMeta, writeEntry, writeSnapshotMeta } from "./codec.js";

/** What a WAL directory held when it was opened. */
export interface WalState {
  hardState: HardState | null;
  snapshot: Snapshot | null;
  entries: Entry[];
  /** Set when damage was found; the log is cut at `offset`. */
  corruption: WalDamage | null;
}

/**
 * Damage found on open. `tornWrite` means nothing valid follows the damage, which is what
 * a crash during the last (never acknowledged, since not yet fsynced) write leaves behind:
 * the cut loses nothing anyone was promised. Any other damage may have destroyed
 * acknowledged entries, so the node recovers from a leader before it votes again.
 */
export interface WalDamage {
  offset: number;
  reason: string;
  tornWrite: boolean;
}

export interface WalOptions {
  /** fsync every write (default true). Turning it off gives up durability on power loss. */
  fsync?: boolean;
}

const LOG_FILE = "log";
const HARD_STATE_FILE = "hardstate";
const SNAPSHOT_FILE = "snapshot";
const RECORD_HEADER = 8;
/** term u48, index u48, type u8, data length u32. */
const MIN_ENTRY_BYTES = 17;
const SLOT_SIZE = 4096;
const SNAPSHOT_MAGIC = 0x52534e50;

/**
 * Durable storage of one RAFT node, in one directory:
 * - `log`: append-only entry records, each `[length u32][crc32 u32][entry]`. An entry whose
 *   index is not beyond the previous one replaces the tail from that index.
 * - `hardstate`: two checksummed slots written alternately, so a torn write never loses
 *   both the old and the new term/vote.
 * - `snapshot`: the latest state machine snapshot, checksummed, replaced by atomic rename.
 *
 * Opening scans the log and cuts off a corrupt or truncated tail at the last good record.
 *
 * @example
 * const wal = await Wal.open("/var/lib/raft/node-a");
 * const state = wal.state; // hardState, snapshot, entries, corruption
 * await wal.save({ entries: [e], hardState: hs });
 */
export class Wal {
  private hardStateSeq = 0;
  private writtenHardState: HardState | null = null;
  private unwrittenCommit: HardState | null = null;
  private closed = false;
  private constructor(
    private readonly dir: string,
    private log: FileHandle,
    private readonly hardStateFile: FileHandle,
    private readonly fsync: boolean,
    readonly state: WalState,
    private logSize: number,
    private lastIndex: number,
    /** Byte offset of each entry record in the log file, by index. */
    private offsets: Map<number, number>,
  ) {}

  static async open(dir: string, opts: WalOptions = {}): Promise<Wal> {
    await mkdir(dir, { recursive: true });
    const fsync = opts.fsync ?? true;
    await rm(join(dir, `${SNAPSHOT_FILE}.tmp`), { force: true });
    await rm(join(dir, `${LOG_FILE}.tmp`), { force: true });
    const snap = await readSnapshotFile(join(dir, SNAPSHOT_FILE));
    // An unreadable snapshot is useless; the leader will send a fresh one.
    if (snap.corruption) await rm(join(dir, SNAPSHOT_FILE), { force: true });
    const hs = await readHardState(join(dir, HARD_STATE_FILE));
    const scanned = await scanLog(join(dir, LOG_FILE));
    let corruption: WalDamage | null =
      scanned.corruption ?? snap.corruption ?? (hs.corrupt ? { offset: 0, reason: "hard state unreadable", tornWrite: false } : null);
    const snapIndex = snap.snapshot?.meta.index ?? 0;
    let entries = scanned.entries.filter((e) => e.index > snapIndex);
    // Entries the snapshot covers are still there after a crash between writing the
    // snapshot and compacting the log: compact now, or later appends would leave a hole.
    let rewriteAfter = entries.length < scanned.entries.length ? snapIndex : null;
    if (entries.length > 0 && entries[0].index !== snapIndex + 1) {
      corruption ??= { offset: 0, reason: `log starts at ${entries[0].index}, not after snapshot ${snapIndex}`, tornWrite: false };
      entries = [];
      rewriteAfter = Number.MAX_SAFE_INTEGER;
    }
    const log = await open(join(dir, LOG_FILE), "a+");
    if (scanned.corruption) {
      await log.truncate(scanned.goodBytes);
      if (fsync) await log.sync();
    }
    const hsPath = join(dir, HARD_STATE_FILE);
    const hardStateFile = await open(hsPath, (await exists(hsPath)) ? "r+" : "w+");
    const last = entries.length > 0 ? entries[entries.length - 1].index : snapIndex;
    const state: WalState = { hardState: hs.state, snapshot: snap.snapshot, entries, corruption };
    const wal = new Wal(dir, log, hardStateFile, fsync, state, scanned.goodBytes, last, scanned.offsets);
    wal.hardStateSeq = hs.seq;
    wal.writtenHardState = hs.state;
    if (rewriteAfter !== null) await wal.rewriteLogAfter(rewriteAfter);
    // Without fsync even a torn tail may have been acknowledged.
    if (corruption && !(corruption.tornWrite && fsync)) {
      // Acknowledged entries may be gone: refuse to vote or lead until caught up.
      const base = hs.state ?? { term: 0, vote: null, commit: 0, recovering: false };
      state.hardState = { ...base, recovering: true };
      await wal.writeHardState(state.hardState);
    }
    return wal;
  }

  /**
   * Persists one ready's durable parts (snapshot, entries, hard state), fsynced. A hard
   * state that only moves the commit index is kept until the next term/vote change or
   * `close()`: commit is relearned from the leader, so it does not cost an fsync per write.
   */
  async save(rd: { snapshot?: Snapshot | null; entries: readonly Entry[]; hardState?: HardState | null }): Promise<void> {
    if (rd.snapshot) await this.installSnapshot(rd.snapshot);
    if (rd.entries.length > 0) await this.appendEntries(rd.entries);
    if (!rd.hardState) return;
    const prev = this.writtenHardState;
    if (prev && prev.term === rd.hardState.term && prev.vote === rd.hardState.vote && prev.recovering === rd.hardState.recovering) {
      this.unwrittenCommit = rd.hardState;
    } else {
      await this.writeHardState(rd.hardState);
    }
  }

  /** Stores a snapshot and drops the log entries it covers. */
  async saveSnapshot(snap: Snapshot): Promise<void> {
    await this.writeSnapshotFile(snap);
    await this.rewriteLogAfter(snap.meta.index);
  }

  /** Writes the latest commit index, then closes the files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.unwrittenCommit) await this.writeHardState(this.unwrittenCommit);
    await this.log.close();
    await this.hardStateFile.close();
  }

  private async installSnapshot(snap: Snapshot): Promise<void> {
    await this.writeSnapshotFile(snap);
    // A snapshot from the leader replaces the whole log.
    await this.rewriteLogAfter(Number.MAX_SAFE_INTEGER);
    this.lastIndex = snap.meta.index;
  }

  private async appendEntries(entries: readonly Entry[]): Promise<void> {
    const first = entries[0].index;
    if (first <= this.lastIndex) {
      // Conflicting tail: cut it off so a restart never sees the replaced entries.
      const at = this.offsets.get(first);
      if (at !== undefined) {
        await this.log.truncate(at);
        this.logSize = at;
        for (let i = first; i <= this.lastIndex; i++) this.offsets.delete(i);
      }
    }
    const w = new Writer(entries.reduce((n, e) => n + e.data.length + 32, 0));
    for (const e of entries) {
      this.offsets.set(e.index, this.logSize + w.finish().length);
      writeRecord(w, e);
    }
    const buf = w.finish();
    await this.log.write(buf, 0, buf.length, this.logSize);
    if (this.fsync) await this.log.datasync();
    this.logSize += buf.length;
    this.lastIndex = entries[entries.length - 1].index;
  }

  private async writeHardState(hs: HardState): Promise<void> {
    this.writtenHardState = hs;
    this.unwrittenCommit = null;
    this.hardStateSeq++;
    const body = new Writer(64)
      .u48(this.hardStateSeq)
      .u48(hs.term)
      .str(hs.vote ?? "")
      .u8(hs.vote === null ? 0 : 1)
      .u48(hs.commit)
      .u8(hs.recovering ? 1 : 0)
      .finish();
    const slot = Buffer.alloc(SLOT_SIZE);
    slot.writeUInt32LE(body.length, 0);
    slot.writeUInt32LE(crc32(body), 4);
    body.copy(slot, 8);
    await this.hardStateFile.write(slot, 0, SLOT_SIZE, (this.hardStateSeq % 2) * SLOT_SIZE);
    if (this.fsync) await this.hardStateFile.datasync();
  }

  private async writeSnapshotFile(snap: Snapshot): Promise<void> {
    const w = new Writer(snap.data.length + 128);
    writeSnapshotMeta(w, snap.meta);
    w.bytes(snap.data);
    const body = w.finish();
    const header = Buffer.alloc(12);
    header.writeUInt32LE(SNAPSHOT_MAGIC, 0);
    header.writeUInt32LE(body.length, 4);
    header.writeUInt32LE(crc32(body), 8);
    const tmp = join(this.dir, `${SNAPSHOT_FILE}.tmp`);
    const fh = await open(tmp, "w");
    try {
      await fh.writev([header, body]);
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, SNAPSHOT_FILE));
    await this.syncDir();
  }

  /** Rewrites the log keeping only entries after `index`, via a temporary file and rename. */
  private async rewriteLogAfter(index: number): Promise<void> {
    const path = join(this.dir, LOG_FILE);
    const kept = (await scanLog(path)).entries.filter((e) => e.index > index);
    const w = new Writer(1024);
    const offsets = new Map<number, number>();
    for (const e of kept) {
      offsets.set(e.index, w.finish().length);
      writeRecord(w, e);
    }
    const buf = w.finish();
    const tmp = join(this.dir, `${LOG_FILE}.tmp`);
    const fh = await open(tmp, "w");
    try {
      await fh.write(buf, 0, buf.length, 0);
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await this.log.close();
    await rename(tmp, path);
    await this.syncDir();
    this.log = await open(path, "a+");
    this.logSize = buf.length;
    this.offsets = offsets;
  }

  private async syncDir(): Promise<void> {
    if (!this.fsync) return;
    const d = await open(this.dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}

function writeRecord(w: Writer, e: Entry): void {
  const body = new Writer(e.data.length + 24);
  writeEntry(body, e);
  const b = body.finish();
  w.u32(b.length).u32(crc32(b));
  w.bytesRaw(b);
}

interface ScanResult {
  entries: Entry[];
  offsets: Map<number, number>;
  goodBytes: number;
  corruption: WalDamage | null;
}

type ParsedRecord = { entry: Entry; size: number } | { damage: string };

/** Parses the record at `pos`: header, checksum, entry. */
function parseRecord(buf: Buffer, pos: number): ParsedRecord {
  if (buf.length - pos < RECORD_HEADER) return { damage: "truncated record header" };
  const len = buf.readUInt32LE(pos);
  if (len > buf.length - pos - RECORD_HEADER) return { damage: "truncated record" };
  const body = buf.subarray(pos + RECORD_HEADER, pos + RECORD_HEADER + len);
  if (crc32(body) !== buf.readUInt32LE(pos + 4)) return { damage: "checksum mismatch" };
  try {
    const r = new Reader(body);
    const e = readEntry(r);
    r.end();
    return { entry: { ...e, data: Buffer.from(e.data) }, size: RECORD_HEADER + len };
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    return { damage: `bad record: ${err.message}` };
  }
}

/** Is there any intact record after `from`? (Then the damage is not just a torn last write.) */
function validRecordAfter(buf: Buffer, from: number, afterIndex: number): boolean {
  for (let q = from; q + RECORD_HEADER + MIN_ENTRY_BYTES <= buf.length; q++) {
    const len = buf.readUInt32LE(q);
    if (len < MIN_ENTRY_BYTES || len > buf.length - q - RECORD_HEADER) continue;
    // Cheap plausibility before the checksum: a later index and a known entry type.
    const index = buf.readUIntLE(q + RECORD_HEADER + 6, 6);
    if (index <= afterIndex || buf[q + RECORD_HEADER + 12] > 2) continue;
    if ("entry" in parseRecord(buf, q)) return true;
  }
  return false;
}

async function scanLog(path: string): Promise<ScanResult> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { entries: [], offsets: new Map(), goodBytes: 0, corruption: null };
    throw err;
  }
  const entries: Entry[] = [];
  const offsets = new Map<number, number>();
  let pos = 0;
  let corruption: WalDamage | null = null;
  while (pos < buf.length) {
    const rec = parseRecord(buf, pos);
    const expected = entries.length > 0 ? entries[entries.length - 1].index + 1 : undefined;
    if ("damage" in rec) {
      const lastGood = entries.length > 0 ? entries[entries.length - 1].index : 0;
      corruption = { offset: pos, reason: rec.damage, tornWrite: !validRecordAfter(buf, pos + 1, lastGood) };
      break;
    }
    const e = rec.entry;
    if (expected !== undefined && e.index > expected) {
      // Writes are sequential: a hole is never the mark of an interrupted write.
      corruption = { offset: pos, reason: `gap in log at ${expected}`, tornWrite: false };
      break;
    }
    if (expected !== undefined && e.index < expected) {
      while (entries.length > 0 && entries[entries.length - 1].index >= e.index) offsets.delete(entries.pop()!.index);
    }
    entries.push(e);
    offsets.set(e.index, pos);
    pos += rec.size;
  }
  return { entries, offsets, goodBytes: pos, corruption };
}

async function readHardState(path: string): Promise<{ state: HardState | null; seq: number; corrupt: boolean }> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: null, seq: 0, corrupt: false };
    throw err;
  }
  let best: { state: HardState; seq: number } | null = null;
  let written = 0;
  for (let slot = 0; slot * SLOT_SIZE < buf.length; slot++) {
    const s = buf.subarray(slot * SLOT_SIZE, (slot + 1) * SLOT_SIZE);
    if (s.length < 8 || s.every((b) => b === 0)) continue;
    written++;
    const len = s.readUInt32LE(0);
    if (len > s.length - 8) continue;
    const body = s.subarray(8, 8 + len);
    if (crc32(body) !== s.readUInt32LE(4)) continue;
    try {
      const r = new Reader(body);
      const seq = r.u48();
      const term = r.u48();
      const voteName = r.str();
      const hasVote = r.bool();
      const commit = r.u48();
      const recovering = r.bool();
      if (!best || seq > best.seq) best = { seq, state: { term, vote: hasVote ? voteName : null, commit, recovering } };
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
    }
  }
  return { state: best?.state ?? null, seq: best?.seq ?? 0, corrupt: written > 0 && best === null };
}

async function readSnapshotFile(path: string): Promise<{ snapshot: Snapshot | null; corruption: WalDamage | null }> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { snapshot: null, corruption: null };
    throw err;
  }
  const bad = (reason: string): { snapshot: null; corruption: WalDamage } => ({ snapshot: null, corruption: { offset: 0, reason, tornWrite: false } });
  if (buf.length < 12 || buf.readUInt32LE(0) !== SNAPSHOT_MAGIC) return bad("snapshot header unreadable");
  const len = buf.readUInt32LE(4);
  const body = buf.subarray(12, 12 + len);
  if (body.length !== len || crc32(body) !== buf.readUInt32LE(8)) return bad("snapshot checksum mismatch");
  try {
    const r = new Reader(body);
    const meta = readSnapshotMeta(r);
    const data = Buffer.from(r.bytes());
    r.end();
    return { snapshot: { meta, data }, corruption: null };
  } catch (err) {
    if (err instanceof CodecError) return bad(`snapshot unreadable: ${err.message}`);
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
