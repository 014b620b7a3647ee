import { systemClock, type Clock } from "./clock.js";
import { storeError, StoreError } from "./errors.js";
import { SeqIndex } from "./seq-index.js";
import { SubjectIndex, type SubjectEntry } from "./subject-index.js";
import { isValidLiteralSubject } from "./subject.js";
import { TtlWheel } from "./ttl-wheel.js";
import type {
  ConsumerStore,
  StorageType,
  StorageUpdateHandler,
  StoreMsg,
  StoreOptions,
  StreamStoreConfig,
} from "./types.js";

const EMPTY = new Uint8Array(0);
const NS_PER_MS = 1_000_000n;
const FAR_FUTURE = 1n << 62n;

/** Message body as a backend returns it. */
export interface Body {
  hdr: Uint8Array;
  msg: Uint8Array;
}

/**
 * The highest sequence a store uses: sequences are exact JavaScript numbers, and the one after
 * the last (what loops count up to) must be exact too.
 */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER - 1;

/** Rejects what Go's uint64 sequences and counts cannot be: negative, fractional, NaN, past 2^53. */
export function checkSeqArg(v: number, what = "sequence"): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > MAX_SEQ) throw new StoreError("BadSequence", `${what} ${v}`);
}

/** A signed integer argument (TTLs, result limits): fractional, NaN or infinite is rejected. */
export function checkIntArg(v: number, what: string): void {
  if (!Number.isSafeInteger(v)) throw new StoreError("BadSequence", `${what} ${v}`);
}

const NUMERIC_LIMITS = ["max_msgs", "max_bytes", "max_age", "max_msgs_per_subject", "max_msg_size", "first_seq"] as const;

/** A copy of `cfg` whose numeric limits are whole numbers; NaN or infinite ones are refused. */
function checkedLimits(cfg: StreamStoreConfig): StreamStoreConfig {
  const out = { ...cfg };
  for (const key of NUMERIC_LIMITS) {
    const v = out[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v)) throw storeError("BadConfig", `${key} must be a finite number`);
    out[key] = Math.floor(v);
  }
  return out;
}

function limit(v: number | undefined): number {
  return v !== undefined && v > 0 ? v : 0;
}

/** The limits of a configuration as plain numbers (0: none), read on every store. */
interface Limits {
  maxMsgs: number;
  maxBytes: number;
  maxAge: number;
  maxPerSubject: number;
  maxMsgSize: number;
  discardNew: boolean;
  discardNewPerSubject: boolean;
  allowTtl: boolean;
}

function limitsOf(cfg: StreamStoreConfig): Limits {
  return {
    maxMsgs: limit(cfg.max_msgs),
    maxBytes: limit(cfg.max_bytes),
    maxAge: limit(cfg.max_age),
    maxPerSubject: limit(cfg.max_msgs_per_subject),
    maxMsgSize: limit(cfg.max_msg_size),
    discardNew: cfg.discard === "new",
    discardNewPerSubject: Boolean(cfg.discard_new_per_subject),
    allowTtl: Boolean(cfg.allow_msg_ttl),
  };
}

/**
 * Shared bookkeeping of both stores: sequence range, per-sequence index, per-subject index,
 * limits, max_age and TTL expiry. Backends only persist and fetch bodies, through the
 * abstract hooks below. Query methods live in StoreQueries (a subclass) to keep files small.
 */
