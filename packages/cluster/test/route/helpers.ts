import type { NatsConnection } from "@nats-io/transport-node";
import type { NatsServer } from "@nats-ts/core";
import { expect } from "vitest";
import type { ClusterPlugin } from "../../src/index.js";
import { freePort, listenerPort, type TestServer } from "../support/servers.js";
import type { Topology } from "../support/topology.js";
import { waitFor } from "../support/wait.js";

export { Topology } from "../support/topology.js";
export { waitFor } from "../support/wait.js";

/** The route port a server bound (its `cluster` listener, configured as -1). */
export function routePortOf(s: { server: NatsServer }): number {
  return listenerPort(s.server, "cluster");
}

/** The port a Go server bound for its route or leaf node listener (configured as -1), from its log. */
export async function goListenerPort(go: TestServer, what: "route" | "leafnode"): Promise<number> {
  const re = new RegExp(`Listening for ${what} connections on \\S+:(\\d+)`);
  const m = await waitFor(`Go's ${what} listener`, () => re.exec(go.log()) ?? undefined);
  return Number(m[1]);
}

/** /routez of an in-process nats-ts server. */
export function routezOf(server: NatsServer, subscriptions = false): { num_routes: number; routes: Record<string, unknown>[] } {
  const plugin = server.plugin<ClusterPlugin>("cluster")!;
  return plugin.routez({ subscriptions, subscriptionsDetail: false }) as { num_routes: number; routes: Record<string, unknown>[] };
}

/**
 * Remote servers this server has routes to (Go's NumRemotes: servers with a pooled route, the one
 * that registers the server). With route pooling one remote server has several route connections
 * (see {@link numRouteConnections}); this counts it once.
 */
export function numRoutes(server: NatsServer): number {
  return new Set(routezOf(server).routes.filter((r) => r.account === undefined).map((r) => r.remote_id)).size;
}

/** Route connections, pooled and pinned-account ones (Go's NumRoutes, /routez num_routes). */
export function numRouteConnections(server: NatsServer): number {
  return routezOf(server).num_routes;
}

/** The route connections to one remote server: its pool and its pinned accounts' routes. */
export function routesTo(server: NatsServer, remoteId: string): Record<string, unknown>[] {
  return routezOf(server, true).routes.filter((r) => r.remote_id === remoteId);
}

/** The subjects a remote server has interest in here, over all its route connections. */
export function remoteSubjects(server: NatsServer, remoteId: string): string[] {
  return routesTo(server, remoteId).flatMap((r) => (r.subscriptions_list as string[] | undefined) ?? []);
}

/** Messages sent to a remote server, over all its route connections. */
export function outMsgsTo(server: NatsServer, remoteId: string): number {
  return routesTo(server, remoteId).reduce((n, r) => n + (r.out_msgs as number), 0);
}

/** A conf for a cluster member on loopback: random client port, the given route port and seeds. */
export function memberConf(opts: { name?: string; cluster?: string; port: number; routes?: number[]; extra?: string; clusterExtra?: string }): string {
  const routes = (opts.routes ?? []).map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
  return `
    ${opts.name === undefined ? "" : `server_name: ${opts.name}`}
    host: 127.0.0.1
    port: -1
    ${opts.extra ?? ""}
    cluster {
      ${opts.cluster === undefined ? "" : `name: ${opts.cluster}`}
      host: 127.0.0.1
      port: ${opts.port}
      routes: [${routes}]
      ${opts.clusterExtra ?? ""}
    }
  `;
}

/** Pub/sub, queue exactly-once and request/reply between clients of `nodes`. */
export async function checkTraffic(topo: Topology, urls: string[]): Promise<void> {
  const conns: NatsConnection[] = [];
  for (const u of urls) conns.push(await topo.client(u));
  // Plain subscription on the first node, publishers everywhere.
  const got: string[] = [];
  conns[0].subscribe("mixed.>", { callback: (_e, m) => { got.push(m.subject); } });
  await conns[0].flush();
  for (let i = 1; i < conns.length; i++) {
    await waitFor(`interest seen from node ${i}`, async () => {
      conns[i].publish(`mixed.probe${i}`);
      await conns[i].flush();
      return got.includes(`mixed.probe${i}`);
    });
  }
  // Queue group with members on every node: exactly once cluster-wide.
  const counts = new Map<string, number>();
  for (const nc of conns) {
    nc.subscribe("jobs", { queue: "q", callback: (_e, m) => { counts.set(m.string(), (counts.get(m.string()) ?? 0) + 1); } });
    await nc.flush();
  }
  // A request answered by a responder on the last node proves its queue interest reached the first.
  conns[conns.length - 1].subscribe("svc", { callback: (_e, m) => { m.respond("ok"); } });
  await conns[conns.length - 1].flush();
  const reply = await waitFor("request/reply across", () => conns[0].request("svc", "", { timeout: 500 }).catch(() => undefined));
  expect(reply.string()).toBe("ok");
  // Every node has a local member, so no message can be lost while interest is still travelling.
  const N = 200;
  for (let i = 0; i < N; i++) conns[i % conns.length].publish("jobs", String(i));
  for (const nc of conns) await nc.flush();
  await waitFor("every job delivered", () => counts.size === N);
  await conns[0].flush();
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
}

export { freePort };
