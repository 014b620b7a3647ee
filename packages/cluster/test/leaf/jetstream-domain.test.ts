import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { freePort } from "../support/servers.js";
import { Topology, leafzOf, numLeafs, waitFor } from "./helpers.js";

const topo = new Topology();
const dirs: string[] = [];
afterEach(async () => {
  await topo.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function answered(nc: NatsConnection, subject: string): Promise<string> {
  return waitFor(`an answer on ${subject}`, async () => (await nc.request(subject, "", { timeout: 200 })).string());
}

async function noResponders(nc: NatsConnection, subject: string): Promise<boolean> {
  try {
    await nc.request(subject, "", { timeout: 500 });
    return false;
  } catch (e) {
    return /no responders/i.test(String((e as Error).message) + String((e as { code?: string }).code));
  }
}

describe("JetStream domains over leaf connections", () => {
  test("a hub with a domain answers $JS.<domain>.API from its leaf; $JS.API never crosses", async () => {
    const leafPort = await freePort();
    // The hub's JetStream API is played by a plain subscriber: the mapping is what is tested.
    const hub = await topo.inProcess(`port: -1\nserver_name: HUB\njetstream { domain: hub }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`port: -1\nserver_name: LEAF\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
    const onHub = await topo.client(hub.url);
    onHub.subscribe("$JS.API.INFO", { callback: (_e, m) => void m.respond("hub-js") });
    onHub.subscribe("$JS.API.STREAM.NAMES", { callback: (_e, m) => void m.respond("names") });
    await onHub.flush();
    const onLeaf = await topo.client(leaf.url);
    expect(await answered(onLeaf, "$JS.hub.API.INFO")).toBe("hub-js");
    expect(await answered(onLeaf, "$JS.hub.API.STREAM.NAMES")).toBe("names");
    // The hub announced the mapping sources, never its $JS.API interest.
    const subs = leafzOf(leaf.server, true).leafs[0].subscriptions_list ?? [];
    expect(subs).toContain("$JS.hub.API.INFO");
    expect(subs.some((s) => s.startsWith("$JS.API."))).toBe(false);
    expect(await noResponders(onLeaf, "$JS.API.INFO")).toBe(true);
  });

  test("a nats-ts leaf reaches a Go 2.9 hub's JetStream by domain", async () => {
    const dir = mkdtempSync(join(tmpdir(), "leaf-js-"));
    dirs.push(dir);
    const leafPort = await freePort();
    await topo.go(`port: ${await freePort()}\nserver_name: GOHUB\njetstream { domain: gohub, store_dir: "${dir}" }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`port: -1\nserver_name: LEAF\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(leaf.server) === 1);
    const onLeaf = await topo.client(leaf.url);
    const info = JSON.parse(await answered(onLeaf, "$JS.gohub.API.INFO")) as { type: string; domain?: string };
    expect(info.type).toBe("io.nats.jetstream.api.v1.account_info_response");
    expect(info.domain).toBe("gohub");
  });

  test("a Go 2.9 leaf reaches a nats-ts hub's domain through the mapping", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nserver_name: TSHUB\njetstream { domain: tshub }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.go(`port: ${await freePort()}\nserver_name: GOLEAF\nleafnodes { reconnect: 1, remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1);
    const onHub = await topo.client(hub.url);
    onHub.subscribe("$JS.API.INFO", { callback: (_e, m) => void m.respond("ts-js") });
    await onHub.flush();
    const onLeaf = await topo.client(leaf.url);
    expect(await answered(onLeaf, "$JS.tshub.API.INFO")).toBe("ts-js");
  });
});
