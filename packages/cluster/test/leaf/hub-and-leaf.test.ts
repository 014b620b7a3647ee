import { afterEach, describe, expect, test } from "vitest";
import { freePort } from "../support/servers.js";
import { Topology, leafzOf, numLeafs, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

async function hubAndLeaf(extraHub = "", extraRemote = "") {
  const leafPort = await freePort();
  const hub = await topo.inProcess(`port: -1\nserver_name: HUB\nleafnodes { listen: "127.0.0.1:${leafPort}" }\n${extraHub}`);
  const leaf = await topo.inProcess(
    `port: -1\nserver_name: LEAF\nleafnodes { reconnect_interval: "50ms", remotes [ { url: "nats-leaf://127.0.0.1:${leafPort}" ${extraRemote} } ] }`,
  );
  await waitFor("leaf connected on both sides", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
  return { hub, leaf, leafPort };
}

describe("nats-ts leaf into a nats-ts hub", () => {
  test("pub/sub both directions and leafz", async () => {
    const { hub, leaf } = await hubAndLeaf();
    const onHub = await topo.client(hub.url);
    const onLeaf = await topo.client(leaf.url);
    const got: string[] = [];
    onHub.subscribe("to.hub", { callback: (_e, m) => void got.push(`hub:${m.string()}`) });
    onLeaf.subscribe("to.leaf", { callback: (_e, m) => void got.push(`leaf:${m.string()}`) });
    await onHub.flush();
    await onLeaf.flush();
    await waitFor("interest crossed", () => leafzOf(leaf.server).leafs[0].subscriptions >= 2 && leafzOf(hub.server).leafs[0].subscriptions >= 2);
    onLeaf.publish("to.hub", "a");
    onHub.publish("to.leaf", "b");
    await waitFor("both messages", () => got.length === 2);
    expect(got.sort()).toEqual(["hub:a", "leaf:b"]);
    const hubz = leafzOf(hub.server, true).leafs[0];
    expect(hubz).toMatchObject({ name: "LEAF", is_spoke: false, account: "$G", ip: "127.0.0.1" });
    expect(hubz.subscriptions_list).toContain("to.leaf");
    const leafz = leafzOf(leaf.server).leafs[0];
    expect(leafz).toMatchObject({ name: "HUB", is_spoke: true, account: "$G" });
  });
});
