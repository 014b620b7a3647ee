import { RaftLog } from "./log.js";
import {
  cloneMembership,
  decodeMembershipChange,
  encodeMembershipChange,
  isNoopChange,
  quorum,
  type MembershipChange,
} from "./membership.js";
import { replicationLimits, type PeerHealth, type ProposalTicket, type RaftOptions, type RaftStorageState, type ReplicationLimits } from "./options.js";
import { MembershipLog } from "./membership-log.js";
import { Progress, mostCaughtUp, peerHealth } from "./progress.js";
import { sameHardState, splitMessages } from "./ready.js";
import { SnapshotAssembler } from "./snapshot-assembler.js";
import { isWellFormed } from "./validate.js";
import { tallyVotes, type VoteOutcome } from "./votes.js";
import type {
  AppendRequest,
  AppendResponse,
  Entry,
  HardState,
  Membership,
  Message,
  NodeId,
  Ready,
  Rng,
  Role,
  Snapshot,
  SnapshotChunk,
  SnapshotResponse,
  VoteRequest,
  VoteResponse,
} from "./types.js";

interface HandedOut {
  stableIndex: number;
  stableTerm: number;
  applied: number;
}

const EMPTY = new Uint8Array(0);


/**
 * The RAFT consensus algorithm as a pure, deterministic state machine (etcd raft style).
 * Feed it `tick()`, `step(message)` and proposals; drain its work with `ready()` and
 * confirm it with `advance()`. It never touches timers, sockets or disks.
 *
 * @example
 * const node = new RaftCore({ id: "a", rng: new SeededRng(1) }, { bootstrap: { voters: ["a"], observers: [] } });
 * while (!node.isLeader()) { node.tick(); if (node.hasReady()) { node.ready(); node.advance(); } }
 * node.propose(new TextEncoder().encode("hello"));
 */
export class RaftCore {
  readonly id: NodeId;
  readonly log = new RaftLog();
  private readonly rng: Rng;
  private readonly electionTicks: number;
  private readonly heartbeatTicks: number;
  private readonly limits: ReplicationLimits;

  private _term = 0;
  private _vote: NodeId | null = null;
  private _role: Role = "follower";
  private _leader: NodeId | null = null;
  private _commit = 0;
  private _applied = 0;
  private _recovering = false;
  private readonly conf = new MembershipLog();
  private snapshotData: Uint8Array = EMPTY;

  private now = 0;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedTimeout = 0;
  private votes = new Map<NodeId, boolean>();
  private progress = new Map<NodeId, Progress>();
  private transferee: NodeId | null = null;
  private pendingConfIndex = 0;
  private termStartIndex = 0;
  private requestedChanges: MembershipChange[] = [];
  /** Send new entries to followers at the next ready(); `true` also sends empty appends. */
  private needBroadcast = false;
  private needCommitBroadcast = false;
  private readonly incoming = new SnapshotAssembler();
  private pendingInstall: Snapshot | null = null;

  private msgs: Message[] = [];
  private stableIndex = 0;
  private handedApplied = 0;
  private lastHardState: HardState;
  private handed: HandedOut | null = null;

  constructor(opts: RaftOptions, storage: RaftStorageState = {}) {
    this.id = opts.id;
    this.rng = opts.rng;
    this.electionTicks = opts.electionTicks ?? 10;
    this.heartbeatTicks = opts.heartbeatTicks ?? 1;
    this.limits = replicationLimits(opts);

    const hs = storage.hardState;
    const snap = storage.snapshot ?? null;
    const entries = storage.entries ?? [];
    if (snap) {
      this.log.restore(snap.meta.index, snap.meta.term);
      this.conf.reset(snap.meta.membership);
      this.snapshotData = snap.data;
      // A snapshot only ever covers committed entries, whatever the stored commit says.
      this._applied = snap.meta.index;
      this._commit = snap.meta.index;
    }
    const usable = entries.filter((e) => e.index > this.log.snapIndex);
    if (usable.length > 0 && usable[0].index !== this.log.lastIndex() + 1) {
      throw new Error(`log starts at ${usable[0].index} but snapshot ends at ${this.log.snapIndex}`);
    }
    this.log.append(usable);
    this.trackMembership(usable);
    if (hs) {
      this._term = hs.term;
      this._vote = hs.vote;
      this._recovering = hs.recovering;
    }
    this.stableIndex = this.log.lastIndex();
    const fresh = !hs && !snap && entries.length === 0;
    if (fresh && storage.bootstrap) {
      // Every founding member writes the same first entry, so their logs agree from the start.
      const change: MembershipChange = { op: "bootstrap", membership: storage.bootstrap };
      const first: Entry = { term: 1, index: 1, type: "conf", data: encodeMembershipChange(change) };
      this.log.append([first]);
      this.trackMembership([first]);
      this._term = 1;
      this.stableIndex = 0;
      this.commitTo(1);
    } else {
      // A lost log tail may leave the stored commit beyond the log.
      this.commitTo(Math.min(hs?.commit ?? 0, this.log.lastIndex()));
    }
    this.handedApplied = this._applied;
    this.lastHardState = hs ? { ...hs } : { term: 0, vote: null, commit: 0, recovering: false };
    this.resetRandomizedTimeout();
  }

