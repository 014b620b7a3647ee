import { storeError, StoreError } from "./errors.js";
import { checkIntArg, checkSeqArg, StoreCore } from "./store-core.js";
import type { SubjectEntry } from "./subject-index.js";
import { isAllFilter, isValidFilter, subjectHasWildcard } from "./subject.js";
import type { LoadResult, NumPendingResult, SimpleState, StoreMsg, StreamState } from "./types.js";

/**
 * Go's State lists every interior deleted sequence. So does state(), up to 2^24 of them (128 MB
 * of numbers): a longer list could not be built without risking the process (a skipped range
 * of billions of sequences; Go fails to allocate there). numDeleted is exact either way.
 */
const MAX_DELETED_LISTED = 2 ** 24;

/**
 * Read-side of the StreamStore API, answered from the sequence and subject indexes so that
 * subject-filtered questions cost per subject rather than per message.
 */
export abstract class StoreQueries extends StoreCore {
  /** Loads the message at `seq`; throws MsgNotFound (deleted) or StoreEOF (past the end). */
  loadMsg(seq: number): StoreMsg {
    this.checkOpen();
    checkSeqArg(seq);
    return this.loadLive(seq);
  }

  /**
   * First message at or after `start` whose subject matches `filter`.
   * @example const { msg, seq } = store.loadNextMsg("orders.*", true, 1);
   */
  loadNextMsg(filter: string, wc: boolean, start: number): LoadResult {
    return this.loadNextMsgMulti([filter || ">"], start, wc);
  }

  /** First message at or after `start` matching any of `filters`. */
  loadNextMsgMulti(filters: string[], start: number, wc = true): LoadResult {
    this.checkOpen();
    checkSeqArg(start);
    if (start < this.firstSeq) start = this.firstSeq;
    if (start > this.lastSeq || this.msgs === 0) throw new StoreError("StoreEOF", undefined, this.lastSeq);
    const seq = this.nextMatch(filters, wc, start);
    if (seq < 0) throw new StoreError("StoreEOF", undefined, this.lastSeq);
    return { msg: this.loadLive(seq), seq };
  }

  private nextMatch(filters: string[], wc: boolean, start: number): number {
    if (filters.some(isAllFilter)) return this.index.nextLive(start, this.lastSeq);
    const literal = !wc || !filters.some(subjectHasWildcard);
    if (literal) {
      let best = -1;
      for (const f of filters) {
        const e = this.subjects.get(f);
        const s = e ? e.seqs.nextFrom(start) : -1;
        if (s >= 0 && (best < 0 || s < best)) best = s;
      }
      return best;
    }
    // Walking messages is cheaper than walking subjects when the remaining range is short.
    if (this.lastSeq - start < this.subjects.size) {
      const match = this.subjects.matcher(filters);
      for (let s = this.index.nextLive(start, this.lastSeq); s >= 0; s = this.index.nextLive(s + 1, this.lastSeq)) {
        if (match(this.index.subjectId(s))) return s;
      }
      return -1;
    }
    let best = -1;
    for (const e of this.matchingAny(filters)) {
      const s = e.seqs.nextFrom(start);
      if (s >= 0 && (best < 0 || s < best)) best = s;
    }
    return best;
  }

  /** Last message at or before `start` matching `filter`, walking backwards. */
  loadPrevMsg(filter: string, wc: boolean, start: number): LoadResult {
    this.checkOpen();
    checkSeqArg(start);
    if (this.msgs === 0 || start < this.firstSeq) throw new StoreError("StoreEOF", undefined, this.firstSeq);
    if (start > this.lastSeq) start = this.lastSeq;
    let found = -1;
    if (isAllFilter(filter)) {
      found = this.index.prevLive(start, this.firstSeq);
    } else if (!wc || !subjectHasWildcard(filter)) {
      const e = this.subjects.get(filter);
      found = e ? e.seqs.prevFrom(start) : -1;
    } else {
      for (const e of this.subjects.matching(filter)) {
        const s = e.seqs.prevFrom(start);
        if (s > found) found = s;
      }
    }
    if (found < 0) throw new StoreError("StoreEOF", undefined, this.firstSeq);
    return { msg: this.loadLive(found), seq: found };
  }

  /** Last message at or before `start` matching any of `filters`, walking backwards. */
  loadPrevMsgMulti(filters: string[], start: number): LoadResult {
    this.checkOpen();
    checkSeqArg(start);
    if (this.msgs === 0 || start < this.firstSeq) throw new StoreError("StoreEOF", undefined, this.firstSeq);
    if (start > this.lastSeq) start = this.lastSeq;
    let found = -1;
    if (filters.some(isAllFilter)) found = this.index.prevLive(start, this.firstSeq);
    else for (const e of this.matchingAny(filters)) found = Math.max(found, e.seqs.prevFrom(start));
    if (found < 0) throw new StoreError("StoreEOF", undefined, this.firstSeq);
    return { msg: this.loadLive(found), seq: found };
  }

