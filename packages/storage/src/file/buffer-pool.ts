import { allocHashable } from "./checksum.js";

/** Bytes of idle buffers kept at most (all sizes, all stores of the process together). */
const MAX_POOLED_BYTES = 64 * 1024 * 1024;
/** Idle buffers are released when none was taken or returned for this long. */
const IDLE_MS = 10_000;

/**
 * Write-block buffers kept for reuse, across blocks and across the stores of the process (like
 * Go's block buffer pools). Fresh memory costs a page fault and zeroing per 4 KiB the first
 * time it is written, a large share of the cost of appending records to a new block; a buffer
 * from an evicted block or a stopped store has been touched already. Only buffers this pool
 * handed out are taken back, so every pooled buffer is hashable in place. A pool left idle for
 * IDLE_MS lets its buffers go.
 *
 * @example
 * const buf = blockBuffers.take(8 << 20); // ... later, once nothing refers to it:
 * blockBuffers.give(buf);
 */
export class BufferPool {
  private readonly idle = new Map<number, Buffer[]>();
  /** Backing memories of the buffers handed out, the only ones taken back. */
  private readonly own = new WeakSet<ArrayBufferLike>();
  private bytes = 0;
  private lastUse = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxBytes = MAX_POOLED_BYTES,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** A buffer of exactly `size` bytes: an idle one, or fresh hashable memory. */
  take(size: number): Buffer {
    this.lastUse = Date.now();
    const buf = this.idle.get(size)?.pop();
    if (buf) {
      this.bytes -= size;
      return buf;
    }
    const fresh = allocHashable(size);
    this.own.add(fresh.buffer);
    return fresh;
  }

  /**
   * Takes back a buffer from take() (or a view of one) that nothing refers to any more, as
   * its full `size` bytes. Returns false (and keeps nothing) for other buffers or a full pool.
   */
  give(buf: Buffer, size: number): boolean {
    if (!this.own.has(buf.buffer) || buf.byteOffset !== 0 || buf.buffer.byteLength < size || this.bytes + size > this.maxBytes) return false;
    let list = this.idle.get(size);
    if (!list) this.idle.set(size, (list = []));
    list.push(buf.length === size ? buf : Buffer.from(buf.buffer, 0, size));
    this.bytes += size;
    this.lastUse = Date.now();
    this.armRelease();
    return true;
  }

  /** Bytes of idle buffers held. */
  get idleBytes(): number {
    return this.bytes;
  }

  /** Lets every idle buffer go. */
  clear(): void {
    this.idle.clear();
    this.bytes = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private armRelease(): void {
    if (this.timer) return;
    const check = (): void => {
      this.timer = undefined;
      const quiet = Date.now() - this.lastUse;
      if (quiet >= this.idleMs) this.clear();
      else if (this.bytes > 0) this.schedule(check, this.idleMs - quiet);
    };
    this.schedule(check, this.idleMs);
  }

  private schedule(fn: () => void, ms: number): void {
    this.timer = setTimeout(fn, ms);
    this.timer.unref();
  }
}

/** The pool of every FileStore in the process. */
export const blockBuffers = new BufferPool();
