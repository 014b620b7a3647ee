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

describe("nats-ts leaf into a Go 2.9 hub", () => {
  test("pub/sub, request/reply and queue groups both ways", async () => {
    const leafPort = await freePort();
    const hub = await topo.go(`port: ${await freePort()}\nserver_name: GOHUB\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`port: -1\nserver_name: TSLEAF\nleafnodes { reconnect_interval: "50ms", remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("leaf connected", () => numLeafs(leaf.server) === 1);
    const onHub = await topo.client(hub.url);
    const onLeaf = await topo.client(leaf.url);
    onHub.subscribe("svc.hub", { callback: (_e, m) => void m.respond(`hub:${m.string()}`) });
    onLeaf.subscribe("svc.leaf", { callback: (_e, m) => void m.respond(`leaf:${m.string()}`) });
    expect(await answered(onLeaf, "svc.hub")).toBe("hub:ping");
    expect(await answered(onHub, "svc.leaf")).toBe("leaf:ping");
    expect(leafzOf(leaf.server).leafs[0]).toMatchObject({ name: "GOHUB", is_spoke: true, account: "$G" });
  });
});

describe("Go 2.9 leaf into a nats-ts hub", () => {
  test("pub/sub, request/reply both ways", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nserver_name: TSHUB\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.go(`port: ${await freePort()}\nserver_name: GOLEAF\nleafnodes { reconnect: 1, remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("leaf connected", () => numLeafs(hub.server) === 1);
    const onHub = await topo.client(hub.url);
    const onLeaf = await topo.client(leaf.url);
    onHub.subscribe("svc.hub", { callback: (_e, m) => void m.respond(`hub:${m.string()}`) });
    onLeaf.subscribe("svc.leaf", { callback: (_e, m) => void m.respond(`leaf:${m.string()}`) });
    expect(await answered(onLeaf, "svc.hub")).toBe("hub:ping");
    expect(await answered(onHub, "svc.leaf")).toBe("leaf:ping");
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
