import { describe, expect, test } from "vitest";
import { runSeed } from "../src/sim/run-seed.js";
import { Simulation } from "../src/sim/simulation.js";

describe("deterministic simulation", () => {
  test("the same seed reproduces the same run", () => {
    const a = runSeed(1234, 4000);
    const b = runSeed(1234, 4000);
    expect(a.ok).toBe(true);
    expect(b.stats).toEqual(a.stats);
    expect(a.stats.steps).toBeGreaterThan(0);
  });

  test("different seeds take different paths", () => {
    expect(runSeed(1, 4000).stats).not.toEqual(runSeed(2, 4000).stats);
  });

  test("many seeds under faults keep every invariant and stay live", () => {
    const seeds = Number(process.env.RAFT_SIM_SEEDS ?? 300);
    const steps = Number(process.env.RAFT_SIM_STEPS ?? 15000);
    const failures: string[] = [];
    let faults = 0;
    let acked = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runSeed(seed, steps);
      if (!r.ok) failures.push(`seed ${seed}: ${r.failure!.message.split("\n")[0]}`);
      faults += Object.values(r.stats.faults).reduce((x, y) => x + (y ?? 0), 0);
      acked += r.stats.opsAcknowledged;
    }
    expect(failures).toEqual([]);
    expect(faults).toBeGreaterThan(seeds);
    expect(acked).toBeGreaterThan(seeds * 10);
  }, 150_000);

  test("without faults a 5-node group elects once and commits every client operation", () => {
    const sim = new Simulation({ seed: 99, voters: 5, spares: 0, faults: false });
    sim.run(5000);
    expect(sim.stats.elections).toBe(1);
    expect(sim.stats.opsUnknown).toBe(0);
    expect(sim.stats.opsAcknowledged).toBeGreaterThan(50);
    sim.checkHistory();
  });
});
