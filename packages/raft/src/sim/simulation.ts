import type { RaftCore } from "../core/raft.js";
import { SeededRng } from "../core/rng.js";
import type { Entry, Message, NodeId } from "../core/types.js";
import { EventQueue } from "./event-queue.js";
import { FaultInjector, type FaultKind } from "./faults.js";
import { InvariantChecker, InvariantViolation } from "./invariants.js";
import { decodeKvOp, encodeKvOp, type KvOp } from "./kv.js";
import { checkKvHistory, type KvOperation } from "./linearizability.js";
import { RELIABLE, SimNetwork } from "./network.js";
import { SimNode } from "./sim-node.js";

/** Shape of one simulated run. */
export interface SimulationOptions {
  seed: number;
  /** Founding voters (default: 3 or 5, chosen by the seed). */
  voters?: number;
  /** Extra nodes that start empty and may be added by membership changes. */
  spares?: number;
  /** Inject faults (default true). */
  faults?: boolean;
  clients?: number;
  keys?: number;
  tickMs?: number;
  /** Applied entries between state machine snapshots. */
  snapshotEvery?: number;
  /** Trace lines kept for a failure report. */
  traceLimit?: number;
  /** Fault numbers not to inject (used to minimize a failing run). */
  skipFaults?: readonly number[];
}

type SimEvent =
  | { kind: "tick"; node: NodeId; incarnation: number }
  | { kind: "deliver"; msg: Message }
  | { kind: "disk"; node: NodeId; incarnation: number }
  | { kind: "client"; client: number }
  | { kind: "clientTimeout"; client: number; seq: number }
  | { kind: "restart"; node: NodeId; incarnation: number }
  | { kind: "fault" };

const RECENT_EVENTS = 25;

function describeEvent(ev: SimEvent): string {
  switch (ev.kind) {
    case "deliver": {
      const m = ev.msg;
      const detail =
        m.type === "append"
          ? ` prev ${m.prevIndex}@${m.prevTerm} +${m.entries.length} commit ${m.commit}`
          : m.type === "appendResp"
            ? ` index ${m.index}${m.reject ? ` reject hint ${m.hint}` : ""}`
            : m.type === "vote"
              ? `${m.pre ? " pre" : ""} last ${m.lastIndex}@${m.lastTerm}`
              : m.type === "voteResp"
                ? `${m.pre ? " pre" : ""} ${m.granted ? "granted" : "rejected"}`
                : "";
      return `${m.from} -> ${m.to} ${m.type} t${m.term}${detail}`;
    }
    case "tick":
    case "disk":
    case "restart":
      return `${ev.kind} ${ev.node}`;
    case "client":
    case "clientTimeout":
      return `${ev.kind} c${ev.client}`;
    case "fault":
      return "fault";
  }
}

interface PendingOp {
  op: KvOp;
  node: NodeId;
  incarnation: number;
  index: number;
  term: number;
  record: KvOperation;
}

interface Client {
  id: number;
  seq: number;
  leaderGuess: NodeId;
  pending: PendingOp | null;
}

/** Counters of one run. */
export interface SimulationStats {
  steps: number;
  virtualMs: number;
  messagesSent: number;
  faults: Partial<Record<FaultKind, number>>;
  invariantChecks: number;
  committedIndex: number;
  opsAcknowledged: number;
  opsUnknown: number;
  linearizabilityChecked: number;
  elections: number;
}

/** Outcome of liveness after healing: ticks until a leader and until a commit. */
export interface LivenessResult {
  ok: boolean;
  ticksToLeader: number;
  ticksToCommit: number;
}

/**
 * Deterministic simulation of a RAFT group: N nodes with a virtual clock, a seeded PRNG,
 * a faulty network, crashes that lose unsynced writes, WAL tail corruption, clock skew and
 * slow disks. Safety invariants are checked after every step; a KV workload's history is
 * checked for linearizability. Same seed, same run.
 *
 * @example
 * const sim = new Simulation({ seed: 7 });
 * sim.run(5000);
 * sim.checkLiveness();
 * sim.checkHistory();
 */
export class Simulation {
  readonly rng: SeededRng;
  readonly network: SimNetwork;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly invariants = new InvariantChecker();
  readonly founders: NodeId[];
  readonly spares: NodeId[];
  readonly tickMs: number;
  now = 0;
  /** Faults applied so far. */
  faultCount = 0;
  readonly stats: SimulationStats = {
    steps: 0,
    virtualMs: 0,
    messagesSent: 0,
    faults: {},
    invariantChecks: 0,
    committedIndex: 0,
    opsAcknowledged: 0,
    opsUnknown: 0,
    linearizabilityChecked: 0,
    elections: 0,
  };
  private readonly queue = new EventQueue<SimEvent>();
  private readonly cores = new Map<NodeId, RaftCore>();
  private readonly clients: Client[] = [];
  private readonly history: KvOperation[] = [];
  private readonly keys: string[];
  private readonly snapshotEvery: number;
  private readonly trace: string[] = [];
  private readonly recentEvents: { at: number; event: SimEvent }[] = [];
  private readonly traceLimit: number;
  private readonly faultInjector: FaultInjector | null;
  private lastLeader = new Map<NodeId, number>();

