import { afterEach, describe, expect, test } from "vitest";
import { gatewayTuning } from "../../src/gateway/index.js";
import { gatewayConf, gatewayOf, Topology, tuneGateways, waitFor, type InProcess } from "./helpers.js";

tuneGateways();

describe("gateways between two nats-ts clusters", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  test("pub/sub both ways between two clusters", async () => {
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    const gotB: string[] = [];
    const gotA: string[] = [];
    cb.subscribe("foo", { callback: (_e, m) => void gotB.push(m.string()) });
    ca.subscribe("bar", { callback: (_e, m) => void gotA.push(m.string()) });
    await cb.flush();
    await ca.flush();
    await waitFor(async () => {
      ca.publish("foo", "from A");
      cb.publish("bar", "from B");
      await ca.flush();
      await cb.flush();
      await new Promise((r) => setTimeout(r, 30));
      return gotB.length > 0 && gotA.length > 0;
    }, "messages across");
    expect(gotB[0]).toBe("from A");
    expect(gotA[0]).toBe("from B");
  });

  test("TestGatewayBasic: gateways go away with the remote, come back with it, and an implicit one is dropped", async () => {
    // Random ports; a server restarts on the port it had.
    let b = await topo.inProcess(gatewayConf("B", -1, {}, "", "connect_retries: 0"));
    const pb = gatewayOf(b).port;
    const confB = gatewayConf("B", pb, {}, "", "connect_retries: 0");
    let a = await topo.inProcess(gatewayConf("A", -1, { B: pb }));
    const pa = gatewayOf(a).port;
    const counts = (s: InProcess) => [gatewayOf(s).outbound.size, gatewayOf(s).inbound.size];
    await waitFor(() => counts(a).join() === "1,1" && counts(b).join() === "1,1", "connected");

    await b.stop();
    await waitFor(() => counts(a).join() === "0,0", "A without B");
    b = await topo.inProcess(confB);
    await waitFor(() => counts(a).join() === "1,1" && counts(b).join() === "1,1", "reconnected");

    // B's gateway to A is implicit: once A is gone (and B's single retry failed) B forgets it.
    await a.stop();
    await waitFor(() => !gatewayOf(b).remotes.has("A"), "B drops A");
    a = await topo.inProcess(gatewayConf("A", pa, {}));
    await new Promise((r) => setTimeout(r, 200));
    expect(counts(a)).toEqual([0, 0]);
    expect(counts(b)).toEqual([0, 0]);
    expect(gatewayOf(b).remotes.has("A")).toBe(false);
  });

  test("TestGatewaySolicitDelay: configured gateways are solicited only after the delay, and not at all once stopped", async () => {
    gatewayTuning.solicitDelay = 300;
    try {
      const b = await topo.inProcess(gatewayConf("B", -1, {}));
      const started = performance.now();
      const a = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(b).port }));
      await new Promise((r) => setTimeout(r, 150));
      if (performance.now() - started < 300) expect(gatewayOf(a).outbound.size).toBe(0);
      await waitFor(() => gatewayOf(a).outbound.size === 1 && gatewayOf(b).inbound.size === 1, "A -> B after the delay");
      await a.stop();
      await waitFor(() => gatewayOf(b).inbound.size === 0, "B without A");

      // Stopped while waiting for its solicit delay: it never connects.
      const again = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(b).port }));
      await again.stop();
      await new Promise((r) => setTimeout(r, 400));
      expect(gatewayOf(b).inbound.size).toBe(0);
    } finally {
      gatewayTuning.solicitDelay = 10;
    }
  });
});
