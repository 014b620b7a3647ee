import { afterEach, describe, expect, test } from "vitest";
import { listenerPort, startGo } from "../support/servers.js";
import { memberConf, numRoutes, Topology, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

const ACCOUNTS = `
  accounts {
    FOO: {
      users: [{ user: foo, password: foo }]
      exports: [{ stream: "foo" }, { service: "svc" }]
    }
    BAR: {
      users: [{ user: bar, password: bar }]
      imports: [{ stream: { account: FOO, subject: "foo" } }, { service: { account: FOO, subject: "svc" } }]
    }
  }
`;

async function runServers() {
  const a = await topo.inProcess(memberConf({ cluster: "acc", port: -1, extra: ACCOUNTS }));
  const b = await topo.inProcess(memberConf({ cluster: "acc", port: -1, routes: [listenerPort(a.server, "cluster")], extra: ACCOUNTS }));
  await waitFor("route", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
  return { a, b };
}

describe("routes: accounts, imports and exports across servers", () => {
  test("TestNewRouteStreamImport: a stream exported on one server reaches the importing account on the other, once", async () => {
    const { a, b } = await runServers();
    const producer = await topo.client(a.url, { user: "foo", pass: "foo" });
    const consumer = await topo.client(b.url, { user: "bar", pass: "bar" });
    const got: string[] = [];
    const sub = consumer.subscribe("foo", { callback: (_e, m) => { got.push(m.string()); } });
    await consumer.flush();
    await waitFor("stream flowing", async () => {
      producer.publish("foo", "probe");
      await producer.flush();
      return got.length > 0;
    });
    await new Promise((r) => setTimeout(r, 100));
    got.length = 0;
    producer.publish("foo", "ok");
    producer.publish("foo", "ok2");
    await producer.flush();
    await waitFor("two messages", () => got.length >= 2);
    await consumer.flush();
    expect(got).toEqual(["ok", "ok2"]);
    sub.unsubscribe();
    await consumer.flush();
    await waitFor("interest gone on A", () => a.server.lookupAccount("BAR")!.sublist.all().every((s) => !s.remote));
  });

  test("TestNewRouteServiceImport: a service exported on one server answers requests from the importing account on the other", async () => {
    const { a, b } = await runServers();
    const responder = await topo.client(a.url, { user: "foo", pass: "foo" });
    responder.subscribe("svc", { callback: (_e, m) => { m.respond(`served ${m.string()}`); } });
    await responder.flush();
    const requester = await topo.client(b.url, { user: "bar", pass: "bar" });
    const reply = await waitFor("service across the route", () => requester.request("svc", "x", { timeout: 500 }).catch(() => undefined));
    expect(reply.string()).toBe("served x");
    for (let i = 0; i < 20; i++) expect((await requester.request("svc", String(i), { timeout: 1000 })).string()).toBe(`served ${i}`);
  });

  test("service imports work across a route to a Go 2.9 server, both ways", async () => {
    const ts = await topo.inProcess(memberConf({ cluster: "acc", port: -1, extra: ACCOUNTS }));
    const go = topo.track(
      await startGo(`
        host: 127.0.0.1
        port: -1
        ${ACCOUNTS}
        cluster { name: acc, host: 127.0.0.1, port: -1, routes: ["nats-route://127.0.0.1:${listenerPort(ts.server, "cluster")}"] }
      `),
    );
    await waitFor("route", () => numRoutes(ts.server) === 1);
    for (const [serve, ask] of [[ts.url, go.url], [go.url, ts.url]]) {
      const responder = await topo.client(serve, { user: "foo", pass: "foo" });
      const sub = responder.subscribe("svc", { callback: (_e, m) => { m.respond(`served ${m.string()}`); } });
      await responder.flush();
      const requester = await topo.client(ask, { user: "bar", pass: "bar" });
      const reply = await waitFor("service across the route", () => requester.request("svc", "x", { timeout: 500 }).catch(() => undefined));
      expect(reply.string()).toBe("served x");
      sub.unsubscribe();
      await responder.flush();
    }
  });

  /** Publishes 10 messages on FOO's "foo" and counts what FOO and BAR subscribers get (-1: no FOO subscriber). */
  async function streamImportCounts(direction: string, withFooSubscriber: boolean): Promise<[number, number]> {
    const a = await topo.inProcess(memberConf({ cluster: "acc", port: -1, extra: ACCOUNTS }));
    const pa = listenerPort(a.server, "cluster");
    const other =
      direction === "nats-ts to nats-ts"
        ? await topo.inProcess(memberConf({ cluster: "acc", port: -1, routes: [pa], extra: ACCOUNTS }))
        : topo.track(await startGo(`host: 127.0.0.1\nport: -1\n${ACCOUNTS}\ncluster { name: acc, host: 127.0.0.1, port: -1, routes: ["nats-route://127.0.0.1:${pa}"] }`));
    await waitFor("route", () => numRoutes(a.server) === 1);
    const [producerUrl, consumerUrl] = direction === "Go to nats-ts" ? [other.url, a.url] : [a.url, other.url];
    let foo = withFooSubscriber ? 0 : -1;
    let bar = 0;
    if (withFooSubscriber) {
      const inFoo = await topo.client(consumerUrl, { user: "foo", pass: "foo" });
      inFoo.subscribe("foo", { callback: () => { foo++; } });
      await inFoo.flush();
    }
    const inBar = await topo.client(consumerUrl, { user: "bar", pass: "bar" });
    inBar.subscribe("foo", { callback: () => { bar++; } });
    await inBar.flush();
    const producer = await topo.client(producerUrl, { user: "foo", pass: "foo" });
    await waitFor("flowing", async () => {
      producer.publish("foo", "probe");
      await producer.flush();
      return foo !== 0 && bar > 0;
    });
    await new Promise((r) => setTimeout(r, 200));
    foo = withFooSubscriber ? 0 : -1;
    bar = 0;
    for (let i = 0; i < 10; i++) producer.publish("foo", "x");
    await producer.flush();
    await waitFor("ten each", () => (foo === -1 || foo >= 10) && bar >= 10);
    await inBar.flush();
    return [foo, bar];
  }

  test("stream import from a Go publisher to nats-ts subscribers in both accounts: once each", async () => {
    expect(await streamImportCounts("Go to nats-ts", true)).toEqual([10, 10]);
  });

  // Stream-import copies stay on the server that imported them; the import subscriptions cross
  // routes, so each server gets the exporter's messages once and imports them itself.
  for (const direction of ["nats-ts to nats-ts", "nats-ts to Go"]) {
    test(`stream import with subscribers in both accounts, ${direction}: once each`, async () => {
      expect(await streamImportCounts(direction, true)).toEqual([10, 10]);
    });
  }
  test("stream import from a Go publisher to a nats-ts server with only importing subscribers", async () => {
    expect(await streamImportCounts("Go to nats-ts", false)).toEqual([-1, 10]);
  });
});