  // ---- read-only state ----

  get term(): number {
    return this._term;
  }
  get vote(): NodeId | null {
    return this._vote;
  }
  get role(): Role {
    return this._role;
  }
  get leader(): NodeId | null {
    return this._leader;
  }
  get commit(): number {
    return this._commit;
  }
  get applied(): number {
    return this._applied;
  }
  get recovering(): boolean {
    return this._recovering;
  }
  /** Membership in force: the newest in the log, committed or not. */
  get membership(): Membership {
    return this.conf.current;
  }
  /** Membership as of the commit index. */
  get committedMembership(): Membership {
    return this.conf.at(this._commit);
  }
  isLeader(): boolean {
    return this._role === "leader";
  }
  /**
   * Leader whose own first entry of the term is applied: everything committed before it
   * is in the state machine, so it can serve reads and report itself as leader.
   */
  get leaderReady(): boolean {
    return this._role === "leader" && this._applied >= this.termStartIndex;
  }
  /** Index of the newest uncommitted membership change in the leader's log (0 if none). */
  get pendingMembershipIndex(): number {
    return this.pendingConfIndex > this._commit ? this.pendingConfIndex : 0;
  }
  /** Entries known durable on this node. */
  get persistedIndex(): number {
    return this.stableIndex;
  }

  hardState(): HardState {
    return { term: this._term, vote: this._vote, commit: this._commit, recovering: this._recovering };
  }

  /** Membership as of committed index `index` (must not be below the snapshot point). */
  membershipAt(index: number): Membership {
    return this.conf.at(index);
  }

  // ---- inputs ----

  /** Advances logical time by one tick. */
  tick(): void {
    this.now++;
    if (this._role === "leader") this.tickLeader();
    else this.tickElection();
  }

  /**
   * Appends application data to the log. Returns the ticket to watch for, or null when
   * this node cannot accept proposals (not leader, handing leadership over, or not leader
   * in `term` when given: a caller that decided under one leadership cannot write in the next).
   */
  propose(data: Uint8Array, term?: number): ProposalTicket | null {
    if (this._role !== "leader" || this.transferee !== null || (term !== undefined && term !== this._term)) return null;
    return this.appendLocal("normal", data);
  }

  /**
   * Asks for a single-server membership change. Only the leader accepts; changes queue and
   * enter the log one at a time. A change already in the log when leadership moves is
   * carried on by the next leader that holds it; queued ones are dropped with leadership
   * (re-proposing them later, against a membership that moved on, would surprise).
   */
  proposeMembershipChange(change: MembershipChange): boolean {
    if (this._role !== "leader" || this.transferee !== null || change.op === "bootstrap") return false;
    if (isNoopChange(this.conf.current, change)) return true;
    this.requestedChanges.push(change);
    this.maybeProposeMembershipChange();
    return true;
  }

  /** Starts a leadership transfer to `target`; false when not possible. */
  transferLeadership(target: NodeId): boolean {
    if (this._role !== "leader" || target === this.id || !this.conf.current.voters.includes(target)) return false;
    const pr = this.progress.get(target);
    if (!pr) return false;
    this.transferee = target;
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.send({ type: "timeoutNow", term: this._term, from: this.id, to: target });
    else this.maybeSendAppend(target, pr, true);
    return true;
  }

