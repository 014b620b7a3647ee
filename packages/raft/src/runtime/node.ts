import { randomInt } from "node:crypto";
import { isNoopChange, type MembershipChange } from "../core/membership.js";
import type { PeerHealth, ProposalTicket, RaftOptions } from "../core/options.js";
import { RaftCore } from "../core/raft.js";
import { SeededRng } from "../core/rng.js";
import type { Entry, Membership, NodeId, Rng, Role } from "../core/types.js";
import type { Transport } from "./transport.js";
import { Wal, type WalDamage } from "./wal.js";

/** The replicated application. Calls are made one at a time, in log order. */
export interface StateMachine {
  apply(entry: { index: number; term: number; data: Uint8Array }): void | Promise<void>;
  /** Serializes the state reflecting every entry applied so far. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /** Replaces the state with a snapshot's. */
  restore(data: Uint8Array): void | Promise<void>;
}

export interface RaftNodeOptions {
  id: NodeId;
  /** Directory of this node's write-ahead log. */
  dir: string;
  transport: Transport;
  stateMachine: StateMachine;
  /** Initial membership of a new group; ignored when `dir` already holds state. */
  bootstrap?: { voters: NodeId[]; observers?: NodeId[] };
  /** Milliseconds per tick (default 50). Elections time out after 10-20 ticks by default. */
  tickMs?: number;
  /** Applied entries between automatic snapshots (default 10000; 0 disables). */
  snapshotEvery?: number;
  /** fsync WAL writes before sending dependent messages (default true). */
  fsync?: boolean;
  /** Randomness for election timeouts (default: seeded from node:crypto). */
  rng?: Rng;
  /** Tuning passed to the consensus core. */
  raft?: Omit<RaftOptions, "id" | "rng">;
}

/** Node-level status: role, indexes and (on the leader) every peer's replication state. */
export interface NodeHealth {
  id: NodeId;
  role: Role;
  term: number;
  leader: NodeId | null;
  commit: number;
  applied: number;
  /** True while the node refuses to vote or lead after losing part of its log. */
  recovering: boolean;
  peers: PeerHealth[];
}

export class NotLeaderError extends Error {
  constructor(readonly leader: NodeId | null) {
    super(leader ? `not leader (leader is ${leader})` : "not leader (no leader)");
  }
}

/** The proposal's log position was taken by another entry: it did not commit. */
export class ProposalDroppedError extends Error {}

export class NodeStoppedError extends Error {
  constructor() {
    super("raft node stopped");
  }
}

interface Waiter<T> {
  resolve(v: T): void;
  reject(err: Error): void;
}

/**
 * A running RAFT node: the pure core driven by real timers, a transport and a durable WAL.
 * Term, vote and entries are fsynced before any message that depends on them is sent; the
 * leader replicates new entries while it writes them.
 *
 * @example
 * const node = await RaftNode.start({
 *   id: "a", dir: "/data/raft/a", transport: net.transport("a"),
 *   stateMachine: { apply: (e) => log.push(e.data), snapshot: () => new Uint8Array(), restore: () => {} },
 *   bootstrap: { voters: ["a", "b", "c"] },
 * });
 * if (node.isLeader()) await node.propose(new TextEncoder().encode("x"));
 */
export class RaftNode {
  private readonly core: RaftCore;
  private readonly timer: NodeJS.Timeout;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;
  private readonly proposals = new Map<number, Waiter<ProposalTicket> & { term: number }>();
  private membershipWaiters: (Waiter<void> & { change: MembershipChange })[] = [];
  private readonly leaderListeners: ((leader: NodeId | null, term: number) => void)[] = [];
  private lastLeader: NodeId | null = null;
  private lastTerm = 0;
  private snapshotIndex: number;

