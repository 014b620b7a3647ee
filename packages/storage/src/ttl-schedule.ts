// Per-message TTL deadlines: a binary min-heap of (expiry ns, seq). Entries of messages
// removed by other means are left in place and skipped when they surface (the caller checks
// that the message still exists), which keeps removal O(1).

export class TtlSchedule {
  private at: bigint[] = [];
  private seqs: number[] = [];

  get size(): number {
    return this.at.length;
  }

  add(expires: bigint, seq: number): void {
    this.at.push(expires);
    this.seqs.push(seq);
    let i = this.at.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p] <= this.at[i]) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Earliest deadline, or undefined when empty. */
  peek(): bigint | undefined {
    return this.at[0];
  }

  /** Removes and returns every seq whose deadline is <= now. */
  popDue(now: bigint): number[] {
    const due: number[] = [];
    while (this.at.length > 0 && this.at[0] <= now) {
      due.push(this.seqs[0]);
      this.popTop();
    }
    return due;
  }

  /** Keeps only the entries whose seq passes `keep` (used when sequences are reused). */
  retain(keep: (seq: number) => boolean): void {
    const at = this.at;
    const seqs = this.seqs;
    this.clear();
    for (let i = 0; i < at.length; i++) if (keep(seqs[i])) this.add(at[i], seqs[i]);
  }

  clear(): void {
    this.at = [];
    this.seqs = [];
  }

  private popTop(): void {
    const last = this.at.length - 1;
    this.swap(0, last);
    this.at.pop();
    this.seqs.pop();
    let i = 0;
    const n = this.at.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.at[l] < this.at[m]) m = l;
      if (r < n && this.at[r] < this.at[m]) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const t = this.at[a];
    this.at[a] = this.at[b];
    this.at[b] = t;
    const s = this.seqs[a];
    this.seqs[a] = this.seqs[b];
    this.seqs[b] = s;
  }
}
