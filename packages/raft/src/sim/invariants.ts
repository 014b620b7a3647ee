import type { RaftCore } from "../core/raft.js";
import { decodeMembershipChange, applyMembershipChange, cloneMembership } from "../core/membership.js";
import type { Entry, HardState, Membership, Message, NodeId, Snapshot } from "../core/types.js";

/** A broken safety property, with the node it was seen on. */
export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

interface CommittedEntry {
  term: number;
  hash: number;
}

/**
 * Checks the RAFT safety properties across all nodes of a simulation. Entries are
 * registered as nodes persist and apply them; cheap checks run after every step.
 */
export class InvariantChecker {
  /** Number of individual property checks performed. */
  checks = 0;
  private leaders = new Map<number, NodeId>();
  /** (index:term) -> fingerprint of the entry and of the entry before it. */
  private logIdentity = new Map<string, { hash: number; prevTerm: number | undefined }>();
  private committed = new Map<number, CommittedEntry>();
  private maxCommitted = 0;
  private seenCommit = new Map<NodeId, number>();
  private durable = new Map<NodeId, HardState>();
  private acked: { index: number; term: number }[] = [];
  private memberships: { index: number; membership: Membership }[] = [];
  private leaderTerms = new Map<NodeId, number>();
  /** Highest term any node has led in: only that leader must hold every committed entry. */
  private newestLeaderTerm = 0;

  /** Election safety, leader completeness, commit bookkeeping: after every step. */
  afterStep(cores: ReadonlyMap<NodeId, RaftCore>): void {
    for (const [id, core] of cores) {
      this.recordCommits(id, core);
      if (core.isLeader()) {
        const holder = this.leaders.get(core.term);
        this.check(holder === undefined || holder === id, "election safety", `term ${core.term} has leaders ${holder} and ${id}`);
        this.leaders.set(core.term, id);
        // A deposed leader that has not noticed yet may lack entries its successors committed.
        if (core.term >= this.newestLeaderTerm) {
          this.newestLeaderTerm = core.term;
          if (this.leaderTerms.get(id) !== core.term) {
            this.leaderTerms.set(id, core.term);
            this.checkLeaderCompleteness(id, core);
          } else {
            this.checkEntryPresent(id, core, this.maxCommitted, "leader completeness");
          }
        }
        this.checkSingleMembershipChange(id, core);
      }
    }
  }

  /** Node restarted: its commit index may legitimately restart lower. */
  nodeRestarted(id: NodeId): void {
    this.seenCommit.delete(id);
  }

  /** Durable term never goes back, and a durable vote never changes within a term. */
  hardStatePersisted(id: NodeId, hs: HardState): void {
    const prev = this.durable.get(id);
    if (prev) {
      this.check(hs.term >= prev.term, "term monotonicity", `${id} durable term went ${prev.term} -> ${hs.term}`);
      if (hs.term === prev.term && prev.vote !== null) {
        this.check(hs.vote === prev.vote, "election safety", `${id} changed its vote in term ${hs.term} from ${prev.vote} to ${hs.vote}`);
      }
    }
    this.durable.set(id, hs);
  }

  /**
   * Durability before send: a granted vote and an append acknowledgement may only leave a
   * node once the vote and the acknowledged entries are on its disk.
   */
  messageSent(id: NodeId, m: Message, disk: { hardState: HardState | null; snapshot: Snapshot | null; entries: readonly Entry[] }): void {
    if (m.type === "voteResp" && m.granted && !m.pre) {
      const hs = disk.hardState;
      this.check(hs !== null && hs.term === m.term && hs.vote === m.to, "durability before send", `${id} granted a vote to ${m.to} in term ${m.term} before persisting it`);
    } else if (m.type === "appendResp" && !m.reject && m.index > 0) {
      const snapIndex = disk.snapshot?.meta.index ?? 0;
      const last = disk.entries.length > 0 ? disk.entries[disk.entries.length - 1].index : snapIndex;
      this.check(m.index <= last, "durability before send", `${id} acknowledged index ${m.index} with only ${last} on disk`);
    }
  }

  /**
   * Log matching: the same (index, term) anywhere means the same entry after the same
   * term. `prevTerm` is the term before `entries[0]` in the log the entries were taken from.
   */
  entriesPersisted(id: NodeId, entries: readonly Entry[], prevTerm: number | undefined): void {
    let before = prevTerm;
    for (const e of entries) {
      const key = `${e.index}:${e.term}`;
      const hash = fingerprint(e);
      const seen = this.logIdentity.get(key);
      this.checks++;
      if (before !== undefined) this.check(before <= e.term, "log matching", `${id} entry ${key} follows a later term ${before}`);
      if (!seen) this.logIdentity.set(key, { hash, prevTerm: before });
      else {
        this.check(seen.hash === hash, "log matching", `${id} holds a different entry at ${key}`);
        if (seen.prevTerm !== undefined && before !== undefined) {
          this.check(seen.prevTerm === before, "log matching", `${id} entry ${key} follows term ${before}, elsewhere ${seen.prevTerm}`);
        }
      }
      before = e.term;
    }
  }