  constructor(readonly options: SimulationOptions) {
    this.rng = new SeededRng(options.seed);
    this.network = new SimNetwork(this.rng);
    const voters = options.voters ?? (this.rng.chance(0.5) ? 3 : 5);
    const spares = options.spares ?? 1 + this.rng.int(2);
    this.founders = Array.from({ length: voters }, (_, i) => `n${i + 1}`);
    this.spares = Array.from({ length: spares }, (_, i) => `n${voters + i + 1}`);
    this.tickMs = options.tickMs ?? 10;
    this.snapshotEvery = options.snapshotEvery ?? 10 + this.rng.int(30);
    this.traceLimit = options.traceLimit ?? 80;
    this.keys = Array.from({ length: options.keys ?? 3 }, (_, i) => `k${i}`);
    const bootstrap = { voters: [...this.founders], observers: [] };
    for (const id of this.founders) this.nodes.set(id, new SimNode(id, bootstrap));
    for (const id of this.spares) this.nodes.set(id, new SimNode(id, undefined));
    for (const node of this.nodes.values()) this.startNode(node);
    for (let c = 0; c < (options.clients ?? 3); c++) {
      this.clients.push({ id: c, seq: 0, leaderGuess: this.founders[c % voters], pending: null });
      this.queue.push(5 + c, { kind: "client", client: c });
    }
    this.faultInjector = options.faults === false ? null : new FaultInjector(this, options.seed, new Set(options.skipFaults ?? []));
    if (this.faultInjector) this.queue.push(0, { kind: "fault" });
  }

  get allIds(): NodeId[] {
    return [...this.nodes.keys()];
  }

  /** Live cores by id (for invariant checks and tests). */
  get liveCores(): ReadonlyMap<NodeId, RaftCore> {
    return this.cores;
  }

  leader(): RaftCore | null {
    let best: RaftCore | null = null;
    for (const c of this.cores.values()) if (c.isLeader() && (!best || c.term > best.term)) best = c;
    return best;
  }

  /** Processes up to `steps` events, checking invariants after each. */
  run(steps: number): void {
    for (let i = 0; i < steps; i++) if (!this.step()) break;
  }

  /** One event. Returns false when nothing is left to do. */
  step(): boolean {
    const ev = this.queue.pop();
    if (!ev) return false;
    this.now = ev.at;
    this.recentEvents.push({ at: ev.at, event: ev.value });
    if (this.recentEvents.length > RECENT_EVENTS) this.recentEvents.shift();
    this.stats.steps++;
    this.stats.virtualMs = this.now;
    this.handle(ev.value);
    this.invariants.afterStep(this.cores);
    for (const [id, core] of this.cores) {
      if (core.isLeader() && this.lastLeader.get(id) !== core.term) {
        this.lastLeader.set(id, core.term);
        this.stats.elections++;
        this.record(`${id} leader term ${core.term} last ${core.log.lastIndex()} commit ${core.commit}`);
      }
    }
    this.stats.invariantChecks = this.invariants.checks;
    this.stats.committedIndex = this.invariants.committedCount;
    return true;
  }

  record(line: string): void {
    this.trace.push(`${String(this.now).padStart(7)}ms ${line}`);
    if (this.trace.length > this.traceLimit) this.trace.shift();
  }

  /** Notable events (faults, elections, installs), then the last raw steps; oldest first. */
  recentTrace(): string[] {
    const steps = this.recentEvents.map(({ at, event }) => `${String(at).padStart(7)}ms   step: ${describeEvent(event)}`);
    return [...this.trace, `--- last ${steps.length} steps ---`, ...steps];
  }

  countFault(kind: FaultKind, detail: string): void {
    this.stats.faults[kind] = (this.stats.faults[kind] ?? 0) + 1;
    this.faultCount++;
    this.record(`FAULT #${this.faultInjector?.current ?? 0} ${kind} ${detail}`);
  }

  /** Numbers of the faults injected so far. */
  get appliedFaults(): readonly number[] {
    return this.faultInjector?.applied ?? [];
  }

