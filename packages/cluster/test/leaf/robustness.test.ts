import { connect, createServer } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { freePort } from "../support/servers.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { RawConn, Topology, numLeafs, readInfo, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

async function answered(nc: NatsConnection, subject: string): Promise<string> {
  return waitFor(`an answer on ${subject}`, async () => (await nc.request(subject, "", { timeout: 200 })).string());
}

describe("loop detection", () => {
  test("two servers soliciting each other: the $LDS subscription comes back, Go's error, both connections close", async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const a = await topo.logged(`port: -1\nserver_name: A\nleafnodes { listen: "127.0.0.1:${pa}", reconnect: "10ms", remotes [ { url: "nats://127.0.0.1:${pb}" } ] }`);
    const b = await topo.logged(`port: -1\nserver_name: B\nleafnodes { listen: "127.0.0.1:${pb}", reconnect: "10ms", remotes [ { url: "nats://127.0.0.1:${pa}" } ] }`);
    const loopLine = /Loop detected for leafnode account="\$G"\. Delaying attempt to reconnect for 30s/;
    await waitFor("a loop reported", () => [...a.lines, ...b.lines].some((l) => loopLine.test(l)));
    // The side that found it sent the error; the other side logs it as a Leafnode Error.
    await waitFor("the peer told", () => [...a.lines, ...b.lines].some((l) => /Leafnode Error 'Loop detected/.test(l)));
    // The soliciting side waits 30s before trying again: no reconnect storm.
    const created = () => [...a.lines, ...b.lines].filter((l) => l.includes("Leafnode connection created for account")).length;
    const before = created();
    await new Promise((r) => setTimeout(r, 200));
    expect(created()).toBeLessThanOrEqual(before + 1);
  });

  test("a leaf of a leaf: interest and messages cross two hops without a false loop", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const hub = await topo.inProcess(`port: -1\nserver_name: HUB\nleafnodes { listen: "127.0.0.1:${p1}" }`);
    const mid = await topo.logged(`port: -1\nserver_name: MID\nleafnodes { listen: "127.0.0.1:${p2}", reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${p1}" } ] }`);
    const edge = await topo.inProcess(`port: -1\nserver_name: EDGE\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${p2}" } ] }`);
    await waitFor("chain up", () => numLeafs(hub.server) === 1 && numLeafs(mid.server) === 2 && numLeafs(edge.server) === 1);
    const onHub = await topo.client(hub.url);
    const onEdge = await topo.client(edge.url);
    onHub.subscribe("at.hub", { callback: (_e, m) => void m.respond("hub") });
    onEdge.subscribe("at.edge", { callback: (_e, m) => void m.respond("edge") });
    expect(await answered(onEdge, "at.hub")).toBe("hub");
    expect(await answered(onHub, "at.edge")).toBe("edge");
    expect(mid.lines.some((l) => l.includes("Loop detected"))).toBe(false);
  });
});

