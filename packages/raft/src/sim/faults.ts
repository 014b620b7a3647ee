import { SeededRng } from "../core/rng.js";
import type { NodeId } from "../core/types.js";
import { RELIABLE } from "./network.js";
import type { Simulation } from "./simulation.js";

export type FaultKind =
  | "partition"
  | "asymmetric-partition"
  | "heal"
  | "crash"
  | "restart"
  | "wal-corruption"
  | "lossy-network"
  | "calm-network"
  | "slow-disk"
  | "clock-skew"
  | "membership-change"
  | "leader-transfer";

/**
 * Picks and applies random faults to a simulation. Only one node (chosen per seed) ever
 * suffers WAL corruption, and at most a minority is down at once so the run keeps making
 * progress between faults.
 *
 * Fault number n draws its timing and parameters from its own PRNG seeded by (seed, n), so
 * skipping some faults (to minimize a failing run) leaves the others' schedule intact.
 */
export class FaultInjector {
  active = true;
  /** Numbers of the faults actually applied, in order. */
  readonly applied: number[] = [];
  private readonly corruptionVictim: NodeId;
  private count = 0;
  /** Number of the fault being applied (for trace lines). */
  current = 0;
  private rng: SeededRng;

  constructor(
    private readonly sim: Simulation,
    private readonly seed: number,
    private readonly skip: ReadonlySet<number>,
  ) {
    this.rng = new SeededRng(faultSeed(seed, 0));
    this.corruptionVictim = this.rng.pick(sim.founders);
  }

  stop(): void {
    this.active = false;
  }

  /** Runs the next fault (unless skipped) and returns the delay until the one after. */
  next(): number {
    const n = ++this.count;
    this.current = n;
    this.rng = new SeededRng(faultSeed(this.seed, n));
    const delay = 50 + this.rng.int(400);
    if (!this.skip.has(n)) this.inject(n);
    return delay;
  }

  private inject(n: number): void {
    const before = this.sim.faultCount;
    this.apply();
    if (this.sim.faultCount > before) this.applied.push(n);
  }

  private apply(): void {
    const { sim } = this;
    const rng = this.rng;
    const ids = sim.allIds;
    const down = ids.filter((id) => !sim.nodes.get(id)!.alive);
    const roll = rng.int(100);
    if (roll < 12) {
      const shuffled = [...ids].sort(() => rng.next() - 0.5);
      const cut = 1 + rng.int(ids.length - 1);
      const a = shuffled.slice(0, cut);
      const b = shuffled.slice(cut);
      sim.network.partition(a, b);
      sim.countFault("partition", `${a.join(",")} | ${b.join(",")}`);
    } else if (roll < 20) {
      const from = rng.pick(ids);
      const to = ids.filter((x) => x !== from && rng.chance(0.6));
      sim.network.blockOneWay([from], to);
      sim.countFault("asymmetric-partition", `${from} -/-> ${to.join(",")}`);
    } else if (roll < 36) {
      sim.network.heal();
      sim.countFault("heal", "network");
    } else if (roll < 48) {
      const maxDown = Math.floor((ids.length - 1) / 2);
      const up = ids.filter((id) => sim.nodes.get(id)!.alive);
      if (down.length >= maxDown || up.length === 0) return this.restartOne(down);
      // Favour the nastiest moments: a leader, or a node with an unsynced vote or log write.
      const unsynced = up.filter((id) => sim.nodes.get(id)!.pending !== null);
      const leader = sim.leader();
      const victim =
        unsynced.length > 0 && rng.chance(0.5) ? rng.pick(unsynced) : leader && rng.chance(0.5) ? leader.id : rng.pick(up);
      sim.crashNode(victim);
      sim.countFault("crash", victim);
      // A quick reboot can meet the same election again, with whatever it failed to sync.
      if (rng.chance(0.4)) sim.scheduleRestart(victim, 1 + rng.int(30));
    } else if (roll < 60) {
      this.restartOne(down);
    } else if (roll < 64) {
      const node = sim.nodes.get(this.corruptionVictim)!;
      if (node.alive && down.length < Math.floor((ids.length - 1) / 2)) {
        sim.crashNode(node.id);
        const lost = node.corruptTail(1 + rng.int(6));
        sim.countFault("wal-corruption", `${node.id} lost ${lost} tail records`);
      }
    } else if (roll < 72) {
      sim.network.profile = {
        dropRate: rng.next() * 0.2,
        duplicateRate: rng.next() * 0.1,
        minDelayMs: 1,
        maxDelayMs: 5 + rng.int(60),
      };
      const p = sim.network.profile;
      sim.countFault("lossy-network", `drop ${p.dropRate.toFixed(2)} dup ${p.duplicateRate.toFixed(2)} delay<=${p.maxDelayMs}ms`);
    } else if (roll < 78) {
      sim.network.profile = RELIABLE;
      sim.countFault("calm-network", "");
    } else if (roll < 84) {
      const node = sim.nodes.get(rng.pick(ids))!;
      const slow = rng.chance(0.5);
      node.diskMinMs = slow ? 10 + rng.int(20) : 0;
      node.diskMaxMs = slow ? node.diskMinMs + rng.int(60) : 2;
      sim.countFault("slow-disk", `${node.id} ${node.diskMinMs}-${node.diskMaxMs}ms`);
    } else if (roll < 90) {
      const node = sim.nodes.get(rng.pick(ids))!;
      node.tickScale = 0.6 + rng.next() * 0.9;
      sim.countFault("clock-skew", `${node.id} x${node.tickScale.toFixed(2)}`);
    } else if (roll < 96) {
      this.changeMembership();
    } else {
      const leader = sim.leader();
      if (!leader) return;
      const target = rng.pick(leader.membership.voters);
      if (sim.transferLeadership(target)) sim.countFault("leader-transfer", `${leader.id} -> ${target}`);
    }
  }

  private restartOne(down: NodeId[]): void {
    if (down.length === 0) return;
    const id = this.rng.pick(down);
    this.sim.restartNode(id);
    this.sim.countFault("restart", id);
  }

  private changeMembership(): void {
    const { sim } = this;
    const leader = sim.leader();
    // One change at a time, so the voter count stays within 3..5 once they all commit.
    if (!leader || leader.pendingMembershipIndex > 0) return;
    const m = leader.membership;
    const rng = this.rng;
    const outsiders = sim.allIds.filter((id) => !m.voters.includes(id));
    const choice = rng.int(3);
    let change: Parameters<Simulation["proposeMembership"]>[0];
    if (choice === 0 && m.voters.length > 3) {
      change = { op: "remove", peer: rng.pick(m.voters) };
    } else if (choice === 1 && outsiders.length > 0) {
      change = { op: "addObserver", peer: rng.pick(outsiders) };
    } else if (outsiders.length > 0 && m.voters.length < 5) {
      change = { op: "addVoter", peer: rng.pick(outsiders) };
    } else if (m.voters.length > 3) {
      change = { op: "remove", peer: rng.pick(m.voters) };
    } else return;
    if (sim.proposeMembership(change)) sim.countFault("membership-change", `${change.op} ${change.peer}`);
  }
}

function faultSeed(seed: number, n: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(n, 0x85ebca6b)) >>> 0;
}