export abstract class StoreCore {
  protected cfg: StreamStoreConfig;
  private limits: Limits;
  protected readonly clock: Clock;
  protected readonly index = new SeqIndex();
  protected readonly subjects = new SubjectIndex();
  protected msgs = 0;
  protected bytes = 0;
  protected firstSeq = 0;
  protected lastSeq = 0;
  protected firstTime = 0n;
  protected lastTime = 0n;
  protected closed = false;
  /** Consumer stores opened through this stream store and not yet stopped. */
  protected readonly consumers = new Set<ConsumerStore>();
  private updateCb?: StorageUpdateHandler;
  private readonly ttls = new TtlWheel();
  /** Deadline of each message stored with a TTL, to take it off the wheel when removed. */
  private readonly ttlOf = new Map<number, bigint>();
  /** Messages stored with a TTL of "never" (-1): max_age passes them by, as in Go. */
  private readonly neverExpires = new Set<number>();
  /** Every live sequence from firstSeq up to here never expires (saves rescanning them). */
  private neverPrefixEnd = 0;
  private expiryTimer: unknown;
  private expiryAt = 0n;

  protected constructor(cfg: StreamStoreConfig, opts: StoreOptions = {}) {
    this.cfg = checkedLimits(cfg);
    this.limits = limitsOf(this.cfg);
    this.clock = opts.clock ?? systemClock;
    this.applyFirstSeq();
  }

  /** A store that never held a message starts at first_seq (Go's FirstSeq). */
  protected applyFirstSeq(): void {
    const first = this.cfg.first_seq ?? 0;
    if (first > 1 && this.lastSeq === 0) {
      this.firstSeq = first;
      this.lastSeq = first - 1;
    }
  }

  abstract type(): StorageType;
  /** Accounted size of one message, as Go computes it for this store type. */
  protected abstract msgSize(subjectLen: number, hdrLen: number, msgLen: number): number;
  protected abstract persistMsg(seq: number, subject: SubjectEntry, hdr: Uint8Array, msg: Uint8Array, ts: bigint, ttl: number): void;
  protected abstract readBody(seq: number): Body;
  /** Called for every sequence leaving the store, whatever the cause. */
  protected abstract released(seq: number): void;
  /** A single interior removal must be made persistent (tombstone or overwrite). */
  protected abstract persistRemove(seq: number, secure: boolean): void;
  /** Every sequence below `seq` is gone. */
  protected abstract persistFloor(seq: number): void;
  protected abstract persistSkip(seq: number, num: number): void;
  protected abstract persistTruncate(seq: number): void;
  /** Resolves when everything persisted so far is durable under the store's sync policy. */
  protected abstract durable(): Promise<void>;

  // ---- writes --------------------------------------------------------------------------

  /**
   * Stores a message at the next sequence with the current time.
   * @example const { seq, ts } = await store.storeMsg("orders.new", null, Buffer.from("hi"));
   */
  storeMsg(subject: string, hdr: Uint8Array | null, msg: Uint8Array | null, ttl = 0): Promise<{ seq: number; ts: bigint }> {
    const seq = this.lastSeq + 1;
    const ts = this.clock.now();
    try {
      if (ttl !== 0) checkIntArg(ttl, "ttl");
      this.storeInternal(subject, hdr ?? EMPTY, msg ?? EMPTY, seq, ts, ttl, true);
    } catch (e) {
      return Promise.reject(e);
    }
    const ack = { seq, ts };
    return this.durable().then(() => ack);
  }

  /** Stores a message with an expected sequence (0 = next) and a given timestamp (replication). */
  async storeRawMsg(subject: string, hdr: Uint8Array | null, msg: Uint8Array | null, seq: number, ts: bigint, ttl = 0, discardNewCheck = false): Promise<void> {
    checkSeqArg(seq);
    checkIntArg(ttl, "ttl");
    this.storeInternal(subject, hdr ?? EMPTY, msg ?? EMPTY, seq, ts, ttl, discardNewCheck);
    await this.durable();
  }

  protected checkOpen(): void {
    if (this.closed) throw storeError("StoreClosed");
  }

