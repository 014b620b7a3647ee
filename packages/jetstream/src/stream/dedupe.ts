/** One remembered Nats-Msg-Id: the sequence it was stored at and when (ns). */
interface DedupeEntry {
  seq: number;
  ts: bigint;
}

/**
 * The duplicate window of a stream: Nats-Msg-Id -> sequence, forgetting ids older than the
 * window. Entries are kept in arrival order (a Map), so pruning only looks at the front.
 */
export class DedupeWindow {
  private readonly ids = new Map<string, DedupeEntry>();

  constructor(private windowNs: bigint) {}

  setWindow(ns: number): void {
    this.windowNs = BigInt(ns);
  }

  /** The sequence a live duplicate of `id` was stored at, or 0. */
  check(id: string, now: bigint): number {
    const e = this.ids.get(id);
    if (e === undefined) return 0;
    if (now - e.ts > this.windowNs) {
      this.ids.delete(id);
      return 0;
    }
    return e.seq;
  }

  remember(id: string, seq: number, ts: bigint): void {
    this.ids.delete(id);
    this.ids.set(id, { seq, ts });
    this.prune(ts);
  }

  /** Drops every id older than the window. */
  prune(now: bigint): void {
    if (this.windowNs <= 0n) {
      this.ids.clear();
      return;
    }
    for (const [id, e] of this.ids) {
      if (now - e.ts <= this.windowNs) break;
      this.ids.delete(id);
    }
  }

  get size(): number {
    return this.ids.size;
  }

  clear(): void {
    this.ids.clear();
  }
}
