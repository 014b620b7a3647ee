import { createServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { parseConf } from "@nats-ts/core";
import { leafNodeOptionsFromConf } from "../../src/index.js";
import { DEFAULT_RTT_THRESHOLDS } from "../../src/shared/compression/index.js";
import { freePort, listenerPort } from "../support/servers.js";
import { Topology, leafzOf, numLeafs, readInfo, waitFor } from "./helpers.js";
import { S2Conn } from "../support/s2-conn.js";

const topo = new Topology();
afterEach(() => topo.stop());

function leafOpts(block: string) {
  return leafNodeOptionsFromConf((parseConf(`leafnodes { ${block} }`) as { leafnodes: unknown }).leafnodes);
}

/** The hub (listener) and leaf (remote) compression of one leaf connection, as each side's /leafz shows it. */
async function pair(hubMode: string, leafMode: string): Promise<{ hub: string; leaf: string }> {
  // "on" is s2_auto; its first level comes from the time the handshake took, which a loaded
  // test machine can stretch past Go's 10 ms: the same mode with a first threshold no
  // handshake on loopback reaches keeps the expectation (uncompressed) deterministic.
  const auto = (m: string) => (m === "on" ? "{mode: s2_auto, rtt_thresholds: [2s, 3s, 4s]}" : m);
  [hubMode, leafMode] = [auto(hubMode), auto(leafMode)];
  const hub = await topo.inProcess(`port: -1\nserver_name: A\nleafnodes { port: -1, compression: ${hubMode} }`);
  const leaf = await topo.inProcess(
    `port: -1\nserver_name: B\nleafnodes { remotes [ { url: "nats://127.0.0.1:${listenerPort(hub.server, "leafnode")}", compression: ${leafMode} } ] }`,
  );
  await waitFor("leaf connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
  // Messages flow both ways over whatever was negotiated.
  const onHub = await topo.client(hub.url);
  const onLeaf = await topo.client(leaf.url);
  for (const [from, to, subject] of [[onHub, onLeaf, "foo"], [onLeaf, onHub, "bar"]] as const) {
    to.subscribe(subject, { callback: (_e, m) => void m.respond(m.data) });
    await to.flush();
    const payload = new Uint8Array(128).fill(7);
    await waitFor(`a reply on ${subject}`, async () => (await from.request(subject, payload, { timeout: 200 })).data.length === 128);
  }
  return { hub: leafzOf(hub.server).leafs[0].compression!, leaf: leafzOf(leaf.server).leafs[0].compression! };
}

describe("compression settings", () => {
  const modes: [string, string, readonly number[]][] = [
    ["true", "s2_auto", DEFAULT_RTT_THRESHOLDS],
    ["enabled", "s2_auto", DEFAULT_RTT_THRESHOLDS],
    ["EnaBled", "s2_auto", DEFAULT_RTT_THRESHOLDS],
    ["on", "s2_auto", DEFAULT_RTT_THRESHOLDS],
    ["ON", "s2_auto", DEFAULT_RTT_THRESHOLDS],
    ["fast", "s2_fast", []],
    ["s2_Fast", "s2_fast", []],
    ["false", "off", []],
    ["disabled", "off", []],
    ["DisableD", "off", []],
    ["OFF", "off", []],
    ["Better", "s2_better", []],
    ["S2_BETTER", "s2_better", []],
    ["BEST", "s2_best", []],
    ["s2_best", "s2_best", []],
    ["auto", "s2_auto", DEFAULT_RTT_THRESHOLDS],
    ["s2_auto", "s2_auto", DEFAULT_RTT_THRESHOLDS],
    ["{mode: auto, rtt_thresholds: [1ms]}", "s2_auto", [1]],
    ["{Mode: Auto, thresholds: [1ms, 2ms]}", "s2_auto", [1, 2]],
    ["{mode: s2_AUTO, thresholds: [1ms, 2ms, 3ms, 4ms]}", "s2_auto", [1, 2, 3, 4]],
    ["{mode: s2_auto, thresholds: [-10ms, 5ms, 10ms]}", "s2_auto", [0, 5, 10]],
    ["{mode: s2_auto, thresholds: [5ms, 10ms, 0ms, 20ms]}", "s2_auto", [5, 10, 0, 20]],
    ["{mode: s2_auto, thresholds: [0ms, 0ms, 0ms, 20ms]}", "s2_auto", [0, 0, 0, 20]],
    ["{mode: s2_auto, rtt_thresholds: [0ms, 10ms, 0ms, 0ms]}", "s2_auto", [0, 10]],
  ];

  test("TestLeafNodeCompressionOptions: modes, RTT thresholds and s2_auto by default, for the listener and for remotes", () => {
    for (const [conf, mode, rtts] of modes) {
      expect(leafOpts(`port: -1, compression: ${conf}`).compression, conf).toEqual({ mode, rttThresholds: rtts });
      expect(leafOpts(`remotes [ { url: "nats://127.0.0.1:1234", compression: ${conf} } ]`).remotes[0].compression, conf).toEqual({ mode, rttThresholds: rtts });
    }
    expect(leafOpts("port: -1").compression).toEqual({ mode: "s2_auto", rttThresholds: DEFAULT_RTT_THRESHOLDS });
    expect(leafOpts(`remotes [ { url: "nats://127.0.0.1:1234" } ]`).remotes[0].compression).toEqual({ mode: "s2_auto", rttThresholds: DEFAULT_RTT_THRESHOLDS });
    for (const [value, error] of [
      ["gzip", "unsupported"],
      ["{mode: s2_auto, rtt_thresholds: [5ms, 10ms, 2ms]}", "ascending"],
      ["{mode: s2_auto, rtt_thresholds: [5ms, 10ms, 20ms, 40ms, 60ms]}", "more than 4"],
      ["{mode: s2_auto, rtt_thresholds: [0ms, 0ms, 0ms, 0ms]}", "at least one"],
      ["{mode: s2_auto, rtt_thresholds: [0ms]}", "at least one"],
    ]) {
      expect(() => leafOpts(`port: -1, compression: ${value}`)).toThrow(error);
      expect(() => leafOpts(`remotes [ { url: "nats://127.0.0.1:1234", compression: ${value} } ]`)).toThrow(error);
    }
  });
});

describe("negotiation between nats-ts servers", () => {
  // [hub (accepting side), leaf (remote), what the hub writes with, what the leaf writes with]
  test.each([
    ["off", "off", "off", "off"],
    ["off", "accept", "off", "off"],
    ["off", "on", "off", "off"],
    ["off", "better", "off", "off"],
    ["off", "best", "off", "off"],
    ["accept", "off", "off", "off"],
    ["accept", "accept", "off", "off"],
    // "on" is s2_auto, which picks uncompressed on loopback.
    ["accept", "on", "s2_fast", "s2_uncompressed"],
    ["accept", "better", "s2_better", "s2_better"],
    ["accept", "best", "s2_best", "s2_best"],
    ["on", "off", "off", "off"],
    ["on", "accept", "s2_uncompressed", "s2_fast"],
    ["on", "on", "s2_uncompressed", "s2_uncompressed"],
    ["on", "better", "s2_uncompressed", "s2_better"],
    ["on", "best", "s2_uncompressed", "s2_best"],
    ["better", "off", "off", "off"],
    ["better", "accept", "s2_better", "s2_better"],
    ["better", "on", "s2_better", "s2_uncompressed"],
    ["better", "better", "s2_better", "s2_better"],
    ["better", "best", "s2_better", "s2_best"],
    ["best", "off", "off", "off"],
    ["best", "accept", "s2_best", "s2_best"],
    ["best", "on", "s2_best", "s2_uncompressed"],
    ["best", "better", "s2_best", "s2_better"],
    ["best", "best", "s2_best", "s2_best"],
  ])("TestLeafNodeCompressionMatrixModes: %s %s", async (hubMode, leafMode, hubExpected, leafExpected) => {
    expect(await pair(hubMode, leafMode)).toEqual({ hub: hubExpected, leaf: leafExpected });
  });

  test("TestLeafNodeCompressionWithOlderServer: a side configured as not supported behaves as a server before compression", async () => {
    expect(await pair(`"not supported"`, "s2_fast")).toEqual({ hub: "not supported", leaf: "not supported" });
    await topo.stop();
    expect(await pair("s2_fast", `"not supported"`)).toEqual({ hub: "not supported", leaf: "not supported" });
  });

  test("the hub's INFO announces its mode, except when configured as not supported", async () => {
    for (const [mode, announced] of [
      ["s2_best", "s2_best"],
      ["off", "off"],
      ["accept", "accept"],
      [`"not supported"`, undefined],
    ]) {
      const lp = await freePort();
      await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${lp}", compression: ${mode} }`);
      expect((await readInfo(await topo.raw(lp))).compression).toBe(announced);
    }
  });
});

describe("with Go 2.9 (no compression)", () => {
  test("a nats-ts leaf that wants s2_fast connects to a Go 2.9 hub uncompressed: not supported", async () => {
    const leafPort = await freePort();
    const hub = await topo.go(`port: ${await freePort()}\nserver_name: GOHUB\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`port: -1\nserver_name: TSLEAF\nleafnodes { remotes [ { url: "nats://127.0.0.1:${leafPort}", compression: s2_fast } ] }`);
    await waitFor("leaf connected", () => numLeafs(leaf.server) === 1);
    const onHub = await topo.client(hub.url);
    onHub.subscribe("svc", { callback: (_e, m) => void m.respond("go") });
    const onLeaf = await topo.client(leaf.url);
    expect(await waitFor("an answer", async () => (await onLeaf.request("svc", "", { timeout: 200 })).string())).toBe("go");
    expect(leafzOf(leaf.server).leafs[0].compression).toBe("not supported");
  });

  test("a Go 2.9 leaf into a nats-ts hub that wants s2_fast: not supported, messages flow", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nserver_name: TSHUB\nleafnodes { listen: "127.0.0.1:${leafPort}", compression: s2_fast }`);
    const leaf = await topo.go(`port: ${await freePort()}\nserver_name: GOLEAF\nleafnodes { reconnect: 1, remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("leaf connected", () => numLeafs(hub.server) === 1);
    const onLeaf = await topo.client(leaf.url);
    onLeaf.subscribe("svc", { callback: (_e, m) => void m.respond("go") });
    await onLeaf.flush();
    const onHub = await topo.client(hub.url);
    expect(await waitFor("an answer", async () => (await onHub.request("svc", "", { timeout: 200 })).string())).toBe("go");
    expect(leafzOf(hub.server).leafs[0].compression).toBe("not supported");
  });
});

describe("the handshake on the wire", () => {
  test("a leaf asking for s2_fast: plain INFO both ways, then the hub's INFO and everything after it in S2", async () => {
    const lp = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${lp}", compression: s2_best }`);
    const c = await S2Conn.open(lp);
    try {
      const first = await c.json("INFO");
      expect(first.compression).toBe("s2_best");
      c.send(`INFO {"compression":"s2_fast"}\r\n`);
      c.compress();
      const second = await c.json("INFO");
      // The hub keeps its own level and signs with the same nonce as before.
      expect(second).toMatchObject({ compression: "s2_best", nonce: first.nonce, client_id: first.client_id });
      c.send(`CONNECT {"name":"RAW","compress_mode":"s2_fast"}\r\nLS+ foo\r\nPING\r\n`);
      await c.expect(/PONG\r\n/);
      await waitFor("registered", () => numLeafs(hub.server) === 1);
      expect(leafzOf(hub.server).leafs[0].compression).toBe("s2_best");
      const nc = await topo.client(hub.url);
      nc.publish("foo", "x".repeat(1000));
      await c.expect(new RegExp(`LMSG foo 1000\\r\\n${"x".repeat(1000)}\\r\\n`));
    } finally {
      c.close();
    }
  });

  test("a nats-ts leaf: sends its INFO in the clear, then only S2 (CONNECT included)", async () => {
    let adopt: (c: S2Conn) => void = () => {};
    const accepted = new Promise<S2Conn>((resolve) => (adopt = resolve));
    const l = topo.keepListener(createServer((s) => adopt(new S2Conn(s))));
    await new Promise<void>((resolve) => l.listen(0, "127.0.0.1", () => resolve()));
    const listener = (l.address() as AddressInfo).port;
    await topo.inProcess(`port: -1\nserver_name: TSLEAF\nleafnodes { remotes [ { url: "nats://127.0.0.1:${listener}", compression: s2_better } ] }`);
    const hub = await accepted;
    hub.send(`INFO {"server_id":"HUB","client_id":1,"leafnode_urls":["127.0.0.1:${listener}"],"nonce":"n1","compression":"s2_auto","info_on_connect":true}\r\n`);
    const leafInfo = await hub.json("INFO");
    expect(leafInfo.compression).toBe("s2_better");
    hub.compress();
    hub.send(`INFO {"server_id":"HUB","client_id":1,"leafnode_urls":["127.0.0.1:${listener}"],"nonce":"n2","compression":"s2_auto","info_on_connect":true}\r\n`);
    const connect = await hub.json("CONNECT");
    expect(connect).toMatchObject({ name: "TSLEAF", compress_mode: "s2_better" });
    hub.close();
  });
});
