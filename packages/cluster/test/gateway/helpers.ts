import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll } from "vitest";
import { listenerPort, startInProcess, type TestServer } from "../support/servers.js";
import { Topology as SupportTopology, type LoggedServer } from "../support/topology.js";
import { gatewayTuning, type GatewayService } from "../../src/gateway/index.js";
import { clusterUrls } from "../../src/shared/cluster-urls.js";
import type { ClusterPlugin } from "../../src/plugin.js";
import type { NatsServer } from "@nats-ts/core";

/**
 * Sets gateway timings for the tests of one file, as Go's tests do (SetGatewaysSolicitDelay ...),
 * and puts Go's defaults back after them. Returns those defaults, for a test that changes a value
 * on its own. With no argument: the solicit and reconnect delays that make in-process tests quick.
 */
export function tuneGateways(values: Partial<typeof gatewayTuning> = { solicitDelay: 10, reconnectDelay: 50, connectDelay: 50 }): Readonly<typeof gatewayTuning> {
  const saved = { ...gatewayTuning };
  beforeAll(() => void Object.assign(gatewayTuning, values));
  afterAll(() => void Object.assign(gatewayTuning, saved));
  return saved;
}

/** Polls until `check` returns true (or a truthy value), failing after `timeout` ms. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeout = 10_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Publishes `data` on `subject` (flushing, then a short pause) until `done` holds: interest may
 * still be on its way to the publisher's server.
 */
export async function publishUntil(
  nc: NatsConnection,
  subject: string,
  done: () => boolean,
  what: string,
  { data = "probe", timeout = 10_000 }: { data?: string; timeout?: number } = {},
): Promise<void> {
  await waitFor(async () => {
    nc.publish(subject, data);
    await nc.flush();
    await new Promise((r) => setTimeout(r, 30));
    return done();
  }, what, timeout);
}

/** Conf text of a one-server cluster `name` whose gateway listens on `port` and knows `remotes`. */
export function gatewayConf(name: string, port: number, remotes: Record<string, number>, extra = "", gwExtra = ""): string {
  const list = Object.entries(remotes)
    .map(([n, p]) => `{ name: "${n}", url: "nats://127.0.0.1:${p}" }`)
    .join(", ");
  return `port: -1\nserver_name: "${name}-1"\n${extra}\ngateway {\n name: "${name}"\n host: 127.0.0.1\n port: ${port}\n gateways: [ ${list} ]\n ${gwExtra}\n}\n`;
}

/**
 * Conf text of server `server` of cluster `name`: routes (random port) to the route ports
 * `routes`, a gateway (random port unless given) to `remotes`.
 */
export function memberConf(name: string, server: string, routes: number[], remotes: Record<string, number>, gwPort = -1): string {
  const seeds = routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
  const cluster = `cluster { name: "${name}", host: 127.0.0.1, port: -1, routes: [${seeds}] }`;
  return gatewayConf(name, gwPort, remotes, cluster).replace(`server_name: "${name}-1"`, `server_name: "${server}"`);
}

/** Go conf text of server `server` of cluster `name` (ports as given; -1 for random ones, read back from the log). */
export function goMember(name: string, server: string, clientPort: number, routePort: number, seeds: number[], gwPort: number, remotes: Record<string, number>): string {
  const routes = seeds.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ");
  const list = Object.entries(remotes)
    .map(([n, p]) => `{ name: "${n}", url: "nats://127.0.0.1:${p}" }`)
    .join(", ");
  return `port: ${clientPort}\nserver_name: "${server}"\ncluster { name: "${name}", host: 127.0.0.1, port: ${routePort}, routes: [${routes}] }\ngateway { name: "${name}", host: 127.0.0.1, port: ${gwPort}, gateways: [ ${list} ] }\n`;
}

