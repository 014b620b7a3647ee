import { afterEach, describe, expect, test } from "vitest";
import { NatsServer, optionsFromConf, parseConf } from "@nats-ts/core";
import { LeafNodeService, leafNodeOptionsFromConf } from "../../src/index.js";
import { freePort } from "../support/servers.js";
import { Topology, leafzOf, numLeafs, readInfo, waitFor } from "./helpers.js";

const topo = new Topology();
const services: { server: NatsServer; leafs: LeafNodeService }[] = [];
afterEach(async () => {
  for (const { server, leafs } of services.splice(0)) {
    await leafs.stop();
    await server.shutdown();
  }
  await topo.stop();
});

/** A server whose leaf node service the test drives directly (as the routes code will). */
async function hubWithService(leafPort: number) {
  const conf = parseConf(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
  const { options } = optionsFromConf(conf);
  const server = new NatsServer(options);
  await server.start();
  const leafs = new LeafNodeService(server, leafNodeOptionsFromConf(options.blocks!.leafnodes));
  await leafs.start();
  services.push({ server, leafs });
  return { server, leafs };
}

describe("remote URLs and failover", () => {
  test("TestLeafNodeMultipleRemoteURLs: a remote with two URLs of one hub connects", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes = [ { urls: [nats-leaf://127.0.0.1:${leafPort},nats-leaf://localhost:${leafPort}] } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1);
  });

  test("a remote with several URLs connects to the one that answers", async () => {
    const [dead, leafPort] = [await freePort(), await freePort()];
    const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(
      `port: -1\nleafnodes { reconnect: "20ms", remotes [ { urls: ["nats-leaf://127.0.0.1:${dead}", "nats-leaf://127.0.0.1:${leafPort}"] } ] }`,
    );
    await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
  });

  test("leaf URLs of the hub's cluster reach accepted leafs in INFO, and a leaf fails over to them", async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await hubWithService(pa);
    const b = await hubWithService(pb);
    expect(a.leafs.advertisedUrl()).toBe(`127.0.0.1:${pa}`);
    const raw = await topo.raw(pa);
    await readInfo(raw);
    raw.send("CONNECT {}\r\n");
    await raw.expect(/"connect_info":true/);
    a.leafs.setClusterLeafUrls([`127.0.0.1:${pb}`]);
    const m = await raw.expect(/INFO (\{.*\})\r\n/);
    expect((JSON.parse(m[1]) as { leafnode_urls: string[] }).leafnode_urls.sort()).toEqual([`127.0.0.1:${pa}`, `127.0.0.1:${pb}`].sort());
    raw.socket.destroy();

    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats-leaf://127.0.0.1:${pa}" } ] }`);
    await waitFor("connected to A", () => a.leafs.connections().length === 1 && numLeafs(leaf.server) === 1);
    await a.leafs.stop();
    await waitFor("failed over to B", () => b.leafs.connections().length === 1, 5_000);
    expect(b.leafs.connections()[0].remoteServer).toBe(leaf.server.name);
  });

  test("varz: the leafnodes count and Go's leaf block of /varz", async () => {
    const [pa, dead] = [await freePort(), await freePort()];
    const { options } = optionsFromConf(
      parseConf(`port: -1\nleafnodes { listen: "127.0.0.1:${pa}", authorization { timeout: 3 }, remotes [ { url: "nats://u:p@127.0.0.1:${dead}", deny_imports: ["a.>"] } ] }`),
    );
    const server = new NatsServer(options);
    await server.start();
    const leafs = new LeafNodeService(server, leafNodeOptionsFromConf(options.blocks!.leafnodes));
    await leafs.start();
    services.push({ server, leafs });
    const v = JSON.parse(JSON.stringify(leafs.varz())) as Record<string, unknown>;
    expect(v).toEqual({
      leafnodes: 0,
      leaf: { host: "127.0.0.1", port: pa, auth_timeout: 3, remotes: [{ local_account: "$G", urls: [`127.0.0.1:${dead}`], deny: { imports: ["a.>"] } }] },
    });
  });

  test("a disabled remote is not solicited, the others are", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\naccounts { A {}, B {} }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.logged(`port: -1
      accounts { A {}, B {} }
      leafnodes { reconnect: "20ms", remotes [
        { url: "nats://127.0.0.1:${leafPort}", account: A, disabled: true }
        { url: "nats://127.0.0.1:${leafPort}", account: B }
      ] }`);
    await waitFor("one connection", () => numLeafs(leaf.server) === 1 && numLeafs(hub.server) === 1);
    expect(leafzOf(leaf.server).leafs[0].account).toBe("B");
    expect(leaf.lines.filter((l) => l.includes("Leafnode connection created for account")).map((l) => l.split("account: ")[1].trim())).toEqual(["B"]);
  });

  test("no_advertise keeps the leaf URL out of the cluster's gossip", async () => {
    const leafPort = await freePort();
    const { options } = optionsFromConf(parseConf(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}", no_advertise: true }`));
    const server = new NatsServer(options);
    await server.start();
    const leafs = new LeafNodeService(server, leafNodeOptionsFromConf(options.blocks!.leafnodes));
    await leafs.start();
    services.push({ server, leafs });
    expect(leafs.advertisedUrl()).toBeUndefined();
  });

  test("advertise: INFO announces the advertise address", async () => {
    const leafPort = await freePort();
    const s = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}", advertise: "leaf.example.com:7777" }`);
    const raw = await topo.raw(leafPort);
    const info = await readInfo(raw);
    expect(info).toMatchObject({ host: "leaf.example.com", port: 7777, ip: "leaf.example.com:7777", leafnode_urls: ["leaf.example.com:7777"] });
    expect(s.server.listeners.leafnode).toEqual([`nats-leaf://127.0.0.1:${leafPort}`]);
  });
});
