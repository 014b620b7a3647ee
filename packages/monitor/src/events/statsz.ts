import type { MonitorContext } from "../context.js";
import { goTime } from "../format.js";
import { jetStreamVarz } from "../endpoints/varz.js";

/** Go's ServerStats (the `statsz` of a STATSZ message). */
export function serverStats(ctx: MonitorContext): Record<string, unknown> {
  const { server, tracker } = ctx;
  const { stats } = server;
  const out: Record<string, unknown> = {
    start: goTime(server.startTime),
    mem: process.memoryUsage.rss(),
    cores: ctx.cores,
    cpu: ctx.cpuPercent(),
    connections: server.clientCount,
    total_connections: stats.totalConnections,
    active_accounts: tracker.activeAccounts(),
    subscriptions: tracker.totalSubscriptions(),
    sent: { msgs: stats.outMsgs, bytes: stats.outBytes },
    sent_to_clients: { msgs: stats.outMsgs - stats.peerOutMsgs, bytes: stats.outBytes - stats.peerOutBytes },
    received: { msgs: stats.inMsgs, bytes: stats.inBytes },
    received_from_clients: { msgs: stats.inMsgs - stats.peerInMsgs, bytes: stats.inBytes - stats.peerInBytes },
    slow_consumers: stats.slowConsumers,
  };
  // Go adds the breakdowns only when something is counted.
  if (stats.slowConsumers > 0) out.slow_consumer_stats = { clients: stats.slowConsumers, routes: 0, gateways: 0, leafs: 0 };
  if (tracker.staleConnections > 0) {
    out.stale_connections = tracker.staleConnections;
    out.stale_connection_stats = { clients: tracker.staleConnections, routes: 0, gateways: 0, leafs: 0 };
  }
  out.active_servers = 1;
  const js = jetStreamVarz(ctx, false);
  if (js.config !== undefined) out.jetstream = js;
  out.gomaxprocs = ctx.cores;
  return out;
}
