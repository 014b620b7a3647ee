import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { NatsServer, optionsFromConf, parseConf, silentLogger } from "@nats-ts/core";
import { clusterPlugin } from "../../src/index.js";
import { gatewayTuning } from "../../src/gateway/index.js";
import { clusterUrls } from "../../src/shared/cluster-urls.js";
import { INFO_RE, PONG_RE, RawConn } from "../route/raw.js";
import { connected, gatewayConf, gatewayOf, publishUntil, routePort, Topology, tuneGateways, waitFor, type InProcess } from "./helpers.js";

const saved = tuneGateways();

const NO_OPTS = { name: "", accounts: false, accountName: "", subscriptions: false, subscriptionsDetail: false };

/** Messages the outbound gateway connection of `s` to `remote` has sent. */
function sentTo(s: InProcess, remote: string): number {
  return gatewayOf(s).outbound.get(remote)?.outMsgs ?? -1;
}

describe("two nats-ts clusters joined by gateways", () => {
  const topo = new Topology();
  afterEach(async () => {
    await topo.stop();
    gatewayTuning.doNotForceInterestOnly = false;
    gatewayTuning.maxNoInterestBeforeSwitch = saved.maxNoInterestBeforeSwitch;
  });

  test("TestGatewaySwitchToInterestOnlyModeImmediately: accounts are interest-only at once and nothing goes out without interest", async () => {
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    await waitFor(() => gatewayOf(a).outboundInterest.get(gatewayOf(a).outbound.get("B")!)?.get("$G")?.mode === "Interest-Only", "A's outbound to B interest-only");
    const z = gatewayOf(a).gatewayz({ ...NO_OPTS, accounts: true });
    const out = (z.outbound_gateways as Record<string, { configured: boolean; accounts: { name: string; interest_mode: string }[] }>).B;
    expect(out.configured).toBe(true);
    expect(out.accounts.find((x) => x.name === "$G")?.interest_mode).toBe("Interest-Only");
    const inb = (z.inbound_gateways as Record<string, { accounts: { name: string; interest_mode: string }[] }[]>).B;
    expect(inb[0].accounts.find((x) => x.name === "$G")?.interest_mode).toBe("Interest-Only");

    const before = sentTo(a, "B");
    for (let i = 0; i < 10; i++) ca.publish("nobody.here", "x");
    await ca.flush();
    expect(sentTo(a, "B")).toBe(before);

    const got: string[] = [];
    cb.subscribe("somebody.here", { callback: (_e, m) => void got.push(m.string()) });
    await cb.flush();
    await publishUntil(ca, "somebody.here", () => got.length > 0, "message after RS+");
  });

  test("interest-only: removing the last subscription stops the flow", async () => {
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    const got: string[] = [];
    const sub = cb.subscribe("news", { callback: (_e, m) => void got.push(m.string()) });
    await cb.flush();
    await publishUntil(ca, "news", () => got.length > 0, "news in B");
    sub.unsubscribe();
    await cb.flush();
    const outA = gatewayOf(a);
    await waitFor(() => {
      const e = outA.outboundInterest.get(outA.outbound.get("B")!)?.get("$G");
      return e !== undefined && !e.subscriptions().some((s) => s.subject === "news");
    }, "RS- for news at A");
    const before = sentTo(a, "B");
    for (let i = 0; i < 5; i++) ca.publish("news", "late");
    await ca.flush();
    expect(sentTo(a, "B")).toBe(before);
  });

  test("TestGatewayAccountUnsub: once the last subscriber leaves, few of many messages still go out", async () => {
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    cb.subscribe("foo", { callback: (_e, m) => void m.respond("reply") });
    await cb.flush();
    await waitFor(async () => {
      try {
        return (await ca.request("foo", "req", { timeout: 300 })).string() === "reply";
      } catch {
        return false;
      }
    }, "reply from B");
    await cb.close();
    const before = sentTo(a, "B");
    const total = 5000;
    for (let i = 0; i < total; i++) {
      ca.publish("foo", "hello");
      if (i % 100 === 0) await ca.flush();
    }
    await ca.flush();
    expect(sentTo(a, "B") - before).toBeLessThan((80 * total) / 100);
  });

  test("TestGatewayNoCrashOnInvalidSubject: a publish on an invalid subject does not break the gateway", async () => {
    const { a, b } = await topo.pair();
    const cb = await topo.client(b);
    cb.subscribe("foo", { callback: () => undefined });
    await cb.flush();
    const raw = await RawConn.open(a.port);
    try {
      await raw.expect(INFO_RE);
      raw.send(`CONNECT {"verbose":false}\r\nPUB bar..baz 11\r\nbad subject\r\nPING\r\n`);
      await raw.expect(PONG_RE);
      const got: string[] = [];
      cb.subscribe("bar.*", { callback: (_e, m) => void got.push(m.string()) });
      await cb.flush();
      await waitFor(async () => {
        raw.send(`PUB bar.baz 13\r\nvalid subject\r\nPING\r\n`);
        await raw.expect(PONG_RE);
        await new Promise((r) => setTimeout(r, 30));
        return got.length > 0;
      }, "valid subject delivered");
      expect(got[0]).toBe("valid subject");
    } finally {
      raw.close();
    }
  });

  test("TestGatewayDoesntSendBackToItself: one publish, one delivery per cluster, no echo loop", async () => {
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    let count = 0;
    cb.subscribe("foo", { callback: () => void count++ });
    await cb.flush();
    const gwA = gatewayOf(a);
    await waitFor(() => gwA.outboundInterest.get(gwA.outbound.get("B")!)?.get("$G")?.subscriptions().some((x) => x.subject === "foo"), "B's interest at A");
    ca.subscribe("foo", { callback: () => void count++ });
    await ca.flush();
    const gwB = gatewayOf(b);
    await waitFor(() => gwB.outboundInterest.get(gwB.outbound.get("A")!)?.get("$G")?.subscriptions().some((x) => x.subject === "foo"), "A's interest at B");
    ca.publish("foo", "cycle");
    await ca.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(count).toBe(2);
  });

  test("TestGatewayNoReconnectOnClose: when a cluster shuts down, the implicit gateway to it goes away", async () => {
    const b = await topo.inProcess(gatewayConf("B", -1, {}));
    const a = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(b).port }));
    await waitFor(() => connected(a, "B") && connected(b, "A"), "A <-> B");
    await a.stop();
    await waitFor(() => !gatewayOf(b).outbound.has("A") && gatewayOf(b).inbound.size === 0 && !gatewayOf(b).remotes.has("A"), "B forgets A");
  });

  test("TestGatewayImplicitReconnectHonorConnectRetries: an implicit gateway is retried connect_retries times, then dropped", async () => {
    const lines: string[] = [];
    const logger = { ...silentLogger, debugEnabled: true, error: (m: string) => void lines.push(m), debug: (m: string) => void lines.push(m) };
    const sb = new NatsServer(optionsFromConf(parseConf(gatewayConf("B", -1, {}, "", "connect_retries: 2"))).options, { plugins: [clusterPlugin()], logger });
    await sb.start();
    try {
      const b = { server: sb } as InProcess;
      const pb = gatewayOf(b).port;
      const a = await topo.inProcess(gatewayConf("A", -1, { B: pb }));
      const c = await topo.inProcess(gatewayConf("C", -1, { B: pb }));
      await waitFor(() => ["A", "C"].every((n) => connected(b, n)) && connected(a, "C") && connected(c, "A"), "full mesh");
      await a.stop();
      const failures = () => lines.filter((l) => l.startsWith(`Error connecting to implicit gateway "A"`)).length;
      await waitFor(() => failures() === 3, "three attempts");
      await new Promise((r) => setTimeout(r, 250));
      expect(failures()).toBe(3);
      expect(gatewayOf(b).remotes.has("A")).toBe(false);
    } finally {
      await sb.shutdown();
    }
  });

  test("gateway gossip for routes: another server of the cluster connects to what this one knows", async () => {
    const { a, b, pb } = await topo.pair();
    const lines = gatewayOf(a).routeGossip();
    expect(lines).toHaveLength(1);
    const info = JSON.parse(lines[0].slice(5)) as Record<string, unknown>;
    expect(info).toMatchObject({ server_id: `GW${a.server.id}`, gateway: "B", gateway_urls: [`127.0.0.1:${pb}`], gateway_cmd: 1 });
    // A second server of cluster A without any gateway configured, told by "its route".
    const a2 = await topo.inProcess(gatewayConf("A", -1, {}));
    gatewayOf(a2).implicitGateway(info);
    await waitFor(() => gatewayOf(a2).outbound.has("B") && [...gatewayOf(b).inbound.values()].filter((c) => c.name === "A").length === 2, "A2 -> B");
    const relayed: string[] = [];
    clusterUrls(a2.server, "gateway").setRouteSender((line) => void relayed.push(line));
    gatewayOf(a2).outbound.get("B")!.close("test");
    await waitFor(() => relayed.length > 0, "gossip relayed on reconnect");
  });

  test("TestGatewayReconnectExponentialBackoff: with connect_backoff the delay between attempts doubles up to the cap", async () => {
    const times: number[] = [];
    const logger = {
      ...silentLogger,
      debugEnabled: true,
      error: (m: string) => void (m.startsWith(`Error connecting to implicit gateway "A"`) && times.push(Date.now())),
      debug: (m: string) => void (m.startsWith(`Error connecting to implicit gateway "A"`) && times.push(Date.now())),
    };
    const conf = gatewayConf("B", -1, {}, "", "connect_retries: 3\nconnect_backoff: true");
    const sb = new NatsServer(optionsFromConf(parseConf(conf)).options, { plugins: [clusterPlugin()], logger });
    await sb.start();
    gatewayTuning.connectDelay = 50;
    gatewayTuning.connectMaxDelay = 150;
    try {
      const a = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf({ server: sb } as InProcess).port }));
      await waitFor(() => connected({ server: sb } as InProcess, "A"), "B <-> A");
      await a.stop();
      await waitFor(() => times.length === 4, "four attempts");
      const gaps = times.slice(1).map((t, i) => t - times[i]);
      // 50, 100, then capped at 150 (a timer may fire a millisecond early).
      expect(gaps[0]).toBeGreaterThanOrEqual(48);
      expect(gaps[1]).toBeGreaterThanOrEqual(98);
      expect(gaps[2]).toBeGreaterThanOrEqual(148);
      await new Promise((r) => setTimeout(r, 250));
      expect(times.length).toBe(4);
    } finally {
      gatewayTuning.connectDelay = 50;
      gatewayTuning.connectMaxDelay = saved.connectMaxDelay;
      await sb.shutdown();
    }
  });

  test("TestGatewayQueueSub: queue groups prefer the local cluster and deliver each message once", async () => {
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    const counts = { a1: 0, b1: 0, b2: 0 };
    const qa = ca.subscribe("work", { queue: "q", callback: () => void counts.a1++ });
    cb.subscribe("work", { queue: "q", callback: () => void counts.b1++ });
    cb.subscribe("work", { queue: "q", callback: () => void counts.b2++ });
    await ca.flush();
    await cb.flush();
    const gwA = gatewayOf(a);
    await waitFor(() => gwA.outboundInterest.get(gwA.outbound.get("B")!)?.get("$G")?.queueSubCount === 1, "queue interest of B at A");

    // Members in both clusters: everything stays local.
    for (let i = 0; i < 50; i++) ca.publish("work", String(i));
    await ca.flush();
    await waitFor(() => counts.a1 === 50, "50 local deliveries in A");
    for (let i = 0; i < 50; i++) cb.publish("work", String(i));
    await cb.flush();
    await waitFor(() => counts.b1 + counts.b2 === 50, "50 local deliveries in B");
    expect(counts.a1).toBe(50);

    // No member left in A: B's group gets each message exactly once.
    qa.unsubscribe();
    await ca.flush();
    counts.b1 = counts.b2 = 0;
    for (let i = 0; i < 100; i++) ca.publish("work", String(i));
    await ca.flush();
    await waitFor(() => counts.b1 + counts.b2 === 100, "100 deliveries in B");
    await new Promise((r) => setTimeout(r, 100));
    expect(counts.b1 + counts.b2).toBe(100);
    expect(counts.a1).toBe(50);
  });

  test("TestGatewaySendQSubsOnGatewayConnect: queue interest that exists before the gateway is sent when it connects", async () => {
    const b = await topo.inProcess(gatewayConf("B", -1, {}));
    const cb = await topo.client(b);
    let got = 0;
    cb.subscribe("foo", { queue: "bar", callback: () => void got++ });
    await cb.flush();
    const confA = gatewayConf("A", -1, { B: gatewayOf(b).port });
    for (let round = 1; round <= 2; round++) {
      const a = await topo.inProcess(confA);
      const gwA = gatewayOf(a);
      await waitFor(() => gwA.outboundInterest.get(gwA.outbound.get("B")!)?.get("$G")?.queueSubCount === 1, "queue interest at A");
      const pub = await topo.client(a);
      pub.publish("foo", "hello");
      await pub.flush();
      await waitFor(() => got === round, `message ${round}`);
      await pub.close();
      await a.stop();
    }
  });

  test("TestGatewayMsgSentOnlyOnce: one message per gateway however many subscriptions match", async () => {
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    let count = 0;
    const cb1 = () => void count++;
    ca.subscribe(">", { callback: cb1 });
    ca.subscribe("foo", { callback: cb1 });
    ca.subscribe("foo", { queue: "bar", callback: cb1 });
    ca.subscribe("foo", { queue: "bar", callback: cb1 });
    ca.subscribe("foo", { queue: "baz", callback: cb1 });
    await ca.flush();
    const gwB = gatewayOf(b);
    await waitFor(() => {
      const e = gwB.outboundInterest.get(gwB.outbound.get("A")!)?.get("$G");
      return e !== undefined && e.queueSubCount === 2 && e.subscriptions().length === 4;
    }, "A's interest at B");
    const before = sentTo(b, "A");
    cb.publish("foo", "hello");
    await cb.flush();
    await waitFor(() => count === 4, "4 deliveries in A");
    await new Promise((r) => setTimeout(r, 50));
    expect(count).toBe(4);
    expect(sentTo(b, "A") - before).toBe(1);
  });

  test("request in one cluster answered in the other", async () => {
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    cb.subscribe("svc.b", { callback: (_e, m) => void m.respond(`B answers ${m.string()}`) });
    ca.subscribe("svc.a", { callback: (_e, m) => void m.respond(`A answers ${m.string()}`) });
    await cb.flush();
    await ca.flush();
    const ask = async (nc: NatsConnection, subject: string) =>
      waitFor(async () => {
        try {
          return (await nc.request(subject, "hi", { timeout: 300 })).string();
        } catch {
          return undefined;
        }
      }, `reply on ${subject}`);
    expect(await ask(ca, "svc.b")).toBe("B answers hi");
    expect(await ask(cb, "svc.a")).toBe("A answers hi");
    // Many requests in a row, all answered once.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ca.request("svc.b", String(i), { timeout: 2000 })));
    expect(answers.map((m) => m.string())).toEqual(Array.from({ length: 20 }, (_, i) => `B answers ${i}`));
  });

  test("replies to a fresh inbox go out routed (_GR_.) and come back; the responder sees the plain inbox, as in Go", async () => {
    gatewayTuning.recentSubExpiration = 150;
    try {
      const { a, b } = await topo.pair();
      const ca = await topo.client(a);
      const cb = await topo.client(b);
      const replies: string[] = [];
      cb.subscribe("echo", { callback: (_e, m) => { replies.push(m.reply ?? ""); m.respond(m.data); } });
      await cb.flush();
      const gwA = gatewayOf(a);
      await waitFor(() => gwA.outboundInterest.get(gwA.outbound.get("B")!)?.get("$G")?.subscriptions().some((x) => x.subject === "echo"), "B's interest at A");
      // The first request creates the requester's inbox subscription: its reply is routed, and B's
      // server strips the routing prefix for its client and maps the answer back.
      expect((await ca.request("echo", "1", { timeout: 2000 })).string()).toBe("1");
      expect(replies[0]).toMatch(/^_INBOX\./);
      // Once the subscription is older than the expiration, replies go out as they are.
      await new Promise((r) => setTimeout(r, 300));
      expect((await ca.request("echo", "2", { timeout: 2000 })).string()).toBe("2");
      expect(replies[1]).toMatch(/^_INBOX\./);
    } finally {
      gatewayTuning.recentSubExpiration = saved.recentSubExpiration;
    }
  });

  test("a routed reply also reaches subscribers of the reply subject in the other cluster", async () => {
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    cb.subscribe("foo", { callback: (_e, m) => void m.respond("reply") });
    const inB: string[] = [];
    cb.subscribe("bar", { callback: (_e, m) => void inB.push(m.string()) });
    await cb.flush();
    const gwA = gatewayOf(a);
    await waitFor(() => gwA.outboundInterest.get(gwA.outbound.get("B")!)?.get("$G")?.subscriptions().length === 2, "B's interest at A");
    const inA: string[] = [];
    ca.subscribe("bar", { callback: (_e, m) => void inA.push(m.string()) });
    // A fresh subscription on the reply subject: the request goes out with a routed reply.
    ca.publish("foo", "hello", { reply: "bar" });
    await ca.flush();
    await waitFor(() => inA.length === 1 && inB.length === 1, "reply in A and in B");
    await new Promise((r) => setTimeout(r, 50));
    expect([inA, inB]).toEqual([["reply"], ["reply"]]);
  });

  test("a restarted cluster is reconnected and interest resent", async () => {
    let b = await topo.inProcess(gatewayConf("B", -1, {}));
    const pb = gatewayOf(b).port;
    const a = await topo.inProcess(gatewayConf("A", -1, { B: pb }));
    const pa = gatewayOf(a).port;
    await waitFor(() => connected(a, "B") && connected(b, "A"), "first connection");
    await b.stop();
    await waitFor(() => !gatewayOf(a).outbound.has("B"), "A sees B gone");
    b = await topo.inProcess(gatewayConf("B", pb, { A: pa }));
    await waitFor(() => connected(a, "B") && connected(b, "A"), "reconnected");
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    const got: string[] = [];
    cb.subscribe("after.restart", { callback: (_e, m) => void got.push(m.string()) });
    await cb.flush();
    await publishUntil(ca, "after.restart", () => got.length > 0, "message after restart");
  });

  test("TestGatewayImplicitReconnect: the implicit side reconnects to a cluster restarted without configuration", async () => {
    gatewayTuning.connectDelay = 200;
    try {
      const b = await topo.inProcess(gatewayConf("B", -1, {}, "", "connect_retries: 5"));
      let a = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(b).port }));
      const pa = gatewayOf(a).port;
      await waitFor(() => connected(a, "B") && connected(b, "A"), "A <-> B");
      await a.stop();
      a = await topo.inProcess(gatewayConf("A", pa, {}));
      await waitFor(() => connected(a, "B") && connected(b, "A"), "B reconnected to the restarted A");
      expect(gatewayOf(b).remotes.has("A")).toBe(true);
    } finally {
      gatewayTuning.connectDelay = 50;
    }
  });

  test("a cluster learns of a third one by gossip over gateways and connects to it", async () => {
    const b = await topo.inProcess(gatewayConf("B", -1, {}));
    const pb = gatewayOf(b).port;
    const a = await topo.inProcess(gatewayConf("A", -1, { B: pb }));
    const c = await topo.inProcess(gatewayConf("C", -1, { B: pb }));
    await waitFor(() => ["B", "C"].every((n) => connected(a, n)) && ["A", "C"].every((n) => connected(b, n)) && ["A", "B"].every((n) => connected(c, n)), "full mesh A, B, C");
    const z = gatewayOf(a).gatewayz(NO_OPTS).outbound_gateways as Record<string, { configured: boolean }>;
    expect(z.B.configured).toBe(true);
    expect(z.C.configured).toBe(false);
    const cc = await topo.client(c);
    const ca = await topo.client(a);
    const got: string[] = [];
    ca.subscribe("from.c", { callback: (_e, m) => void got.push(m.string()) });
    await ca.flush();
    await publishUntil(cc, "from.c", () => got.length > 0, "C to A over the implicit gateway");
  });

  test("TestGatewayRejectUnknown: reject_unknown_cluster refuses gateways not configured", async () => {
    const b = await topo.inProcess(gatewayConf("B", -1, {}));
    const pb = gatewayOf(b).port;
    const a = await topo.inProcess(gatewayConf("A", -1, { B: pb }, "", "reject_unknown_cluster: true"));
    await waitFor(() => connected(a, "B") && connected(b, "A"), "A <-> B");
    // C knows only B; B tells C about A, and A refuses C.
    const c = await topo.inProcess(gatewayConf("C", -1, { B: pb }));
    await waitFor(() => connected(b, "C") && connected(c, "B"), "C <-> B");
    await waitFor(() => (gatewayOf(c).remotes.get("A")?.connectAttempts ?? 0) >= 1, "C tried A");
    await new Promise((r) => setTimeout(r, 200));
    expect([...gatewayOf(a).inbound.values()].some((x) => x.name === "C")).toBe(false);
    expect(gatewayOf(a).outbound.has("C")).toBe(false);
    expect(gatewayOf(a).remotes.has("C")).toBe(false);
  });

  test("TestGatewayWrongDestination: a remote with another name is refused until it has the right one", async () => {
    const wrong = await topo.inProcess(gatewayConf("C", -1, {}));
    const pb = gatewayOf(wrong).port;
    const a = await topo.inProcess(gatewayConf("A", -1, { B: pb }));
    const pa = gatewayOf(a).port;
    const remote = gatewayOf(a).remotes.get("B")!;
    await waitFor(() => remote.connectAttempts >= 2, "failed attempts");
    expect(gatewayOf(a).outbound.has("B")).toBe(false);
    await wrong.stop();
    const b = await topo.inProcess(gatewayConf("B", pb, { A: pa }));
    await waitFor(() => connected(a, "B") && connected(b, "A"), "connected once the name is right");
  });

  test("TestGatewayConnectToWrongPort: a gateway URL pointing at a client or route port never registers", async () => {
    const b = await topo.inProcess(gatewayConf("B", -1, {}, `cluster { name: B, host: 127.0.0.1, port: -1 }`));
    for (const port of [b.port, routePort(b)]) {
      const a = await topo.inProcess(gatewayConf("A", -1, { B: port }));
      const remote = gatewayOf(a).remotes.get("B")!;
      await waitFor(() => remote.connectAttempts >= 2, `attempts on port ${port}`);
      expect(gatewayOf(a).outbound.has("B")).toBe(false);
      expect(gatewayOf(b).inbound.size).toBe(0);
      await a.stop();
    }
  });

  test("TestGatewayAuth: credentials in the gateway URL must match the remote's authorization", async () => {
    let pb = -1;
    const withUrl = async (creds: string) =>
      `port: -1\ngateway { name: "A", host: 127.0.0.1, port: -1, gateways: [ { name: "B", url: "nats://${creds}@127.0.0.1:${pb}" } ] }\n`;
    const remote = (user: string, pass: string) => gatewayConf("B", pb, {}, "", `authorization { user: ${user}, password: ${pass} }`);
    // B binds a random port first, then restarts on it.
    let b = await topo.inProcess(remote("me", "pwd"));
    pb = gatewayOf(b).port;
    let a = await topo.inProcess(await withUrl("me:pwd"));
    await waitFor(() => connected(a, "B") && connected(b, "A"), "authenticated gateways");
    // A bcrypt hash of "pwd" is accepted as Go accepts it.
    await a.stop();
    await b.stop();
    b = await topo.inProcess(remote("me", '"$2b$04$qfY4NRlEu4D3nZv3n0sbrOFD/HR1QBLz8MUcXXdI0UCceIAm5AoJ6"'));
    a = await topo.inProcess(await withUrl("me:pwd"));
    await waitFor(() => connected(a, "B") && connected(b, "A"), "authenticated gateways with a bcrypt password");
    for (const [user, pass] of [["me", "wrong"], ["wrong", "pwd"]]) {
      await a.stop();
      await b.stop();
      b = await topo.inProcess(remote(user, pass));
      a = await topo.inProcess(await withUrl("me:pwd"));
      const cfg = gatewayOf(a).remotes.get("B")!;
      await waitFor(() => cfg.connectAttempts >= 2, "failed attempts");
      // B never accepts A (A registers its outbound on B's INFO, before B refuses the CONNECT).
      expect(gatewayOf(b).inbound.size).toBe(0);
    }
  });
});

