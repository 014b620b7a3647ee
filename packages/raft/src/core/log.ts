import type { Entry } from "./types.js";

/**
 * In-memory view of one node's log: a compaction point (the last index covered by the
 * latest snapshot) followed by the entries after it.
 */
export class RaftLog {
  snapIndex = 0;
  snapTerm = 0;
  private entries: Entry[] = [];

  firstIndex(): number {
    return this.snapIndex + 1;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].term : this.snapTerm;
  }

  /** Term at `index`, or undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapIndex - 1].term;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.snapIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Entries in [lo, hi], stopping once `maxBytes` is exceeded (always at least one). */
  slice(lo: number, hi: number, maxBytes = Infinity, maxCount = Infinity): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = Math.max(lo, this.firstIndex()); i <= Math.min(hi, this.lastIndex()); i++) {
      const e = this.entries[i - this.snapIndex - 1];
      bytes += e.data.length;
      if (out.length > 0 && (bytes > maxBytes || out.length >= maxCount)) break;
      out.push(e);
    }
    return out;
  }

  /** Appends entries, first dropping any existing entry at or after the first new index. */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const from = ents[0].index;
    if (from <= this.snapIndex) throw new Error(`append at ${from} below compaction point ${this.snapIndex}`);
    if (from > this.lastIndex() + 1) throw new Error(`gap: append at ${from} after ${this.lastIndex()}`);
    this.entries.length = from - this.snapIndex - 1;
    for (const e of ents) this.entries.push(e);
  }

  /**
   * Follower-side append: returns the first index whose entry changed (or null when
   * the log already held every entry), after removing conflicting entries.
   */
  appendFollower(ents: readonly Entry[]): number | null {
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i];
      if (e.index <= this.snapIndex) continue;
      if (this.term(e.index) !== e.term) {
        this.append(ents.slice(i));
        return e.index;
      }
    }
    return null;
  }

  /**
   * Largest index <= `index` whose term is <= `term`: where a rejected leader should
   * probe next, skipping a whole conflicting term at once.
   */
  conflictHint(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapIndex) {
      const t = this.term(i);
      if (t === undefined || t <= term) break;
      i--;
    }
    return i;
  }

  /** Drops entries up to and including `index` (which must be in the log or its end). */
  compact(index: number, term: number): void {
    if (index <= this.snapIndex) return;
    if (index >= this.lastIndex()) this.entries = [];
    else this.entries = this.entries.slice(index - this.snapIndex);
    this.snapIndex = index;
    this.snapTerm = term;
  }

  /** Replaces the whole log with a snapshot's position. */
  restore(index: number, term: number): void {
    this.entries = [];
    this.snapIndex = index;
    this.snapTerm = term;
  }

  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** All entries after the compaction point (a copy of the array, entries shared). */
  all(): Entry[] {
    return this.entries.slice();
  }
}