  /** Hands leadership to the most caught-up voter, or simply steps down when alone. */
  stepdown(): boolean {
    if (this._role !== "leader") return false;
    const best = mostCaughtUp(this.conf.current.voters.filter((v) => v !== this.id), this.progress);
    if (best !== null) return this.transferLeadership(best);
    this.becomeFollower(this._term, null);
    return true;
  }

  /** Starts an election at once (used by a host that knows the leader is gone). */
  campaignNow(): void {
    if (this._role !== "leader") this.campaign("pre");
  }

  /**
   * Records a state machine snapshot covering everything up to `index` (<= applied) and
   * compacts the log before it. Returns the snapshot for the host to persist, or null when
   * the log is already compacted past `index` (a snapshot from the leader got there first).
   */
  createSnapshot(index: number, data: Uint8Array): Snapshot | null {
    if (index > this._applied) throw new Error(`snapshot index ${index} beyond applied ${this._applied}`);
    if (index <= this.log.snapIndex) return null;
    const term = this.log.term(index);
    if (term === undefined) throw new Error(`snapshot index ${index} not in log`);
    const membership = cloneMembership(this.membershipAt(index));
    this.log.compact(index, term);
    this.conf.compact(index);
    this.snapshotData = data;
    return { meta: { index, term, membership }, data };
  }

  /** Processes one message from a peer. Unknown or stale messages are dropped. */
  step(m: Message): void {
    if (m.to !== this.id || !isWellFormed(m)) return;
    if (m.term > this._term) {
      if (m.type === "vote" && !m.force && this.inLease()) return;
      const keepTerm = (m.type === "vote" && m.pre) || (m.type === "voteResp" && m.pre && m.granted);
      if (!keepTerm) {
        const fromLeader = m.type === "append" || m.type === "heartbeat" || m.type === "snapshot";
        this.becomeFollower(m.term, fromLeader ? m.from : null);
      }
    } else if (m.term < this._term) {
      if (m.type === "append" || m.type === "heartbeat" || m.type === "snapshot") {
        // Tell a deposed leader about the newer term so it steps down.
        this.send({ type: "heartbeatResp", term: this._term, from: this.id, to: m.from });
      } else if (m.type === "vote" && m.pre) {
        this.send({ type: "voteResp", term: this._term, from: this.id, to: m.from, pre: true, granted: false });
      }
      return;
    }

    switch (m.type) {
      case "vote":
        this.handleVote(m);
        return;
      case "voteResp":
        this.handleVoteResponse(m);
        return;
      case "timeoutNow":
        if (this._role !== "leader") this.campaign("transfer");
        return;
      case "append":
      case "heartbeat":
      case "snapshot":
        if (this._role === "leader") return;
        if (this._role !== "follower") this.becomeFollower(this._term, m.from);
        this._leader = m.from;
        this.electionElapsed = 0;
        if (m.type === "append") this.handleAppend(m);
        else if (m.type === "heartbeat") {
          this.commitTo(Math.min(m.commit, this.log.lastIndex()));
          if (this._recovering) {
            // The leader may believe we still hold entries we lost: make it probe our log.
            const last = this.log.lastIndex();
            this.send({ type: "appendResp", term: this._term, from: this.id, to: m.from, index: last + 1, reject: true, hint: last });
          } else {
            this.send({ type: "heartbeatResp", term: this._term, from: this.id, to: m.from });
          }
        } else this.handleSnapshotChunk(m);
        return;
      case "appendResp":
        if (this._role === "leader") this.handleAppendResponse(m);
        return;
      case "heartbeatResp":
        if (this._role === "leader") this.handleHeartbeatResponse(m.from);
        return;
      case "snapshotResp":
        if (this._role === "leader") this.handleSnapshotResponse(m);
        return;
    }
  }

  // ---- outputs ----

  hasReady(): boolean {
    if (this.handed) return false;
    return (
      this.msgs.length > 0 ||
      this.needBroadcast ||
      this.needCommitBroadcast ||
      this.pendingInstall !== null ||
      this.log.lastIndex() > this.stableIndex ||
      this.handedApplied < this._commit ||
      !sameHardState(this.lastHardState, this.hardState())
    );
  }