  private storeInternal(subject: string, hdr: Uint8Array, msg: Uint8Array, seq: number, ts: bigint, ttl: number, discardNewCheck: boolean): void {
    this.checkOpen();
    // A subject already in the index was validated when it first arrived.
    const existing = this.subjects.get(subject);
    if (!existing && !isValidLiteralSubject(subject)) throw storeError("BadSubject");
    const lim = this.limits;
    const rawLen = subject.length + hdr.length + msg.length;
    if ((lim.maxMsgSize > 0 && rawLen > lim.maxMsgSize) || rawLen > 0x3fff_ffff) throw storeError("MsgTooLarge");
    const size = this.msgSize(existing ? existing.bytes.length : Buffer.byteLength(subject), hdr.length, msg.length);
    const maxPer = lim.maxPerSubject;
    const atSubjectLimit = maxPer > 0 && existing !== undefined && existing.seqs.count >= maxPer;

    if (discardNewCheck && lim.discardNew) {
      if (atSubjectLimit && lim.discardNewPerSubject) throw storeError("MaxMsgsPerSubject");
      if (lim.maxMsgs > 0 && this.msgs >= lim.maxMsgs && !atSubjectLimit) throw storeError("MaxMsgs");
      const maxBytes = lim.maxBytes;
      if (maxBytes > 0 && this.bytes + size > maxBytes) {
        if (!atSubjectLimit || this.index.size(existing!.seqs.first) < size) throw storeError("MaxBytes");
      }
    }
    if (seq !== this.lastSeq + 1) {
      if (seq > 0) throw storeError("SequenceMismatch");
      seq = this.lastSeq + 1;
    }
    if (seq > MAX_SEQ) throw new StoreError("BadSequence", "sequence space exhausted");

    const entry = existing ?? this.subjects.intern(subject);
    try {
      this.persistMsg(seq, entry, hdr, msg, ts, ttl);
    } catch (e) {
      this.subjects.dropIfEmpty(entry);
      throw e;
    }
    this.index.set(seq, entry.id, ts, size);
    entry.seqs.push(seq);
    if (this.msgs === 0) {
      this.firstSeq = seq;
      this.firstTime = ts;
    }
    this.msgs++;
    this.bytes += size;
    this.lastSeq = seq;
    this.lastTime = ts;

    if (maxPer > 0 && entry.seqs.count > maxPer) this.enforcePerSubjectLimit(entry, maxPer);
    if (lim.maxMsgs > 0 || lim.maxBytes > 0) this.enforceMsgAndByteLimits();
    if (ttl > 0 && lim.allowTtl) this.scheduleTtl(seq, ts, ttl);
    else if (ttl < 0) this.neverExpires.add(seq);
    this.updateCb?.(1, size, seq, subject);
    // Nothing to arm or cancel without max_age, TTLs or a timer (the common case, kept cheap).
    if (lim.maxAge > 0 || this.ttls.count > 0 || this.expiryTimer !== undefined) this.scheduleExpiry();
  }

  /** Re-inserts a message found during recovery (no limits, no callbacks, no persistence). */
  protected recoverMsg(seq: number, subject: string | SubjectEntry, ts: bigint, ttl: number, size: number): void {
    const entry = typeof subject === "string" ? this.subjects.intern(subject) : subject;
    this.index.set(seq, entry.id, ts, size);
    entry.seqs.push(seq);
    this.msgs++;
    this.bytes += size;
    if (ttl > 0 && this.limits.allowTtl) this.scheduleTtl(seq, ts, ttl);
    else if (ttl < 0) this.neverExpires.add(seq);
  }

  /** Undoes recoverMsg for a message a later removal record removes (no persistence, no callbacks). */
  protected dropRecovered(seq: number): void {
    const id = this.index.subjectId(seq);
    if (id < 0) return;
    this.bytes -= this.index.size(seq);
    this.msgs--;
    this.subjects.remove(id, seq);
    this.index.clear(seq);
    this.unscheduleTtl(seq);
    this.released(seq);
  }

  private scheduleTtl(seq: number, ts: bigint, ttl: number): void {
    const expires = ts + BigInt(ttl) * 1_000_000_000n;
    this.ttls.add(seq, expires);
    this.ttlOf.set(seq, expires);
  }