  /** State machine safety: every node applies the same entry at each index. */
  entryApplied(id: NodeId, e: Entry): void {
    const c = this.committed.get(e.index);
    this.check(c !== undefined, "state machine safety", `${id} applied uncommitted index ${e.index}`);
    this.check(c!.term === e.term && c!.hash === fingerprint(e), "state machine safety", `${id} applied a different entry at ${e.index}`);
  }

  snapshotInstalled(id: NodeId, snap: Snapshot): void {
    const c = this.committed.get(snap.meta.index);
    if (c) this.check(c.term === snap.meta.term, "state machine safety", `${id} installed snapshot ${snap.meta.index}@${snap.meta.term}, committed term ${c.term}`);
  }

  /** A client saw this proposal succeed: it must never be lost. */
  proposalAcknowledged(index: number, term: number, cores: ReadonlyMap<NodeId, RaftCore>): void {
    this.acked.push({ index, term });
    const c = this.committed.get(index);
    this.check(c !== undefined && c.term === term, "acknowledged proposal kept", `ack of ${index}@${term} not committed`);
    for (const [id, core] of cores) {
      if (core.isLeader() && core.term >= this.newestLeaderTerm) this.checkEntryPresent(id, core, index, "acknowledged proposal kept");
    }
  }

  get committedCount(): number {
    return this.maxCommitted;
  }

  private recordCommits(id: NodeId, core: RaftCore): void {
    const from = (this.seenCommit.get(id) ?? core.log.snapIndex) + 1;
    if (core.commit < from - 1) {
      this.check(false, "commit monotonicity", `${id} commit went back to ${core.commit}`);
    }
    for (let i = Math.max(from, core.log.firstIndex()); i <= core.commit; i++) {
      const e = core.log.entry(i);
      if (!e) break;
      const c = this.committed.get(i);
      this.checks++;
      if (!c) {
        this.committed.set(i, { term: e.term, hash: fingerprint(e) });
        if (e.type === "conf") this.membershipCommitted(e);
      } else {
        this.check(c.term === e.term && c.hash === fingerprint(e), "state machine safety", `${id} committed a different entry at ${i}`);
      }
      if (i > this.maxCommitted) this.maxCommitted = i;
    }
    this.seenCommit.set(id, Math.max(core.commit, from - 1));
  }

  private membershipCommitted(e: Entry): void {
    const change = decodeMembershipChange(e.data);
    this.check(change !== null, "membership safety", `malformed membership change committed at ${e.index}`);
    if (!change) return;
    const prev = this.latestMembershipBefore(e.index);
    const next = applyMembershipChange(prev ?? { voters: [], observers: [] }, change);
    if (prev && change.op !== "bootstrap") {
      const diff = symmetricDifference(prev.voters, next.voters);
      this.check(diff <= 1, "membership safety", `change at ${e.index} moves ${diff} voters at once`);
    }
    this.memberships.push({ index: e.index, membership: cloneMembership(next) });
    this.memberships.sort((a, b) => a.index - b.index);
  }

  private latestMembershipBefore(index: number): Membership | undefined {
    let found: Membership | undefined;
    for (const m of this.memberships) if (m.index < index) found = m.membership;
    return found;
  }

  private checkLeaderCompleteness(id: NodeId, core: RaftCore): void {
    for (const [index] of this.committed) this.checkEntryPresent(id, core, index, "leader completeness");
    for (const a of this.acked) this.checkEntryPresent(id, core, a.index, "acknowledged proposal kept");
  }

  private checkEntryPresent(id: NodeId, core: RaftCore, index: number, invariant: string): void {
    const c = this.committed.get(index);
    if (!c || index < core.log.snapIndex) return;
    this.check(core.log.term(index) === c.term, invariant, `leader ${id} (term ${core.term}) lacks committed entry ${index}@${c.term}`);
  }

  /**
   * At most one membership change in a leader's log that no node has committed yet. (A new
   * leader's own commit index may lag, so "uncommitted" is judged cluster-wide.)
   */
  private checkSingleMembershipChange(id: NodeId, core: RaftCore): void {
    let pending = 0;
    for (let i = Math.max(this.maxCommitted, core.log.snapIndex) + 1; i <= core.log.lastIndex(); i++) {
      if (core.log.entry(i)?.type === "conf") pending++;
    }
    this.check(pending <= 1, "membership safety", `leader ${id} has ${pending} uncommitted membership changes`);
  }

  private check(ok: boolean, invariant: string, detail: string): void {
    this.checks++;
    if (!ok) throw new InvariantViolation(invariant, detail);
  }
}

function symmetricDifference(a: readonly NodeId[], b: readonly NodeId[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let n = 0;
  for (const x of sa) if (!sb.has(x)) n++;
  for (const x of sb) if (!sa.has(x)) n++;
  return n;
}

const fingerprints = new WeakMap<Entry, number>();

/** FNV-1a over the entry's type and data, cached per entry object. */
function fingerprint(e: Entry): number {
  const cached = fingerprints.get(e);
  if (cached !== undefined) return cached;
  let h = 0x811c9dc5 ^ (e.type === "normal" ? 1 : e.type === "conf" ? 2 : 3);
  for (let i = 0; i < e.data.length; i++) h = Math.imul(h ^ e.data[i], 0x01000193);
  h >>>= 0;
  fingerprints.set(e, h);
  return h;
}
