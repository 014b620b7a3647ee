import { InvariantViolation } from "./invariants.js";
import { Simulation, type SimulationOptions, type SimulationStats } from "./simulation.js";

/** Result of simulating one seed. */
export interface SeedResult {
  seed: number;
  ok: boolean;
  stats: SimulationStats;
  livenessTicksToLeader: number;
  livenessTicksToCommit: number;
  /** Set on failure: which property broke and the events that led there. */
  failure?: { invariant: string; message: string; stack: string; trace: string[] };
}

/**
 * Simulates one seed: `steps` events under faults, then heals and checks liveness,
 * then checks the client history for linearizability.
 *
 * @example
 * const r = runSeed(42, 3000);
 * if (!r.ok) console.log(r.failure);
 */
export function runSeed(seed: number, steps: number, options: Partial<SimulationOptions> = {}): SeedResult {
  const sim = new Simulation({ ...options, seed });
  let livenessTicksToLeader = -1;
  let livenessTicksToCommit = -1;
  try {
    sim.run(steps);
    const live = sim.checkLiveness();
    livenessTicksToLeader = live.ticksToLeader;
    livenessTicksToCommit = live.ticksToCommit;
    if (!live.ok) throw new InvariantViolation("liveness", `no leader and commit within the bound after healing (leader after ${live.ticksToLeader} ticks)`);
    sim.checkHistory();
    return { seed, ok: true, stats: sim.stats, livenessTicksToLeader, livenessTicksToCommit };
  } catch (err) {
    const invariant = err instanceof InvariantViolation ? err.invariant : "crash";
    const message = err instanceof Error ? err.message : String(err);
    const stack = err instanceof Error ? (err.stack ?? message) : message;
    return {
      seed,
      ok: false,
      stats: sim.stats,
      livenessTicksToLeader,
      livenessTicksToCommit,
      failure: { invariant, message, stack, trace: sim.recentTrace() },
    };
  }
}
