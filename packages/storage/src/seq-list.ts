const MIN_CAPACITY = 2;
/** Front removals are compacted away once they are this many and outnumber the live entries. */
const COMPACT_AFTER = 256;

/**
 * Sorted sequences of one subject (Go keeps only first/last/count per subject; the full list
 * answers filtered queries without scanning blocks).
 *
 * The sequences live in a Float64Array (exact up to 2^53): appends write a slot, growth is a
 * native copy, and the numbers sit outside the garbage-collected heap, so storing millions of
 * messages does not make every young-generation collection copy growing arrays. Removals at
 * the front (limits, acks) are O(1) through a head offset; others shift the tail.
 */
export class SeqList {
  private seqs = new Float64Array(MIN_CAPACITY);
  private head = 0;
  private tail = 0;

  get count(): number {
    return this.tail - this.head;
  }
  /** First sequence (undefined when empty, like the last element of an empty array). */
  get first(): number {
    return this.tail > this.head ? this.seqs[this.head] : (undefined as unknown as number);
  }
  get last(): number {
    return this.tail > this.head ? this.seqs[this.tail - 1] : (undefined as unknown as number);
  }
  at(i: number): number {
    return this.seqs[this.head + i];
  }

  push(seq: number): void {
    if (this.tail === this.seqs.length) this.makeRoom();
    const tail = this.tail;
    if (tail > this.head && this.seqs[tail - 1] >= seq) {
      const i = this.lowerBoundRaw(seq);
      this.seqs.copyWithin(i + 1, i, tail);
      this.seqs[i] = seq;
    } else {
      this.seqs[tail] = seq;
    }
    this.tail = tail + 1;
  }

  /** Frees a slot at the end: drops removed front slots when they are many, else doubles. */
  private makeRoom(): void {
    const n = this.count;
    if (this.head >= n && this.head > 0) {
      this.seqs.copyWithin(0, this.head, this.tail);
    } else {
      const grown = new Float64Array(this.seqs.length * 2);
      grown.set(this.seqs.subarray(this.head, this.tail));
      this.seqs = grown;
    }
    this.head = 0;
    this.tail = n;
  }

  remove(seq: number): boolean {
    if (this.tail === this.head) return false;
    if (this.seqs[this.head] === seq) {
      this.head++;
      if (this.head === this.tail) {
        this.head = this.tail = 0;
        // A subject drained of a burst keeps no big buffer.
        if (this.seqs.length > 64) this.seqs = new Float64Array(MIN_CAPACITY);
      } else if (this.head > COMPACT_AFTER && this.head > this.count) {
        this.shrink();
      }
      return true;
    }
    const i = this.lowerBoundRaw(seq);
    if (i < this.tail && this.seqs[i] === seq) {
      this.seqs.copyWithin(i, i + 1, this.tail);
      this.tail--;
      return true;
    }
    return false;
  }

  /** Moves the live entries to the front of a buffer at most twice their size. */
  private shrink(): void {
    const n = this.count;
    let cap = this.seqs.length;
    while (cap > MIN_CAPACITY && cap >= 4 * n) cap >>= 1;
    if (cap < this.seqs.length) {
      const smaller = new Float64Array(cap);
      smaller.set(this.seqs.subarray(this.head, this.tail));
      this.seqs = smaller;
    } else {
      this.seqs.copyWithin(0, this.head, this.tail);
    }
    this.head = 0;
    this.tail = n;
  }

  private lowerBoundRaw(seq: number): number {
    let lo = this.head;
    let hi = this.tail;
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
    return i < this.tail ? this.seqs[i] : -1;
  }

  /** Last sequence <= seq, or -1. */
  prevFrom(seq: number): number {
    const i = this.lowerBoundRaw(seq + 1) - 1;
    return i >= this.head ? this.seqs[i] : -1;
  }

  countFrom(seq: number): number {
    return this.tail - this.lowerBoundRaw(seq);
  }

  toArray(): number[] {
    return Array.from(this.seqs.subarray(this.head, this.tail));
  }

  /** Bytes of the sequence buffer. */
  memoryBytes(): number {
    return this.seqs.byteLength;
  }
}