  /** Forgets the TTL of a removed message (wheel entry or "never"). */
  private unscheduleTtl(seq: number): void {
    this.neverExpires.delete(seq);
    const expires = this.ttlOf.get(seq);
    if (expires === undefined) return;
    this.ttlOf.delete(seq);
    this.ttls.remove(seq, expires);
  }

  private enforcePerSubjectLimit(entry: SubjectEntry, maxPer: number): void {
    while (entry.seqs.count > maxPer) this.removeInternal(entry.seqs.first, false, true);
  }

  private enforceMsgAndByteLimits(): void {
    const { maxMsgs, maxBytes } = this.limits;
    while (maxMsgs > 0 && this.msgs > maxMsgs) this.removeInternal(this.firstSeq, false, true);
    while (maxBytes > 0 && this.bytes > maxBytes && this.msgs > 0) this.removeInternal(this.firstSeq, false, true);
  }

  /** Uses the next sequence without storing a message. */
  skipMsg(seq: number): number {
    this.checkOpen();
    checkSeqArg(seq);
    if (seq !== this.lastSeq + 1) {
      if (seq > 0) throw storeError("SequenceMismatch");
      seq = this.lastSeq + 1;
    }
    if (seq > MAX_SEQ) throw new StoreError("BadSequence", "sequence space exhausted");
    this.advanceForSkip(seq, 1);
    return seq;
  }

  /** Like skipMsg, but always moves the last time to now (Go's SkipMsgNoInterest, interest retention). */
  skipMsgNoInterest(seq: number): number {
    this.checkOpen();
    checkSeqArg(seq);
    if (seq !== 0 && seq !== this.lastSeq + 1) throw storeError("SequenceMismatch");
    if (this.lastSeq + 1 > MAX_SEQ) throw new StoreError("BadSequence", "sequence space exhausted");
    this.lastTime = this.clock.now();
    return this.skipMsg(seq);
  }

  /** Uses `num` sequences starting at `seq` without storing messages. */
  skipMsgs(seq: number, num: number): void {
    this.checkOpen();
    checkSeqArg(seq);
    checkSeqArg(num, "count");
    if (Math.max(seq, this.lastSeq + 1) + num - 1 > MAX_SEQ) throw new StoreError("BadSequence", `count ${num}`);
    if (seq !== this.lastSeq + 1) {
      if (seq > 0) throw storeError("SequenceMismatch");
      seq = this.lastSeq + 1;
    }
    if (num <= 0) return;
    this.advanceForSkip(seq, num);
  }

  private advanceForSkip(seq: number, num: number): void {
    this.lastSeq = seq + num - 1;
    if (this.lastTime === 0n) this.lastTime = this.clock.now();
    this.persistSkip(seq, num);
    if (this.msgs === 0) {
      this.firstSeq = this.lastSeq + 1;
      this.firstTime = 0n;
    }
  }

  async flushAllPending(): Promise<void> {
    await this.durable();
  }

  /** Removes a message; false when it did not exist. */
  removeMsg(seq: number): boolean {
    this.checkOpen();
    checkSeqArg(seq);
    return this.removeInternal(seq, false, true);
  }

  /** Removes a message and overwrites its bytes where they are stored. */
  eraseMsg(seq: number): boolean {
    this.checkOpen();
    checkSeqArg(seq);
    return this.removeInternal(seq, true, true);
  }

  protected removeInternal(seq: number, secure: boolean, notify: boolean): boolean {
    const id = this.index.subjectId(seq);
    if (id < 0) return false;
    const size = this.index.size(seq);
    const subject = this.subjects.byIdOf(id).subject;
    const wasFirst = seq === this.firstSeq;
    if (secure || !wasFirst) this.persistRemove(seq, secure);
    this.index.clear(seq);
    this.subjects.remove(id, seq);
    this.unscheduleTtl(seq);
    this.released(seq);
    this.msgs--;
    this.bytes = Math.max(0, this.bytes - size);
    if (wasFirst) {
      this.advanceFirst(seq + 1);
      if (!secure) this.persistFloor(this.firstSeq);
    }
    if (notify) this.updateCb?.(-1, -size, seq, subject);
    return true;
  }

