import type { Entry, HardState, Membership, NodeId, Rng, Snapshot } from "./types.js";
import type { ProgressState } from "./progress.js";

/** Static settings of one RAFT node. Times are in ticks. */
export interface RaftOptions {
  id: NodeId;
  rng: Rng;
  /** A follower campaigns after a random timeout in [electionTicks, 2*electionTicks). */
  electionTicks?: number;
  heartbeatTicks?: number;
  /** Batching limits for one append message. */
  maxEntriesPerMessage?: number;
  maxBytesPerMessage?: number;
  /** Appends in flight per follower before the leader waits for acknowledgements. */
  maxInflight?: number;
  snapshotChunkBytes?: number;
}

/** What the node recovered from durable storage (all empty for a brand new node). */
export interface RaftStorageState {
  hardState?: HardState;
  snapshot?: Snapshot | null;
  entries?: Entry[];
  /** Membership of a brand new group; ignored when storage is not empty. */
  bootstrap?: Membership;
}

/** Replication status of one peer, as the leader sees it. */
export interface PeerHealth {
  id: NodeId;
  voter: boolean;
  match: number;
  next: number;
  state: ProgressState;
  /** Ticks since the leader last heard from this peer. */
  lastContactTicks: number;
  /** Heard from recently and has every committed entry. */
  current: boolean;
}

/** Result of an accepted proposal: it is committed when this index applies with this term. */
export interface ProposalTicket {
  index: number;
  term: number;
}

/** Batching and flow-control limits, defaults applied. */
export interface ReplicationLimits {
  maxEntries: number;
  maxBytes: number;
  maxInflight: number;
  chunkBytes: number;
}

export function replicationLimits(opts: RaftOptions): ReplicationLimits {
  return {
    maxEntries: opts.maxEntriesPerMessage ?? 256,
    maxBytes: opts.maxBytesPerMessage ?? 1 << 20,
    maxInflight: opts.maxInflight ?? 64,
    chunkBytes: opts.snapshotChunkBytes ?? 256 * 1024,
  };
}
