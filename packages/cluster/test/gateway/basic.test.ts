import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { gatewayTuning } from "../../src/gateway/index.js";
import { Topology, waitFor } from "./helpers.js";

const saved = { ...gatewayTuning };
beforeAll(() => {
  gatewayTuning.solicitDelay = 10;
  gatewayTuning.reconnectDelay = 50;
  gatewayTuning.connectDelay = 50;
});
afterAll(() => Object.assign(gatewayTuning, saved));

describe("gateways between two nats-ts clusters", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  test("TestGatewayBasic: pub/sub both ways between two clusters", async () => {
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
});
