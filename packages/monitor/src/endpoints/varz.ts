import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { GO_COMPAT_VERSION, PROTO_VERSION, type TlsOptions } from "@nats-ts/core";
import { goNanos, goTime, goUptime } from "../format.js";
import type { MonitorContext } from "../context.js";
import type { JetStreamConfigJson, JetStreamStatsJson } from "../jetstream-provider.js";
import { metadataVarz, mqttVarz, websocketVarz } from "./listener-blocks.js";
import { clusterProvider } from "./cluster.js";

/** Go's JetStreamVarz: empty when JetStream is off. */
export interface JetStreamVarzJson {
  config?: JetStreamConfigJson;
  stats?: JetStreamStatsJson;
}

/** Go's ServerStats slow-consumer and stale-connection breakdowns. */
export interface ByKindJson {
  clients: number;
  routes: number;
  gateways: number;
  leafs: number;
}

/** The runtime string in `go`, as INFO announces it. */
export const RUNTIME_VERSION = `node${process.version}`;

/** Go's AuthTimeout default in seconds. */
const DEFAULT_AUTH_TIMEOUT_SECONDS = 2;
/** Go's TLSTimeout default in seconds. */
const DEFAULT_TLS_TIMEOUT_SECONDS = 2;

export function jetStreamVarz(ctx: MonitorContext, storeDir = true): JetStreamVarzJson {
  const js = ctx.jetstream;
  if (js === undefined) return {};
  const config = { ...js.jetStreamConfig() };
  if (!storeDir) delete config.store_dir;
  return { config, stats: js.jetStreamStats() };
}

/**
 * Go's Varz(): the server's configuration and counters.
 *
 * @example
 * const { connections, in_msgs } = varz(monitor.context!);
 */
export function varz(ctx: MonitorContext): Record<string, unknown> {
  const { server, tracker } = ctx;
  const { opts, stats } = server;
  const now = new Date();
  const slowConsumerStats: ByKindJson = { clients: stats.slowConsumers, routes: 0, gateways: 0, leafs: 0 };
  const staleStats: ByKindJson = { clients: tracker.staleConnections, routes: 0, gateways: 0, leafs: 0 };
  const v: Record<string, unknown> = {
    server_id: server.id,
    server_name: server.name,
    version: GO_COMPAT_VERSION,
    proto: PROTO_VERSION,
    go: RUNTIME_VERSION,
    host: opts.host,
    port: server.port,
  };
  if (server.authenticator.required) v.auth_required = true;
  if (opts.tls !== undefined) {
    v.tls_required = true;
    if (opts.tls.verify || opts.tls.verifyAndMap) v.tls_verify = true;
  }
  Object.assign(v, {
    max_connections: opts.maxConnections,
  });
  if (opts.maxSubscriptions > 0) v.max_subscriptions = opts.maxSubscriptions;
  Object.assign(v, {
    ping_interval: goNanos(opts.pingInterval),
    ping_max: opts.pingMax,
    http_host: opts.httpHost ?? opts.host,
    http_port: ctx.httpPort,
    http_base_path: ctx.basePath,
    https_port: ctx.httpsPort,
    auth_timeout: opts.authorization?.timeout ?? DEFAULT_AUTH_TIMEOUT_SECONDS,
    max_control_line: opts.maxControlLine,
    max_payload: opts.maxPayload,
    max_pending: opts.maxPending,
    cluster: {},
    gateway: {},
    leaf: {},
    mqtt: mqttVarz(server),
    websocket: websocketVarz(server),
    jetstream: jetStreamVarz(ctx),
    tls_timeout: opts.tls?.timeout ?? DEFAULT_TLS_TIMEOUT_SECONDS,
    write_deadline: goNanos(opts.writeDeadline),
    start: goTime(server.startTime),
    now: goTime(now),
    uptime: goUptime(now.getTime() - server.startTime.getTime()),
    mem: process.memoryUsage.rss(),
    cores: ctx.cores,
    gomaxprocs: ctx.cores,
    cpu: ctx.cpuPercent(),
    connections: server.clientCount,
    total_connections: stats.totalConnections,
    routes: 0,
    remotes: 0,
    leafnodes: 0,
    in_msgs: stats.inMsgs,
    out_msgs: stats.outMsgs,
    in_bytes: stats.inBytes,
    out_bytes: stats.outBytes,
    // Client traffic: everything but what came from or went to routes, gateways and leaf nodes.
    in_client_msgs: stats.inMsgs - stats.peerInMsgs,
    in_client_bytes: stats.inBytes - stats.peerInBytes,
    out_client_msgs: stats.outMsgs - stats.peerOutMsgs,
    out_client_bytes: stats.outBytes - stats.peerOutBytes,
    slow_consumers: stats.slowConsumers,
    stale_connections: tracker.staleConnections,
    stalled_clients: 0,
    subscriptions: tracker.totalSubscriptions(),
    http_req_stats: { ...ctx.httpReqStats },
    config_load_time: goTime(tracker.configLoadTime),
    config_digest: "",
  });
  Object.assign(v, clusterProvider(ctx)?.varz?.());
  if (opts.serverTags.length > 0) v.tags = [...opts.serverTags];
  const metadata = metadataVarz(server);
  if (metadata !== undefined) v.metadata = metadata;
  v.system_account = server.systemAccount.name;
  v.slow_consumer_stats = slowConsumerStats;
  v.stale_connection_stats = staleStats;
  const notAfter = certificateNotAfter(opts.tls);
  if (notAfter !== undefined) v.tls_cert_not_after = goTime(notAfter);
  return v;
}

/** When the server's certificate expires (Go 2.11's tls_cert_not_after); undefined without one. */
function certificateNotAfter(tls: TlsOptions | undefined): Date | undefined {
  if (tls === undefined) return undefined;
  try {
    const pem = tls.cert ?? (tls.certFile !== undefined ? readFileSync(tls.certFile, "utf8") : undefined);
    return pem === undefined ? undefined : new Date(new X509Certificate(pem).validTo);
  } catch {
    // An unreadable certificate already failed the TLS listener; /varz just leaves the date out.
    return undefined;
  }
}
