import { afterEach, describe, expect, test } from "vitest";
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
});