  /** Collects pending work; call `advance()` once it is done before calling this again. */
  ready(): Ready {
    if (this.handed) throw new Error("ready() called twice without advance()");
    if (this.needBroadcast || this.needCommitBroadcast) {
      this.broadcastAppend(this.needCommitBroadcast);
      this.needBroadcast = false;
      this.needCommitBroadcast = false;
    }
    const hs = this.hardState();
    const durable = this.lastHardState;
    const hardState = sameHardState(hs, durable) ? null : hs;
    this.lastHardState = hs;
    const snapshot = this.pendingInstall;
    this.pendingInstall = null;
    const entries = this.log.slice(this.stableIndex + 1, this.log.lastIndex());
    let committed: Entry[] = [];
    let applied = this.handedApplied;
    if (snapshot) applied = snapshot.meta.index;
    else if (this.handedApplied < this._commit) {
      committed = this.log.slice(this.handedApplied + 1, this._commit);
      if (committed.length > 0) applied = committed[committed.length - 1].index;
    }
    this.handedApplied = applied;
    const lastIndex = this.log.lastIndex();
    this.handed = {
      stableIndex: lastIndex,
      stableTerm: this.log.lastTerm(),
      applied,
    };
    const { messages, leaderMessages } = splitMessages(this.msgs, hardState, durable);
    this.msgs = [];
    return { hardState, entries, snapshot, messages, leaderMessages, committed };
  }

  /** Confirms the last `ready()` was persisted, sent and applied. */
  advance(): void {
    const h = this.handed;
    if (!h) return;
    this.handed = null;
    if (h.applied > this._applied) this._applied = h.applied;
    if (this.log.term(h.stableIndex) === h.stableTerm && h.stableIndex > this.stableIndex) {
      this.stableIndex = h.stableIndex;
      if (this._role === "leader" && this.maybeCommit()) this.needCommitBroadcast = true;
    }
  }

  /** Replication status of every peer (leader only; empty otherwise). */
  health(): PeerHealth[] {
    if (this._role !== "leader") return [];
    const voters = this.conf.current.voters;
    return [...this.progress].map(([id, pr]) => peerHealth(id, pr, voters.includes(id), this.now, this._commit, this.electionTicks));
  }

  // ---- elections ----

  private inLease(): boolean {
    return this._leader !== null && this.electionElapsed < this.electionTicks;
  }

  private promotable(): boolean {
    return this.conf.current.voters.includes(this.id) && !this._recovering;
  }

  private resetRandomizedTimeout(): void {
    this.randomizedTimeout = this.electionTicks + Math.floor(this.rng.next() * this.electionTicks);
  }

  private reset(term: number): void {
    if (term !== this._term) {
      this._term = term;
      this._vote = null;
    }
    this._leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedTimeout();
    this.votes.clear();
    this.transferee = null;
    this.progress.clear();
    this.requestedChanges = [];
  }

