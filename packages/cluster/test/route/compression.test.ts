import { createServer } from "node:net";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { routeOptionsFromConf } from "../../src/route/options.js";
import { routez } from "../../src/route/monitor.js";
import { parseConf } from "@nats-ts/core";
import { Topology, waitFor } from "./helpers.js";
import { clusterFormed, connections, member, sendAndRecv, startManaged, userClient, type ManagedServer } from "./pool-support.js";
import { LinkProxy } from "../support/link-proxy.js";
import { S2Conn } from "../support/s2-conn.js";
import { makeRoutePki } from "./certs.js";

const topo = new Topology();
const proxies: LinkProxy[] = [];
afterEach(async () => {
  await topo.stop();
  for (const p of proxies.splice(0)) await p.stop();
});

function clusterBlock(text: string): unknown {
  return parseConf(text).cluster;
}

function confError(text: string): string {
  try {
    routeOptionsFromConf(clusterBlock(text));
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

/** The negotiated compression of every route connection of `s` (to `remoteId` only, when given). */
function modes(s: ManagedServer, remoteId?: string): string[] {
  return connections(s)
    .filter((c) => remoteId === undefined || c.remoteId === remoteId)
    .map((c) => c.compression);
}

/** A server of cluster "local" named `name`, with `compression` and other `cluster {}` lines. */
function compressed(name: string, compression: string, routes: number[] = [], clusterExtra = "", top = ""): Promise<ManagedServer> {
  return startManaged(topo, member(`compression: ${compression}\n${clusterExtra}`, routes, { name, top }));
}

describe("routes: compression options", () => {
  test("TestRouteCompressionOptions: modes, `on` as s2_fast, s2_auto thresholds, the accept default and Go's errors", () => {
    const cases: [string, string, number[]][] = [
      ["true", "s2_fast", []],
      ["enabled", "s2_fast", []],
      ["EnaBled", "s2_fast", []],
      ["on", "s2_fast", []],
      ["ON", "s2_fast", []],
      ["fast", "s2_fast", []],
      ["Fast", "s2_fast", []],
      ["s2_fast", "s2_fast", []],
      ["s2_Fast", "s2_fast", []],
      ["false", "off", []],
      ["disabled", "off", []],
      ["DisableD", "off", []],
      ["off", "off", []],
      ["OFF", "off", []],
      ["better", "s2_better", []],
      ["Better", "s2_better", []],
      ["s2_better", "s2_better", []],
      ["S2_BETTER", "s2_better", []],
      ["best", "s2_best", []],
      ["BEST", "s2_best", []],
      ["s2_best", "s2_best", []],
      ["S2_BEST", "s2_best", []],
      ["auto", "s2_auto", [10, 50, 100]],
      ["s2_auto", "s2_auto", [10, 50, 100]],
      ["{mode: auto, rtt_thresholds: [1ms]}", "s2_auto", [1]],
      ["{Mode: Auto, thresholds: [1ms, 2ms]}", "s2_auto", [1, 2]],
      ["{mode: s2_auto, thresholds: [1ms, 2ms, 3ms]}", "s2_auto", [1, 2, 3]],
      ["{mode: s2_AUTO, thresholds: [1ms, 2ms, 3ms, 4ms]}", "s2_auto", [1, 2, 3, 4]],
      ["{mode: s2_auto, thresholds: [-10ms, 5ms, 10ms]}", "s2_auto", [0, 5, 10]],
      ["{mode: s2_auto, thresholds: [5ms, 10ms, 15ms]}", "s2_auto", [5, 10, 15]],
      ["{mode: s2_auto, thresholds: [0ms, 5ms, 10ms]}", "s2_auto", [0, 5, 10]],
      ["{mode: s2_auto, thresholds: [5ms, 10ms, 0ms, 20ms]}", "s2_auto", [5, 10, 0, 20]],
      ["{mode: s2_auto, thresholds: [0ms, 10ms, 0ms, 20ms]}", "s2_auto", [0, 10, 0, 20]],
      ["{mode: s2_auto, thresholds: [0ms, 0ms, 0ms, 20ms]}", "s2_auto", [0, 0, 0, 20]],
      ["{mode: s2_auto, rtt_thresholds: [0ms, 10ms, 0ms, 0ms]}", "s2_auto", [0, 10]],
    ];
    for (const [value, mode, rtts] of cases) {
      const opts = routeOptionsFromConf(clusterBlock(`cluster { port: -1, compression: ${value} }`));
      expect({ value, mode: opts.compression.mode, rtts: opts.compression.rttThresholds }).toEqual({ value, mode, rtts: [...rtts] });
    }
    // Nothing configured: "accept" (compress only when the other side asks).
    expect(routeOptionsFromConf(clusterBlock(`cluster { port: -1 }`)).compression.mode).toBe("accept");
    expect(confError(`cluster { compression: gzip }`)).toMatch(/unsupported compression mode "gzip"/);
    expect(confError(`cluster { compression: { mode: s2_auto, rtt_thresholds: [5ms, 10ms, 2ms] } }`)).toMatch(/RTT threshold values \[5ms 10ms 2ms\] should be in ascending order/);
    expect(confError(`cluster { compression: { mode: s2_auto, rtt_thresholds: [5ms, 10ms, 20ms, 40ms, 60ms] } }`)).toMatch(/should have no more than 4 RTT thresholds/);
    expect(confError(`cluster { compression: { mode: s2_auto, rtt_thresholds: [0ms, 0ms, 0ms, 0ms] } }`)).toMatch(/requires at least one RTT threshold/);
    expect(confError(`cluster { compression: { mode: s2_auto, rtt_thresholds: [0ms] } }`)).toMatch(/requires at least one RTT threshold/);
  });
});

describe("routes: compression conf errors (Go's TestConfigCheck cases)", () => {
  test("a compression value of the wrong type fails with Go's words at the offending line", () => {
    expect(confError(`cluster {\n port: -1\n compression: 123\n}`)).toBe(`3:2: field "compression" should be a boolean or a structure, got int64`);
    expect(confError(`cluster {\n compression: {\n mode: 123\n }\n}`)).toBe("3:2: interface conversion: interface {} is int64, not string");
    expect(confError(`cluster {\n compression: {\n mode: "s2_auto"\n rtt_thresholds: 123\n }\n}`)).toBe("4:2: interface conversion: interface {} is int64, not []interface {}");
    expect(confError(`cluster {\n compression: {\n mode: "s2_auto"\n rtt_thresholds: [abc]\n }\n}`)).toBe(`4:2: time: invalid duration "abc"`);
  });
});

describe("routes: compression between servers", () => {
  for (const [name, poolSize, accounts] of [
    ["no pooling", -1, ""],
    ["pooling", 3, ""],
    ["per account", 1, `accounts: ["A"]`],
  ] as const) {
    test(`TestRouteCompression: ${name}: messages arrive intact and the route carries fewer bytes than their payloads`, async () => {
      const extra = `pool_size: ${poolSize}\n${accounts}`;
      const s1 = await startManaged(topo, member(`compression: true\n${extra}`, [], { name: "S1", accounts: ["A"] }));
      // S2 dials S1 through a proxy that counts what S1 sends back.
      const proxy = await LinkProxy.start(s1.routePort);
      proxies.push(proxy);
      const s2 = await startManaged(topo, member(`compression: true\n${extra}`, [proxy.port], { name: "S2", accounts: ["A"] }));
      await clusterFormed([s1, s2]);
      for (const s of [s1, s2]) expect(modes(s).every((m) => m === "s2_fast")).toBe(true);

      const nc2 = await userClient(topo, s2, "A");
      const got: Uint8Array[] = [];
      nc2.subscribe("foo", { callback: (_e, m) => void got.push(m.data) });
      await nc2.flush();
      await waitFor("S2's interest on S1", () => s1.server.lookupAccount("A")!.sublist.match("foo").psubs.length > 0);
      const nc1 = await userClient(topo, s1, "A");
      const payloads: Buffer[] = [];
      for (let i = 0; i < 26; i++) {
        const n = Math.floor(Math.random() * 2048) + 1;
        payloads.push(Buffer.alloc(n, 65 + i));
      }
      const before = proxy.total.down;
      for (const p of payloads) nc1.publish("foo", p);
      await nc1.flush();
      await waitFor("26 messages", () => got.length === payloads.length);
      got.forEach((d, i) => expect(Buffer.from(d).equals(payloads[i])).toBe(true));
      const total = payloads.reduce((n, p) => n + p.length, 0);
      // Go's check: what S1 sent on the route is well under the payloads' size.
      expect(proxy.total.down - before).toBeLessThan((total * 80) / 100);
    });
  }

  test("TestRouteCompressionMatrixModes: each side writes with the mode negotiated from both configurations", async () => {
    const matrix: [string, string, string, string][] = [
      ["off", "off", "off", "off"],
      ["off", "accept", "off", "off"],
      ["off", "on", "off", "off"],
      ["off", "better", "off", "off"],
      ["off", "best", "off", "off"],
      ["accept", "off", "off", "off"],
      ["accept", "accept", "off", "off"],
      ["accept", "on", "s2_fast", "s2_fast"],
      ["accept", "better", "s2_better", "s2_better"],
      ["accept", "best", "s2_best", "s2_best"],
      ["on", "off", "off", "off"],
      ["on", "accept", "s2_fast", "s2_fast"],
      ["on", "on", "s2_fast", "s2_fast"],
      ["on", "better", "s2_fast", "s2_better"],
      ["on", "best", "s2_fast", "s2_best"],
      ["better", "off", "off", "off"],
      ["better", "accept", "s2_better", "s2_better"],
      ["better", "on", "s2_better", "s2_fast"],
      ["better", "better", "s2_better", "s2_better"],
      ["better", "best", "s2_better", "s2_best"],
      ["best", "off", "off", "off"],
      ["best", "accept", "s2_best", "s2_best"],
      ["best", "on", "s2_best", "s2_fast"],
      ["best", "better", "s2_best", "s2_better"],
      ["best", "best", "s2_best", "s2_best"],
    ];
    const check = async ([m1, m2, want1, want2]: (typeof matrix)[number]) => {
      const s1 = await compressed("A", m1, [], "pool_size: -1");
      const s2 = await compressed("B", m2, [s1.routePort], "pool_size: -1");
      await clusterFormed([s1, s2]);
      const nc1 = await userClient(topo, s1, "A");
      const nc2 = await userClient(topo, s2, "A");
      for (const [pub, sub, subject] of [[nc1, nc2, "foo"], [nc2, nc1, "bar"]] as const) {
        const got: number[] = [];
        sub.subscribe(subject, { callback: (_e, m) => void got.push(m.data.length) });
        await sub.flush();
        await waitFor(`${m1}/${m2}: ${subject} delivered`, async () => {
          pub.publish(subject, new Uint8Array(128));
          await pub.flush();
          return got.length > 0;
        });
        expect(got[0]).toBe(128);
      }
      // /routez shows what each side writes with.
      expect({ m1, m2, s1: routez(s1.manager, { subscriptions: false, subscriptionsDetail: false }).routes, s2: routez(s2.manager, { subscriptions: false, subscriptionsDetail: false }).routes }).toMatchObject({
        s1: [{ compression: want1 }],
        s2: [{ compression: want2 }],
      });
    };
    // A few pairs at a time keeps the 25 cases quick without starving a loaded machine.
    for (let i = 0; i < matrix.length; i += 5) await Promise.all(matrix.slice(i, i + 5).map(check));
  });

  test("TestRouteCompressionWithOlderServer: a remote that announces no compression is \"not supported\"", async () => {
    const s1 = await compressed("A", `"on"`);
    const s2 = await compressed("B", `"not supported"`, [s1.routePort]);
    await clusterFormed([s1, s2]);
    expect(modes(s1).every((m) => m === "not supported")).toBe(true);
    expect(modes(s2).every((m) => m === "not supported")).toBe(true);
  });

  test("TestRouteCompressionImplicitRoute: routes learned by gossip negotiate too", async () => {
    const s1 = await startManaged(topo, member("", [], { name: "A" }));
    const s2 = await compressed("B", `"fast"`, [s1.routePort]);
    const s3 = await compressed("C", `"best"`, [s1.routePort]);
    await clusterFormed([s1, s2, s3]);
    const id = (s: ManagedServer) => s.server.id;
    const expectModes = (s: ManagedServer, remote: ManagedServer, want: string) => expect({ on: s.server.name, to: remote.server.name, modes: [...new Set(modes(s, id(remote)))] }).toEqual({ on: s.server.name, to: remote.server.name, modes: [want] });
    expectModes(s1, s2, "s2_fast");
    expectModes(s1, s3, "s2_best");
    expectModes(s2, s1, "s2_fast");
    expectModes(s2, s3, "s2_fast");
    expectModes(s3, s1, "s2_best");
    expectModes(s3, s2, "s2_best");
  });

  test("TestRouteCompressionAuto: an s2_auto route follows its RTT from level to level", async () => {
    const s1 = await compressed("A", "s2_fast", [], "", `ping_interval: "10s"`);
    const proxy = await LinkProxy.start(s1.routePort);
    proxies.push(proxy);
    // Pings further apart than the largest RTT, so each PONG answers the last PING (as Go's 500ms for its 350ms).
    const s2 = await compressed("B", "{mode: s2_auto, rtt_thresholds: [50ms, 150ms, 250ms]}", [proxy.port], `ping_interval: "350ms"\nping_max: 10`);
    await clusterFormed([s1, s2]);
    const level = async (want: string) => {
      await waitFor(`every route at ${want}`, () => connections(s2).length === 4 && modes(s2).every((m) => m === want), 5000);
    };
    await level("s2_uncompressed");
    proxy.setRtt(100);
    await level("s2_fast");
    proxy.setRtt(200);
    await level("s2_better");
    proxy.setRtt(300);
    await level("s2_best");
    proxy.setRtt(1);
    await level("s2_uncompressed");
    // The s2_fast side keeps its level whatever the RTT.
    expect(modes(s1).every((m) => m === "s2_fast")).toBe(true);
  });
});

/** A fake peer's listener the server under test dials; every accepted connection is kept. */
async function fakeListener(): Promise<{ port: number; accepted: S2Conn[] }> {
  const accepted: S2Conn[] = [];
  const l = topo.keepListener(createServer((sock) => accepted.push(keep(S2Conn.adopt(sock)))));
  await new Promise<void>((r) => l.listen(0, "127.0.0.1", () => r()));
  return { port: (l.address() as { port: number }).port, accepted };
}

const peers: S2Conn[] = [];
afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});
function keep(p: S2Conn): S2Conn {
  peers.push(p);
  return p;
}