  private advanceFirst(from: number): void {
    const next = this.msgs > 0 ? this.index.nextLive(from, this.lastSeq) : -1;
    if (next < 0) {
      this.firstSeq = this.lastSeq + 1;
      this.firstTime = 0n;
    } else {
      this.firstSeq = next;
      this.firstTime = this.index.ts(next);
    }
  }

  /** Removes every message. Returns how many were removed. */
  purge(): number {
    this.checkOpen();
    return this.compactTo(this.lastSeq + 1, true);
  }

  /** Removes every message below `seq`; past the end, the next message will get `seq`. */
  compact(seq: number): number {
    this.checkOpen();
    checkSeqArg(seq);
    if (seq === 0) return this.purge();
    return this.compactTo(seq, false);
  }

  private compactTo(seq: number, isPurge: boolean): number {
    if (!isPurge && this.firstSeq > seq) return 0;
    let purged = 0;
    let bytes = 0;
    const upTo = Math.min(seq - 1, this.lastSeq);
    for (let s = this.index.nextLive(this.firstSeq, upTo); s >= 0; s = this.index.nextLive(s + 1, upTo)) {
      bytes += this.index.size(s);
      this.subjects.remove(this.index.subjectId(s), s);
      this.index.clear(s);
      this.unscheduleTtl(s);
      this.released(s);
      purged++;
    }
    this.msgs -= purged;
    this.bytes = Math.max(0, this.bytes - bytes);
    if (seq > this.lastSeq) {
      this.lastSeq = seq - 1;
      this.msgs = 0;
      this.bytes = 0;
    }
    this.advanceFirst(seq);
    this.persistFloor(seq);
    if (purged > 0) this.updateCb?.(-purged, -bytes, 0, "");
    return purged;
  }

  /** Removes every message above `seq`; seq 0 resets the store completely. */
  truncate(seq: number): void {
    this.checkOpen();
    checkSeqArg(seq);
    if (seq > this.lastSeq) return;
    const lastTime = seq > 0 && this.index.has(seq) ? this.index.ts(seq) : this.lastTime;
    let purged = 0;
    let bytes = 0;
    const from = Math.max(seq + 1, this.firstSeq);
    for (let s = this.index.nextLive(from, this.lastSeq); s >= 0; s = this.index.nextLive(s + 1, this.lastSeq)) {
      bytes += this.index.size(s);
      this.subjects.remove(this.index.subjectId(s), s);
      this.index.clear(s);
      this.unscheduleTtl(s);
      this.released(s);
      purged++;
    }
    this.msgs -= purged;
    this.bytes = Math.max(0, this.bytes - bytes);
    this.neverPrefixEnd = 0;
    this.lastSeq = seq;
    this.lastTime = seq === 0 ? this.clock.now() : lastTime;
    if (seq === 0) {
      this.firstSeq = 0;
      this.firstTime = 0n;
    } else if (this.msgs === 0) {
      this.firstSeq = seq + 1;
      this.firstTime = 0n;
    }
    this.persistTruncate(seq);
    if (purged > 0) this.updateCb?.(-purged, -bytes, 0, "");
  }

  // ---- expiry ----------------------------------------------------------------------------