  private becomeFollower(term: number, leader: NodeId | null): void {
    this.reset(term);
    this._role = "follower";
    this._leader = leader;
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedTimeout) {
      this.electionElapsed = 0;
      this.campaign("pre");
    }
  }

  private campaign(kind: "pre" | "election" | "transfer"): void {
    if (!this.promotable()) return;
    let voteTerm: number;
    if (kind === "pre") {
      this.reset(this._term);
      this._role = "precandidate";
      voteTerm = this._term + 1;
    } else {
      this.reset(this._term + 1);
      this._role = "candidate";
      this._vote = this.id;
      voteTerm = this._term;
    }
    if (this.recordVote(this.id, true) === "won") {
      if (kind === "pre") this.campaign("election");
      else this.becomeLeader();
      return;
    }
    for (const v of this.conf.current.voters) {
      if (v === this.id) continue;
      this.send({
        type: "vote",
        term: voteTerm,
        from: this.id,
        to: v,
        pre: kind === "pre",
        lastIndex: this.log.lastIndex(),
        lastTerm: this.log.lastTerm(),
        force: kind === "transfer",
      });
    }
  }

  private recordVote(from: NodeId, granted: boolean): VoteOutcome {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    return tallyVotes(this.votes, this.conf.current.voters);
  }

  private handleVote(m: VoteRequest): void {
    const canVote =
      this._vote === m.from || (this._vote === null && this._leader === null) || (m.pre && m.term > this._term);
    if (canVote && !this._recovering && this.log.isUpToDate(m.lastIndex, m.lastTerm)) {
      this.send({ type: "voteResp", term: m.term, from: this.id, to: m.from, pre: m.pre, granted: true });
      if (!m.pre) {
        this.electionElapsed = 0;
        this._vote = m.from;
      }
    } else {
      this.send({ type: "voteResp", term: this._term, from: this.id, to: m.from, pre: m.pre, granted: false });
    }
  }

  private handleVoteResponse(m: VoteResponse): void {
    const expectPre = this._role === "precandidate";
    if ((this._role !== "precandidate" && this._role !== "candidate") || m.pre !== expectPre) return;
    if (m.pre && m.term !== this._term + 1 && m.granted) return;
    switch (this.recordVote(m.from, m.granted)) {
      case "won":
        if (expectPre) this.campaign("election");
        else this.becomeLeader();
        return;
      case "lost":
        this.becomeFollower(this._term, null);
        return;
      case "pending":
        return;
    }
  }

  private becomeLeader(): void {
    this.reset(this._term);
    this._role = "leader";
    this._leader = this.id;
    const next = this.log.lastIndex() + 1;
    for (const p of this.members()) {
      if (p !== this.id) this.progress.set(p, new Progress(next, this.now));
    }
    this.termStartIndex = this.appendLocal("noop", EMPTY).index;
    // No membership change until everything before this term, and the noop, commits.
    this.pendingConfIndex = this.log.lastIndex();
    this.broadcastAppend(true);
  }

  // ---- leader ----

  private members(): NodeId[] {
    return [...this.conf.current.voters, ...this.conf.current.observers];
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      const removed = !this.committedMembership.voters.includes(this.id);
      const successor = removed ? mostCaughtUp(this.conf.current.voters, this.progress) : null;
      if (!this.quorumActive()) {
        this.becomeFollower(this._term, null);
        return;
      }
      this.transferee = null;
      // A removed leader keeps trying to hand over: stepping down without a successor can
      // strand followers that never learned the removal committed.
      if (removed && (successor === null || !this.transferLeadership(successor))) {
        this.becomeFollower(this._term, null);
        return;
      }
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      for (const [id, pr] of this.progress) {
        this.send({ type: "heartbeat", term: this._term, from: this.id, to: id, commit: Math.min(pr.match, this._commit) });
      }
    }
  }

  /** Check-quorum: did a majority of voters answer during the last election timeout? */
  private quorumActive(): boolean {
    let active = 0;
    for (const v of this.conf.current.voters) {
      if (v === this.id) active++;
      else {
        const pr = this.progress.get(v);
        if (pr?.recentActive) active++;
      }
    }
    for (const pr of this.progress.values()) pr.recentActive = false;
    return active >= quorum(this.conf.current.voters);
  }

  private appendLocal(type: Entry["type"], data: Uint8Array): { index: number; term: number } {
    const e: Entry = { term: this._term, index: this.log.lastIndex() + 1, type, data };
    this.log.append([e]);
    if (type === "conf") {
      this.trackMembership([e]);
      this.syncProgress();
    }
    this.needBroadcast = true;
    return { index: e.index, term: e.term };
  }

  /** Membership changes take effect when they enter the log. */
  private trackMembership(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.type !== "conf") continue;
      const change = decodeMembershipChange(e.data);
      if (change) this.conf.append(e.index, change);
    }
  }

  /** Leader: one progress tracker per current member. */
  private syncProgress(): void {
    const members = new Set(this.members());
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    for (const id of members) {
      if (id !== this.id && !this.progress.has(id)) this.progress.set(id, new Progress(this.log.lastIndex() + 1, this.now));
    }
  }

  private maybeProposeMembershipChange(): void {
    if (this._role !== "leader" || this.transferee !== null) return;
    if (this.pendingConfIndex > this._commit) return;
    while (this.requestedChanges.length > 0) {
      const change = this.requestedChanges[0];
      if (isNoopChange(this.conf.current, change)) {
        this.requestedChanges.shift();
        continue;
      }
      this.pendingConfIndex = this.appendLocal("conf", encodeMembershipChange(change)).index;
      return;
    }
  }

  private broadcastAppend(sendIfEmpty: boolean): void {
    for (const [id, pr] of this.progress) {
      if (!this.maybeSendAppend(id, pr, sendIfEmpty)) continue;
      while (pr.state === "replicate" && this.maybeSendAppend(id, pr, false)) {
        /* keep streaming until caught up or the in-flight window is full */
      }
    }
  }

  private maybeSendAppend(to: NodeId, pr: Progress, sendIfEmpty: boolean): boolean {
    if (pr.isPaused(this.limits.maxInflight)) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) {
      if (prevIndex < this.log.snapIndex) this.sendSnapshotChunk(to, pr);
      return false;
    }
    const last = this.log.lastIndex();
    const entries = this.log.slice(pr.next, last, this.limits.maxBytes, this.limits.maxEntries);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: "append",
      term: this._term,
      from: this.id,
      to,
      prevIndex,
      prevTerm,
      entries,
      commit: this._commit,
      leaderLast: last,
    });
    if (pr.state === "replicate" && entries.length > 0) {
      const sentTo = entries[entries.length - 1].index;
      pr.next = sentTo + 1;
      pr.inflight.push(sentTo);
    } else if (pr.state === "probe") {
      pr.probeSent = true;
    }
    return true;
  }

  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    if (pr.state !== "snapshot" || pr.pendingSnapshot !== this.log.snapIndex) pr.becomeSnapshot(this.log.snapIndex);
    const data = this.snapshotData;
    const chunk = data.subarray(pr.snapshotOffset, pr.snapshotOffset + this.limits.chunkBytes);
    this.send({
      type: "snapshot",
      term: this._term,
      from: this.id,
      to,
      meta: {
        index: this.log.snapIndex,
        term: this.log.snapTerm,
        membership: cloneMembership(this.conf.compacted),
      },
      offset: pr.snapshotOffset,
      total: data.length,
      data: chunk,
      done: pr.snapshotOffset + chunk.length >= data.length,
    });
  }

  private touch(pr: Progress): void {
    pr.recentActive = true;
    pr.lastContact = this.now;
  }

  private handleAppendResponse(m: AppendResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    this.touch(pr);
    if (m.reject) {
      if (m.index <= pr.match && m.hint < pr.match) {
        // The follower lost entries it once acknowledged (a cut-off corrupt tail).
        pr.match = m.hint;
        pr.becomeProbe();
        this.maybeSendAppend(m.from, pr, true);
      } else if (pr.maybeDecrTo(m.index, m.hint)) {
        if (pr.state === "replicate") pr.becomeProbe();
        this.maybeSendAppend(m.from, pr, true);
      } else if (pr.state === "probe") {
        // A recovering follower answers heartbeats this way: treat it as one, or a lost probe stalls us.
        pr.probeSent = false;
        this.maybeSendAppend(m.from, pr, true);
      }
      return;
    }
    const wasPaused = pr.isPaused(this.limits.maxInflight);
    if (!pr.maybeUpdate(m.index)) return;
    if (pr.state === "probe") pr.becomeReplicate();
    else if (pr.state === "snapshot" && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    }
    if (this.maybeCommit()) {
      this.needCommitBroadcast = true;
      // Committing may have ended this leadership (a membership change).
      if (this._role !== "leader") return;
    } else if (wasPaused) this.maybeSendAppend(m.from, pr, false);
    while (pr.state === "replicate" && this.maybeSendAppend(m.from, pr, false)) {
      /* refill the in-flight window */
    }
    if (m.from === this.transferee && pr.match === this.log.lastIndex()) {
      this.send({ type: "timeoutNow", term: this._term, from: this.id, to: m.from });
    }
  }

  private handleHeartbeatResponse(from: NodeId): void {
    const pr = this.progress.get(from);
    if (!pr) return;
    this.touch(pr);
    pr.probeSent = false;
    if (pr.state === "replicate" && pr.inflight.length >= this.limits.maxInflight) pr.inflight.shift();
    if (pr.state === "snapshot") this.sendSnapshotChunk(from, pr);
    else if (pr.match < this.log.lastIndex()) this.maybeSendAppend(from, pr, true);
  }

  private handleSnapshotResponse(m: SnapshotResponse): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    this.touch(pr);
    if (pr.state !== "snapshot" || m.index !== pr.pendingSnapshot) return;
    if (m.reject) {
      pr.becomeProbe();
      return;
    }
    pr.snapshotOffset = m.offset;
    this.sendSnapshotChunk(m.from, pr);
  }

  /** Commits the highest index stored on a quorum, if it belongs to the current term. */
  private maybeCommit(): boolean {
    const matches = this.conf.current.voters.map((v) =>
      v === this.id ? this.stableIndex : (this.progress.get(v)?.match ?? 0),
    );
    if (matches.length === 0) return false;
    matches.sort((a, b) => b - a);
    const candidate = matches[quorum(this.conf.current.voters) - 1];
    if (candidate > this._commit && this.log.term(candidate) === this._term) {
      this.commitTo(candidate);
      return true;
    }
    return false;
  }

  // ---- follower ----

  private handleAppend(m: AppendRequest): void {
    const reply = (index: number, reject: boolean, hint: number): void =>
      this.send({ type: "appendResp", term: this._term, from: this.id, to: m.from, index, reject, hint });
    if (m.prevIndex < this._commit) {
      reply(this._commit, false, 0);
      return;
    }
    if (!this.log.matchTerm(m.prevIndex, m.prevTerm)) {
      reply(m.prevIndex, true, this.log.conflictHint(m.prevIndex, m.prevTerm));
      return;
    }
    const changedFrom = this.log.appendFollower(m.entries);
    if (changedFrom !== null) {
      if (changedFrom <= this._commit) throw new Error(`entry ${changedFrom} conflicts with committed log`);
      this.stableIndex = Math.min(this.stableIndex, changedFrom - 1);
      this.dropAcksFrom(changedFrom);
      this.conf.truncateFrom(changedFrom);
      this.trackMembership(m.entries.filter((e) => e.index >= changedFrom));
    }
    const lastNew = m.prevIndex + m.entries.length;
    this.commitTo(Math.min(m.commit, lastNew));
    if (this._recovering && lastNew >= m.leaderLast) this._recovering = false;
    reply(lastNew, false, 0);
  }

  private handleSnapshotChunk(m: SnapshotChunk): void {
    if (m.meta.index <= this._commit) {
      this.incoming.reset();
      this.send({ type: "appendResp", term: this._term, from: this.id, to: m.from, index: this._commit, reject: false, hint: 0 });
      return;
    }
    const result = this.incoming.accept(m);
    if (result.done) {
      this.installSnapshot(result.done);
      this.send({ type: "appendResp", term: this._term, from: this.id, to: m.from, index: this.log.lastIndex(), reject: false, hint: 0 });
    } else {
      this.send({ type: "snapshotResp", term: this._term, from: this.id, to: m.from, index: m.meta.index, offset: result.next, reject: false });
    }
  }

  private installSnapshot(snap: Snapshot): void {
    const { index, term, membership } = snap.meta;
    if (this.log.matchTerm(index, term)) {
      // Our log already holds the snapshot's last entry: just commit up to it.
      this.commitTo(index);
      return;
    }
    this.log.restore(index, term);
    this.dropAcksFrom(index + 1);
    this.stableIndex = index;
    this._commit = index;
    this.conf.reset(membership);
    this.snapshotData = snap.data;
    this.pendingInstall = snap;
  }

  // ---- commit and membership ----

  private commitTo(index: number): void {
    if (index <= this._commit) return;
    const from = this._commit + 1;
    this._commit = index;
    for (const e of this.log.slice(from, index)) {
      if (e.type !== "conf") continue;
      const change = decodeMembershipChange(e.data);
      if (change) this.onMembershipCommitted(change);
    }
    if (this._role === "leader") this.maybeProposeMembershipChange();
  }

  private onMembershipCommitted(change: MembershipChange): void {
    const committed = this.committedMembership;
    this.requestedChanges = this.requestedChanges.filter((c) => !isNoopChange(committed, c));
    if (this._role !== "leader") return;
    if (change.op === "remove" && change.peer === this.id) {
      // Hand over rather than just leave: followers may not know the removal committed yet,
      // and the successor must hold everything this leader has (or this node, still a voter
      // in their eyes, would refuse it). Proposals stop meanwhile.
      const target = mostCaughtUp(this.conf.current.voters, this.progress);
      if (target === null || !this.transferLeadership(target)) this.becomeFollower(this._term, null);
    }
  }

  private send(m: Message): void {
    this.msgs.push(m);
  }

  /**
   * Withdraws not-yet-sent acknowledgements of entries the log just lost: they would be
   * sent after this ready is persisted, when those entries are no longer there.
   */
  private dropAcksFrom(index: number): void {
    this.msgs = this.msgs.filter((m) => !(m.type === "appendResp" && !m.reject && m.index >= index));
  }
}
