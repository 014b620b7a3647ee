import type { RoutezOptions } from "../plugin.js";
import type { RouteConnection } from "./connection.js";
import type { RouteManager } from "./manager.js";
import { joinHostPort } from "../shared/addresses.js";
import { goDuration, uptime } from "../shared/monitor-format.js";

function routeInfo(r: RouteConnection, now: number, opts: RoutezOptions): Record<string, unknown> {
  const interest = r.remoteInterest();
  const out: Record<string, unknown> = {
    rid: r.cid,
    remote_id: r.remoteId,
    remote_name: r.remoteName,
    did_solicit: r.didSolicit,
    is_configured: r.routeType === "explicit",
    ip: r.remoteAddress,
    port: r.remotePort,
    start: r.start.toISOString(),
    last_activity: r.lastActivity.toISOString(),
    rtt: r.rtt === undefined ? undefined : goDuration(r.rtt),
    uptime: uptime(now - r.start.getTime()),
    idle: uptime(now - r.lastActivity.getTime()),
    import: r.info?.import,
    export: r.info?.export,
    pending_size: r.pendingBytes,
    in_msgs: r.inMsgs,
    out_msgs: r.outMsgs,
    in_bytes: r.inBytes,
    out_bytes: r.outBytes,
    subscriptions: interest.length,
    account: r.account,
    compression: r.compression || undefined,
  };
  if (opts.subscriptionsDetail) {
    out.subscriptions_list_detail = interest.map((i) => ({
      account: i.account,
      subject: i.subject,
      qgroup: i.queue,
      sid: i.queue === undefined ? `${i.account} ${i.subject}` : `${i.account} ${i.subject} ${i.queue}`,
      msgs: 0,
      cid: r.cid,
    }));
  } else if (opts.subscriptions) {
    out.subscriptions_list = interest.map((i) => i.subject);
  }
  return out;
}

/**
 * Go's Routez fields after server_id/server_name/now.
 *
 * @example
 * routez(manager, { subscriptions: false, subscriptionsDetail: false }); // { num_routes: 2, routes: [...] }
 */
export function routez(m: RouteManager, opts: RoutezOptions): Record<string, unknown> {
  const now = Date.now();
  const routes = [...m.table.connections()].sort((a, b) => a.cid - b.cid).map((r) => routeInfo(r, now, opts));
  return {
    import: m.opts.permissions?.import,
    export: m.opts.permissions?.export,
    num_routes: routes.length,
    routes,
  };
}

/**
 * /varz's `cluster` object (Go's ClusterOptsVarz).
 *
 * @example
 * varzCluster(manager); // { name: "east", addr: "0.0.0.0", cluster_port: 6222, urls: ["127.0.0.1:6223"] }
 */
export function varzCluster(m: RouteManager): Record<string, unknown> {
  const { opts } = m;
  const tls = opts.tls;
  return {
    name: m.name,
    addr: opts.host,
    cluster_port: m.port,
    auth_timeout: opts.authTimeout,
    urls: opts.routes.length === 0 ? undefined : opts.routes.map((u) => joinHostPort(u.host, u.port)),
    tls_timeout: tls?.timeout,
    tls_required: tls === undefined ? undefined : true,
    tls_verify: tls === undefined ? undefined : true,
    pool_size: opts.poolSize,
  };
}