  crashNode(id: NodeId): void {
    const node = this.nodes.get(id)!;
    if (!node.alive) return;
    node.crash();
    this.cores.delete(id);
    for (const c of this.clients) {
      if (c.pending?.node === id) this.abandon(c);
    }
  }

  /** Restarts a crashed node after `delayMs`, unless something else restarted it first. */
  scheduleRestart(id: NodeId, delayMs: number): void {
    this.queue.push(this.now + delayMs, { kind: "restart", node: id, incarnation: this.nodes.get(id)!.incarnation });
  }

  restartNode(id: NodeId): void {
    const node = this.nodes.get(id)!;
    if (node.alive) return;
    this.startNode(node);
  }

  /** Heals every fault and checks that the group elects a leader and commits in bounded time. */
  checkLiveness(maxTicks = 600): LivenessResult {
    this.faultInjector?.stop();
    this.network.heal();
    this.network.profile = RELIABLE;
    for (const node of this.nodes.values()) {
      node.diskMinMs = 0;
      node.diskMaxMs = 2;
      if (!node.alive) this.restartNode(node.id);
    }
    this.record("HEAL all faults");
    const start = this.now;
    const deadline = start + maxTicks * this.tickMs;
    const ticks = (): number => Math.ceil((this.now - start) / this.tickMs);
    let ticksToLeader = -1;
    let probe: { id: NodeId; index: number; term: number } | null = null;
    while (this.now <= deadline && this.step()) {
      const leader = this.leader();
      if (!leader || leader.log.term(leader.commit) !== leader.term) continue;
      if (ticksToLeader < 0) ticksToLeader = ticks();
      if (!probe || probe.id !== leader.id || probe.term !== leader.term) {
        const t = leader.propose(new TextEncoder().encode("liveness-probe"));
        if (t) probe = { id: leader.id, ...t };
        this.pump(this.nodes.get(leader.id)!);
        continue;
      }
      if (leader.commit >= probe.index && leader.log.term(probe.index) === probe.term) {
        return { ok: true, ticksToLeader, ticksToCommit: ticks() };
      }
    }
    return { ok: false, ticksToLeader, ticksToCommit: -1 };
  }

  /** Checks the recorded client history; throws on a non-linearizable key. */
  checkHistory(): void {
    const bad = checkKvHistory(this.history);
    this.stats.linearizabilityChecked = this.history.length;
    if (bad.length > 0) throw new InvariantViolation("linearizability", `history of ${bad.join(", ")} is not linearizable`);
  }

  /** Asks the current leader for a membership change; false when there is no leader. */
  proposeMembership(change: Parameters<RaftCore["proposeMembershipChange"]>[0]): boolean {
    const leader = this.leader();
    if (!leader || !leader.proposeMembershipChange(change)) return false;
    this.pump(this.nodes.get(leader.id)!);
    return true;
  }

  transferLeadership(target: NodeId): boolean {
    const leader = this.leader();
    if (!leader || !leader.transferLeadership(target)) return false;
    this.pump(this.nodes.get(leader.id)!);
    return true;
  }

  // ---- event handling ----

  private startNode(node: SimNode): void {
    const core = node.start(this.rng.nextUint32());
    this.cores.set(node.id, core);
    this.invariants.nodeRestarted(node.id);
    this.invariants.afterStep(this.cores);
    this.scheduleTick(node);
    this.pump(node);
  }