  private constructor(
    private readonly opts: RaftNodeOptions,
    private readonly wal: Wal,
  ) {
    const st = wal.state;
    this.core = new RaftCore(
      { ...opts.raft, id: opts.id, rng: opts.rng ?? new SeededRng(randomInt(2 ** 31)) },
      {
        hardState: st.hardState ?? undefined,
        snapshot: st.snapshot,
        entries: st.entries,
        bootstrap: opts.bootstrap ? { voters: opts.bootstrap.voters, observers: opts.bootstrap.observers ?? [] } : undefined,
      },
    );
    this.snapshotIndex = st.snapshot?.meta.index ?? 0;
    opts.transport.onMessage((m) => {
      if (this.stopped) return;
      try {
        this.core.step(m);
      } catch (err) {
        // The core refused to continue (a peer contradicted committed state): stop safely.
        this.fail(err);
        return;
      }
      this.kick();
    });
    this.timer = setInterval(() => {
      this.core.tick();
      this.kick();
    }, opts.tickMs ?? 50);
  }

  /** Creates a node, or restarts it from the state in `opts.dir`. */
  static async start(opts: RaftNodeOptions): Promise<RaftNode> {
    const wal = await Wal.open(opts.dir, { fsync: opts.fsync });
    if (wal.state.snapshot) await opts.stateMachine.restore(wal.state.snapshot.data);
    const node = new RaftNode(opts, wal);
    node.kick();
    return node;
  }

  /** The error that stopped this node (a failed WAL write, or a peer contradicting committed state). */
  get error(): Error | null {
    return this.failure;
  }

  /** Damage found in the WAL on open (cut off), if any. */
  get walCorruption(): WalDamage | null {
    return this.wal.state.corruption;
  }

  /**
   * Replicates `data`; resolves once it is committed and applied on this node. With
   * `opts.term`, only accepted while this node leads in that term.
   */
  propose(data: Uint8Array, opts: { term?: number } = {}): Promise<ProposalTicket> {
    if (this.stopped) return Promise.reject(this.failure ?? new NodeStoppedError());
    const ticket = this.core.propose(data, opts.term);
    if (!ticket) return Promise.reject(new NotLeaderError(this.core.leader === this.opts.id ? null : this.core.leader));
    this.kick();
    // An older proposal at this index lost its place when the log was rewritten.
    this.proposals.get(ticket.index)?.reject(new ProposalDroppedError(`entry ${ticket.index} was replaced by term ${ticket.term}`));
    return new Promise((resolve, reject) => this.proposals.set(ticket.index, { term: ticket.term, resolve, reject }));
  }

  /**
   * Adds a voter (or an observer) to the group, one change at a time. Resolves when the
   * change has committed; rejects with `NotLeaderError` if leadership moves first (the
   * change may still commit under the next leader: check `peers()` and retry).
   */
  proposeAddPeer(peer: NodeId, opts: { observer?: boolean } = {}): Promise<void> {
    return this.changeMembership({ op: opts.observer ? "addObserver" : "addVoter", peer });
  }

  /** Removes a voter or observer; resolves when the committed membership excludes it. */
  proposeRemovePeer(peer: NodeId): Promise<void> {
    return this.changeMembership({ op: "remove", peer });
  }

  /** Leader only: hands leadership to the most caught-up peer. */
  stepdown(): boolean {
    const ok = this.core.stepdown();
    this.kick();
    return ok;
  }

  /** Leader only: hands leadership to `peer` once it has caught up. */
  transferLeadership(peer: NodeId): boolean {
    const ok = this.core.transferLeadership(peer);
    this.kick();
    return ok;
  }

  /** Leader with its term established: its noop entry is applied, so its state is current. */
  isLeader(): boolean {
    return this.core.leaderReady;
  }

  /** The known leader; this node counts only once `isLeader()` (its term is established). */
  leader(): NodeId | null {
    const l = this.core.leader;
    return l === this.opts.id && !this.core.leaderReady ? null : l;
  }

  term(): number {
    return this.core.term;
  }

  /** The membership in force: the newest in the log, which takes effect before it commits. */
  peers(): Membership {
    return { voters: [...this.core.membership.voters], observers: [...this.core.membership.observers] };
  }

  health(): NodeHealth {
    const c = this.core;
    return {
      id: this.opts.id,
      role: c.role,
      term: c.term,
      leader: c.leader,
      commit: c.commit,
      applied: c.applied,
      recovering: c.recovering,
      peers: c.health(),
    };
  }

