import { afterEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { freePort, type TestServer } from "../support/servers.js";
import { Topology, leafzOf, numLeafs, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** A hub with one leaf node connected, whichever implementation each side is. */
interface HubAndLeaf {
  hubUrl(): string;
  leafUrl: string;
  /** Resolves once the leaf connection is up on the nats-ts side(s). */
  connected(): Promise<void>;
  restartHub(): Promise<void>;
}

type Kind = "nats-ts" | "go";

async function build(hubKind: Kind, leafKind: Kind): Promise<HubAndLeaf> {
  const leafPort = await freePort();
  const hubPort = await freePort();
  const hubConf = `port: ${hubPort}\nserver_name: HUB\nleafnodes { listen: "127.0.0.1:${leafPort}" }`;
  const reconnect = leafKind === "go" ? "1" : `"50ms"`;
  const leafConf = `port: ${await freePort()}\nserver_name: LEAF\nleafnodes { reconnect: ${reconnect}, remotes [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`;
  const startHub = async (): Promise<TestServer> => (hubKind === "go" ? topo.go(hubConf) : topo.inProcess(hubConf));
  let hub = await startHub();
  const leaf = leafKind === "go" ? await topo.go(leafConf) : await topo.inProcess(leafConf);
  const connected = async () => {
    await waitFor("leaf connection", () => {
      const onHub = "server" in hub ? numLeafs((hub as { server: Parameters<typeof numLeafs>[0] }).server) === 1 : true;
      const onLeaf = "server" in leaf ? numLeafs((leaf as { server: Parameters<typeof numLeafs>[0] }).server) === 1 : true;
      return onHub && onLeaf;
    });
  };
  await connected();
  return {
    hubUrl: () => hub.url,
    leafUrl: leaf.url,
    connected,
    async restartHub() {
      await hub.stop();
      topo.servers.splice(topo.servers.indexOf(hub), 1);
      hub = await startHub();
    },
  };
}

/** Answers of `subject` until one comes back (interest crossed the leaf connection). */
async function answered(nc: NatsConnection, subject: string, timeout = 8_000): Promise<string> {
  return waitFor(`an answer on ${subject}`, async () => (await nc.request(subject, "ping", { timeout: 250 })).string(), timeout);
}

/** Resolves once a request on `subject` finds no responder at all (interest removal crossed). */
async function noResponders(nc: NatsConnection, subject: string): Promise<void> {
  await waitFor(`no responders on ${subject}`, async () => {
    try {
      await nc.request(subject, "ping", { timeout: 250 });
      return false;
    } catch (e) {
      return /no responders/i.test(String((e as Error).message) + String((e as { code?: string }).code));
    }
  });
}

const cases: [string, Kind, Kind][] = [
  ["nats-ts leaf into a nats-ts hub", "nats-ts", "nats-ts"],
  ["nats-ts leaf into a Go 2.9 hub", "go", "nats-ts"],
  ["Go 2.9 leaf into a nats-ts hub", "nats-ts", "go"],
];

describe.each(cases)("%s", (_name, hubKind, leafKind) => {
  test("pub/sub and request/reply both ways, interest propagation and removal", async () => {
    const t = await build(hubKind, leafKind);
    const onHub = await topo.client(t.hubUrl());
    const onLeaf = await topo.client(t.leafUrl);
    const hubSvc = onHub.subscribe("svc.hub", { callback: (_e, m) => void m.respond(`hub:${m.string()}`) });
    const leafSvc = onLeaf.subscribe("svc.leaf", { callback: (_e, m) => void m.respond(`leaf:${m.string()}`) });
    expect(await answered(onLeaf, "svc.hub")).toBe("hub:ping");
    expect(await answered(onHub, "svc.leaf")).toBe("leaf:ping");

    const seen: string[] = [];
    onHub.subscribe("events.>", { callback: (_e, m) => void seen.push(`hub:${m.subject}:${m.string()}`) });
    onLeaf.subscribe("events.>", { callback: (_e, m) => void seen.push(`leaf:${m.subject}:${m.string()}`) });
    await onHub.flush();
    await onLeaf.flush();
    // A wildcard subscription on the far side shows up as soon as a request on it is answered.
    await answered(onLeaf, "svc.hub");
    await waitFor("wildcard interest on both sides", async () => {
      seen.length = 0;
      onLeaf.publish("events.probe", "x");
      onHub.publish("events.probe", "y");
      await new Promise((r) => setTimeout(r, 50));
      return seen.length === 4;
    });
    seen.length = 0;
    onLeaf.publish("events.a", "1");
    onHub.publish("events.b", "2");
    await waitFor("4 deliveries", () => seen.length === 4);
    expect(seen.sort()).toEqual(["hub:events.a:1", "hub:events.b:2", "leaf:events.a:1", "leaf:events.b:2"]);

    hubSvc.unsubscribe();
    leafSvc.unsubscribe();
    await noResponders(onLeaf, "svc.hub");
    await noResponders(onHub, "svc.leaf");
  });

  test("queue groups across the boundary: local members first, each message once", async () => {
    const t = await build(hubKind, leafKind);
    const onHub = await topo.client(t.hubUrl());
    const onLeaf = await topo.client(t.leafUrl);
    const got: string[] = [];
    const hubMember = onHub.subscribe("work", { queue: "q", callback: (_e, m) => void got.push(`hub:${m.string()}`) });
    onLeaf.subscribe("work", { queue: "q", callback: (_e, m) => void got.push(`leaf:${m.string()}`) });
    onLeaf.subscribe("ready", { callback: (_e, m) => void m.respond("ok") });
    await onHub.flush();
    await answered(onHub, "ready");
    // Both sides prefer their own member.
    for (let i = 0; i < 20; i++) onHub.publish("work", `h${i}`);
    for (let i = 0; i < 20; i++) onLeaf.publish("work", `l${i}`);
    await waitFor("40 deliveries", () => got.length >= 40);
    await onHub.flush();
    await onLeaf.flush();
    expect(got.filter((g) => g.startsWith("hub:")).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `hub:h${i}`).sort());
    expect(got.filter((g) => g.startsWith("leaf:")).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `leaf:l${i}`).sort());
    // Without a member on the hub, the leaf's member takes the hub's messages, once each.
    hubMember.unsubscribe();
    await onHub.flush();
    got.length = 0;
    for (let i = 0; i < 20; i++) onHub.publish("work", `x${i}`);
    await waitFor("20 deliveries", () => got.length >= 20);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `leaf:x${i}`).sort());
  });

  test("TestLeafNodeSolicit: hub restart, the leaf reconnects and interest re-syncs", async () => {
    const t = await build(hubKind, leafKind);
    const onLeaf = await topo.client(t.leafUrl);
    onLeaf.subscribe("svc.leaf", { callback: (_e, m) => void m.respond("leaf") });
    await onLeaf.flush();
    let onHub = await topo.client(t.hubUrl());
    expect(await answered(onHub, "svc.leaf")).toBe("leaf");
    await onHub.close();
    await t.restartHub();
    await t.connected();
    onHub = await topo.client(t.hubUrl());
    expect(await answered(onHub, "svc.leaf", 10_000)).toBe("leaf");
    onHub.subscribe("svc.hub", { callback: (_e, m) => void m.respond("hub") });
    expect(await answered(onLeaf, "svc.hub")).toBe("hub");
  });
});

