import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { startGo, type TestServer } from "../support/servers.js";
import { freePort, memberConf, numRoutes, routezOf, Topology, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

async function goMember(name: string, port: number, routes: number[]): Promise<TestServer> {
  const clientPort = await freePort();
  const conf = `
    server_name: ${name}
    host: 127.0.0.1
    port: ${clientPort}
    cluster {
      name: mixed
      host: 127.0.0.1
      port: ${port}
      routes: [${routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ")}]
    }
  `;
  return topo.track(await startGo(conf));
}

/** Pub/sub, queue exactly-once and request/reply between clients of `nodes`. */
async function checkTraffic(urls: string[]): Promise<void> {
  const conns: NatsConnection[] = [];
  for (const u of urls) conns.push(await topo.client(u));
  // Plain subscription on the first node, publishers everywhere.
  const got: string[] = [];
  conns[0].subscribe("mixed.>", { callback: (_e, m) => { got.push(m.subject); } });
  await conns[0].flush();
  for (let i = 1; i < conns.length; i++) {
    await waitFor(`interest seen from node ${i}`, async () => {
      conns[i].publish(`mixed.probe${i}`);
      await conns[i].flush();
      return got.includes(`mixed.probe${i}`);
    });
  }
  // Queue group with members on every node: exactly once cluster-wide.
  const counts = new Map<string, number>();
  for (const nc of conns) {
    nc.subscribe("jobs", { queue: "q", callback: (_e, m) => { counts.set(m.string(), (counts.get(m.string()) ?? 0) + 1); } });
    await nc.flush();
  }
  // A request answered by a responder on the last node proves its queue interest reached the first.
  conns[conns.length - 1].subscribe("svc", { callback: (_e, m) => { m.respond("ok"); } });
  await conns[conns.length - 1].flush();
  const reply = await waitFor("request/reply across", () => conns[0].request("svc", "", { timeout: 500 }).catch(() => undefined));
  expect(reply.string()).toBe("ok");
  // Every node has a local member, so no message can be lost while interest is still travelling.
  const N = 200;
  for (let i = 0; i < N; i++) conns[i % conns.length].publish("jobs", String(i));
  for (const nc of conns) await nc.flush();
  await waitFor("every job delivered", () => counts.size === N);
  await conns[0].flush();
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
}

describe("routes: interop with Go nats-server 2.9", () => {
  test("a nats-ts node joins a Go cluster (knowing one seed) and learns the other Go node by gossip", async () => {
    const [p1, p2, p3] = await Promise.all([freePort(), freePort(), freePort()]);
    const go1 = await goMember("go1", p1, []);
    const go2 = await goMember("go2", p2, [p1]);
    const ts = await topo.inProcess(memberConf({ name: "ts", cluster: "mixed", port: p3, routes: [p1] }));
    await waitFor("nats-ts routed to both Go nodes", () => numRoutes(ts.server) === 2);
    const names = routezOf(ts.server).routes.map((r) => r.remote_name).sort();
    expect(names).toEqual(["go1", "go2"]);
    await checkTraffic([ts.url, go1.url, go2.url]);
  });

  test("a Go node joins a nats-ts cluster", async () => {
    const [p1, p2, p3] = await Promise.all([freePort(), freePort(), freePort()]);
    const ts1 = await topo.inProcess(memberConf({ name: "ts1", cluster: "mixed", port: p1 }));
    const ts2 = await topo.inProcess(memberConf({ name: "ts2", cluster: "mixed", port: p2, routes: [p1] }));
    await waitFor("ts mesh", () => numRoutes(ts1.server) === 1);
    const go = await goMember("go", p3, [p1]);
    await waitFor("Go node meshed with both nats-ts nodes", () => numRoutes(ts1.server) === 2 && numRoutes(ts2.server) === 2);
    await checkTraffic([go.url, ts1.url, ts2.url]);
  });
});
