import { parseArgs } from "node:util";
import { minimizeFailure, runSeed, type SeedResult } from "./run-seed.js";

/**
 * `sim --seeds N --steps M [--seed S] [--start K]`: runs seeded simulations and prints what
 * was run, the faults injected and the invariant checks made. Returns the exit code: 1 on
 * the first failing seed, after printing how to replay it and the events that led there.
 *
 * @example
 * process.exitCode = runSimCli(["--seeds", "10"], console.log);
 */
export function runSimCli(args: string[], print: (line: string) => void): number {
  const { values } = parseArgs({
    args,
    options: {
      seeds: { type: "string", default: "100" },
      steps: { type: "string", default: "20000" },
      seed: { type: "string" },
      start: { type: "string", default: "1" },
      "skip-faults": { type: "string", default: "" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    print("usage: sim --seeds N --steps M [--seed S] [--start K] [--skip-faults 3,7]");
    return 0;
  }
  const steps = positiveInt(values.steps!, "steps");
  const skipFaults = values["skip-faults"]!.split(",").filter((x) => x !== "").map((x) => positiveInt(x, "skip-faults"));
  const seeds: number[] = [];
  if (values.seed !== undefined) seeds.push(nonNegativeInt(values.seed, "seed"));
  else {
    const start = nonNegativeInt(values.start!, "start");
    const count = positiveInt(values.seeds!, "seeds");
    for (let s = start; s < start + count; s++) seeds.push(s);
  }

  const started = Date.now();
  const faults = new Map<string, number>();
  const totals = { steps: 0, checks: 0, acked: 0, unknown: 0, linearized: 0, elections: 0, maxLeader: 0, maxCommit: 0 };
  print(`raft simulation: ${seeds.length} seed(s) x ${steps} steps`);
  for (const seed of seeds) {
    const r = runSeed(seed, steps, { skipFaults });
    totals.steps += r.stats.steps;
    totals.checks += r.stats.invariantChecks;
    totals.acked += r.stats.opsAcknowledged;
    totals.unknown += r.stats.opsUnknown;
    totals.linearized += r.stats.linearizabilityChecked;
    totals.elections += r.stats.elections;
    totals.maxLeader = Math.max(totals.maxLeader, r.livenessTicksToLeader);
    totals.maxCommit = Math.max(totals.maxCommit, r.livenessTicksToCommit);
    for (const [k, v] of Object.entries(r.stats.faults)) faults.set(k, (faults.get(k) ?? 0) + (v ?? 0));
    if (!r.ok) {
      printFailure(r, steps, skipFaults, print);
      return 1;
    }
  }
  const faultTotal = [...faults.values()].reduce((a, b) => a + b, 0);
  const faultList = [...faults].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
  const first = seeds[0];
  const last = seeds[seeds.length - 1];
  print(`seeds run:        ${seeds.length} (${first}..${last})`);
  print(`steps:            ${totals.steps}`);
  print(`faults injected:  ${faultTotal} (${faultList})`);
  print(`invariant checks: ${totals.checks} (election safety, log matching, leader completeness, state machine safety, acknowledged proposals kept, membership safety, durability before send)`);
  print(`elections:        ${totals.elections}`);
  print(`client ops:       ${totals.acked} acknowledged, ${totals.unknown} with unknown outcome; ${totals.linearized} checked linearizable`);
  print(`liveness:         after healing, leader within ${totals.maxLeader} ticks, commit within ${totals.maxCommit} ticks (worst seed)`);
  print(`result:           OK in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return 0;
}

function printFailure(r: SeedResult, steps: number, skipped: number[], print: (line: string) => void): void {
  const f = r.failure!;
  const skipArg = skipped.length > 0 ? ` --skip-faults ${skipped.join(",")}` : "";
  print(`FAILED seed ${r.seed} after ${r.stats.steps} steps: ${f.message}`);
  print(`replay: pnpm --filter @nats-ts/raft sim --seed ${r.seed} --steps ${steps}${skipArg}`);
  const min = minimizeFailure(r, steps, skipped);
  const kept = r.faultsApplied.length - (min.skipFaults.length - skipped.length);
  if (min.skipFaults.length > skipped.length) {
    print(`minimized: ${kept} of ${r.faultsApplied.length} faults still fail with "${min.result.failure!.message}"`);
    print(`replay minimal: pnpm --filter @nats-ts/raft sim --seed ${r.seed} --steps ${steps} --skip-faults ${min.skipFaults.join(",")}`);
  }
  const trace = min.result.failure!.trace;
  print(`event trace (${trace.length} lines):`);
  for (const line of trace) print(`  ${line}`);
  if (f.invariant === "crash") print(f.stack);
}

function positiveInt(s: string, name: string): number {
  const n = nonNegativeInt(s, name);
  if (n === 0) throw new Error(`--${name} must be positive`);
  return n;
}

function nonNegativeInt(s: string, name: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${s}`);
  return n;
}