  /** Calls `listener` whenever the known leader or term changes. */
  onLeaderChange(listener: (leader: NodeId | null, term: number) => void): void {
    this.leaderListeners.push(listener);
  }

  /** Stops timers, finishes the write in progress, closes the WAL and transport. Idempotent. */
  stop(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  private async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.loop;
    await this.opts.transport.close();
    try {
      await this.wal.close();
    } catch (err) {
      // After a failed write the files may be unusable; that failure is already reported.
      if (!this.failure) throw err;
    }
    this.rejectAll(this.failure ?? new NodeStoppedError());
  }

  private changeMembership(change: MembershipChange): Promise<void> {
    if (this.stopped) return Promise.reject(this.failure ?? new NodeStoppedError());
    if (!this.core.proposeMembershipChange(change)) return Promise.reject(new NotLeaderError(this.core.isLeader() ? null : this.core.leader));
    this.kick();
    if (isNoopChange(this.core.committedMembership, change)) return Promise.resolve();
    return new Promise((resolve, reject) => this.membershipWaiters.push({ change, resolve, reject }));
  }

  private kick(): void {
    if (this.loop || this.stopped) return;
    if (!this.core.hasReady()) {
      this.notifyLeader();
      return;
    }
    this.loop = this.run().finally(() => {
      this.loop = null;
      if (!this.stopped && this.core.hasReady()) this.kick();
    });
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped && this.core.hasReady()) {
        const rd = this.core.ready();
        for (const m of rd.leaderMessages) this.opts.transport.send(m);
        await this.wal.save(rd);
        for (const m of rd.messages) this.opts.transport.send(m);
        if (rd.snapshot) {
          await this.opts.stateMachine.restore(rd.snapshot.data);
          this.snapshotIndex = rd.snapshot.meta.index;
        }
        for (const e of rd.committed) await this.apply(e);
        this.core.advance();
        await this.maybeSnapshot();
        this.settleMembershipWaiters();
        this.notifyLeader();
      }
    } catch (err) {
      // A failed write leaves durability unknown: stop rather than risk unsafe messages.
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.stopped = true;
    clearInterval(this.timer);
    this.rejectAll(this.failure);
  }

  private async apply(e: Entry): Promise<void> {
    if (e.type === "normal") await this.opts.stateMachine.apply({ index: e.index, term: e.term, data: e.data });
    const w = this.proposals.get(e.index);
    if (!w) return;
    this.proposals.delete(e.index);
    if (w.term === e.term) w.resolve({ index: e.index, term: e.term });
    else w.reject(new ProposalDroppedError(`entry ${e.index} of term ${w.term} was replaced by term ${e.term}`));
  }

  private async maybeSnapshot(): Promise<void> {
    const every = this.opts.snapshotEvery ?? 10_000;
    if (every <= 0 || this.core.applied - this.snapshotIndex < every) return;
    const data = await this.opts.stateMachine.snapshot();
    const snap = this.core.createSnapshot(this.core.applied, data);
    if (!snap) return;
    await this.wal.saveSnapshot(snap);
    this.snapshotIndex = snap.meta.index;
  }

  private settleMembershipWaiters(): void {
    if (this.membershipWaiters.length === 0) return;
    const m = this.core.committedMembership;
    this.membershipWaiters = this.membershipWaiters.filter((w) => {
      if (!isNoopChange(m, w.change)) return true;
      w.resolve();
      return false;
    });
  }

  private notifyLeader(): void {
    const leader = this.leader();
    const term = this.core.term;
    if (leader === this.lastLeader && term === this.lastTerm) return;
    if (!this.core.isLeader() && this.membershipWaiters.length > 0) {
      // Leadership moved before these committed; the caller checks peers() and retries.
      for (const w of this.membershipWaiters) w.reject(new NotLeaderError(this.core.leader));
      this.membershipWaiters = [];
    }
    this.lastLeader = leader;
    this.lastTerm = term;
    for (const l of this.leaderListeners) l(leader, term);
  }

  private rejectAll(err: Error): void {
    for (const w of this.proposals.values()) w.reject(err);
    this.proposals.clear();
    for (const w of this.membershipWaiters) w.reject(err);
    this.membershipWaiters = [];
  }
}
