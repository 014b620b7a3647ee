import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { expect } from "vitest";
import { NatsServer, optionsFromConf, parseConf, type Logger } from "@nats-ts/core";
import { RouteClosed, type RouteConnection } from "../../src/route/connection.js";
import { RouteManager } from "../../src/route/manager.js";
import { routeOptionsFromConf } from "../../src/route/options.js";
import { freePort, type TestServer } from "../support/servers.js";
import { capturingLogger, type Topology } from "../support/topology.js";
import { waitFor } from "../support/wait.js";

/**
 * An in-process server whose route manager the test holds (to look at the pool and cut single
 * route connections, as Go's tests do through the server's internals), logging into `lines`.
 */
export type ManagedServer = TestServer & { server: NatsServer; manager: RouteManager; lines: string[]; routePort: number };

export async function startManaged(topo: Topology, conf: string): Promise<ManagedServer> {
  const { logger, lines } = capturingLogger();
  const server = new NatsServer(optionsFromConf(parseConf(conf)).options, { logger });
  await server.start();
  const manager = new RouteManager(server, routeOptionsFromConf(server.opts.blocks.cluster));
  await manager.start();
  return topo.track({
    kind: "nats-ts" as const,
    server,
    manager,
    lines,
    routePort: manager.port,
    port: server.port,
    url: `nats://127.0.0.1:${server.port}`,
    log: () => lines.join("\n"),
    stop: async () => {
      await manager.stop();
      await server.shutdown();
    },
  });
}

/** Go's checkClusterFormed: how many route connections each server has once the cluster is complete. */
export function expectedRoutes(servers: ManagedServer[]): number[] {
  return servers.map((a) => {
    if (a.manager.opts.poolSize < 0) return servers.length - 1;
    const own = a.manager.table.poolSize + a.manager.table.pinned.size;
    let total = 0;
    for (const b of servers) {
      if (b === a) continue;
      total += b.manager.opts.poolSize < 0 ? 1 : Math.max(own, b.manager.opts.poolSize + b.manager.table.pinned.size);
    }
    return total;
  });
}

/** Waits until every server has all its route connections (Go's checkClusterFormed). */
export async function clusterFormed(servers: ManagedServer[], timeout = 10_000): Promise<void> {
  const want = expectedRoutes(servers);
  await waitFor(`route connections ${JSON.stringify(want)}`, () => servers.every((s, i) => s.manager.table.size === want[i]), timeout);
}

/** Every registered route connection of a server, pooled then pinned (Go's forEachRoute). */
export function connections(s: ManagedServer): RouteConnection[] {
  return [...s.manager.table.connections()];
}

/** Drops a route connection as a failed read would. */
export function cut(c: RouteConnection): void {
  c.close(RouteClosed.ReadError);
}

/** A client conf block with accounts whose users are the account names (password "pwd"). */
export function accountsConf(names: string[]): string {
  return `accounts {\n${names.map((n) => `  ${n} { users: [{user: "${n}", password: "pwd"}] }`).join("\n")}\n}`;
}

/** A member of cluster "local" with the given accounts and `cluster {}` lines, routes to `routes`. */
export function member(clusterExtra: string, routes: number[] = [], opts: { name?: string; accounts?: string[]; routePort?: number; top?: string } = {}): string {
  const seeds = routes.length === 0 ? "" : `routes: [${routes.map((p) => `"nats://127.0.0.1:${p}"`).join(", ")}]`;
  return `
    listen: "127.0.0.1:-1"
    ${opts.name === undefined ? "" : `server_name: ${opts.name}`}
    ${accountsConf(opts.accounts ?? ["A", "B"])}
    ${opts.top ?? ""}
    cluster {
      name: local
      listen: "127.0.0.1:${opts.routePort ?? -1}"
      ${seeds}
      ${clusterExtra}
    }
  `;
}

/** A client of account `user` (see {@link accountsConf}). */
export async function userClient(topo: Topology, s: ManagedServer, user: string): Promise<NatsConnection> {
  return topo.client(s.url, { user, pass: "pwd" });
}

/** Messages a subscription got so far (its callback counts them). */
function counted(nc: NatsConnection, subject: string): { sub: Subscription; got: string[] } {
  const got: string[] = [];
  const sub = nc.subscribe(subject, { callback: (_e, m) => void got.push(m.string()) });
  return { sub, got };
}

/** Go's sendAndRecv: `n` messages published on `from` reach a subscriber on `to`, no more. */
export async function sendAndRecv(topo: Topology, from: ManagedServer, to: ManagedServer, user: string, n: number): Promise<void> {
  const sc = await userClient(topo, to, user);
  const { got } = counted(sc, "foo");
  await sc.flush();
  const pc = await userClient(topo, from, user);
  await waitFor(`interest of ${user} on the publishing server`, async () => {
    pc.publish("probe.check");
    sc.publish("foo.never");
    return from.server.lookupAccount(user)!.sublist.match("foo").psubs.length > 0;
  });
  for (let i = 0; i < n; i++) pc.publish("foo", "hello");
  await pc.flush();
  await waitFor(`${n} messages`, () => got.length >= n);
  await sc.flush();
  await pc.flush();
  expect(got.length).toBe(n);
}

/** Debug lines mentioning duplicates stop coming for longer than the reconnect delay (Go's connect race check). */
export async function settles(s: ManagedServer, maxDuplicates: number): Promise<void> {
  let seen = 0;
  let last = Date.now();
  for (;;) {
    const n = s.lines.filter((l) => l.includes("duplicate")).length;
    if (n !== seen) {
      seen = n;
      last = Date.now();
    }
    expect(seen).toBeLessThanOrEqual(maxDuplicates);
    if (Date.now() - last > 1250) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Three servers that each have all three routes configured (their ports must be known ahead). */
export async function connectRace(topo: Topology, clusterExtra: string, top = ""): Promise<ManagedServer[]> {
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const servers = await Promise.all(["A", "B", "C"].map((name, i) => startManaged(topo, member(clusterExtra, ports, { name, routePort: ports[i], top }))));
  await clusterFormed(servers);
  await settles(servers[0], 20);
  // Every connection ends up marked as solicited and configured.
  for (const s of servers) for (const c of connections(s)) expect([c.didSolicit, c.routeType]).toEqual([true, "explicit"]);
  return servers;
}
