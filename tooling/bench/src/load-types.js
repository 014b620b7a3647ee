// The contract between the runner and a load module. A load is one row group in the
// report (pub-only, pub/sub, JetStream publish, ...); register new ones in loads/index.js.

/**
 * @typedef {object} Metric
 * @property {string} name     e.g. "msgs/s", "MB/s", "p99 us", "KB/conn"
 * @property {number} value
 * @property {"higher" | "lower"} better  which way is an improvement
 */

/**
 * @typedef {object} LoadContext
 * @property {import("./servers.js").ServerKind} kind  the server implementation under test
 * @property {(extraArgs?: string[]) => Promise<import("./servers.js").RunningServer>} startServer
 *   starts one server (pinned to the server core) with the given extra flags; the runner
 *   stops every server a load started once the load returns or throws
 * @property {number} durationMs  how long the measured phase runs
 * @property {number} warmupMs    how long the unmeasured warm-up runs before it
 * @property {number} idleConnections  connections opened by the idle-memory load
 */

/**
 * @typedef {object} Load
 * @property {string} name   id for --only, e.g. "pub-sub"
 * @property {string} title  row label in the report, e.g. "pub/sub 1:1 128 B"
 * @property {(ctx: LoadContext) => Promise<Metric[]>} run
 */

export {};