  /**
   * Calls `cb` with the last message of each subject matching `filters` (at or below maxSeq,
   * at or above minSeq), ascending, and how many remain after it; `cb` returns false to stop.
   * Returns the number of subjects found and how many were left undelivered.
   */
  multiLastMsgs(filters: string[], minSeq: number, maxSeq: number, maxAllowed: number, cb: (msg: StoreMsg, numPending: number) => boolean): { total: number; numPending: number } {
    checkSeqArg(minSeq);
    const seqs = this.multiLastSeqs(filters, maxSeq, maxAllowed);
    let np = seqs.length;
    for (const seq of seqs) {
      if (np > 0) np--;
      if (seq < minSeq) continue;
      if (!cb(this.loadLive(seq), np)) break;
    }
    return { total: seqs.length, numPending: np };
  }

  /** Last message on a subject (wildcards allowed); throws MsgNotFound when none. */
  loadLastMsg(subject: string): StoreMsg {
    this.checkOpen();
    let seq = -1;
    if (isAllFilter(subject)) {
      seq = this.msgs > 0 ? this.index.prevLive(this.lastSeq, this.firstSeq) : -1;
    } else {
      for (const e of this.subjects.matching(subject)) if (e.seqs.last > seq) seq = e.seqs.last;
    }
    if (seq < 0) throw storeError("MsgNotFound");
    return this.loadLive(seq);
  }

  /** Subject of the message at seq; throws MsgNotFound when it does not exist. */
  subjectForSeq(seq: number): string {
    this.checkOpen();
    checkSeqArg(seq);
    const id = this.index.subjectId(seq);
    if (id < 0) throw storeError("MsgNotFound");
    return this.subjects.byIdOf(id).subject;
  }

