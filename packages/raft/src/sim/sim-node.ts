import type { RaftOptions } from "../core/options.js";
import { RaftCore } from "../core/raft.js";
import { SeededRng } from "../core/rng.js";
import type { Entry, HardState, Membership, NodeId, Ready, Snapshot } from "../core/types.js";
import { KvStore } from "./kv.js";

/** What survives a crash: only writes whose simulated fsync completed. */
export interface SimDisk {
  hardState: HardState | null;
  snapshot: Snapshot | null;
  entries: Entry[];
}

/** Core tuning shared by every simulated node. */
export const SIM_RAFT_OPTIONS: Omit<RaftOptions, "id" | "rng"> = {
  electionTicks: 10,
  heartbeatTicks: 2,
  maxEntriesPerMessage: 8,
  maxInflight: 4,
  snapshotChunkBytes: 96,
};

/** One simulated server: a RaftCore plus its durable disk and key-value state machine. */
export class SimNode {
  core: RaftCore | null = null;
  /** Bumped on every crash so that callbacks of a previous life are ignored. */
  incarnation = 0;
  disk: SimDisk = { hardState: null, snapshot: null, entries: [] };
  /** A ready whose simulated fsync is still running. */
  pending: Ready | null = null;
  /** Term of the entry before the pending ready's first entry, when the ready was taken. */
  pendingPrevTerm: number | undefined = undefined;
  kv = new KvStore();
  tickScale = 1;
  diskMinMs = 0;
  diskMaxMs = 2;
  appliedSinceSnapshot = 0;

  constructor(
    readonly id: NodeId,
    private readonly bootstrap: Membership | undefined,
  ) {}

  get alive(): boolean {
    return this.core !== null;
  }

  start(seed: number): RaftCore {
    this.core = new RaftCore(
      { id: this.id, rng: new SeededRng(seed), ...SIM_RAFT_OPTIONS },
      {
        hardState: this.disk.hardState ?? undefined,
        snapshot: this.disk.snapshot,
        entries: this.disk.entries.slice(),
        bootstrap: this.bootstrap,
      },
    );
    this.kv = new KvStore();
    if (this.disk.snapshot) this.kv.restore(this.disk.snapshot.data);
    this.appliedSinceSnapshot = 0;
    return this.core;
  }

  crash(): void {
    this.core = null;
    this.pending = null;
    this.incarnation++;
  }

  /** Makes a ready durable, as an fsync completing would. */
  persist(rd: Ready): void {
    if (rd.snapshot) {
      this.disk.snapshot = rd.snapshot;
      this.disk.entries = [];
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0].index;
      this.disk.entries = this.disk.entries.filter((e) => e.index < first).concat(rd.entries);
    }
    const prev = this.disk.hardState;
    const hs = rd.hardState;
    // Like the real WAL: a commit-only change is not synced, so a crash forgets it.
    if (hs && !(prev && prev.term === hs.term && prev.vote === hs.vote && prev.recovering === hs.recovering)) this.disk.hardState = hs;
  }

  /**
   * Drops the last `count` log records, acknowledged or not, and flags recovery: what the
   * WAL does on finding damage that is not a torn last write (bit rot, a lying disk).
   */
  corruptTail(count: number): number {
    const lost = Math.min(count, this.disk.entries.length);
    this.disk.entries = this.disk.entries.slice(0, this.disk.entries.length - lost);
    if (this.disk.hardState) this.disk.hardState = { ...this.disk.hardState, recovering: true };
    else this.disk.hardState = { term: 0, vote: null, commit: 0, recovering: true };
    return lost;
  }

  takeSnapshot(): void {
    const core = this.core!;
    const snap = core.createSnapshot(core.applied, this.kv.snapshot());
    if (!snap) return;
    this.disk.snapshot = snap;
    this.disk.entries = this.disk.entries.filter((e) => e.index > snap.meta.index);
    this.appliedSinceSnapshot = 0;
  }
}
