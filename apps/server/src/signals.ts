import { readFileSync } from "node:fs";

/** `--signal` commands and the POSIX signal each sends (Go's main.go / signal.go). */
const COMMANDS: Record<string, NodeJS.Signals> = {
  stop: "SIGKILL",
  quit: "SIGINT",
  term: "SIGTERM",
  reopen: "SIGUSR1",
  reload: "SIGHUP",
  ldm: "SIGUSR2",
};

/**
 * Sends `--signal <command>[=<pid|pidfile>]` to a running server. Without a pid there is nothing
 * to discover processes by on this platform, so one is required.
 */
export function sendSignalCommand(arg: string): void {
  const eq = arg.indexOf("=");
  const command = (eq < 0 ? arg : arg.slice(0, eq)).toLowerCase();
  const target = eq < 0 ? "" : arg.slice(eq + 1);
  const signal = COMMANDS[command];
  if (signal === undefined) throw new Error(`unknown signal "${command}"`);
  if (target === "") throw new Error(`no pid given: use --signal ${command}=<pid or pid file>`);
  const pid = /^\d+$/.test(target) ? Number(target) : Number(readFileSync(target, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid "${target}"`);
  process.kill(pid, signal);
}