const INFO = /INFO (\{[^\r\n]*\})\r\n/;

describe("routes: compression on the wire (Go 2.10+ handshake)", () => {
  test("a route we dial holds its INFO back, answers in the clear with the negotiated mode, then reads and writes S2", async () => {
    const { port, accepted } = await fakeListener();
    const s = await startManaged(topo, member("pool_size: -1", [port], { name: "S" }));
    await waitFor("dialled", () => accepted.length === 1);
    const peer = accepted[0];
    await peer.expect(/CONNECT \{[^\r\n]*\}\r\n/);
    // Our "accept" takes the remote's s2_best: the INFO that says so is the first one we send.
    peer.send(`INFO ${JSON.stringify({ server_id: "PEER", server_name: "peer", cluster: "local", headers: true, compression: "s2_best" })}\r\n`);
    const clear = JSON.parse((await peer.expect(INFO))[1]) as Record<string, unknown>;
    expect(clear.compression).toBe("s2_best");
    expect(clear.server_id).toBe(s.server.id);
    // The accepting side switches and sends its INFO compressed; ours follows, compressed.
    peer.compressReads();
    peer.compressWrites();
    peer.send(`INFO ${JSON.stringify({ server_id: "PEER", server_name: "peer", cluster: "local", headers: true, compression: "s2_best" })}\r\n`);
    const registered = JSON.parse((await peer.expect(INFO))[1]) as Record<string, unknown>;
    expect(registered.compression).toBe("s2_best");
    await peer.expect(/PING\r\n/);
    peer.send("PONG\r\nRS+ A foo\r\nRS+ A bar\r\n");
    expect(connections(s).map((c) => [c.remoteId, c.compression])).toEqual([["PEER", "s2_best"]]);
    // Messages both ways, compressed.
    const nc = await userClient(topo, s, "A");
    const got: string[] = [];
    nc.subscribe("back", { callback: (_e, m) => void got.push(m.string()) });
    await nc.flush();
    await waitFor("remote interest", () => s.server.lookupAccount("A")!.sublist.match("foo").psubs.length > 0);
    nc.publish("foo", "out");
    await nc.flush();
    await peer.expect(/RMSG A foo 3\r\nout\r\n/);
    peer.send("RMSG A back 2\r\nin\r\n");
    await waitFor("message from the route", () => got.includes("in"));
  });

  test("a route we accept switches to S2 on the remote's INFO and sends its next INFO compressed", async () => {
    const s = await startManaged(topo, member("", [], { name: "S" }));
    const peer = keep(await S2Conn.open(s.routePort));
    const first = JSON.parse((await peer.expect(INFO))[1]) as Record<string, unknown>;
    expect(first.compression).toBe("accept");
    peer.send(`CONNECT {"verbose":false,"name":"PEER","cluster":"local","headers":true}\r\n`);
    peer.send(`INFO ${JSON.stringify({ server_id: "PEER", cluster: "local", headers: true, compression: "s2_fast" })}\r\n`);
    peer.compressReads();
    const second = JSON.parse((await peer.expect(INFO))[1]) as Record<string, unknown>;
    expect(second.compression).toBe("s2_fast");
    // The INFO that registers the pool's first connection, compressed.
    peer.compressWrites();
    peer.send(`INFO ${JSON.stringify({ server_id: "PEER", cluster: "local", headers: true, compression: "s2_fast", route_pool_size: 3 })}\r\nPING\r\n`);
    await peer.expect(/PONG\r\n/);
    await waitFor("registered", () => connections(s).some((c) => c.remoteId === "PEER"));
    expect(connections(s).find((c) => c.remoteId === "PEER")!.compression).toBe("s2_fast");
  });

  test("a compression mode Go does not know is refused with Go's error", async () => {
    const s = await startManaged(topo, member("", [], { name: "S" }));
    const peer = keep(await S2Conn.open(s.routePort));
    await peer.expect(INFO);
    peer.send(`CONNECT {"verbose":false,"name":"PEER","cluster":"local","headers":true}\r\n`);
    peer.send(`INFO ${JSON.stringify({ server_id: "PEER", cluster: "local", compression: "gzip" })}\r\n`);
    expect((await peer.expect(/-ERR '([^']*)'\r\n/))[1]).toBe('unsupported route compression mode "gzip"');
    await peer.expectClosed();
    expect(s.lines.some((l) => l.startsWith("[ERR]") && l.endsWith('unsupported route compression mode "gzip"'))).toBe(true);
    expect(connections(s)).toEqual([]);
  });

  test("a corrupt compressed stream closes only that route, as a read error", async () => {
    const s = await compressed("S", "s2_fast");
    const t = await compressed("T", "s2_fast", [s.routePort]);
    await clusterFormed([s, t]);
    const healthy = connections(s).length;
    const peer = keep(await S2Conn.open(s.routePort));
    await peer.expect(INFO);
    peer.send(`CONNECT {"verbose":false,"name":"PEER","cluster":"local","headers":true}\r\n`);
    peer.send(`INFO ${JSON.stringify({ server_id: "PEER", cluster: "local", headers: true, compression: "s2_fast" })}\r\n`);
    peer.compressReads();
    await peer.expect(INFO);
    peer.compressWrites();
    peer.send(`INFO ${JSON.stringify({ server_id: "PEER", cluster: "local", headers: true, compression: "s2_fast", route_pool_size: 3 })}\r\nPING\r\n`);
    await peer.expect(/PONG\r\n/);
    // Not an S2 chunk: a reserved chunk type.
    peer.sendRaw(Buffer.from("PING\r\n"));
    await peer.expectClosed();
    await waitFor("closed as a read error", () => s.lines.some((l) => l.startsWith("[INF]") && /rid:\d+ - Router connection closed: Read Error$/.test(l)));
    expect(connections(s).length).toBe(healthy);
    await sendAndRecv(topo, t, s, "A", 5);
  });

  test("TestRouteCompressionStaleConnectionUsesClusterPingMax: a remote that never sends INFO is closed after the cluster's ping interval and max", async () => {
    const { port, accepted } = await fakeListener();
    const started = Date.now();
    await startManaged(topo, member(`compression: s2_fast\nping_interval: "50ms"\nping_max: 1`, [port], { name: "S", top: "ping_max: 100" }));
    await waitFor("dialled", () => accepted.length >= 1);
    await accepted[0].expect(/CONNECT \{[^\r\n]*\}\r\n/);
    await accepted[0].expectClosed(1500);
    // 50ms and one PING out, not the server's 100.
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("routes: compression over TLS", () => {
  const pki = makeRoutePki();
  afterAll(() => pki.cleanup());

  test("S2 runs inside the TLS connection, on every pooled and pinned route", async () => {
    const tls = `tls { cert_file: "${pki.cert}", key_file: "${pki.key}", ca_file: "${pki.ca}", verify: true, timeout: 2 }`;
    const s1 = await compressed("S1", "s2_best", [], `accounts: ["B"]\n${tls}`);
    const s2 = await compressed("S2", "s2_best", [s1.routePort], `accounts: ["B"]\n${tls}`);
    await clusterFormed([s1, s2]);
    // Three pooled connections, $SYS's and B's.
    for (const s of [s1, s2]) expect(modes(s)).toEqual(Array(5).fill("s2_best"));
    await sendAndRecv(topo, s1, s2, "A", 20);
    await sendAndRecv(topo, s2, s1, "B", 20);
  });
});