describe("malformed leaf protocol from a raw socket closes that connection only", () => {
  test.each([
    ["an operation before CONNECT", "SUB foo 1\r\n", /-ERR 'Authorization Violation'/, false],
    ["LS+ before CONNECT", "LS+ foo\r\n", /-ERR 'Authorization Violation'/, false],
    ["an unknown operation", "CONNECT {}\r\nFOO BAR\r\n", /-ERR 'Unknown Protocol Operation'/, true],
    ["a route operation", "CONNECT {}\r\nRS+ $G foo\r\n", /-ERR 'Unknown Protocol Operation'/, true],
    ["an RMSG", "CONNECT {}\r\nRMSG $G foo 2\r\nhi\r\n", /-ERR 'Unknown Protocol Operation'/, true],
    ["LMSG without a size", "CONNECT {}\r\nLMSG foo\r\n", undefined, true],
    ["LMSG with a bad reply indicator", "CONNECT {}\r\nLMSG foo x r q 2\r\nhi\r\n", undefined, true],
    ["HMSG with a header larger than the message", "CONNECT {}\r\nHMSG foo 10 2\r\nhi\r\n", undefined, true],
    ["LS+ with too many arguments", "CONNECT {}\r\nLS+ foo bar baz qux\r\n", undefined, true],
    ["a payload over max_payload", "CONNECT {}\r\nLMSG foo 2000000\r\n", /-ERR 'Maximum Payload Violation'/, true],
    ["CONNECT that is not JSON", "CONNECT {nope\r\n", undefined, false],
    ["INFO that is not a JSON object", "INFO [1]\r\n", undefined, false],
    ["INFO null, then a CONNECT that is not a JSON object", "INFO null\r\nCONNECT 5\r\n", undefined, false],
    ["a client on the leaf port", `CONNECT {"lang":"node","verbose":false}\r\n`, /-ERR 'attempted to connect to leaf node port'/, false],
    ["a cluster name with spaces", `CONNECT {"cluster":"a b"}\r\n`, /-ERR 'cluster name cannot contain spaces'/, false],
  ])("%s", async (_name, proto, err, registersFirst) => {
    const [lp] = [await freePort()];
    const hub = await topo.inProcess(`port: -1\nserver_name: HUB\nleafnodes { listen: "127.0.0.1:${lp}" }`);
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${lp}" } ] }`);
    await waitFor("real leaf connected", () => numLeafs(hub.server) === 1);
    const raw = await topo.raw(lp);
    await readInfo(raw);
    raw.send(proto);
    if (err !== undefined) await raw.expect(err);
    await raw.expectClosed();
    if (registersFirst) await waitFor("raw leaf gone", () => numLeafs(hub.server) === 1);
    // The good leaf connection still carries traffic.
    const onHub = await topo.client(hub.url);
    const onLeaf = await topo.client(leaf.url);
    onLeaf.subscribe("still.ok", { callback: (_e, m) => void m.respond("yes") });
    expect(await answered(onHub, "still.ok")).toBe("yes");
    expect(numLeafs(hub.server)).toBe(1);
  });

  test("a fake hub answering with a client INFO: the soliciting side reports the wrong port", async () => {
    const { createServer } = await import("node:net");
    const port = await freePort();
    const fake = createServer((s) => s.write(`INFO {"server_id":"X","max_payload":1048576}\r\n`));
    await new Promise<void>((r) => fake.listen(port, "127.0.0.1", () => r()));
    try {
      const leaf = await topo.logged(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://127.0.0.1:${port}" } ] }`);
      await waitFor("wrong port error", () => leaf.lines.some((l) => l.includes("attempted to connect to wrong port")));
      expect(numLeafs(leaf.server)).toBe(0);
    } finally {
      fake.close();
    }
  });

  test("a remote pointing at a client port never connects", async () => {
    const hub = await topo.inProcess(`port: -1`);
    const leaf = await topo.logged(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://127.0.0.1:${hub.port}" } ] }`);
    await waitFor("wrong port error", () => leaf.lines.some((l) => l.includes("attempted to connect to wrong port")));
    expect(numLeafs(leaf.server)).toBe(0);
  });
});

describe("Go's checks before CONNECT and on slow or silent peers", () => {
  test.each([
    ["TestLeafNodeNoAccPanicOnLeafSubBeforeConnect", "LS+ test\r\n"],
    ["TestLeafNodeNoAccPanicOnLeafUnsubBeforeConnect", "LS- test\r\n"],
    ["TestLeafNodeNoAccPanicOnLeafErrLoopDetectedBeforeConnect", "-ERR 'Loop detected'\r\n"],
  ])("%s: the connection closes, the server keeps running", async (_name, proto) => {
    const lp = await freePort();
    const s = await topo.inProcess(`listen: "127.0.0.1:-1"\nleafnodes { listen: "127.0.0.1:${lp}" }`);
    const raw = await topo.raw(lp);
    await readInfo(raw);
    raw.send(proto);
    await raw.expectClosed();
    expect(s.server.isRunning).toBe(true);
    const nc = await topo.client(s.url);
    await nc.flush();
  });

  test("TestLeafNodeInfoBeforeConnectStillRequiresConnect: an INFO does not stand for CONNECT", async () => {
    const lp = await freePort();
    await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${lp}", compression: s2_auto }`);
    const raw = await topo.raw(lp);
    await readInfo(raw);
    raw.send(`INFO {"compression":"off"}\r\nLS+ test\r\n`);
    await raw.expect(/Authorization Violation/);
  });

  test.each([
    ["remote_account", `INFO {"remote_account":"attacker"}`],
    ["connect_info", `INFO {"connect_info":true}`],
  ])("TestLeafNodeSecondInfoBeforeConnectDoesNotPanic: %s", async (_name, second) => {
    const lp = await freePort();
    const s = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${lp}", compression: s2_auto }`);
    const raw = await topo.raw(lp);
    await readInfo(raw);
    raw.send(`INFO {}\r\n${second}\r\n`);
    await raw.expect(/Authorization Violation/);
    expect(s.server.isRunning).toBe(true);
  });

  test("TestLeafNodeDetectsStaleConnectionIfNoInfo: a remote that never sends INFO is dropped after first_info_timeout", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const sa = await topo.logged(`port: -1\nserver_name: SPOKE\nleafnodes { remotes [ { url: "nats://127.0.0.1:${port}", first_info_timeout: "250ms" } ] }`);
      const started = Date.now();
      await waitFor("connection closed", () => sa.lines.some((l) => l.includes("Leafnode connection closed")), 2_000);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      silent.close();
    }
  });

  test("TestLeafNodeConnectionSucceedsEvenWithDelayedFirstINFO: an INFO later than a second but within first_info_timeout", async () => {
    const lp = await freePort();
    await topo.inProcess(`port: -1\nserver_name: HUB\nleafnodes { listen: "127.0.0.1:${lp}", authorization { timeout: 10 } }`);
    // A hop that connects through to the hub only after 1.1s: the hub's INFO comes late.
    const slow = createServer((down) => {
      down.pause();
      setTimeout(() => {
        const up = connect(lp, "127.0.0.1", () => {
          down.pipe(up);
          up.pipe(down);
          down.resume();
        });
        up.on("error", () => down.destroy());
        down.on("error", () => up.destroy());
        down.on("close", () => up.destroy());
      }, 1_100);
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", () => r()));
    const port = (slow.address() as { port: number }).port;
    try {
      const sa = await topo.inProcess(`port: -1\nserver_name: SPOKE\nleafnodes { remotes [ { url: "nats://127.0.0.1:${port}", first_info_timeout: "3s" } ] }`);
      await waitFor("connected", () => numLeafs(sa.server) === 1, 5_000);
    } finally {
      slow.close();
    }
  });

  test("a cut link heals: the leaf reconnects through the proxy and interest re-syncs", async () => {
    const lp = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${lp}" }`);
    const proxy = await TcpProxy.start(lp);
    try {
      const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${proxy.port}" } ] }`);
      await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
      const onLeaf = await topo.client(leaf.url);
      let served = 0;
      onLeaf.subscribe("svc", { queue: "q", callback: (_e, m) => void (served++, m.respond("leaf")) });
      const onHub = await topo.client(hub.url);
      expect(await answered(onHub, "svc")).toBe("leaf");
      proxy.cut();
      await waitFor("down on both sides", () => numLeafs(hub.server) === 0 && numLeafs(leaf.server) === 0);
      proxy.heal();
      await waitFor("reconnected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1, 5_000);
      expect(await answered(onHub, "svc")).toBe("leaf");
      // One request, one delivery to the queue member.
      await onLeaf.flush();
      served = 0;
      await onHub.request("svc", "", { timeout: 2000 });
      await onLeaf.flush();
      expect(served).toBe(1);
    } finally {
      await proxy.stop();
    }
  });
});

describe("odd values in INFO and CONNECT", () => {
  test("bad permission lists and types in CONNECT are ignored, the connection works", async () => {
    const lp = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${lp}" }`);
    const raw = await topo.raw(lp);
    await readInfo(raw);
    raw.send(`CONNECT {"name":5,"deny_pub":["foo..bar",5,"ok.>"],"headers":"yes","is_hub":"no","cluster":7}\r\nLS+ ok.*\r\nLS+ fine\r\n`);
    await raw.untilPong();
    await waitFor("registered", () => numLeafs(hub.server) === 1);
    const nc = await topo.client(hub.url);
    nc.publish("ok.x", "denied by deny_pub");
    nc.publish("fine", "ok");
    const m = await raw.expect(/LMSG ([^\s]+) \d+\r\n/);
    expect(m[1]).toBe("fine");
  });

  test("bad permission lists in a hub's INFO are ignored, the connection works", async () => {
    let hubSide: RawConn | undefined;
    const fake = createServer((s) => {
      hubSide = RawConn.adopt(s);
      topo.keepRaw(hubSide);
      s.write(`INFO {"server_id":"F","client_id":1,"nonce":"n","leafnode_urls":[1,"::::"],"import":{"allow":"x"},"export":{"deny":["a..b",{}]},"remote_account":9}\r\n`);
    });
    await new Promise<void>((r) => fake.listen(0, "127.0.0.1", () => r()));
    try {
      const port = (fake.address() as { port: number }).port;
      const leaf = await topo.inProcess(`port: -1\nleafnodes { remotes [ { url: "nats://127.0.0.1:${port}" } ] }`);
      await waitFor("registered", () => numLeafs(leaf.server) === 1);
      const h = await waitFor("hub side", () => hubSide);
      h.send("LS+ fine\r\n");
      await h.untilPong();
      const nc = await topo.client(leaf.url);
      nc.publish("fine", "ok");
      expect((await h.expect(/LMSG ([^\s]+) \d+\r\n/))[1]).toBe("fine");
    } finally {
      fake.close();
    }
  });
});

test("random bytes on leaf connections, before and after CONNECT, never take the server down", async () => {
  const lp = await freePort();
  const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${lp}" }`);
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pieces = ["LS+ ", "LS- ", "LMSG ", "HMSG ", "INFO ", "CONNECT ", "PING", "PONG", "-ERR ", "+OK", "\r\n", " ", "foo", "q", "5", "{", "}", "*", ">", "$LDS.x", "|", "+"];
  for (let round = 0; round < 20; round++) {
    const raw = await topo.raw(lp);
    await readInfo(raw);
    let text = round % 2 === 0 ? "CONNECT {}\r\n" : "";
    for (let i = 0; i < 60; i++) text += rand() < 0.8 ? pieces[Math.floor(rand() * pieces.length)] : String.fromCharCode(Math.floor(rand() * 256));
    raw.send(text);
    raw.send("\r\nPING\r\n");
    await Promise.race([raw.expectClosed(500).catch(() => {}), raw.expect(/PONG/, 500).catch(() => {})]);
    raw.socket.destroy();
  }
  expect(hub.server.isRunning).toBe(true);
  const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${lp}" } ] }`);
  await waitFor("a good leaf connects", () => numLeafs(leaf.server) === 1);
  await waitFor("only it remains", () => numLeafs(hub.server) === 1);
});
