/** Identifier of a member of a RAFT group. */
export type NodeId = string;

/**
 * Kind of a log entry. `normal` entries carry application data, `conf` entries carry a
 * membership change, `noop` is the entry every new leader appends to commit its term.
 */
export type EntryType = "normal" | "conf" | "noop";

/** One entry of the replicated log. */
export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

/**
 * State that must be durable before any message that depends on it is sent.
 * `recovering` marks a node whose log tail was lost (corruption): it neither votes nor
 * campaigns until it has caught up with a leader.
 */
export interface HardState {
  term: number;
  vote: NodeId | null;
  commit: number;
  recovering: boolean;
}

/** Voting members and non-voting observers of a group. */
export interface Membership {
  voters: NodeId[];
  observers: NodeId[];
}

/** Position and membership a snapshot covers. */
export interface SnapshotMeta {
  index: number;
  term: number;
  membership: Membership;
}

/** A state machine snapshot: everything up to and including `meta.index`. */
export interface Snapshot {
  meta: SnapshotMeta;
  data: Uint8Array;
}

interface Envelope {
  term: number;
  from: NodeId;
  to: NodeId;
}

/** RequestVote, or its pre-vote probe (`pre`) that does not disturb terms. */
export interface VoteRequest extends Envelope {
  type: "vote";
  pre: boolean;
  lastIndex: number;
  lastTerm: number;
  /** Set by a leadership transfer: voters ignore their leader lease. */
  force: boolean;
}

export interface VoteResponse extends Envelope {
  type: "voteResp";
  pre: boolean;
  granted: boolean;
}

/** AppendEntries. `leaderLast` is the leader's last index when it sent this. */
export interface AppendRequest extends Envelope {
  type: "append";
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  commit: number;
  leaderLast: number;
}

/**
 * Answer to an append. On success `index` is the highest index known to match the
 * leader; on rejection `index` is the rejected prevIndex and `hint` the follower's guess
 * of the last index that may match.
 */
export interface AppendResponse extends Envelope {
  type: "appendResp";
  index: number;
  reject: boolean;
  hint: number;
}

export interface Heartbeat extends Envelope {
  type: "heartbeat";
  commit: number;
}

export interface HeartbeatResponse extends Envelope {
  type: "heartbeatResp";
}

/** One chunk of an InstallSnapshot transfer. */
export interface SnapshotChunk extends Envelope {
  type: "snapshot";
  meta: SnapshotMeta;
  offset: number;
  total: number;
  data: Uint8Array;
  done: boolean;
}

/** Acknowledges snapshot bytes up to `offset` (the next offset wanted). */
export interface SnapshotResponse extends Envelope {
  type: "snapshotResp";
  index: number;
  offset: number;
  reject: boolean;
}

/** Tells a transfer target to campaign at once. */
export interface TimeoutNow extends Envelope {
  type: "timeoutNow";
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | SnapshotChunk
  | SnapshotResponse
  | TimeoutNow;

export type Role = "follower" | "precandidate" | "candidate" | "leader";

/**
 * Work the host must do, in this order: persist `snapshot`, `entries` (replacing any
 * stored entries at or after `entries[0].index`) and `hardState`, fsync; then send
 * `messages`; then apply `committed` (after restoring `snapshot` into the state machine);
 * then call `advance()`. `leaderMessages` may be sent at once, before persisting.
 */
export interface Ready {
  hardState: HardState | null;
  entries: Entry[];
  snapshot: Snapshot | null;
  /** Messages that must wait until this ready is durable (votes, acknowledgements). */
  messages: Message[];
  /**
   * Leader replication messages whose term is already durable. They do not depend on this
   * ready, so the leader writes its log in parallel with replicating it (RAFT thesis 10.2.1).
   */
  leaderMessages: Message[];
  committed: Entry[];
}

/** Source of randomness; inject a seeded one for reproducible runs. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
}
