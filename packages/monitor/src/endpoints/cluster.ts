import { goTime } from "../format.js";
import type { MonitorContext } from "../context.js";

// Routes, gateways and leaf nodes arrive with @nats-ts/cluster; until then these endpoints answer
// with Go's shapes for a server that has none.

export function routez(ctx: MonitorContext) {
  return { server_id: ctx.server.id, server_name: ctx.server.name, now: goTime(new Date()), num_routes: 0, routes: [] };
}

export function gatewayz(ctx: MonitorContext) {
  return { server_id: ctx.server.id, now: goTime(new Date()), outbound_gateways: {}, inbound_gateways: {} };
}

export function leafz(ctx: MonitorContext) {
  return { server_id: ctx.server.id, now: goTime(new Date()), leafnodes: 0, leafs: [] };
}
