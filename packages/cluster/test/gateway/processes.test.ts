import { afterEach, describe, expect, test } from "vitest";
import { startChild, startGo, type TestServer } from "../support/servers.js";
import { gatewayConf, goMember, loggedListenPort, publishUntil, Topology, waitFor } from "./helpers.js";

// These start nats-ts from the built package (run `pnpm --filter @nats-ts/cluster build` first)
// and Go 2.9 servers as child processes, with Go's default gateway timings.

describe("gateways between server processes", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  test("two nats-ts clusters in child processes: pub/sub, queue, request/reply, restart and reconnect", async () => {
    // Random ports, read from the logs; B restarts later on the gateway port it had, configured with A.
    let b: TestServer = topo.add(await startChild(gatewayConf("B", -1, {})));
    const pb = await loggedListenPort(b, "gateways");
    const a = topo.add(await startChild(gatewayConf("A", -1, { B: pb })));
    const confB = gatewayConf("B", pb, { A: await loggedListenPort(a, "gateways") });
    const registered = () =>
      /Outbound gateway connection to "B" \(\w+\) registered/.test(a.log()) &&
      /Outbound gateway connection to "A" \(\w+\) registered/.test(b.log()) &&
      /Inbound gateway connection from "B" \(\w+\) registered/.test(a.log());
    await waitFor(registered, "gateway logs", 20_000);
    expect(a.log()).toMatch(/Gateway name is A/);
    expect(a.log()).toMatch(/Listening for gateways connections on 127\.0\.0\.1:\d+/);

    const ca = await topo.client(a);
    let cb = await topo.client(b);
    const got: string[] = [];
    cb.subscribe("child.msgs", { callback: (_e, m) => void got.push(m.string()) });
    cb.subscribe("child.svc", { callback: (_e, m) => void m.respond("served by B") });
    let queued = 0;
    cb.subscribe("child.q", { queue: "g", callback: () => void queued++ });
    cb.subscribe("child.q", { queue: "g", callback: () => void queued++ });
    await cb.flush();
    await publishUntil(ca, "child.msgs", () => got.length > 0, "A -> B", { timeout: 20_000 });
    expect((await ca.request("child.svc", "", { timeout: 5000 })).string()).toBe("served by B");
    await publishUntil(ca, "child.q", () => queued > 0, "queue interest", { timeout: 20_000 });
    queued = 0;
    for (let i = 0; i < 50; i++) ca.publish("child.q", String(i));
    await ca.flush();
    await waitFor(() => queued === 50, "50 queue deliveries");
    await new Promise((r) => setTimeout(r, 100));
    expect(queued).toBe(50);

    // Restart B on the same ports: A reconnects and the interest comes back.
    await cb.close();
    await b.stop();
    b = topo.add(await startChild(confB));
    cb = await topo.client(b);
    const again: string[] = [];
    cb.subscribe("child.msgs", { callback: (_e, m) => void again.push(m.string()) });
    await cb.flush();
    await publishUntil(ca, "child.msgs", () => again.length > 0, "A -> restarted B", { timeout: 20_000 });
  }, 60_000);

  test("a Go cluster of two servers gatewayed to a nats-ts cluster", async () => {
    // Every port random: A first, then the Go servers configured with A's gateway (read from the logs).
    const a = topo.add(await startChild(gatewayConf("A", -1, {})));
    const pa = await loggedListenPort(a, "gateways");
    const b1 = topo.add(await startGo(goMember("B", "B1", -1, -1, [], -1, { A: pa })));
    const rb1 = await loggedListenPort(b1, "route");
    const b2 = topo.add(await startGo(goMember("B", "B2", -1, -1, [rb1], -1, { A: pa })));
    await waitFor(() => (a.log().match(/Inbound gateway connection from "B"/g) ?? []).length >= 2, "both Go servers connected to A", 20_000);
    const ca = await topo.client(a);
    const c1 = await topo.client(b1);
    const c2 = await topo.client(b2);
    const onB2: string[] = [];
    const onA: string[] = [];
    c2.subscribe("mixed.b2", { callback: (_e, m) => void onB2.push(m.string()) });
    ca.subscribe("mixed.a", { callback: (_e, m) => void onA.push(m.string()) });
    c1.subscribe("mixed.svc", { callback: (_e, m) => void m.respond("B1 here") });
    await c2.flush();
    await ca.flush();
    await c1.flush();
    await publishUntil(ca, "mixed.b2", () => onB2.length > 0, "A -> B2", { timeout: 20_000 });
    await publishUntil(c2, "mixed.a", () => onA.length > 0, "B2 -> A", { timeout: 20_000 });
    const answer = await waitFor(async () => {
      try {
        return (await ca.request("mixed.svc", "", { timeout: 1000 })).string();
      } catch {
        return undefined;
      }
    }, "request answered in B1", 20_000);
    expect(answer).toBe("B1 here");

    // Queue group spread over both Go servers: each message once.
    let n = 0;
    c1.subscribe("mixed.q", { queue: "w", callback: () => void n++ });
    c2.subscribe("mixed.q", { queue: "w", callback: () => void n++ });
    await c1.flush();
    await c2.flush();
    await publishUntil(ca, "mixed.q", () => n > 0, "queue interest from Go", { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 200));
    n = 0;
    for (let i = 0; i < 60; i++) ca.publish("mixed.q", String(i));
    await ca.flush();
    await waitFor(() => n === 60, "60 queue deliveries in Go's cluster");
    await new Promise((r) => setTimeout(r, 150));
    expect(n).toBe(60);
  }, 60_000);
});
