import { isAllFilter, subjectHasWildcard, subjectMatches } from "./subject.js";

/**
 * Sorted sequences of one subject. Removals at the front (limits, acks) are O(1) through a
 * head offset; others splice.
 */
export class SeqList {
  private seqs: number[] = [];
  private head = 0;

  get count(): number {
    return this.seqs.length - this.head;
  }
  get first(): number {
    return this.seqs[this.head];
  }
  get last(): number {
    return this.seqs[this.seqs.length - 1];
  }
  at(i: number): number {
    return this.seqs[this.head + i];
  }

  push(seq: number): void {
    const n = this.seqs.length;
    if (n > this.head && this.seqs[n - 1] >= seq) {
      this.seqs.splice(this.lowerBoundRaw(seq), 0, seq);
    } else {
      this.seqs.push(seq);
    }
  }

  remove(seq: number): boolean {
    if (this.count === 0) return false;
    if (this.seqs[this.head] === seq) {
      this.head++;
      if (this.head > 256 && this.head * 2 > this.seqs.length) {
        this.seqs = this.seqs.slice(this.head);
        this.head = 0;
      }
      return true;
    }
    const i = this.lowerBoundRaw(seq);
    if (i < this.seqs.length && this.seqs[i] === seq) {
      this.seqs.splice(i, 1);
      return true;
    }
    return false;
  }

  private lowerBoundRaw(seq: number): number {
    let lo = this.head;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid] < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index (relative to the front) of the first sequence >= seq. */
  lowerBound(seq: number): number {
    return this.lowerBoundRaw(seq) - this.head;
  }

  /** First sequence >= seq, or -1. */
  nextFrom(seq: number): number {
    const i = this.lowerBoundRaw(seq);
    return i < this.seqs.length ? this.seqs[i] : -1;
  }

  /** Last sequence <= seq, or -1. */
  prevFrom(seq: number): number {
    const i = this.lowerBoundRaw(seq + 1) - 1;
    return i >= this.head ? this.seqs[i] : -1;
  }

  countFrom(seq: number): number {
    return this.seqs.length - this.lowerBoundRaw(seq);
  }

  toArray(): number[] {
    return this.seqs.slice(this.head);
  }

  /** Approximate heap bytes (8 per slot held). */
  memoryBytes(): number {
    return this.seqs.length * 8;
  }
}

const RECENT_SLOTS = 4096;

function sameBytes(a: Buffer, buf: Buffer, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

export class SubjectEntry {
  readonly seqs = new SeqList();
  private encoded?: Buffer;
  constructor(
    readonly id: number,
    readonly subject: string,
  ) {}

  get bytes(): Buffer {
    return (this.encoded ??= Buffer.from(this.subject, "utf8"));
  }
}

/** Subject interning plus the per-subject sequence lists (Go's fss). */
export class SubjectIndex {
  private byName = new Map<string, SubjectEntry>();
  private byId: (SubjectEntry | undefined)[] = [];
  private freeIds: number[] = [];
  private recent: (SubjectEntry | undefined)[] = new Array(RECENT_SLOTS);

  get size(): number {
    return this.byName.size;
  }

  get(subject: string): SubjectEntry | undefined {
    return this.byName.get(subject);
  }

  byIdOf(id: number): SubjectEntry {
    return this.byId[id]!;
  }

  intern(subject: string): SubjectEntry {
    let e = this.byName.get(subject);
    if (!e) {
      const id = this.freeIds.length > 0 ? this.freeIds.pop()! : this.byId.length;
      e = new SubjectEntry(id, subject);
      this.byName.set(subject, e);
      this.byId[id] = e;
    }
    return e;
  }

  /**
   * Interns the UTF-8 subject in buf[start, end) (recovery): a subject seen lately is found by
   * its bytes, without decoding a string and hashing it again.
   */
  internBytes(buf: Buffer, start: number, end: number): SubjectEntry {
    let h = end - start;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const slot = (h >>> 0) & (RECENT_SLOTS - 1);
    const e = this.recent[slot];
    if (e !== undefined && this.byId[e.id] === e && sameBytes(e.bytes, buf, start, end)) return e;
    const fresh = this.intern(buf.toString("utf8", start, end));
    this.recent[slot] = fresh;
    return fresh;
  }

  /** Drops seq from its subject; forgets the subject when it has no messages left. */
  remove(id: number, seq: number): void {
    const e = this.byId[id];
    if (!e) return;
    e.seqs.remove(seq);
    if (e.seqs.count === 0) {
      this.byName.delete(e.subject);
      this.byId[id] = undefined;
      this.freeIds.push(id);
    }
  }

  /** Empty entries can exist between intern() and the first push; drop them. */
  dropIfEmpty(e: SubjectEntry): void {
    if (e.seqs.count === 0 && this.byName.get(e.subject) === e) {
      this.byName.delete(e.subject);
      this.byId[e.id] = undefined;
      this.freeIds.push(e.id);
    }
  }

  /** Approximate heap bytes of the subject index: sequence lists plus per-subject overhead. */
  memoryBytes(): number {
    let n = 0;
    for (const e of this.byName.values()) n += e.seqs.memoryBytes() + 96 + 2 * e.subject.length;
    return n;
  }

  clear(): void {
    this.recent = new Array(RECENT_SLOTS);
    this.byName.clear();
    this.byId = [];
    this.freeIds = [];
  }

  all(): IterableIterator<SubjectEntry> {
    return this.byName.values();
  }

  /** Entries matching a filter; a literal filter is a single map lookup. */
  *matching(filter: string): Generator<SubjectEntry> {
    if (isAllFilter(filter)) {
      yield* this.byName.values();
      return;
    }
    if (!subjectHasWildcard(filter)) {
      const e = this.byName.get(filter);
      if (e) yield e;
      return;
    }
    for (const e of this.byName.values()) if (subjectMatches(e.subject, filter)) yield e;
  }

  /** Memoized matcher by subject id, for linear scans with a wildcard filter. */
  matcher(filters: string[]): (id: number) => boolean {
    if (filters.some(isAllFilter)) return () => true;
    const memo = new Map<number, boolean>();
    return (id) => {
      let m = memo.get(id);
      if (m === undefined) {
        const s = this.byId[id]!.subject;
        m = filters.some((f) => subjectMatches(s, f));
        memo.set(id, m);
      }
      return m;
    };
  }
}
