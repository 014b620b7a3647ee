import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { gatewayTuning } from "../../src/gateway/index.js";
import { startGo, type TestServer } from "../support/servers.js";
import { Topology, connected, gatewayConf, gatewayOf, waitFor, type InProcess } from "./helpers.js";

const saved = { ...gatewayTuning };
beforeAll(() => {
  gatewayTuning.solicitDelay = 10;
  gatewayTuning.reconnectDelay = 100;
  gatewayTuning.connectDelay = 100;
});
afterAll(() => Object.assign(gatewayTuning, saved));

/** Go's conf for a one-server cluster B gatewayed to A, every port random. */
function goConf(aPort: number): string {
  return `port: -1\nhttp: "127.0.0.1:-1"\nserver_name: "B-go"\ngateway {\n name: "B"\n host: 127.0.0.1\n port: -1\n gateways: [ { name: "A", url: "nats://127.0.0.1:${aPort}" } ]\n}\n`;
}

async function goGatewayz(httpPort: number): Promise<{ outbound_gateways: Record<string, unknown>; inbound_gateways: Record<string, unknown[]> }> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/gatewayz`);
  return (await r.json()) as { outbound_gateways: Record<string, unknown>; inbound_gateways: Record<string, unknown[]> };
}

async function request(nc: NatsConnection, subject: string, data: string): Promise<string> {
  return waitFor(async () => {
    try {
      return (await nc.request(subject, data, { timeout: 500 })).string();
    } catch {
      return undefined;
    }
  }, `answer on ${subject}`, 15_000);
}

describe("a nats-ts cluster gatewayed to a Go 2.9 cluster", () => {
  const topo = new Topology();
  let a: InProcess;
  let b: TestServer;
  let httpPort = 0;

  beforeAll(async () => {
    // A knows nothing of B: Go's explicit gateway connects, A connects back implicitly.
    a = await topo.inProcess(gatewayConf("A", -1, {}));
    b = topo.add(await startGo(goConf(gatewayOf(a).port)));
    httpPort = Number(await waitFor(() => /Starting http monitor on [^\s]+:(\d+)/.exec(b.log())?.[1], "Go's monitoring port"));
    await waitFor(async () => {
      if (!connected(a, "B")) return false;
      const z = await goGatewayz(httpPort);
      return z.outbound_gateways.A !== undefined && (z.inbound_gateways.A?.length ?? 0) > 0;
    }, "gateways between nats-ts A and Go B", 15_000);
  }, 30_000);
  afterAll(() => topo.stop());

  const clients: NatsConnection[] = [];
  afterEach(async () => {
    for (const nc of clients.splice(0)) await nc.close();
  });
  const client = async (s: TestServer) => {
    const nc = await topo.client(s);
    clients.push(nc);
    return nc;
  };

  test("handshake: Go switches A's accounts to interest-only and both sides report the connection", async () => {
    const gwA = gatewayOf(a);
    const out = gwA.outbound.get("B")!;
    expect(out.remoteInterestOnly).toBe(true);
    const z = await goGatewayz(httpPort);
    expect(Object.keys(z.outbound_gateways)).toEqual(["A"]);
    expect(z.inbound_gateways.A.length).toBe(1);
    // Our inbound side switched Go's outbound to interest-only (INFO commands with the account).
    await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${httpPort}/gatewayz?accs=1`);
      const accs = ((await r.json()) as { outbound_gateways: Record<string, { accounts?: { name: string; interest_mode: string }[] }> }).outbound_gateways.A.accounts ?? [];
      return accs.find((x) => x.name === "$G")?.interest_mode === "Interest-Only";
    }, "Go's outbound to A interest-only for $G", 15_000);
  });

  test("pub/sub both ways, then interest removal", async () => {
    const ca = await client(a);
    const cb = await client(b);
    const inB: string[] = [];
    const inA: string[] = [];
    const subB = cb.subscribe("to.go", { callback: (_e, m) => void inB.push(m.string()) });
    ca.subscribe("to.ts", { callback: (_e, m) => void inA.push(m.string()) });
    await cb.flush();
    await ca.flush();
    await waitFor(async () => {
      ca.publish("to.go", "hello go");
      cb.publish("to.ts", "hello ts");
      await ca.flush();
      await cb.flush();
      await new Promise((r) => setTimeout(r, 30));
      return inB.length > 0 && inA.length > 0;
    }, "both directions", 15_000);
    expect(inB[0]).toBe("hello go");
    expect(inA[0]).toBe("hello ts");

    // Headers cross too.
    const { headers } = await import("@nats-io/transport-node");
    const h = headers();
    h.set("X-Test", "1");
    const withHeaders: string[] = [];
    ca.subscribe("hdr.ts", { callback: (_e, m) => void withHeaders.push(m.headers?.get("X-Test") ?? "") });
    await ca.flush();
    await waitFor(async () => {
      cb.publish("hdr.ts", "h", { headers: h });
      await cb.flush();
      await new Promise((r) => setTimeout(r, 30));
      return withHeaders.length > 0;
    }, "headers from Go", 15_000);
    expect(withHeaders[0]).toBe("1");

    subB.unsubscribe();
    await cb.flush();
    const gwA = gatewayOf(a);
    await waitFor(() => {
      const e = gwA.outboundInterest.get(gwA.outbound.get("B")!)?.get("$G");
      return e !== undefined && !e.subscriptions().some((s) => s.subject === "to.go");
    }, "Go's RS- for to.go", 15_000);
    const before = gwA.outbound.get("B")!.outMsgs;
    ca.publish("to.go", "late");
    await ca.flush();
    expect(gwA.outbound.get("B")!.outMsgs).toBe(before);
  });

  test("queue groups: local members first, each message once across clusters", async () => {
    const ca = await client(a);
    const cb = await client(b);
    const counts = { a: 0, b1: 0, b2: 0 };
    const qa = ca.subscribe("jobs", { queue: "workers", callback: () => void counts.a++ });
    cb.subscribe("jobs", { queue: "workers", callback: () => void counts.b1++ });
    cb.subscribe("jobs", { queue: "workers", callback: () => void counts.b2++ });
    await ca.flush();
    await cb.flush();
    const gwA = gatewayOf(a);
    await waitFor(() => gwA.outboundInterest.get(gwA.outbound.get("B")!)?.get("$G")?.queueSubCount === 1, "Go's queue interest at A", 15_000);
    for (let i = 0; i < 30; i++) ca.publish("jobs", String(i));
    await ca.flush();
    await waitFor(() => counts.a === 30, "local deliveries in A");
    for (let i = 0; i < 30; i++) cb.publish("jobs", String(i));
    await cb.flush();
    await waitFor(() => counts.b1 + counts.b2 === 30, "local deliveries in Go");
    expect(counts.a).toBe(30);

    qa.unsubscribe();
    await ca.flush();
    counts.b1 = counts.b2 = 0;
    for (let i = 0; i < 60; i++) ca.publish("jobs", String(i));
    await ca.flush();
    await waitFor(() => counts.b1 + counts.b2 === 60, "all 60 in Go's group");
    await new Promise((r) => setTimeout(r, 100));
    expect(counts.b1 + counts.b2).toBe(60);

    // And the other way: a group only in nats-ts gets Go's messages once each.
    const inA = { n: 0 };
    ca.subscribe("jobs.ts", { queue: "w", callback: () => void inA.n++ });
    ca.subscribe("jobs.ts", { queue: "w", callback: () => void inA.n++ });
    await ca.flush();
    await waitFor(async () => {
      cb.publish("jobs.ts", "probe");
      await cb.flush();
      await new Promise((r) => setTimeout(r, 30));
      return inA.n > 0;
    }, "Go reaches A's group", 15_000);
    inA.n = 0;
    for (let i = 0; i < 40; i++) cb.publish("jobs.ts", String(i));
    await cb.flush();
    await waitFor(() => inA.n === 40, "40 in A's group");
    await new Promise((r) => setTimeout(r, 100));
    expect(inA.n).toBe(40);
  });

  test("request/reply across clusters both ways", async () => {
    const ca = await client(a);
    const cb = await client(b);
    cb.subscribe("svc.go", { callback: (_e, m) => void m.respond(`go: ${m.string()}`) });
    ca.subscribe("svc.ts", { callback: (_e, m) => void m.respond(`ts: ${m.string()}`) });
    await cb.flush();
    await ca.flush();
    expect(await request(ca, "svc.go", "q1")).toBe("go: q1");
    expect(await request(cb, "svc.ts", "q2")).toBe("ts: q2");
    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => ca.request("svc.go", String(i), { timeout: 3000 })));
    expect(many.map((m) => m.string())).toEqual(Array.from({ length: 10 }, (_, i) => `go: ${i}`));
  });
});
