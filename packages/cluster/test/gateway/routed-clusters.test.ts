import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { gatewayConf, gatewayOf, memberConf, publishUntil, routePort, Topology, tuneGateways, waitFor, type InProcess } from "./helpers.js";

tuneGateways();

describe("a two-server cluster (routes) gatewayed to another cluster", () => {
  const topo = new Topology();
  let a1: InProcess;
  let a2: InProcess;
  let b: InProcess;

  beforeAll(async () => {
    // Every port random; A2 seeds from the route port A1 bound.
    b = await topo.inProcess(gatewayConf("B", -1, {}));
    const gb = gatewayOf(b).port;
    a1 = await topo.inProcess(memberConf("A", "A1", [], { B: gb }));
    a2 = await topo.inProcess(memberConf("A", "A2", [routePort(a1)], { B: gb }));
    // B's one outbound to A goes to either server of A.
    await waitFor(() => gatewayOf(a1).outbound.has("B") && gatewayOf(a2).outbound.has("B") && gatewayOf(b).outbound.has("A"), "gateways");
    await waitFor(() => [...gatewayOf(b).inbound.values()].filter((c) => c.name === "A").length === 2, "B's inbound from A1 and A2");
  }, 20_000);
  afterAll(() => topo.stop());

  const clients: NatsConnection[] = [];
  afterEach(async () => {
    for (const nc of clients.splice(0)) await nc.close();
  });
  const client = async (s: InProcess) => {
    const nc = await topo.client(s);
    clients.push(nc);
    return nc;
  };

  test("messages cross between any server of A and B", async () => {
    const c1 = await client(a1);
    const c2 = await client(a2);
    const cb = await client(b);
    const onA2: string[] = [];
    const onB: string[] = [];
    c2.subscribe("to.a2", { callback: (_e, m) => void onA2.push(m.string()) });
    cb.subscribe("to.b", { callback: (_e, m) => void onB.push(m.string()) });
    await c2.flush();
    await cb.flush();
    await publishUntil(cb, "to.a2", () => onA2.length > 0, "B -> A2 (directly or over the route)");
    await publishUntil(c2, "to.b", () => onB.length > 0, "A2 -> its own outbound -> B");
    onB.length = 0;
    await publishUntil(c1, "to.b", () => onB.length > 0, "A1 -> B");
  });

  test("queue groups: a member elsewhere in the cluster beats one in another cluster, once per message", async () => {
    const c1 = await client(a1);
    const c2 = await client(a2);
    const cb = await client(b);
    const counts = { a1: 0, b: 0 };
    c1.subscribe("tasks", { queue: "q", callback: () => void counts.a1++ });
    cb.subscribe("tasks", { queue: "q", callback: () => void counts.b++ });
    await c1.flush();
    await cb.flush();
    const gw2 = gatewayOf(a2);
    await waitFor(() => gw2.outboundInterest.get(gw2.outbound.get("B")!)?.get("$G")?.queueSubCount === 1, "B's queue interest at A2");
    await waitFor(async () => {
      counts.a1 = 0;
      c2.publish("tasks", "probe");
      await c2.flush();
      await new Promise((r) => setTimeout(r, 30));
      return counts.a1 > 0;
    }, "A1's member known at A2");
    counts.a1 = counts.b = 0;
    for (let i = 0; i < 100; i++) c2.publish("tasks", String(i));
    await c2.flush();
    await waitFor(() => counts.a1 + counts.b === 100, "100 deliveries");
    await new Promise((r) => setTimeout(r, 100));
    expect(counts).toEqual({ a1: 100, b: 0 });
  });

  test("routes carry each member's gateway URL, so B learns every server of A (Go's route INFO gateway_url)", async () => {
    const urlA1 = gatewayOf(a1).gatewayUrl;
    const urlA2 = gatewayOf(a2).gatewayUrl;
    await waitFor(() => gatewayOf(a1).clusterUrls.has(urlA2) && gatewayOf(a2).clusterUrls.has(urlA1), "A's members know each other's gateway URL");
    await waitFor(() => {
      const known = gatewayOf(b).remotes.get("A")?.hostPorts() ?? [];
      return known.includes(urlA1) && known.includes(urlA2);
    }, "B knows both of A's gateway URLs");
  });

  test("request from a server that has no inbound from B is answered in B", async () => {
    const c2 = await client(a2);
    const cb = await client(b);
    cb.subscribe("svc", { callback: (_e, m) => void m.respond(`B: ${m.string()}`) });
    await cb.flush();
    const answer = await waitFor(async () => {
      try {
        return (await c2.request("svc", "ping", { timeout: 500 })).string();
      } catch {
        return undefined;
      }
    }, "answer from B");
    expect(answer).toBe("B: ping");
    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => c2.request("svc", String(i), { timeout: 3000 })));
    expect(many.map((m) => m.string())).toEqual(Array.from({ length: 10 }, (_, i) => `B: ${i}`));
  });
});

describe("clusters growing while gatewayed", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  test("TestGatewaySendsToNonLocalSubs: messages reach subscribers on servers without the gateway connection", async () => {
    const b1 = await topo.inProcess(memberConf("B", "B1", [], {}));
    const gb1 = gatewayOf(b1).port;
    const a1 = await topo.inProcess(memberConf("A", "A1", [], { B: gb1 }));
    const a2 = await topo.inProcess(memberConf("A", "A2", [routePort(a1)], { B: gb1 }));
    await waitFor(() => gatewayOf(a2).outbound.has("B") && [...gatewayOf(b1).inbound.values()].filter((c) => c.name === "A").length === 2, "A2 joined");

    const got: string[] = [];
    let sub = await topo.client(a2);
    sub.subscribe("foo", { callback: (_e, m) => void got.push(m.string()) });
    await sub.flush();
    let pub = await topo.client(b1);
    await publishUntil(pub, "foo", () => got.length > 0, "B1 -> A2 (directly or over the route)");
    await sub.close();
    await pub.close();

    // B2 joins B by route and opens its gateway to A2 only.
    const b2 = await topo.inProcess(memberConf("B", "B2", [routePort(b1)], { A: gatewayOf(a2).port }));
    await waitFor(() => gatewayOf(b2).outbound.has("A"), "B2's outbound");
    got.length = 0;
    sub = await topo.client(a1);
    sub.subscribe("foo", { callback: (_e, m) => void got.push(m.string()) });
    await sub.flush();
    pub = await topo.client(b2);
    await publishUntil(pub, "foo", () => got.length > 0, "B2 -> A1 (directly or over the route)");
  });
});
