import type { LeafConnection } from "./connection.js";
import { DEFAULT_AUTH_TIMEOUT, DEFAULT_TLS_TIMEOUT } from "./constants.js";
import type { LeafNodeOptions } from "./options.js";
import { redactUrl } from "./urls.js";

/** A duration in milliseconds as Go's time.Duration prints it (`1.234ms`, `250µs`, `1.5s`). */
export function goDuration(ms: number): string {
  if (ms === 0) return "0s";
  const ns = Math.round(ms * 1e6);
  if (ns < 1_000) return `${ns}ns`;
  if (ns < 1_000_000) return `${trim(ns / 1_000)}µs`;
  if (ns < 1_000_000_000) return `${trim(ns / 1_000_000)}ms`;
  const total = ns / 1e9;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = `${trim(total % 60)}s`;
  return h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s;
}

function trim(n: number): string {
  return String(Number(n.toFixed(6)));
}

/** One entry of /leafz (Go's LeafInfo). */
export function leafzEntry(c: LeafConnection, withSubscriptions: boolean): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    id: c.cid,
    name: c.remoteServer,
    is_spoke: c.leafSpoke,
    is_isolated: c.isolated || undefined,
    account: c.account?.name ?? "",
    ip: c.ip,
    port: c.port,
    rtt: goDuration(c.rtt ?? 0),
    in_msgs: c.stats.inMsgs,
    out_msgs: c.stats.outMsgs,
    in_bytes: c.stats.inBytes,
    out_bytes: c.stats.outBytes,
    subscriptions: c.subscriptionCount,
  };
  if (withSubscriptions) entry.subscriptions_list = c.subscriptionSubjects();
  // nats-ts does not compress leaf connections; it negotiates like a server before compression.
  entry.compression = "off";
  return entry;
}

/** The `leaf` block of /varz (Go's LeafNodeOptsVarz). */
export function varzLeaf(opts: LeafNodeOptions, boundPort: number): Record<string, unknown> {
  const listening = opts.port !== 0;
  return {
    host: listening ? opts.host : undefined,
    port: listening ? boundPort : undefined,
    auth_timeout: listening ? opts.authorization.timeout || DEFAULT_AUTH_TIMEOUT : undefined,
    tls_timeout: opts.tls !== undefined ? opts.tls.timeout || DEFAULT_TLS_TIMEOUT : undefined,
    tls_required: opts.tls !== undefined || undefined,
    tls_verify: opts.tls?.verify || undefined,
    remotes: opts.remotes.map((r) => ({
      local_account: r.account || "$G",
      tls_timeout: r.tls?.timeout,
      urls: r.urls.map((u) => redactUrl(u).replace(/^[a-z-]+:\/\//, "")),
      deny: r.denyImports.length > 0 || r.denyExports.length > 0 ? { exports: r.denyExports.length ? r.denyExports : undefined, imports: r.denyImports.length ? r.denyImports : undefined } : undefined,
    })),
  };
}