/** The port a child process (Go or nats-ts) logged for its `gateways` (or `route`) listener. */
export function loggedListenPort(s: TestServer, listener: "gateways" | "route"): Promise<number> {
  const re = new RegExp(`Listening for ${listener} connections on [^\\s]+:(\\d+)`);
  return waitFor(() => Number(re.exec(s.log())?.[1] ?? 0), `${listener} port of ${s.url}`, 15_000);
}

export type InProcess = TestServer & { server: NatsServer };

/** The port an in-process server's route listener is bound to. */
export function routePort(s: InProcess): number {
  return listenerPort(s.server, "cluster");
}

/** Whether every server of `servers` has a route to all the others (their gateway URLs crossed the routes). */
export function meshed(servers: InProcess[]): boolean {
  return servers.every((s) => clusterUrls(s.server, "gateway").memberUrls().length === servers.length - 1);
}

/** How many servers an in-process server has routes to (the distinct remote ids of its /routez: a pool has several routes to one server). */
export function numRoutes(s: InProcess): number {
  const plugin = s.server.plugin("cluster") as unknown as ClusterPlugin;
  const routes = (plugin.routez({ subscriptions: false, subscriptionsDetail: false })?.routes ?? []) as { remote_id: string }[];
  return new Set(routes.map((r) => r.remote_id)).size;
}

/** Number of outbound and inbound gateway connections of a server (Go's numOutboundGateways / numInboundGateways). */
export function gatewayCounts(s: InProcess): { out: number; in: number } {
  const gw = gatewayOf(s);
  return { out: gw.outbound.size, in: gw.inbound.size };
}

/** The gateway service of an in-process server. */
export function gatewayOf(s: InProcess): GatewayService {
  const plugin = s.server.plugin("cluster") as unknown as { services: unknown[] };
  const gw = plugin.services.find((x) => (x as { outboundInterest?: unknown }).outboundInterest !== undefined);
  if (gw === undefined) throw new Error("no gateway service");
  return gw as GatewayService;
}

/** Tracks servers and clients a test starts, to stop them all afterwards. */
export class Topology {
  private readonly servers: TestServer[] = [];
  private readonly clients: NatsConnection[] = [];
  /** Servers whose log lines a test reads. */
  private readonly withLogs = new SupportTopology();

  async inProcess(conf: string): Promise<InProcess> {
    const s = await startInProcess(conf);
    this.servers.push(s);
    return s;
  }

  add<T extends TestServer>(s: T): T {
    this.servers.push(s);
    return s;
  }

  async client(s: TestServer): Promise<NatsConnection> {
    const nc = await connect({ servers: s.url, reconnect: false });
    this.clients.push(nc);
    return nc;
  }

  /**
   * Two one-server clusters: B on a random gateway port, A configured with B (B connects back
   * to A implicitly, from A's INFO). No port is picked ahead, so none can be taken meanwhile.
   */
  async pair(extraA = "", extraB = "", gwExtra = ""): Promise<{ a: InProcess; b: InProcess; pa: number; pb: number }> {
    const b = await this.inProcess(gatewayConf("B", -1, {}, extraB, gwExtra));
    const pb = gatewayOf(b).port;
    const a = await this.inProcess(gatewayConf("A", -1, { B: pb }, extraA, gwExtra));
    await waitFor(() => connected(a, "B") && connected(b, "A"), "gateways A <-> B");
    return { a, b, pa: gatewayOf(a).port, pb };
  }

  /** An in-process server that keeps its log lines (`[ERR] ...`) in `lines`. */
  logged(conf: string): Promise<LoggedServer> {
    return this.withLogs.logged(conf);
  }

  async stop(): Promise<void> {
    for (const nc of this.clients.splice(0)) await nc.close().catch(() => undefined);
    for (const s of this.servers.splice(0).reverse()) await s.stop().catch(() => undefined);
    await this.withLogs.stop();
  }
}

/** Whether an in-process server has both an outbound and an inbound gateway to/from `remote`. */
export function connected(s: InProcess, remote: string): boolean {
  const gw = gatewayOf(s);
  return gw.outbound.has(remote) && [...gw.inbound.values()].some((c) => c.name === remote);
}
