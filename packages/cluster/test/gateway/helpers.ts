import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startInProcess, type TestServer } from "../support/servers.js";
import type { GatewayService } from "../../src/gateway/index.js";
import type { NatsServer } from "@nats-ts/core";

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

/** Conf text of a one-server cluster `name` whose gateway listens on `port` and knows `remotes`. */
export function gatewayConf(name: string, port: number, remotes: Record<string, number>, extra = "", gwExtra = ""): string {
  const list = Object.entries(remotes)
    .map(([n, p]) => `{ name: "${n}", url: "nats://127.0.0.1:${p}" }`)
    .join(", ");
  return `port: -1\nserver_name: "${name}-1"\n${extra}\ngateway {\n name: "${name}"\n host: 127.0.0.1\n port: ${port}\n gateways: [ ${list} ]\n ${gwExtra}\n}\n`;
}

export type InProcess = TestServer & { server: NatsServer };

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

  async stop(): Promise<void> {
    for (const nc of this.clients.splice(0)) await nc.close().catch(() => undefined);
    for (const s of this.servers.splice(0).reverse()) await s.stop().catch(() => undefined);
  }
}

/** Whether an in-process server has both an outbound and an inbound gateway to/from `remote`. */
export function connected(s: InProcess, remote: string): boolean {
  const gw = gatewayOf(s);
  return gw.outbound.has(remote) && [...gw.inbound.values()].some((c) => c.name === remote);
}
