import type { Snapshot, SnapshotChunk, SnapshotMeta } from "./types.js";

/**
 * Follower side of a chunked InstallSnapshot: accepts chunks strictly in order and says
 * which offset it wants next, so a lost or reordered chunk is simply asked for again.
 */
export class SnapshotAssembler {
  private meta: SnapshotMeta | null = null;
  private chunks: Uint8Array[] = [];
  private received = 0;

  reset(): void {
    this.meta = null;
    this.chunks = [];
    this.received = 0;
  }

  /** Takes one chunk; returns the complete snapshot once the last chunk arrives. */
  accept(m: SnapshotChunk): { done: Snapshot; next: number } | { done: null; next: number } {
    if (m.offset === 0) {
      this.reset();
      this.meta = m.meta;
    }
    const same = this.meta !== null && this.meta.index === m.meta.index && this.meta.term === m.meta.term;
    if (!same) return { done: null, next: 0 };
    if (m.offset !== this.received) return { done: null, next: this.received };
    this.chunks.push(m.data);
    this.received += m.data.length;
    if (!m.done) return { done: null, next: this.received };
    const snapshot = { meta: m.meta, data: concat(this.chunks, this.received) };
    this.reset();
    return { done: snapshot, next: snapshot.data.length };
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
