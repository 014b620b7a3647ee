import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { clusterUrls } from "../../src/shared/cluster-urls.js";
import { startGo, type TestServer } from "../support/servers.js";
import { connected, gatewayConf, gatewayCounts, gatewayOf, loggedListenPort, goMember, memberConf, publishUntil, routePort, Topology, tuneGateways, waitFor, type InProcess } from "./helpers.js";

tuneGateways({ solicitDelay: 10, reconnectDelay: 100, connectDelay: 100 });

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
    await publishUntil(cb, "jobs.ts", () => inA.n > 0, "Go reaches A's group", { timeout: 15_000 });
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

describe("implicit gateways with Go 2.9 servers", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  /** A Go server of cluster `name` with every port random and its monitoring port, from its log. */
  async function go(name: string, server: string, seeds: number[], remotes: Record<string, number>, withCluster = true): Promise<TestServer & { http: number }> {
    let conf = `http: "127.0.0.1:-1"\n${goMember(name, server, -1, -1, seeds, -1, remotes)}`;
    if (!withCluster) conf = conf.replace(/cluster \{[^\n]*\}\n/, "");
    const s = topo.add(await startGo(conf));
    const http = Number(await waitFor(() => /Starting http monitor on [^\s]+:(\d+)/.exec(s.log())?.[1], "Go's monitoring port"));
    return Object.assign(s, { http });
  }

  const goOutbound = async (s: { http: number }) => Object.keys((await goGatewayz(s.http)).outbound_gateways).sort();

  test("two nats-ts clusters meet through a Go cluster they both configured, and talk directly", async () => {
    const b = await go("B", "B-go", [], {}, false);
    const pb = await loggedListenPort(b, "gateways");
    const a = await topo.inProcess(gatewayConf("A", -1, { B: pb }));
    const c = await topo.inProcess(gatewayConf("C", -1, { B: pb }));
    // Go gossips each cluster to the other's inbound connection; they connect to each other implicitly.
    await waitFor(() => ["B", "C"].every((n) => connected(a, n)) && ["A", "B"].every((n) => connected(c, n)), "A <-> C learnt through Go's B", 15_000);
    await waitFor(async () => (await goOutbound(b)).join() === "A,C", "Go's implicit outbound gateways to A and C", 15_000);
    const z = gatewayOf(a).gatewayz({ name: "", accounts: false, accountName: "", subscriptions: false, subscriptionsDetail: false });
    expect((z.outbound_gateways as Record<string, { configured: boolean }>).C.configured).toBe(false);
    const got: string[] = [];
    const cc = await topo.client(c);
    cc.subscribe("a.to.c", { callback: (_e, m) => void got.push(m.string()) });
    await cc.flush();
    const ca = await topo.client(a);
    await publishUntil(ca, "a.to.c", () => got.length > 0, "A -> C over the implicit gateway", { data: "hi", timeout: 15_000 });
    expect(gatewayOf(a).outbound.get("C")!.outMsgs).toBeGreaterThan(0);
  }, 30_000);

  test("TestGatewayCreateImplicit with Go: both Go servers of a cluster connect to a nats-ts cluster that reached one of them", async () => {
    const b1 = await go("B", "B1", [], {});
    const b2 = await go("B", "B2", [await loggedListenPort(b1, "route")], {});
    // B1 and B2 form their cluster and exchange gateway URLs over their routes.
    await waitFor(() => /Route connection created/.test(b2.log()), "Go cluster B formed", 15_000);
    const a = await topo.inProcess(gatewayConf("A", -1, { B: await loggedListenPort(b1, "gateways") }));
    await waitFor(async () => (await goOutbound(b1)).join() === "A" && (await goOutbound(b2)).join() === "A", "both Go servers have an outbound to A", 15_000);
    await waitFor(() => [...gatewayOf(a).inbound.values()].filter((c) => c.name === "B").length === 2, "A's inbound from B1 and B2", 15_000);
    // A learnt B2's gateway URL from B1's INFO (Go's TestGatewayURLsFromClusterSentInINFO).
    expect(gatewayOf(a).remotes.get("B")!.urls.size).toBe(2);
  }, 30_000);

  test("a nats-ts member of a Go cluster connects to the cluster its Go peer reached, told over their route", async () => {
    const b1 = await go("B", "B1", [], {});
    const b2 = await topo.inProcess(memberConf("B", "B2", [await loggedListenPort(b1, "route")], {}));
    await waitFor(() => clusterUrls(b2.server, "gateway").memberUrls().length === 1, "Go's B1 and nats-ts B2 routed", 15_000);
    const a = await topo.inProcess(gatewayConf("A", -1, { B: await loggedListenPort(b1, "gateways") }));
    await waitFor(() => gatewayCounts(b2).out === 1 && gatewayOf(b2).remotes.get("A")?.implicit === true, "B2's implicit outbound to A", 15_000);
    await waitFor(() => gatewayCounts(a).in === 2, "A's inbound from B1 and B2", 15_000);
    // A member joining later hears of A from Go's B1 as soon as their route is up (Go's sendGatewayConfigsToRoute).
    const b3 = await topo.inProcess(memberConf("B", "B3", [await loggedListenPort(b1, "route")], {}));
    await waitFor(() => gatewayCounts(b3).out === 1 && gatewayCounts(a).in === 3, "B3's implicit outbound to A", 15_000);
  }, 30_000);

  test("a Go member of a nats-ts cluster connects to the cluster its nats-ts peer reached, told over their route", async () => {
    const b1 = await topo.inProcess(memberConf("B", "B1", [], {}));
    const b2 = await go("B", "B2", [routePort(b1)], {});
    await waitFor(() => clusterUrls(b1.server, "gateway").memberUrls().length === 1, "nats-ts B1 and Go's B2 routed", 15_000);
    const a = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(b1).port }));
    // B1 forwards A's gateway INFO to Go's B2, which connects to A (and A learnt B2's URL from B1's INFO).
    await waitFor(async () => (await goOutbound(b2)).join() === "A", "Go's B2 has an outbound to A", 15_000);
    await waitFor(() => gatewayCounts(a).in === 2, "A's inbound from B1 and B2", 15_000);
    expect(gatewayOf(a).remotes.get("B")!.urls.size).toBe(2);
  }, 30_000);
});
