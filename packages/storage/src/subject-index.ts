import { SeqList } from "./seq-list.js";
import { isAllFilter, subjectHasWildcard, subjectMatches } from "./subject.js";

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
