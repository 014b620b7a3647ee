import type { GatewayzOptions } from "../plugin.js";
import type { GatewayConnection } from "./connection.js";
import type { OutboundAccountInterest } from "./outbound-interest.js";
import type { GatewayService } from "./service.js";
import { gatewayTuning } from "./tuning.js";
import { uptime } from "../shared/monitor-format.js";

/**
 * /gatewayz after server_id and now (Go's Gatewayz): this server's gateway, its outbound
 * connection per remote cluster, its inbound ones grouped by cluster, and on request each
 * account's interest mode.
 */
export function gatewayz(service: GatewayService, opts: GatewayzOptions): Record<string, unknown> {
  const withAccounts = opts.accounts || opts.accountName !== "";
  const now = Date.now();
  const outbound: Record<string, unknown> = {};
  for (const [name, c] of service.outbound) {
    if (opts.name !== "" && opts.name !== name) continue;
    const cfg = service.remotes.get(name);
    const subs = [...(service.outboundInterest.get(c)?.values() ?? [])].reduce((n, e) => n + e.subscriptions().length, 0);
    const entry: Record<string, unknown> = { configured: cfg !== undefined && !cfg.implicit, connection: connInfo(c, now, subs) };
    if (withAccounts) {
      const accounts = [...(service.outboundInterest.get(c)?.values() ?? [])]
        .filter((e) => opts.accountName === "" || e.accountName === opts.accountName)
        .map((e) => outboundAccount(e, opts));
      if (accounts.length > 0) entry.accounts = accounts;
    }
    outbound[name] = entry;
  }
  const inbound: Record<string, unknown[]> = {};
  for (const c of service.inbound.values()) {
    if (opts.name !== "" && opts.name !== c.name) continue;
    const entry: Record<string, unknown> = { configured: false, connection: connInfo(c, now, 0) };
    if (withAccounts) {
      const accounts = (service.inboundInterest.get(c)?.modes() ?? [])
        .filter((a) => opts.accountName === "" || a.name === opts.accountName)
        .map((a) => ({
          name: a.name,
          interest_mode: a.mode,
          no_interest_count: a.noInterestCount || undefined,
          interest_only_threshold: gatewayTuning.maxNoInterestBeforeSwitch,
        }));
      if (accounts.length > 0) entry.accounts = accounts;
    }
    (inbound[c.name] ??= []).push(entry);
  }
  return {
    name: service.name,
    host: service.host,
    port: service.port,
    outbound_gateways: outbound,
    inbound_gateways: inbound,
  };
}

function outboundAccount(e: OutboundAccountInterest, opts: GatewayzOptions): Record<string, unknown> {
  const subs = e.subscriptions();
  const out: Record<string, unknown> = {
    name: e.accountName,
    interest_mode: e.mode,
    no_interest_count: e.noInterest?.size || undefined,
    interest_only_threshold: gatewayTuning.maxNoInterestBeforeSwitch,
    num_subs: subs.length || undefined,
    num_queue_subs: e.queueSubCount || undefined,
  };
  if (opts.subscriptions && subs.length > 0) out.subscriptions_list = subs.map((s) => s.subject);
  else if (opts.subscriptionsDetail && subs.length > 0) {
    out.subscriptions_list_detail = subs.map((s) => ({
      account: e.accountName,
      subject: s.subject,
      qgroup: s.queue,
      sid: s.sid,
      msgs: 0,
      cid: e.cid,
    }));
  }
  return out;
}

/** Go's ConnInfo for a gateway connection. */
function connInfo(c: GatewayConnection, now: number, subscriptions: number): Record<string, unknown> {
  return {
    cid: c.cid,
    kind: "Gateway",
    ip: c.ip,
    port: c.port,
    start: c.start.toISOString(),
    last_activity: new Date(c.lastActivity).toISOString(),
    rtt: "0s",
    uptime: uptime(now - c.start.getTime()),
    idle: uptime(now - c.lastActivity),
    pending_bytes: c.pendingSize,
    in_msgs: c.inMsgs,
    out_msgs: c.outMsgs,
    in_bytes: c.inBytes,
    out_bytes: c.outBytes,
    subscriptions,
    name: c.remoteId,
  };
}

/**
 * The `gateway` object of /varz (Go's GatewayOptsVarz): this server's gateway options and, for
 * each configured remote cluster, its URLs as known now (configured plus discovered; for an
 * entry naming our own cluster, the configured ones).
 */
export function varzGateway(service: GatewayService): Record<string, unknown> {
  const o = service.opts;
  const gateways = o.gateways.map((g) => ({
    name: g.name,
    tls_timeout: g.tlsTimeout,
    urls: service.remotes.get(g.name)?.hostPorts() ?? g.urls.map((u) => u.host),
  }));
  const tls = o.tls !== undefined || undefined;
  return {
    name: o.name,
    host: o.host,
    port: service.listenPort,
    auth_timeout: o.authTimeout,
    tls_timeout: o.tls?.timeout ?? 2,
    tls_required: tls,
    tls_verify: tls,
    advertise: o.advertise || undefined,
    connect_retries: o.connectRetries || undefined,
    gateways,
    reject_unknown: o.rejectUnknown || undefined,
  };
}
