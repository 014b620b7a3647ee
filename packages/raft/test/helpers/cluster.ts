import type { RaftOptions } from "../../src/core/options.js";
import { RaftCore } from "../../src/core/raft.js";
import { SeededRng } from "../../src/core/rng.js";
import type { Entry, HardState, Membership, Message, NodeId, Snapshot } from "../../src/core/types.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

export function delta(n: number): Uint8Array {
  return enc.encode(String(n));
}

/** One member of a test cluster: a core, its "disk", and a state machine adding deltas. */
export class TestNode {
  core: RaftCore;
  disk: { hardState?: HardState; snapshot: Snapshot | null; entries: Entry[] } = { snapshot: null, entries: [] };
  total = 0;
  applied: Entry[] = [];
  alive = true;

  constructor(
    readonly id: NodeId,
    private readonly opts: Partial<RaftOptions>,
    private readonly bootstrap: Membership | undefined,
    private readonly seed: number,
  ) {
    this.core = this.create();
  }

  create(): RaftCore {
    return new RaftCore(
      { id: this.id, rng: new SeededRng(this.seed), electionTicks: 10, heartbeatTicks: 1, ...this.opts },
      { hardState: this.disk.hardState, snapshot: this.disk.snapshot, entries: this.disk.entries.slice(), bootstrap: this.bootstrap },
    );
  }

  restart(): void {
    this.core = this.create();
    this.total = this.disk.snapshot ? Number(dec.decode(this.disk.snapshot.data)) : 0;
    this.applied = [];
    this.alive = true;
  }

  /** Processes one ready: persist, return messages, apply, advance. */
  process(): Message[] {
    if (!this.alive || !this.core.hasReady()) return [];
    const rd = this.core.ready();
    if (rd.snapshot) {
      this.disk.snapshot = rd.snapshot;
      this.disk.entries = [];
      this.total = Number(dec.decode(rd.snapshot.data));
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0].index;
      this.disk.entries = this.disk.entries.filter((e) => e.index < first).concat(rd.entries);
    }
    if (rd.hardState) this.disk.hardState = rd.hardState;
    for (const e of rd.committed) {
      this.applied.push(e);
      if (e.type === "normal") this.total += Number(dec.decode(e.data));
    }
    this.core.advance();
    return [...rd.leaderMessages, ...rd.messages];
  }

  snapshot(): Snapshot | null {
    const snap = this.core.createSnapshot(this.core.applied, enc.encode(String(this.total)));
    if (snap) {
      this.disk.snapshot = snap;
      this.disk.entries = this.disk.entries.filter((e) => e.index > snap.meta.index);
    }
    return snap;
  }
}

export interface ClusterOptions extends Partial<RaftOptions> {
  observers?: NodeId[];
  /** Nodes started empty, outside the bootstrap membership. */
  extra?: NodeId[];
  seed?: number;
}

/**
 * A synchronous, loss-free test network for RAFT cores: `settle()` runs every node's
 * ready loop and delivers messages until nothing moves. Links can be cut and messages
 * inspected or filtered.
 */
export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  private cut = new Set<string>();
  /** Return false to drop a message. */
  filter: ((m: Message) => boolean) | null = null;
  readonly delivered: Message[] = [];

  constructor(voters: NodeId[], opts: ClusterOptions = {}) {
    const bootstrap = { voters, observers: opts.observers ?? [] };
    let seed = opts.seed ?? 1;
    for (const id of [...voters, ...(opts.observers ?? [])]) this.nodes.set(id, new TestNode(id, opts, bootstrap, seed++));
    for (const id of opts.extra ?? []) this.nodes.set(id, new TestNode(id, opts, undefined, seed++));
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  core(id: NodeId): RaftCore {
    return this.node(id).core;
  }

  leader(): RaftCore | null {
    let best: RaftCore | null = null;
    for (const n of this.nodes.values()) if (n.alive && n.core.isLeader() && (!best || n.core.term > best.term)) best = n.core;
    return best;
  }

  followers(): RaftCore[] {
    return [...this.nodes.values()].filter((n) => n.alive && !n.core.isLeader()).map((n) => n.core);
  }

  /** Runs ready loops and delivers messages until quiet. */
  settle(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      const out: Message[] = [];
      let busy = false;
      for (const n of this.nodes.values()) {
        if (n.alive && n.core.hasReady()) busy = true;
        out.push(...n.process());
      }
      if (!busy) return;
      for (const m of out) this.deliver(m);
    }
    throw new Error("cluster did not settle");
  }

  deliver(m: Message): void {
    const to = this.nodes.get(m.to);
    if (!to?.alive || this.cut.has(`${m.from}>${m.to}`)) return;
    if (this.filter && !this.filter(m)) return;
    this.delivered.push(m);
    to.core.step(m);
  }

  tick(ids: NodeId[] | "all", times = 1): void {
    const list = ids === "all" ? [...this.nodes.keys()] : ids;
    for (let i = 0; i < times; i++) {
      for (const id of list) if (this.node(id).alive) this.core(id).tick();
      this.settle();
    }
  }

  /** Makes `id` campaign and settles; returns the leader afterwards. */
  elect(id: NodeId): RaftCore {
    this.core(id).campaignNow();
    this.settle();
    const l = this.leader();
    if (!l) throw new Error("no leader elected");
    return l;
  }

  /** Ticks everyone until some node (other than `not`) leads with its noop committed. */
  waitForLeader(maxTicks = 200, not?: NodeId): RaftCore {
    for (let i = 0; i < maxTicks; i++) {
      const l = this.leader();
      if (l && l.id !== not && l.log.term(l.commit) === l.term) return l;
      this.tick("all");
    }
    throw new Error("no leader");
  }

  propose(value: number, via?: NodeId): void {
    const core = via ? this.core(via) : this.leader();
    if (!core || !core.propose(delta(value))) throw new Error("proposal refused");
    this.settle();
  }

  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  crash(id: NodeId): void {
    this.node(id).alive = false;
  }

  restart(id: NodeId): void {
    this.node(id).restart();
    this.settle();
  }

  totals(): number[] {
    return [...this.nodes.values()].filter((n) => n.alive).map((n) => n.total);
  }
}
