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
  /** Hands every appended byte to the OS; throws on a write error. */
  writePending(): void;
  /** File descriptors written since their last fsync (cleared by the call). */
  takeDirtyFds(): number[];
  /** Run after each successful durable point (deferred unlinks, fd closes, maintenance). */
  afterCommit(): void;
  /** Restores a state consistent with disk after a failed write. */
  onWriteError(e: unknown): void;
  fdatasync(fd: number): Promise<void>;
}

/**
 * Group commit: writers that arrive during one event-loop turn, or while an fsync is in
 * flight, share the next write + fsync. With "always", a waiter resolves only after the fsync
 * that covers its bytes; with "interval", once its bytes reached the OS (the background timer
 * fsyncs later).
 */
export class GroupCommit {
  private batch: Batch | undefined;
  private scheduled = false;
  private syncing = false;
  private kicked = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly host: CommitHost,
    private readonly policy: SyncPolicy,
  ) {}

  get busy(): boolean {
    return this.syncing;
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

  /** Schedules a write of appended bytes without anyone waiting (removals, markers). */
  kick(): void {
    this.kicked = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.syncing) return;
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
    try {
      this.host.writePending();
    } catch (e) {
      try {
        this.host.onWriteError(e);
      } catch {
        // Rolling back failed too; the store is unusable but the process must not die.
        this.stopped = true;
      }
      const err = new StoreError("Io", (e as Error).message, undefined, { cause: e });
      batch?.reject(err);
      this.settle();
      return;
    }
    if (this.policy === "interval" || !batch) {
      this.host.afterCommit();
      batch?.resolve();
      this.settle();
      return;
    }
    this.syncing = true;
    const fds = this.host.takeDirtyFds();
    Promise.all(fds.map((fd) => this.host.fdatasync(fd))).then(
      () => {
        this.syncing = false;
        this.host.afterCommit();
        batch.resolve();
        this.settle();
      },
      (e: unknown) => {
        this.syncing = false;
        const err = new StoreError("Io", `fsync failed: ${(e as Error).message}`, undefined, { cause: e });
        batch.reject(err);
        this.settle();
      },
    );
  }

  private settle(): void {
    if (this.batch || this.kicked) this.schedule();
    else if (!this.scheduled && !this.syncing) for (const f of this.idleWaiters.splice(0)) f();
  }

  /** Resolves once no write or fsync is pending or in flight. */
  idle(): Promise<void> {
    if (!this.scheduled && !this.syncing && !this.batch && !this.kicked) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}
