import { afterEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { freePort } from "../support/servers.js";
import { Topology, leafzOf, numLeafs, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** Waits until a request on `subject` from `nc` gets an answer (interest has crossed). */
async function answered(nc: NatsConnection, subject: string): Promise<string> {
  return waitFor(`an answer on ${subject}`, async () => (await nc.request(subject, "ping", { timeout: 200 })).string());
}

/** A responder on each side answers a request from the other side. */
async function requestsBothWays(hubUrl: string, leafUrl: string): Promise<void> {
  const onHub = await topo.client(hubUrl);
  const onLeaf = await topo.client(leafUrl);
  onHub.subscribe("svc.hub", { callback: (_e, m) => void m.respond(`hub:${m.string()}`) });
  onLeaf.subscribe("svc.leaf", { callback: (_e, m) => void m.respond(`leaf:${m.string()}`) });
  expect(await answered(onLeaf, "svc.hub")).toBe("hub:ping");
  expect(await answered(onHub, "svc.leaf")).toBe("leaf:ping");
}

describe("nats-ts leaf into a Go 2.9 hub", () => {
  test("request/reply both ways", async () => {
    const leafPort = await freePort();
    const hub = await topo.go(`port: ${await freePort()}\nserver_name: GOHUB\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`port: -1\nserver_name: TSLEAF\nleafnodes { reconnect_interval: "50ms", remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("leaf connected", () => numLeafs(leaf.server) === 1);
    await requestsBothWays(hub.url, leaf.url);
    expect(leafzOf(leaf.server).leafs[0]).toMatchObject({ name: "GOHUB", is_spoke: true, account: "$G" });
  });
});

describe("Go 2.9 leaf into a nats-ts hub", () => {
  test("pub/sub, request/reply both ways", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nserver_name: TSHUB\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.go(`port: ${await freePort()}\nserver_name: GOLEAF\nleafnodes { reconnect: 1, remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("leaf connected", () => numLeafs(hub.server) === 1);
    await requestsBothWays(hub.url, leaf.url);
    expect(leafzOf(hub.server).leafs[0]).toMatchObject({ name: "GOLEAF", is_spoke: false, account: "$G" });
  });
});

describe("loop detection with Go 2.9", () => {
  test("a nats-ts server and a Go server soliciting each other detect the loop", async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await topo.logged(`port: -1\nserver_name: TS\nleafnodes { listen: "127.0.0.1:${pa}", reconnect: "10ms", remotes [ { url: "nats://127.0.0.1:${pb}" } ] }`);
    const b = await topo.go(`port: ${await freePort()}\nserver_name: GO\nleafnodes { listen: "127.0.0.1:${pb}", reconnect: 1, remotes [ { url: "nats://127.0.0.1:${pa}" } ] }`);
    await waitFor("a loop reported", () => a.lines.some((l) => l.includes("Loop detected")) || b.log().includes("Loop detected"));
  });
});

describe("permissions granted by a Go 2.9 hub", () => {
  test("the nats-ts leaf learns the user's permissions from the Go hub's INFO", async () => {
    const leafPort = await freePort();
    const hub = await topo.go(`port: ${await freePort()}
      authorization { users = [
        { user: leaf, password: pwd, permissions: { publish: { allow: ["up.>", "_INBOX.>"] }, subscribe: { allow: ["down.>", "_INBOX.>"] } } }
        { user: admin, password: pwd }
      ] }
      leafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://leaf:pwd@127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(leaf.server) === 1);
    const onHub = await topo.client(hub.url, { user: "admin", pass: "pwd" });
    onHub.subscribe("up.svc", { callback: (_e, m) => void m.respond("up") });
    await onHub.flush();
    const onLeaf = await topo.client(leaf.url);
    expect(await answered(onLeaf, "up.svc")).toBe("up");
    const got: string[] = [];
    onLeaf.subscribe("down.x", { callback: (_e, m) => void got.push(m.subject) });
    onLeaf.subscribe("side.x", { callback: (_e, m) => void got.push(m.subject) });
    await onLeaf.flush();
    await waitFor("down.x reaches the leaf", async () => {
      onHub.publish("down.x", "");
      await onHub.flush();
      return got.includes("down.x");
    });
    onHub.publish("side.x", "");
    await onHub.flush();
    await onLeaf.flush();
    expect(got).not.toContain("side.x");
    // The leaf kept to its permissions: the Go hub never had to cut it off.
    expect(numLeafs(leaf.server)).toBe(1);
    expect(hub.log()).not.toContain("Violation");
  });
});

describe("account binding with Go 2.9", () => {
  const hubConf = (leafPort: number, port: number | string) => `port: ${port}
    accounts {
      ACC1: { users = [{user: "user1", password: "user1"}] }
      ACC2: { users = [{user: "user2", password: "user2"}] }
    }
    leafnodes {
      listen: "127.0.0.1:${leafPort}"
      authorization { users = [ { user: ln1, password: ln1, account: ACC1 }, { user: ln2, password: ln2, account: ACC2 } ] }
    }`;
  const leafConf = (leafPort: number, port: number | string, reconnect: string) => `port: ${port}
    accounts { L1 { users = [{user: "a", password: "a"}] }, L2 { users = [{user: "b", password: "b"}] } }
    leafnodes {
      reconnect: ${reconnect}
      remotes = [
        { url: "nats://ln1:ln1@127.0.0.1:${leafPort}", account: L1 }
        { url: "nats://ln2:ln2@127.0.0.1:${leafPort}", account: L2 }
      ]
    }`;

  async function check(hubUrl: string, leafUrl: string): Promise<void> {
    const h1 = await topo.client(hubUrl, { user: "user1", pass: "user1" });
    const h2 = await topo.client(hubUrl, { user: "user2", pass: "user2" });
    h1.subscribe("who", { callback: (_e, m) => void m.respond("ACC1") });
    h2.subscribe("who", { callback: (_e, m) => void m.respond("ACC2") });
    await h1.flush();
    await h2.flush();
    expect(await answered(await topo.client(leafUrl, { user: "a", pass: "a" }), "who")).toBe("ACC1");
    expect(await answered(await topo.client(leafUrl, { user: "b", pass: "b" }), "who")).toBe("ACC2");
  }

  test("a nats-ts leaf's accounts bind to a Go hub's accounts", async () => {
    const leafPort = await freePort();
    const hub = await topo.go(hubConf(leafPort, await freePort()));
    const leaf = await topo.inProcess(leafConf(leafPort, -1, `"50ms"`));
    await waitFor("2 connections", () => numLeafs(leaf.server) === 2);
    await check(hub.url, leaf.url);
  });

  test("a Go leaf's accounts bind to a nats-ts hub's accounts", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(hubConf(leafPort, -1));
    const leaf = await topo.go(leafConf(leafPort, await freePort(), "1"));
    await waitFor("2 connections", () => numLeafs(hub.server) === 2);
    expect(leafzOf(hub.server).leafs.map((l) => l.account).sort()).toEqual(["ACC1", "ACC2"]);
    await check(hub.url, leaf.url);
  });
});