  private scheduleTick(node: SimNode): void {
    const delay = Math.max(1, Math.round(this.tickMs * node.tickScale));
    this.queue.push(this.now + delay, { kind: "tick", node: node.id, incarnation: node.incarnation });
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case "tick": {
        const node = this.nodes.get(ev.node)!;
        if (node.incarnation !== ev.incarnation || !node.core) return;
        node.core.tick();
        this.pump(node);
        this.scheduleTick(node);
        return;
      }
      case "deliver": {
        const node = this.nodes.get(ev.msg.to);
        if (!node?.core || !this.network.canDeliver(ev.msg.from, ev.msg.to)) return;
        node.core.step(ev.msg);
        this.pump(node);
        return;
      }
      case "disk":
        this.diskDone(ev.node, ev.incarnation);
        return;
      case "client":
        this.clientIssue(this.clients[ev.client]);
        return;
      case "clientTimeout": {
        const c = this.clients[ev.client];
        if (c.pending && c.seq === ev.seq) this.abandon(c);
        return;
      }
      case "restart":
        if (this.nodes.get(ev.node)!.incarnation === ev.incarnation) {
          this.restartNode(ev.node);
          this.record(`${ev.node} restarted`);
        }
        return;
      case "fault":
        if (this.faultInjector?.active) this.queue.push(this.now + this.faultInjector.next(), { kind: "fault" });
        return;
    }
  }

  /** Starts the host side of a ready: a simulated fsync that completes later. */
  pump(node: SimNode): void {
    const core = node.core;
    if (!core || node.pending || !core.hasReady()) return;
    node.pending = core.ready();
    const first = node.pending.entries[0];
    node.pendingPrevTerm = first ? core.log.term(first.index - 1) : undefined;
    for (const m of node.pending.leaderMessages) this.sendMessage(node, m);
    const durable = node.pending.entries.length > 0 || node.pending.hardState !== null || node.pending.snapshot !== null;
    const latency = durable ? node.diskMinMs + this.rng.int(node.diskMaxMs - node.diskMinMs + 1) : 0;
    this.queue.push(this.now + latency, { kind: "disk", node: node.id, incarnation: node.incarnation });
  }

  private diskDone(id: NodeId, incarnation: number): void {
    const node = this.nodes.get(id)!;
    const core = node.core;
    const rd = node.pending;
    if (!core || !rd || node.incarnation !== incarnation) return;
    node.persist(rd);
    if (rd.hardState) this.invariants.hardStatePersisted(id, rd.hardState);
    this.invariants.entriesPersisted(id, rd.entries, node.pendingPrevTerm);
    if (rd.snapshot) {
      node.kv.restore(rd.snapshot.data);
      this.invariants.snapshotInstalled(id, rd.snapshot);
      this.record(`${id} installed snapshot ${rd.snapshot.meta.index}@${rd.snapshot.meta.term}`);
    }
    for (const m of rd.messages) this.sendMessage(node, m);
    for (const e of rd.committed) this.applyEntry(node, e);
    core.advance();
    node.pending = null;
    if (node.appliedSinceSnapshot >= this.snapshotEvery) node.takeSnapshot();
    this.pump(node);
  }

  private sendMessage(from: SimNode, m: Message): void {
    this.invariants.messageSent(from.id, m, from.disk);
    this.stats.messagesSent++;
    for (const at of this.network.schedule(m, this.now)) this.queue.push(at, { kind: "deliver", msg: m });
  }

  private applyEntry(node: SimNode, e: Entry): void {
    this.invariants.entryApplied(node.id, e);
    node.appliedSinceSnapshot++;
    if (e.type !== "normal" || e.data.length === 0 || e.data[0] !== 0x7b) return;
    const op = decodeKvOp(e.data);
    const result = node.kv.apply(op);
    const c = this.clients[op.client];
    const p = c?.pending;
    if (!p || p.node !== node.id || p.incarnation !== node.incarnation || p.index !== e.index) return;
    if (p.term !== e.term) {
      this.abandon(c);
      return;
    }
    p.record.ret = this.now;
    if (op.kind === "get") p.record.output = result;
    this.stats.opsAcknowledged++;
    this.invariants.proposalAcknowledged(e.index, e.term, this.cores);
    c.pending = null;
    this.queue.push(this.now + 1 + this.rng.int(10), { kind: "client", client: c.id });
  }

  /** The client gives up waiting: the outcome stays unknown (return time infinite). */
  private abandon(c: Client): void {
    if (!c.pending) return;
    this.stats.opsUnknown++;
    c.pending = null;
    this.queue.push(this.now + 1 + this.rng.int(10), { kind: "client", client: c.id });
  }

  private clientIssue(c: Client): void {
    if (c.pending) return;
    const retry = (): void => {
      c.leaderGuess = this.rng.pick(this.allIds);
      this.queue.push(this.now + 5 + this.rng.int(10), { kind: "client", client: c.id });
    };
    const node = this.nodes.get(c.leaderGuess)!;
    const core = node.core;
    if (!core) return retry();
    const key = this.rng.pick(this.keys);
    c.seq++;
    const op: KvOp = this.rng.chance(0.5)
      ? { client: c.id, seq: c.seq, kind: "put", key, value: `c${c.id}-${c.seq}` }
      : { client: c.id, seq: c.seq, kind: "get", key };
    const ticket = core.propose(encodeKvOp(op));
    if (!ticket) {
      if (core.leader && core.leader !== node.id) {
        c.leaderGuess = core.leader;
        this.queue.push(this.now + 1, { kind: "client", client: c.id });
      } else retry();
      return;
    }
    const record: KvOperation = {
      key,
      call: this.now,
      ret: Infinity,
      input: op.kind === "put" ? { kind: "put", value: op.value } : { kind: "get" },
    };
    this.history.push(record);
    c.pending = { op, node: node.id, incarnation: node.incarnation, ...ticket, record };
    this.queue.push(this.now + 2000, { kind: "clientTimeout", client: c.id, seq: c.seq });
    this.pump(node);
  }
}
