// CPU pinning: the server under test on core 0, the load generator on core 1, so that Go
// and Node each get exactly one core and the figures do not swing with the scheduler.
import { spawn, spawnSync } from "node:child_process";
import { cpus } from "node:os";

export const SERVER_CPU = "0";
export const LOADGEN_CPU = "1";
const PINNED_ENV = "NATS_TS_BENCH_PINNED";

let enabled = false;

/**
 * Decides whether to pin: needs taskset and at least two CPUs, and not --no-pin.
 * @param {boolean} wanted
 * @returns {string | undefined} why pinning is off, when it is off but was wanted
 */
export function configurePinning(wanted) {
  if (!wanted) {
    enabled = false;
    return undefined;
  }
  if (cpus().length < 2) return "fewer than 2 CPUs";
  if (spawnSync("taskset", ["-V"]).error) return "taskset is not installed (apt-get install util-linux)";
  enabled = true;
  return undefined;
}

export function pinningEnabled() {
  return enabled;
}

/**
 * The command line that runs `command` on the core reserved for `role`.
 * @param {"server" | "loadgen"} role
 * @param {string} command
 * @param {string[]} args
 * @returns {[string, string[]]}
 */
export function pinnedCommand(role, command, args) {
  if (!enabled) return [command, args];
  return ["taskset", ["-c", role === "server" ? SERVER_CPU : LOADGEN_CPU, command, ...args]];
}

/**
 * Runs this very script again under `taskset -c 1` unless it already runs pinned; the
 * returned promise gives the pinned run's exit code, or undefined when the caller is the
 * pinned run (or pinning is off) and should do the work itself.
 * @returns {Promise<number> | undefined}
 */
export function reexecPinned() {
  if (!enabled || process.env[PINNED_ENV] === "1") return undefined;
  const [command, args] = pinnedCommand("loadgen", process.execPath, [...process.execArgv, ...process.argv.slice(1)]);
  const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, [PINNED_ENV]: "1" } });
  for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}