describe("nats-ts hub and leaf as child processes", () => {
  test("a leaf into a hub, both built packages in their own processes", async () => {
    const leafPort = await freePort();
    const hub = await topo.child(`port: -1\nserver_name: CHILDHUB\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.child(`port: -1\nserver_name: CHILDLEAF\nleafnodes { reconnect: "50ms", remotes [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`);
    const onHub = await topo.client(hub.url);
    const onLeaf = await topo.client(leaf.url);
    onHub.subscribe("svc", { callback: (_e, m) => void m.respond("hub") });
    await onHub.flush();
    expect(await answered(onLeaf, "svc")).toBe("hub");
    expect(leaf.log()).toContain("Leafnode connection created for account: $G");
    expect(hub.log()).toContain(`Listening for leafnode connections on 127.0.0.1:${leafPort}`);
  });
});

test("leafz reports both ends of a connection", async () => {
  const leafPort = await freePort();
  const hub = await topo.inProcess(`port: -1\nserver_name: HUB\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
  const leaf = await topo.inProcess(`port: -1\nserver_name: LEAF\nleafnodes { remotes [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`);
  await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
  const onLeaf = await topo.client(leaf.url);
  onLeaf.subscribe("a.b", { callback: () => {} });
  await onLeaf.flush();
  await waitFor("hub sees the subscription", () => leafzOf(hub.server, true).leafs[0].subscriptions_list?.includes("a.b"));
  const onHub = await topo.client(hub.url);
  onHub.publish("a.b", "12345");
  await waitFor("counted", () => leafzOf(hub.server).leafs[0].out_msgs === 1 && leafzOf(leaf.server).leafs[0].in_msgs === 1);
  const h = leafzOf(hub.server).leafs[0];
  const l = leafzOf(leaf.server).leafs[0];
  expect(h).toMatchObject({ name: "LEAF", is_spoke: false, account: "$G", out_bytes: 5, compression: expect.stringMatching(/^s2_/) });
  expect(l).toMatchObject({ name: "HUB", is_spoke: true, account: "$G", in_bytes: 5, ip: "127.0.0.1", port: leafPort });
  await waitFor("rtt measured", () => leafzOf(leaf.server).leafs[0].rtt !== "0s");
  expect(leafzOf(leaf.server).leafs[0].rtt).toMatch(/^[\d.]+(ns|µs|ms|s)$/);
  expect(leafzOf(hub.server, false, "OTHER").leafnodes).toBe(0);
});

describe("queue groups spread over several leafs", () => {
  test("a hub without members spreads a group's messages over its leafs by weight, each once", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const remote = `leafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`;
    const l1 = await topo.inProcess(`port: -1\nserver_name: L1\n${remote}`);
    const l2 = await topo.inProcess(`port: -1\nserver_name: L2\n${remote}`);
    await waitFor("both leafs", () => numLeafs(hub.server) === 2);
    const got = { L1: 0, L2: 0 };
    const seen = new Set<string>();
    let dupes = 0;
    const member = (name: "L1" | "L2") => (_e: unknown, m: { string(): string }) => {
      got[name]++;
      if (seen.has(m.string())) dupes++;
      seen.add(m.string());
    };
    const n1 = await topo.client(l1.url);
    n1.subscribe("work", { queue: "q", callback: member("L1") });
    const n2 = await topo.client(l2.url);
    for (let i = 0; i < 3; i++) n2.subscribe("work", { queue: "q", callback: member("L2") });
    await n1.flush();
    await n2.flush();
    await waitFor("queue interest of both", () => leafzOf(hub.server, true).leafs.every((l) => l.subscriptions_list?.includes("work")));
    const pub = await topo.client(hub.url);
    for (let i = 0; i < 400; i++) pub.publish("work", String(i));
    await waitFor("400 deliveries", () => got.L1 + got.L2 === 400);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.L1 + got.L2).toBe(400);
    expect(dupes).toBe(0);
    // Weighted 1:3 (expected 100 and 300); far from even in any plausible draw.
    expect(got.L2).toBeGreaterThan(got.L1);
    expect(got.L1).toBeGreaterThan(0);
  });
});
