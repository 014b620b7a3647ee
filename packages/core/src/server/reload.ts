import { isDeepStrictEqual } from "node:util";
import type { ServerOptions } from "../options.js";

/**
 * A reload Go would refuse; the running configuration stays in force.
 *
 * @example
 * try { server.reload({ ...opts, port: 4333 }); } catch (e) { e instanceof ReloadError; } // true
 */
export class ReloadError extends Error {
  override name = "ReloadError";
}

/** Options that can not change while running, with the Go field names its error message uses. */
const FIXED: Partial<Record<keyof ServerOptions, string>> = {
  host: "Host",
  port: "Port",
  serverName: "ServerName",
  httpHost: "HTTPHost",
  httpPort: "HTTPPort",
  maxSubscriptions: "MaxSubs",
  lameDuckDuration: "LameDuckDuration",
  lameDuckGracePeriod: "LameDuckGracePeriod",
  systemAccount: "SystemAccount",
  jetstream: "JetStream",
};

/** Conf blocks owned by plugins, by Go's option names. */
const BLOCK_NAMES: Record<string, string> = {
  cluster: "Cluster",
  gateway: "Gateway",
  leafnodes: "LeafNode",
  leaf: "LeafNode",
  websocket: "Websocket",
  ws: "Websocket",
  mqtt: "MQTT",
};

function show(v: unknown): string {
  if (v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/**
 * Throws {@link ReloadError} with Go's text (`config reload not supported for Port: old=4222,
 * new=4223`) when `next` changes something that only a restart can change.
 */
export function checkReloadable(current: ServerOptions, next: ServerOptions): void {
  for (const [key, goName] of Object.entries(FIXED) as [keyof ServerOptions, string][]) {
    const a = current[key];
    const b = next[key];
    // A random port (0/-1) in the new config means "whatever is bound", as in Go.
    if (key === "port" && (b === 0 || b === -1)) continue;
    if (!isDeepStrictEqual(a, b)) throw new ReloadError(`config reload not supported for ${goName}: old=${show(a)}, new=${show(b)}`);
  }
  if (current.noAuthUser !== next.noAuthUser && !(current.noAuthUser !== undefined && next.noAuthUser === undefined)) {
    throw new ReloadError(`config reload not supported for NoAuthUser: old=${show(current.noAuthUser)}, new=${show(next.noAuthUser)}`);
  }
  const blocks = new Set([...Object.keys(current.blocks), ...Object.keys(next.blocks)]);
  for (const name of blocks) {
    if (!isDeepStrictEqual(current.blocks[name], next.blocks[name])) {
      throw new ReloadError(`config reload not supported for ${BLOCK_NAMES[name] ?? name}: old=${show(current.blocks[name])}, new=${show(next.blocks[name])}`);
    }
  }
}

/** Options that hold secrets: their values are never logged. */
const SECRET = new Set<keyof ServerOptions>(["authorization", "accounts", "tls"]);

/** What changed, in conf names, as Go's "Reloaded: debug = true" log lines put it. */
export function describeChanges(current: ServerOptions, next: ServerOptions): string[] {
  const out: string[] = [];
  for (const key of Object.keys(next) as (keyof ServerOptions)[]) {
    if (key === "blocks" || isDeepStrictEqual(current[key], next[key])) continue;
    const v = next[key];
    const scalar = typeof v === "boolean" || typeof v === "number" || typeof v === "string";
    out.push(scalar && !SECRET.has(key) ? `${toConfName(key)} = ${String(v)}` : toConfName(key));
  }
  return out;
}

function toConfName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
