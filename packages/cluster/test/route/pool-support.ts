import { NatsServer, optionsFromConf, parseConf, type Logger } from "@nats-ts/core";
import { RouteClosed, type RouteConnection } from "../../src/route/connection.js";
import { RouteManager } from "../../src/route/manager.js";
import { routeOptionsFromConf } from "../../src/route/options.js";
import type { TestServer } from "../support/servers.js";
import type { Topology } from "../support/topology.js";
import { waitFor } from "../support/wait.js";

/**
 * An in-process server whose route manager the test holds (to look at the pool and cut single
 * route connections, as Go's tests do through the server's internals), logging into `lines`.
 */
export type ManagedServer = TestServer & { server: NatsServer; manager: RouteManager; lines: string[]; routePort: number };

export async function startManaged(topo: Topology, conf: string): Promise<ManagedServer> {
  const lines: string[] = [];
  const put = (level: string) => (m: string) => void lines.push(`[${level}] ${m}`);
  const logger: Logger = {
    info: put("INF"),
    warn: put("WRN"),
    error: put("ERR"),
    fatal: put("FTL"),
    debug: put("DBG"),
    trace: () => {},
    debugEnabled: true,
    traceEnabled: false,
  };
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
