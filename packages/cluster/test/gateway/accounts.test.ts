import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { gatewayTuning } from "../../src/gateway/index.js";
import { Topology, waitFor, type InProcess } from "./helpers.js";

const saved = { ...gatewayTuning };
beforeAll(() => {
  gatewayTuning.solicitDelay = 10;
});
afterAll(() => Object.assign(gatewayTuning, saved));

const ACCOUNTS = `accounts {
  FOO { users [ { user: foo, password: foo } ], exports [ { service: "svc.>" }, { stream: "events.>" } ] }
  BAR { users [ { user: bar, password: bar } ], imports [ { service: { account: FOO, subject: "svc.>" } }, { stream: { account: FOO, subject: "events.>" } } ] }
}`;

describe("accounts across gateways", () => {
  const topo = new Topology();
  const clients: NatsConnection[] = [];
  afterEach(async () => {
    for (const nc of clients.splice(0)) await nc.close().catch(() => undefined);
    await topo.stop();
  });
  const as = async (s: InProcess, user: string) => {
    const nc = await connect({ servers: s.url, user, pass: user, reconnect: false });
    clients.push(nc);
    return nc;
  };

  test("messages stay in their account across clusters", async () => {
    const { a, b } = await topo.pair(ACCOUNTS, ACCOUNTS);
    const fooA = await as(a, "foo");
    const barB = await as(b, "bar");
    const fooB = await as(b, "foo");
    const inBar: string[] = [];
    const inFoo: string[] = [];
    barB.subscribe("plain", { callback: (_e, m) => void inBar.push(m.string()) });
    fooB.subscribe("plain", { callback: (_e, m) => void inFoo.push(m.string()) });
    await barB.flush();
    await fooB.flush();
    await waitFor(async () => {
      fooA.publish("plain", "foo only");
      await fooA.flush();
      await new Promise((r) => setTimeout(r, 30));
      return inFoo.length > 0;
    }, "FOO to FOO");
    expect(inBar).toEqual([]);
  });

  test("a service imported in one cluster is answered by the exporter in the other", async () => {
    const { a, b } = await topo.pair(ACCOUNTS, ACCOUNTS);
    const barA = await as(a, "bar");
    const fooB = await as(b, "foo");
    fooB.subscribe("svc.echo", { callback: (_e, m) => void m.respond(`FOO in B: ${m.string()}`) });
    await fooB.flush();
    const answer = await waitFor(async () => {
      try {
        return (await barA.request("svc.echo", "hi", { timeout: 500 })).string();
      } catch {
        return undefined;
      }
    }, "service answer across the gateway");
    expect(answer).toBe("FOO in B: hi");
  });

  test("a stream exported in one cluster reaches the importer's subscribers in the other", async () => {
    const { a, b } = await topo.pair(ACCOUNTS, ACCOUNTS);
    const barA = await as(a, "bar");
    const fooB = await as(b, "foo");
    const got: string[] = [];
    barA.subscribe("events.>", { callback: (_e, m) => void got.push(`${m.subject} ${m.string()}`) });
    await barA.flush();
    await waitFor(async () => {
      fooB.publish("events.created", "e1");
      await fooB.flush();
      await new Promise((r) => setTimeout(r, 30));
      return got.length > 0;
    }, "stream import across the gateway");
    expect(got[0]).toBe("events.created e1");
  });
});