  /** Arms the single expiry timer for the nearest max_age or TTL deadline. */
  protected scheduleExpiry(): void {
    if (this.closed) return;
    const maxAge = this.limits.maxAge;
    let next: bigint | undefined;
    const oldest = maxAge > 0 ? this.oldestAgeable() : -1;
    if (oldest >= 0) next = this.index.ts(oldest) + BigInt(maxAge);
    const ttlNext = this.ttls.count > 0 ? this.ttls.nextExpiration(FAR_FUTURE) : undefined;
    if (ttlNext !== undefined && (next === undefined || ttlNext < next)) next = ttlNext;
    if (next === undefined) {
      if (this.expiryTimer !== undefined) this.cancelExpiry();
      return;
    }
    if (this.expiryTimer !== undefined && this.expiryAt <= next) return;
    this.cancelExpiry();
    this.expiryAt = next;
    const delayMs = Number((next - this.clock.now()) / NS_PER_MS) + 1;
    this.expiryTimer = this.clock.setTimer(() => {
      this.expiryTimer = undefined;
      this.expireMsgs();
    }, delayMs);
  }

  /** First live sequence max_age applies to (skipping "never" messages), or -1. */
  private oldestAgeable(): number {
    if (this.msgs === 0) return -1;
    if (this.neverExpires.size === 0) return this.firstSeq;
    let s = this.index.nextLive(Math.max(this.firstSeq, this.neverPrefixEnd), this.lastSeq);
    while (s >= 0 && this.neverExpires.has(s)) s = this.index.nextLive(s + 1, this.lastSeq);
    this.neverPrefixEnd = s >= 0 ? s : this.lastSeq + 1;
    return s;
  }

  private cancelExpiry(): void {
    if (this.expiryTimer !== undefined) this.clock.clearTimer(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  /** Removes messages past max_age or their TTL (Go's expireMsgs). */
  protected expireMsgs(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const maxAge = this.limits.maxAge;
    if (maxAge > 0) {
      const cutoff = now - BigInt(maxAge);
      for (let s = this.oldestAgeable(); s >= 0 && this.index.ts(s) <= cutoff; s = this.oldestAgeable()) {
        this.removeInternal(s, false, true);
      }
    }
    this.ttls.expireTasks(now, (seq) => {
      this.ttlOf.delete(seq);
      this.removeInternal(seq, false, true);
      return true;
    });
    this.scheduleExpiry();
  }

  // ---- config and lifecycle ---------------------------------------------------------------

  /** Applies new limits, enforcing them at once. */
  updateConfig(cfg: StreamStoreConfig): void {
    this.checkOpen();
    this.cfg = checkedLimits({ ...this.cfg, ...cfg });
    this.limits = limitsOf(this.cfg);
    const maxPer = this.limits.maxPerSubject;
    if (maxPer > 0) for (const e of [...this.subjects.all()]) this.enforcePerSubjectLimit(e, maxPer);
    this.enforceMsgAndByteLimits();
    this.cancelExpiry();
    this.expireMsgs();
  }

  protected notifyUpdate(msgs: number, bytes: number, seq: number, subject: string): void {
    this.updateCb?.(msgs, bytes, seq, subject);
  }

  registerStorageUpdates(cb: StorageUpdateHandler | undefined): void {
    this.updateCb = cb;
  }

  protected stopTimers(): void {
    this.cancelExpiry();
  }

  protected resetCoreState(): void {
    this.index.clearAll();
    this.subjects.clear();
    this.ttls.clear();
    this.ttlOf.clear();
    this.neverExpires.clear();
    this.neverPrefixEnd = 0;
    this.msgs = 0;
    this.bytes = 0;
    this.firstSeq = 0;
    this.lastSeq = 0;
    this.firstTime = 0n;
    this.lastTime = 0n;
  }

  // ---- reads used by queries ---------------------------------------------------------------

  protected loadLive(seq: number): StoreMsg {
    const id = this.index.subjectId(seq);
    if (id < 0) {
      throw new StoreError(seq <= this.lastSeq ? "MsgNotFound" : "StoreEOF");
    }
    const body = this.readBody(seq);
    return { subject: this.subjects.byIdOf(id).subject, hdr: body.hdr, msg: body.msg, seq, ts: this.index.ts(seq) };
  }
}
