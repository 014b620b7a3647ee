import { StoreError } from "../errors.js";
import type { SyncPolicy } from "../types.js";

/** One promise shared by every writer of a batch. */
class Batch {
  resolve!: () => void;
  reject!: (e: unknown) => void;
  readonly done = new Promise<void>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });
}

/** What the committer needs from its store. */
export interface CommitHost {
  /** Hands every appended byte to the OS (asynchronously); rejects on a write error. */
  writePending(): Promise<void>;
  /** File descriptors written since their last fsync (cleared by the call). */
  takeDirtyFds(): number[];
  /** Run after each cycle (deferred unlinks, fd closes). */
  afterCommit(): void;
  /** Restores a state consistent with disk after a failed write. */
  onWriteError(e: unknown): void;
  /** A background fsync (sync "interval") failed. */
  onSyncError(e: unknown): void;
  fdatasync(fd: number): Promise<void>;
}

class SyncFailed {
  constructor(readonly cause: unknown) {}
}

/**
 * Group commit: everything appended during one event-loop turn, or while the previous cycle's
 * writes and fsync are in flight, goes out in the next cycle: one asynchronous write per block
 * tail, then (policy "always", or a background sync request) one fdatasync per written file.
 * With "always" a waiter resolves only after the fsync that covers its bytes, and removals
 * (tombstones, floors) ride the same fsync; with "interval" once its bytes reached the OS.
 */
export class GroupCommit {
  private batch: Batch | undefined;
  private scheduled = false;
  private running = false;
  private kicked = false;
  private syncRequested = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly host: CommitHost,
    private readonly policy: SyncPolicy,
  ) {}

  /** True while a cycle's writes or fsync are in flight. */
  get busy(): boolean {
    return this.running;
  }

  /** Resolves when everything appended so far is durable under the policy. */
  wait(): Promise<void> {
    if (this.stopped) return Promise.reject(new StoreError("StoreClosed"));
    if (!this.batch) {
      this.batch = new Batch();
      this.schedule();
    }
    return this.batch.done;
  }

  /** Schedules a cycle without anyone waiting (removals, markers, maintenance). */
  kick(): void {
    this.kicked = true;
    this.schedule();
  }

  /** Asks the next cycle to fsync whatever was written (the "interval" timer). */
  requestSync(): void {
    this.syncRequested = true;
    this.kick();
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  /** No more writes: later kicks and waits are ignored or rejected. */
  close(): void {
    this.stopped = true;
    const err = new StoreError("StoreClosed");
    this.batch?.reject(err);
    this.batch = undefined;
  }

  private run(): void {
    this.scheduled = false;
    if (this.stopped) return;
    this.kicked = false;
    const batch = this.batch;
    this.batch = undefined;
    const sync = this.policy === "always" || this.syncRequested;
    this.syncRequested = false;
    this.running = true;
    let written: Promise<void>;
    try {
      written = this.host.writePending();
    } catch (e) {
      written = Promise.reject(e);
    }
    written
      .then(() => {
        if (this.policy === "interval") batch?.resolve();
        const fds = sync ? this.host.takeDirtyFds() : [];
        if (fds.length === 0) return;
        return Promise.all(fds.map((fd) => this.host.fdatasync(fd))).then(
          () => undefined,
          (e: unknown) => {
            throw new SyncFailed(e);
          },
        );
      })
      .then(
        () => {
          this.running = false;
          this.host.afterCommit();
          batch?.resolve();
          this.settle();
        },
        (e: unknown) => {
          this.running = false;
          if (e instanceof SyncFailed) {
            const cause = e.cause as Error;
            this.host.onSyncError(cause);
            batch?.reject(new StoreError("Io", `fsync failed: ${cause.message}`, undefined, { cause }));
          } else {
            this.failWrites(e, batch);
          }
          this.settle();
        },
      );
  }

  private failWrites(e: unknown, batch: Batch | undefined): void {
    try {
      this.host.onWriteError(e);
    } catch {
      // Rolling back failed too; the store is unusable but the process must not die.
      this.stopped = true;
    }
    const err = new StoreError("Io", (e as Error).message, undefined, { cause: e });
    batch?.reject(err);
    // Records appended while the failed write was in flight were rolled back with it.
    this.batch?.reject(err);
    this.batch = undefined;
  }

  private settle(): void {
    if (this.stopped) {
      this.batch?.reject(new StoreError("StoreClosed"));
      this.batch = undefined;
    }
    if (!this.stopped && (this.batch || this.kicked)) this.schedule();
    else if (!this.scheduled && !this.running) for (const f of this.idleWaiters.splice(0)) f();
  }

  /** Resolves once no write or fsync is pending or in flight. */
  idle(): Promise<void> {
    if (!this.scheduled && !this.running && !this.batch && !this.kicked) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}
