// Per-sequence metadata for every live message, in typed-array chunks of CHUNK sequences:
// timestamp (8 bytes), subject id (4) and accounted size (4). A chunk with no live message
// left is dropped, so long deleted ranges cost nothing; a missing chunk reads as "all deleted".

const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;
const NONE = -1;

class SeqChunk {
  readonly ts = new BigInt64Array(CHUNK);
  readonly subj = new Int32Array(CHUNK).fill(NONE);
  readonly size = new Uint32Array(CHUNK);
  live = 0;
}

export class SeqIndex {
  private chunks = new Map<number, SeqChunk>();
  /** The chunk stores went to last: appends hit the same chunk 4096 times in a row. */
  private lastKey = -1;
  private lastChunk: SeqChunk | undefined;

  set(seq: number, subjectId: number, ts: bigint, size: number): void {
    const k = Math.floor(seq / CHUNK);
    let c = k === this.lastKey ? this.lastChunk : this.chunks.get(k);
    if (!c) {
      c = new SeqChunk();
      this.chunks.set(k, c);
    }
    this.lastKey = k;
    this.lastChunk = c;
    const i = seq & MASK;
    if (c.subj[i] === NONE) c.live++;
    c.subj[i] = subjectId;
    c.ts[i] = ts;
    c.size[i] = size;
  }

  /** Subject id of the live message at seq, or -1. */
  subjectId(seq: number): number {
    const c = this.chunks.get(Math.floor(seq / CHUNK));
    return c ? c.subj[seq & MASK] : NONE;
  }

  has(seq: number): boolean {
    return this.subjectId(seq) !== NONE;
  }

  ts(seq: number): bigint {
    const c = this.chunks.get(Math.floor(seq / CHUNK));
    return c ? c.ts[seq & MASK] : 0n;
  }

  size(seq: number): number {
    const c = this.chunks.get(Math.floor(seq / CHUNK));
    return c ? c.size[seq & MASK] : 0;
  }

  /** Marks seq deleted; returns false when it was not live. */
  clear(seq: number): boolean {
    const k = Math.floor(seq / CHUNK);
    const c = this.chunks.get(k);
    if (!c) return false;
    const i = seq & MASK;
    if (c.subj[i] === NONE) return false;
    c.subj[i] = NONE;
    if (--c.live === 0) {
      this.chunks.delete(k);
      if (k === this.lastKey) this.forgetLast();
    }
    return true;
  }

  clearAll(): void {
    this.chunks.clear();
    this.forgetLast();
  }

  private forgetLast(): void {
    this.lastKey = -1;
    this.lastChunk = undefined;
  }

  /** First live sequence in [from, to], or -1. */
  nextLive(from: number, to: number): number {
    let seq = from;
    while (seq <= to) {
      const k = Math.floor(seq / CHUNK);
      const c = this.chunks.get(k);
      const chunkEnd = Math.min(to, k * CHUNK + MASK);
      if (c) {
        const subj = c.subj;
        for (let s = seq; s <= chunkEnd; s++) if (subj[s & MASK] !== NONE) return s;
      } else if (this.farAhead(k, to)) {
        const next = this.keyAfter(k);
        if (next < 0) return NONE;
        seq = next * CHUNK;
        continue;
      }
      seq = chunkEnd + 1;
    }
    return NONE;
  }

  /** Last live sequence in [from, to] walking down from `to`, or -1. */
  prevLive(to: number, from: number): number {
    let seq = to;
    while (seq >= from) {
      const k = Math.floor(seq / CHUNK);
      const c = this.chunks.get(k);
      const chunkStart = Math.max(from, k * CHUNK);
      if (c) {
        const subj = c.subj;
        for (let s = seq; s >= chunkStart; s--) if (subj[s & MASK] !== NONE) return s;
      } else if (this.farAhead(Math.floor(from / CHUNK), seq)) {
        const prev = this.keyBefore(k);
        if (prev < 0) return NONE;
        seq = Math.min(seq, prev * CHUNK + MASK);
        continue;
      }
      seq = chunkStart - 1;
    }
    return NONE;
  }

  /** Number of live messages in [from, to]; whole chunks use their live counts. */
  countLive(from: number, to: number): number {
    let n = 0;
    let seq = from;
    while (seq <= to) {
      const k = Math.floor(seq / CHUNK);
      const c = this.chunks.get(k);
      const chunkStart = k * CHUNK;
      const chunkEnd = Math.min(to, chunkStart + MASK);
      if (c) {
        if (seq === chunkStart && chunkEnd === chunkStart + MASK) n += c.live;
        else for (let s = seq; s <= chunkEnd; s++) if (c.subj[s & MASK] !== NONE) n++;
      } else if (this.farAhead(k, to)) {
        const next = this.keyAfter(k);
        if (next < 0) break;
        seq = next * CHUNK;
        continue;
      }
      seq = chunkEnd + 1;
    }
    return n;
  }

  /**
   * True when the chunks from `k` to the one holding `to` outnumber the chunks that exist:
   * walking them one by one (a huge gap after skips or a compaction past the end) would take
   * longer than searching the existing keys.
   */
  private farAhead(k: number, to: number): boolean {
    return Math.floor(to / CHUNK) - k > 64 + this.chunks.size;
  }

  /** Smallest existing chunk key above `k`, or -1. */
  private keyAfter(k: number): number {
    let best = -1;
    for (const key of this.chunks.keys()) if (key > k && (best < 0 || key < best)) best = key;
    return best;
  }

  /** Largest existing chunk key below `k`, or -1. */
  private keyBefore(k: number): number {
    let best = -1;
    for (const key of this.chunks.keys()) if (key < k && key > best) best = key;
    return best;
  }

  /** The first `limit` deleted sequences in [from, to], in order; a missing chunk is a run of them. */
  deletedIn(from: number, to: number, limit: number): number[] {
    const out: number[] = [];
    let seq = from;
    while (seq <= to && out.length < limit) {
      const k = Math.floor(seq / CHUNK);
      const end = Math.min(to, k * CHUNK + MASK, seq + (limit - out.length) - 1);
      const c = this.chunks.get(k);
      if (c) {
        const subj = c.subj;
        for (let s = seq; s <= end; s++) if (subj[s & MASK] === NONE) out.push(s);
      } else {
        for (let s = seq; s <= end; s++) out.push(s);
      }
      seq = end + 1;
    }
    return out;
  }

  /** Bytes held by the index, for memory accounting. */
  memoryBytes(): number {
    return this.chunks.size * CHUNK * 16;
  }
}