describe("optimistic mode (Go before 2.9, GatewayDoNotForceInterestOnlyMode)", () => {
  const topo = new Topology();
  afterEach(async () => {
    await topo.stop();
    gatewayTuning.doNotForceInterestOnly = false;
    gatewayTuning.maxNoInterestBeforeSwitch = saved.maxNoInterestBeforeSwitch;
  });

  test("TestGatewaySubjectInterest: optimistic sends, RS- stops them, RS+ resumes, then the switch to interest-only", async () => {
    gatewayTuning.doNotForceInterestOnly = true;
    gatewayTuning.maxNoInterestBeforeSwitch = 5;
    const { a, b } = await topo.pair();
    const ca = await topo.client(a);
    const cb = await topo.client(b);
    cb.subscribe("keep.busy", { callback: () => undefined });
    await cb.flush();
    const gwA = gatewayOf(a);
    const outB = () => gwA.outboundInterest.get(gwA.outbound.get("B")!)!.get("$G")!;
    await waitFor(() => outB() !== undefined, "optimistic state");
    expect(outB().mode).toBe("Optimistic");

    // Optimistic: the first message goes out, B answers RS-, later ones stay home.
    ca.publish("quiet", "1");
    await ca.flush();
    await waitFor(() => outB().noInterest?.has("quiet") === true, "RS- for quiet");
    const before = sentTo(a, "B");
    for (let i = 0; i < 5; i++) ca.publish("quiet", "more");
    await ca.flush();
    expect(sentTo(a, "B")).toBe(before);

    // A subscription in B takes the RS- back.
    const got: string[] = [];
    cb.subscribe("quiet", { callback: (_e, m) => void got.push(m.string()) });
    await cb.flush();
    await publishUntil(ca, "quiet", () => got.length > 0, "quiet delivered after RS+");

    // Past the threshold of RS-, B sends all its interest and A stops being optimistic.
    for (let i = 0; i < 10; i++) ca.publish(`noise.${i}`, "x");
    await ca.flush();
    await waitFor(() => outB().mode === "Interest-Only", "switch to interest-only");
    const z = gwA.gatewayz({ ...NO_OPTS, accounts: true, accountName: "$G", subscriptions: true });
    const acc = (z.outbound_gateways as Record<string, { accounts: { interest_mode: string; subscriptions_list: string[] }[] }>).B.accounts[0];
    expect(acc.interest_mode).toBe("Interest-Only");
    expect(acc.subscriptions_list.sort()).toEqual(["keep.busy", "quiet"]);
    got.length = 0;
    await publishUntil(ca, "quiet", () => got.length > 0, "quiet still delivered");
    const after = sentTo(a, "B");
    ca.publish("noise.99", "x");
    await ca.flush();
    expect(sentTo(a, "B")).toBe(after);
  });
});
