import type { LeafConnection } from "./connection.js";
import { DEFAULT_AUTH_TIMEOUT, DEFAULT_TLS_TIMEOUT } from "./constants.js";
import type { LeafNodeOptions } from "./options.js";
import { redactUrl } from "./urls.js";
import { goDuration } from "../shared/monitor-format.js";

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
  entry.compression = c.compression || undefined;
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
