#!/usr/bin/env node
// `pnpm bench`: raw-protocol load generator comparing nats-ts with the Go nats-server.
// The servers run pinned to core 0, this process re-executes itself pinned to core 1.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { LOADS } from "./loads/index.js";
import { configurePinning, pinningEnabled, reexecPinned } from "./pinning.js";
import { formatJson, formatTable } from "./report.js";
import { runLoads } from "./runner.js";
import { killAllServers, serverKinds } from "./servers.js";

const USAGE = `usage: pnpm bench [options]
  --only <loads>      comma-separated loads: ${LOADS.map((l) => l.name).join(", ")}
  --servers <names>   comma-separated servers: nats-ts, go (default: every one available;
                      go needs NATS_SERVER_BIN=/path/to/nats-server; nats-ts runs
                      apps/server/bin/nats-ts-server or NATS_TS_SERVER_BIN)
  --duration <time>   measured phase per load, e.g. 3s or 500ms (default 3s)
  --warmup <time>     unmeasured warm-up before it (default 1s)
  --connections <n>   connections for the idle-memory load (default 2000)
  --rounds <n>        run every load n times per server, servers alternating, and
                      report the median of each figure (default 1)
  --json              print JSON instead of the table
  --no-pin            do not pin server and load generator to cores 0 and 1`;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * @param {string} text  "3", "3s", "500ms"
 * @returns {number} milliseconds
 */
function parseDuration(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new Error(`bad duration "${text}" (use e.g. 3s or 500ms)`);
  return Number(m[1]) * (m[2] === "ms" ? 1 : 1000);
}

/** @param {string | undefined} list */
const splitList = (list) => (list ? list.split(",").map((s) => s.trim()).filter(Boolean) : undefined);

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      servers: { type: "string" },
      duration: { type: "string", default: "3s" },
      warmup: { type: "string", default: "1s" },
      connections: { type: "string", default: "2000" },
      rounds: { type: "string", default: "1" },
      json: { type: "boolean", default: false },
      "no-pin": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  const noPinReason = configurePinning(!values["no-pin"]);
  if (noPinReason) console.error(`not pinning to cores: ${noPinReason}`);
  const pinned = reexecPinned();
  if (pinned) return pinned;

  const only = splitList(values.only);
  const unknownLoads = only?.filter((n) => !LOADS.some((l) => l.name === n)) ?? [];
  if (unknownLoads.length > 0) throw new Error(`unknown load ${unknownLoads.join(", ")}\n${USAGE}`);
  const loads = only ? LOADS.filter((l) => only.includes(l.name)) : LOADS;

  const kinds = serverKinds(REPO_ROOT);
  const requested = splitList(values.servers);
  /** @type {import("./servers.js").ServerKind[]} */
  const servers = [];
  for (const name of requested ?? Object.keys(kinds)) {
    const make = kinds[name];
    if (!make) throw new Error(`unknown server "${name}" (known: ${Object.keys(kinds).join(", ")})`);
    const kind = make();
    if (typeof kind === "string") {
      if (requested) throw new Error(`${name}: ${kind}`);
      console.error(`skipping ${name}: ${kind}`);
    } else servers.push(kind);
  }
  if (servers.length === 0) throw new Error("no server to benchmark");

  const durationMs = parseDuration(values.duration);
  const warmupMs = parseDuration(values.warmup);
  const idleConnections = Number(values.connections);
  if (!Number.isInteger(idleConnections) || idleConnections < 1) throw new Error(`bad --connections ${values.connections}`);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bad --rounds ${values.rounds}`);

  const results = await runLoads({ loads, servers, rounds, durationMs, warmupMs, idleConnections, log: (l) => console.error(l) });

  const names = servers.map((s) => s.name);
  if (values.json) {
    const run = { date: new Date().toISOString(), node: process.version, pinned: pinningEnabled(), rounds, durationMs, warmupMs, idleConnections, servers: names };
    console.log(formatJson(results, run));
  } else {
    console.log(formatTable(results, names));
  }
  return 0;
}

process.on("exit", killAllServers);
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.on(signal, () => {
    killAllServers();
    process.exit(130);
  });
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`bench: ${err.message}`);
    process.exitCode = 2;
  },
);
