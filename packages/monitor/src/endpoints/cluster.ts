import { goTime } from "../format.js";
import type { MonitorContext } from "../context.js";
import type { ClusterMonitorProvider, GatewayzOptions, LeafzOptions, RoutezOptions } from "../cluster-provider.js";

/** The "cluster" plugin when it is composed into the server (its methods are duck-typed). */
export function clusterProvider(ctx: MonitorContext): ClusterMonitorProvider | undefined {
  return ctx.server.plugin("cluster") as ClusterMonitorProvider | undefined;
}

/** Go's Routez names the server; its Leafz and Gatewayz give only the id. */
function header(ctx: MonitorContext, named: boolean) {
  const now = goTime(new Date());
  return named ? { server_id: ctx.server.id, server_name: ctx.server.name, now } : { server_id: ctx.server.id, now };
}

export function routez(ctx: MonitorContext, opts: RoutezOptions = { subscriptions: false, subscriptionsDetail: false }) {
  return { ...header(ctx, true), ...(clusterProvider(ctx)?.routez?.(opts) ?? { num_routes: 0, routes: [] }) };
}

export function gatewayz(
  ctx: MonitorContext,
  opts: GatewayzOptions = { name: "", accounts: false, accountName: "", subscriptions: false, subscriptionsDetail: false },
) {
  return { ...header(ctx, false), ...(clusterProvider(ctx)?.gatewayz?.(opts) ?? { outbound_gateways: {}, inbound_gateways: {} }) };
}

export function leafz(ctx: MonitorContext, opts: LeafzOptions = { subscriptions: false, account: "" }) {
  return { ...header(ctx, false), ...(clusterProvider(ctx)?.leafz?.(opts) ?? { leafnodes: 0, leafs: [] }) };
}
