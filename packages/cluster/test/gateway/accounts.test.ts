import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { publishUntil, Topology, tuneGateways, waitFor, type InProcess } from "./helpers.js";

tuneGateways({ solicitDelay: 10 });

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
    await publishUntil(fooA, "plain", () => inFoo.length > 0, "FOO to FOO", { data: "foo only" });
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
    await publishUntil(fooB, "events.created", () => got.length > 0, "stream import across the gateway", { data: "e1" });
    expect(got[0]).toBe("events.created e1");
  });
});