  /** First sequence whose timestamp is >= ts (lastSeq + 1 when none). */
  getSeqFromTime(ts: bigint): number {
    if (this.msgs === 0) return this.lastSeq + 1;
    if (ts <= this.firstTime) return this.firstSeq;
    const lastLive = this.index.prevLive(this.lastSeq, this.firstSeq);
    const lastTs = this.index.ts(lastLive);
    if (ts === lastTs) return lastLive;
    if (ts > lastTs) return this.lastSeq + 1;
    // Binary search over live sequences; `hi` is always a live sequence with ts >= target.
    let lo = this.firstSeq;
    let hi = lastLive;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const live = this.index.nextLive(mid, hi);
      if (this.index.ts(live) < ts) {
        lo = live + 1;
      } else if (live < hi) {
        hi = live;
      } else {
        const before = mid > lo ? this.index.prevLive(mid - 1, lo) : -1;
        if (before < 0 || this.index.ts(before) < ts) return hi;
        hi = before;
      }
    }
    return hi;
  }

  /** Count, first and last of messages at or after `seq` matching `subject`. */
  filteredState(seq: number, subject: string): SimpleState {
    this.checkOpen();
    checkSeqArg(seq);
    return this.filtered(seq, subject, false);
  }

  private filtered(sseq: number, filter: string, lastPerSubject: boolean): SimpleState {
    if (sseq < this.firstSeq) sseq = this.firstSeq;
    if (sseq > this.lastSeq || this.msgs === 0) return { msgs: 0, first: 0, last: 0 };
    if (isAllFilter(filter) && !lastPerSubject) {
      if (sseq <= this.firstSeq) return { msgs: this.msgs, first: this.firstSeq, last: this.lastSeq };
      const first = this.index.nextLive(sseq, this.lastSeq);
      if (first < 0) return { msgs: 0, first: 0, last: 0 };
      return { msgs: this.index.countLive(sseq, this.lastSeq), first, last: this.index.prevLive(this.lastSeq, first) };
    }
    const ss: SimpleState = { msgs: 0, first: 0, last: 0 };
    for (const e of this.subjects.matching(filter)) {
      const seqs = e.seqs;
      if (seqs.last < sseq) continue;
      const first = lastPerSubject ? seqs.last : seqs.nextFrom(sseq);
      ss.msgs += lastPerSubject ? 1 : seqs.countFrom(sseq);
      if (ss.first === 0 || first < ss.first) ss.first = first;
      if (seqs.last > ss.last) ss.last = seqs.last;
    }
    return ss;
  }

  /** Per-subject state of every subject matching `filter`. */
  subjectsState(filter: string): Map<string, SimpleState> {
    const out = new Map<string, SimpleState>();
    if (this.closed || this.msgs === 0) return out;
    for (const e of this.subjects.matching(filter)) out.set(e.subject, { msgs: e.seqs.count, first: e.seqs.first, last: e.seqs.last });
    return out;
  }

  /** Message count of every subject matching `filter`. */
  subjectsTotals(filter: string): Map<string, number> {
    const out = new Map<string, number>();
    if (this.closed || this.msgs === 0) return out;
    for (const e of this.subjects.matching(filter)) out.set(e.subject, e.seqs.count);
    return out;
  }

  /** The last sequence of every subject, ascending. */
  allLastSeqs(): number[] {
    this.checkOpen();
    const seqs: number[] = [];
    for (const e of this.subjects.all()) seqs.push(e.seqs.last);
    return seqs.sort((a, b) => a - b);
  }

  /** Last sequence (<= maxSeq, 0 = no bound) of each subject matching any filter, ascending. */
  multiLastSeqs(filters: string[], maxSeq: number, maxAllowed: number): number[] {
    this.checkOpen();
    checkSeqArg(maxSeq);
    checkIntArg(maxAllowed, "limit");
    if (this.msgs === 0) return [];
    if (maxSeq === 0) maxSeq = this.lastSeq;
    const seen = new Set<number>();
    for (const f of filters) {
      for (const e of this.subjects.matching(f)) {
        const s = e.seqs.last <= maxSeq ? e.seqs.last : e.seqs.prevFrom(maxSeq);
        if (s > 0) seen.add(s);
      }
      if (maxAllowed > 0 && seen.size > maxAllowed) throw storeError("TooManyResults");
    }
    return [...seen].sort((a, b) => a - b);
  }

  /**
   * Messages at or after `sseq` matching `filter` (or matching subjects whose last message is
   * at or after sseq, with lastPerSubject). validThrough is the last sequence counted against.
   */
  numPending(sseq: number, filter: string, lastPerSubject: boolean): NumPendingResult {
    this.checkOpen();
    checkSeqArg(sseq);
    if (!isAllFilter(filter) && !isValidFilter(filter)) throw storeError("BadSubject");
    return { total: this.filtered(sseq, filter, lastPerSubject).msgs, validThrough: this.lastSeq };
  }

  /** numPending over the union of several filters. */
  numPendingMulti(sseq: number, filters: string[], lastPerSubject: boolean): NumPendingResult {
    this.checkOpen();
    checkSeqArg(sseq);
    if (filters.some(isAllFilter)) return this.numPending(sseq, ">", lastPerSubject);
    if (sseq < this.firstSeq) sseq = this.firstSeq;
    let total = 0;
    for (const e of this.matchingAny(filters)) {
      if (e.seqs.last < sseq) continue;
      total += lastPerSubject ? 1 : e.seqs.countFrom(sseq);
    }
    return { total, validThrough: this.lastSeq };
  }

  /**
   * Purges messages on `subject` (wildcards allowed) below `seq` (0 = no bound), keeping the
   * newest `keep` (0 = keep none). Returns the number purged.
   */
  purgeEx(subject: string, seq: number, keep: number): number {
    this.checkOpen();
    checkSeqArg(seq);
    checkSeqArg(keep, "keep");
    if (seq === 1) return 0;
    if (isAllFilter(subject)) {
      if (keep === 0 && seq === 0) return this.purge();
      if (seq > 1) return this.compact(seq);
      subject = ">";
    } else if (!isValidFilter(subject)) {
      throw storeError("BadSubject");
    }
    // Like Go, `keep` counts across the whole filter: the oldest matching messages go until
    // only `keep` remain (or the sequence bound stops it first).
    const entries = [...this.subjects.matching(subject)];
    let total = 0;
    for (const e of entries) total += e.seqs.count;
    if (keep > 0 && keep >= total) return 0;
    const victims: number[] = [];
    for (const e of entries) {
      for (let i = 0; i < e.seqs.count; i++) {
        const s = e.seqs.at(i);
        if (seq > 0 && s >= seq) break;
        victims.push(s);
      }
    }
    victims.sort((a, b) => a - b);
    if (keep > 0 && victims.length > total - keep) victims.length = total - keep;
    let bytes = 0;
    for (const s of victims) {
      bytes += this.index.size(s);
      this.removeInternal(s, false, false);
    }
    if (victims.length > 0) this.notifyUpdate(-victims.length, -bytes, victims.length === 1 ? victims[0] : 0, "");
    return victims.length;
  }

  private *matchingAny(filters: string[]): Generator<SubjectEntry> {
    if (filters.length === 1) {
      yield* this.subjects.matching(filters[0]);
      return;
    }
    const seen = new Set<number>();
    for (const f of filters) {
      for (const e of this.subjects.matching(f)) {
        if (!seen.has(e.id)) {
          seen.add(e.id);
          yield e;
        }
      }
    }
  }

  /** Counters only: no deleted list. */
  fastState(): StreamState {
    return {
      msgs: this.msgs,
      bytes: this.bytes,
      firstSeq: this.firstSeq,
      firstTime: this.firstTime,
      lastSeq: this.lastSeq,
      lastTime: this.lastTime,
      numSubjects: this.subjects.size,
      numDeleted: this.msgs > 0 ? this.lastSeq - this.firstSeq + 1 - this.msgs : 0,
      consumers: this.consumerCount(),
    };
  }

  /** Full state including the interior deleted sequences. */
  state(): StreamState {
    const st = this.fastState();
    if (st.numDeleted > 0) {
      st.deleted = this.index.deletedIn(this.firstSeq, this.lastSeq, MAX_DELETED_LISTED);
    }
    return st;
  }

  protected consumerCount(): number {
    return this.consumers.size;
  }
}
