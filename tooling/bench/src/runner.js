// Runs each load on each server, `rounds` times, and keeps the median of every metric.
import { performance } from "node:perf_hooks";
import { startServer } from "./servers.js";

/** @typedef {import("./load-types.js").Metric} Metric */

/**
 * @typedef {object} RunOptions
 * @property {import("./load-types.js").Load[]} loads
 * @property {import("./servers.js").ServerKind[]} servers
 * @property {number} rounds  runs of each load per server; the report shows the median
 * @property {number} durationMs
 * @property {number} warmupMs
 * @property {number} idleConnections
 * @property {(line: string) => void} log  progress lines
 */

/**
 * @example
 * const results = await runLoads({ loads: LOADS, servers, rounds: 3, durationMs: 3000, warmupMs: 1000, idleConnections: 500, log: console.error });
 * @param {RunOptions} options
 * @returns {Promise<import("./report.js").LoadResult[]>}
 */
export async function runLoads({ loads, servers, rounds, log, ...settings }) {
  /** @type {import("./report.js").LoadResult[]} */
  const results = [];
  for (const load of loads) {
    /** @type {Record<string, Metric[][]>} */
    const runs = {};
    /** @type {Record<string, string>} */
    const errors = {};
    // Servers take turns within each round, so drift in machine load hits both alike.
    for (let round = 1; round <= rounds; round++) {
      for (const kind of servers) {
        const label = `${load.name} on ${kind.name}${rounds > 1 ? ` (round ${round}/${rounds})` : ""}`;
        try {
          const cpuBefore = process.cpuUsage();
          const wallBefore = performance.now();
          const metrics = await runOnce(load, kind, settings);
          // Near 100% would mean the generator, not the server, set the pace.
          const cpu = process.cpuUsage(cpuBefore);
          const loadgenCpu = ((cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore)) * 100;
          (runs[kind.name] ??= []).push(metrics);
          log(`${label}: ${metrics.map((m) => `${m.name} ${m.value.toFixed(1)}`).join(", ")} (load generator CPU ${loadgenCpu.toFixed(0)}%)`);
        } catch (err) {
          errors[kind.name] = /** @type {Error} */ (err).message;
          log(`${label} failed: ${errors[kind.name]}`);
        }
      }
    }
    /** @type {import("./report.js").LoadResult["byServer"]} */
    const byServer = {};
    for (const kind of servers) {
      const done = runs[kind.name];
      byServer[kind.name] = done ? medianMetrics(done) : { error: errors[kind.name] };
    }
    results.push({ load: load.name, title: load.title, byServer, runs });
  }
  return results;
}

/**
 * @param {import("./load-types.js").Load} load
 * @param {import("./servers.js").ServerKind} kind
 * @param {{ durationMs: number, warmupMs: number, idleConnections: number }} settings
 */
async function runOnce(load, kind, settings) {
  /** @type {import("./servers.js").RunningServer[]} */
  const started = [];
  try {
    return await load.run({
      kind,
      ...settings,
      startServer: async (extraArgs) => {
        const s = await startServer(kind, extraArgs);
        started.push(s);
        return s;
      },
    });
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}

/**
 * Per metric name, the median value over the runs (the lower middle for an even count).
 * @param {Metric[][]} runs
 * @returns {Metric[]}
 */
export function medianMetrics(runs) {
  return runs[0].map((first) => {
    const values = runs.map((r) => r.find((m) => m.name === first.name)?.value ?? NaN).sort((a, b) => a - b);
    return { ...first, value: values[Math.floor((values.length - 1) / 2)] };
  });
}
