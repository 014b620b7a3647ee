// Starting and stopping the servers under test, pinned to the server core.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pinnedCommand } from "./pinning.js";

/**
 * @typedef {object} ServerKind
 * @property {string} name          "nats-ts" or "go"
 * @property {string} command
 * @property {string[]} args         arguments before the listen address
 */

/**
 * @typedef {object} RunningServer
 * @property {string} name
 * @property {string} host
 * @property {number} port
 * @property {number} pid
 * @property {() => number} rssKB    resident memory from /proc/<pid>/status
 * @property {() => number} cpuSeconds  user + system CPU time used so far, from /proc/<pid>/stat
 * @property {() => string} output   what the server printed so far
 * @property {() => Promise<void>} stop
 */

export const HOST = "127.0.0.1";

/**
 * The servers this run can compare, by name.
 * @param {string} repoRoot
 * @returns {Record<string, () => ServerKind | string>}  a kind, or why it is unavailable
 */
export function serverKinds(repoRoot) {
  return {
    "nats-ts": () => {
      const other = process.env.NATS_TS_SERVER_BIN;
      if (other) return existsSync(other) ? { name: "nats-ts", command: other, args: [] } : `NATS_TS_SERVER_BIN=${other} does not exist`;
      const bin = join(repoRoot, "apps", "server", "bin", "nats-ts-server");
      if (!existsSync(bin)) return `${bin} does not exist yet`;
      return { name: "nats-ts", command: process.execPath, args: [bin] };
    },
    go: () => {
      const bin = process.env.NATS_SERVER_BIN;
      if (!bin) return "NATS_SERVER_BIN is not set";
      if (!existsSync(bin)) return `NATS_SERVER_BIN=${bin} does not exist`;
      return { name: "go", command: bin, args: [] };
    },
  };
}

/**
 * A port that was free a moment ago (listen on 0, read it, close).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a server on a fresh port and waits until it accepts connections.
 * @example
 * const s = await startServer(kind, ["-js", "-sd", dir]);
 * try { ... } finally { await s.stop(); }
 * @param {ServerKind} kind
 * @param {string[]} [extraArgs]  flags a load needs (e.g. JetStream, a config file)
 * @returns {Promise<RunningServer>}
 */
export async function startServer(kind, extraArgs = []) {
  const port = await freePort();
  const [command, args] = pinnedCommand("server", kind.command, [...kind.args, "-a", HOST, "-p", String(port), ...extraArgs]);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (/** @type {Buffer} */ b) => {
    output = (output + b.toString()).slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  /** @type {number | null} */
  let exitCode = null;
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve((exitCode = code ?? (signal ? 128 : 0)))));
  live.add(child);
  exited.then(() => live.delete(child));

  const pid = child.pid;
  if (pid === undefined) throw new Error(`${kind.name}: could not spawn ${command}`);
  const deadline = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (exitCode !== null) throw new Error(`${kind.name} exited with ${exitCode} before listening:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${kind.name} did not listen on ${HOST}:${port} within 20 s:\n${output}`);
    }
    await sleep(50);
  }
  return {
    name: kind.name,
    host: HOST,
    port,
    pid,
    rssKB: () => readRssKB(pid),
    cpuSeconds: () => readCpuSeconds(pid),
    output: () => output,
    stop: async () => {
      if (exitCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** @type {Set<import("node:child_process").ChildProcess>} */
const live = new Set();

/** Kills every server still running (used when the bench itself is interrupted). */
export function killAllServers() {
  for (const child of live) child.kill("SIGKILL");
}

/**
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function accepts(port) {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/**
 * @param {number} pid
 * @returns {number}
 */
export function readRssKB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

const CLOCK_TICKS_PER_SECOND = clockTicks();

function clockTicks() {
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(out.stdout?.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}

/**
 * @param {number} pid
 * @returns {number}
 */
export function readCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which sits in parentheses and may contain spaces:
  // state is field 3, utime field 14, stime field 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
