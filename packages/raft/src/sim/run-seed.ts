import { InvariantViolation } from "./invariants.js";
import { Simulation, type SimulationOptions, type SimulationStats } from "./simulation.js";

/** What broke, and the events that led there. */
export interface SeedFailure {
  invariant: string;
  message: string;
  stack: string;
  trace: string[];
}

/** Result of simulating one seed. */
export interface SeedResult {
  seed: number;
  ok: boolean;
  stats: SimulationStats;
  livenessTicksToLeader: number;
  livenessTicksToCommit: number;
  /** Fault numbers injected during the run. */
  faultsApplied: readonly number[];
  failure?: SeedFailure;
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
  const result = (failure?: SeedFailure): SeedResult => ({
    seed,
    ok: failure === undefined,
    stats: sim.stats,
    livenessTicksToLeader,
    livenessTicksToCommit,
    faultsApplied: sim.appliedFaults,
    failure,
  });
  try {
    sim.run(steps);
    const live = sim.checkLiveness();
    livenessTicksToLeader = live.ticksToLeader;
    livenessTicksToCommit = live.ticksToCommit;
    if (!live.ok) throw new InvariantViolation("liveness", `no leader and commit within the bound after healing (leader after ${live.ticksToLeader} ticks)`);
    sim.checkHistory();
    return result();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return result({
      invariant: err instanceof InvariantViolation ? err.invariant : "crash",
      message,
      stack: err instanceof Error ? (err.stack ?? message) : message,
      trace: sim.recentTrace(),
    });
  }
}

/**
 * Shrinks a failing run: drops injected faults one at a time, keeping each drop that
 * still breaks the same invariant. Returns the faults to skip and the smaller failing run.
 */
export function minimizeFailure(
  failed: SeedResult,
  steps: number,
  alreadySkipped: readonly number[] = [],
  maxRuns = 80,
): { skipFaults: number[]; result: SeedResult } {
  const invariant = failed.failure?.invariant;
  let skip = [...alreadySkipped];
  let best = failed;
  let runs = 0;
  for (const fault of failed.faultsApplied) {
    if (runs++ >= maxRuns) break;
    const attempt = runSeed(failed.seed, steps, { skipFaults: [...skip, fault] });
    if (!attempt.ok && attempt.failure!.invariant === invariant) {
      skip = [...skip, fault];
      best = attempt;
    }
  }
  return { skipFaults: skip, result: best };
}
