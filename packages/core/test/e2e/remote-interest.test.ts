import { afterEach, describe, expect, test } from "vitest";
import { NatsServer, Subscription, type ClientKind, type MessageSink } from "../../src/index.js";
import { RawClient } from "../raw-client.js";

/** Stands in for a route or leaf connection: records what the router forwards to it. */
class FakeRemote implements MessageSink {
  readonly forwarded: { subject: string; reply: string | undefined; queues: readonly string[]; payload: string }[] = [];
  constructor(
    readonly cid: number,
    readonly kind: ClientKind,
    readonly leafSpoke = false,
  ) {}
  deliver(): boolean {
    throw new Error("remote interest is forwarded, never delivered");
  }
  removeSub(): void {}
  forward(subject: string, reply: string | undefined, queues: readonly string[], headerSize: number, msg: Buffer): boolean {
    this.forwarded.push({ subject, reply, queues: [...queues], payload: msg.subarray(headerSize).toString() });
    return true;
  }
}

let server: NatsServer;
let nextCid = 1000;

function remote(kind: ClientKind, leafSpoke = false): FakeRemote {
  return new FakeRemote(nextCid++, kind, leafSpoke);
}

function interest(sink: MessageSink, subject: string, queue?: string): Subscription {
  const sub = new Subscription(sink, subject, String(nextCid++), queue);
  server.globalAccount.sublist.insert(sub);
  return sub;
}

function publish(from: MessageSink | undefined, subject: string, payload = "x", queues?: string[]): void {
  server.publish(from, server.globalAccount, subject, undefined, 0, Buffer.from(payload), queues);
}

async function startServer(): Promise<void> {
  server = new NatsServer({ port: 0 });
  await server.start();
}

afterEach(async () => {
  await server?.shutdown();
});

describe("remote interest in the publish path", () => {
  test("a route gets one copy however many of its subscriptions match", async () => {
    await startServer();
    const route = remote("ROUTER");
    interest(route, "foo.bar");
    interest(route, "foo.*");
    interest(route, ">");
    publish(undefined, "foo.bar", "hello");
    expect(route.forwarded).toEqual([{ subject: "foo.bar", reply: undefined, queues: [], payload: "hello" }]);
  });

  test("what came over a route reaches local subscribers but no other route", async () => {
    await startServer();
    const from = remote("ROUTER");
    const other = remote("ROUTER");
    const local = server.createInternalClient("SYSTEM");
    const got: string[] = [];
    local.subscribe("foo", (s) => got.push(s));
    interest(other, "foo");
    publish(from, "foo");
    expect(got).toEqual(["foo"]);
    expect(other.forwarded).toEqual([]);
  });

  test("a queue group with only a route member is forwarded with the group's name", async () => {
    await startServer();
    const route = remote("ROUTER");
    interest(route, "work", "q1");
    interest(route, "work");
    publish(undefined, "work");
    expect(route.forwarded.map((f) => f.queues)).toEqual([["q1"]]);
  });

  test("a local queue member is preferred to a leaf member", async () => {
    await startServer();
    const leaf = remote("LEAF");
    interest(leaf, "work", "q");
    const local = server.createInternalClient("SYSTEM");
    let count = 0;
    local.subscribe("work", () => count++, "q");
    for (let i = 0; i < 50; i++) publish(undefined, "work");
    expect(count).toBe(50);
    expect(leaf.forwarded).toEqual([]);
  });

  test("route and local queue members share the load at random", async () => {
    await startServer();
    const route = remote("ROUTER");
    interest(route, "work", "q");
    const local = server.createInternalClient("SYSTEM");
    let count = 0;
    local.subscribe("work", () => count++, "q");
    for (let i = 0; i < 200; i++) publish(undefined, "work");
    expect(count + route.forwarded.length).toBe(200);
    expect(count).toBeGreaterThan(0);
    expect(route.forwarded.length).toBeGreaterThan(0);
  });

  test("a routed message reaches only the queue groups its sender named, and only local members", async () => {
    await startServer();
    const from = remote("ROUTER");
    const otherRoute = remote("ROUTER");
    interest(otherRoute, "work", "q1");
    const local = server.createInternalClient("SYSTEM");
    const got: string[] = [];
    local.subscribe("work", () => got.push("q1"), "q1");
    local.subscribe("work", () => got.push("q2"), "q2");
    publish(from, "work", "a", ["q1"]);
    expect(got).toEqual(["q1"]);
    publish(from, "work", "b");
    expect(got).toEqual(["q1"]);
    expect(otherRoute.forwarded).toEqual([]);
  });

  test("a leaf never gets its own messages back; a spoke leaf gets no route traffic but service replies", async () => {
    await startServer();
    const leaf = remote("LEAF");
    const spoke = remote("LEAF", true);
    const route = remote("ROUTER");
    interest(leaf, ">");
    interest(spoke, ">");
    publish(leaf, "from.leaf");
    expect(leaf.forwarded).toEqual([]);
    expect(spoke.forwarded.map((f) => f.subject)).toEqual(["from.leaf"]);
    publish(route, "from.route");
    publish(route, "_R_.abc.reply");
    expect(leaf.forwarded.map((f) => f.subject)).toEqual(["from.route", "_R_.abc.reply"]);
    expect(spoke.forwarded.map((f) => f.subject)).toEqual(["from.leaf", "_R_.abc.reply"]);
  });

  test("what our hub sends is not passed on to our routes", async () => {
    await startServer();
    const hub = remote("LEAF", true);
    const route = remote("ROUTER");
    interest(route, "foo");
    publish(hub, "foo");
    expect(route.forwarded).toEqual([]);
  });

  test("gateways get what entered the cluster here, and queue messages only when the cluster has no member", async () => {
    await startServer();
    const gateway = remote("GATEWAY");
    const route = remote("ROUTER");
    interest(gateway, ">");
    interest(gateway, "work", "q");
    publish(undefined, "local.pub");
    publish(route, "routed.pub");
    publish(remote("GATEWAY"), "other.cluster");
    expect(gateway.forwarded.map((f) => f.subject)).toEqual(["local.pub"]);
    interest(route, "work", "q");
    for (let i = 0; i < 20; i++) publish(undefined, "work");
    expect(route.forwarded.filter((f) => f.subject === "work")).toHaveLength(20);
    expect(gateway.forwarded.filter((f) => f.queues.length > 0)).toEqual([]);
  });

  test("deliverAs shows the given subject here and forwards on the matched subject", async () => {
    await startServer();
    const route = remote("ROUTER");
    interest(route, "_INBOX.x");
    const js = server.createInternalClient("JETSTREAM");
    const local = server.createInternalClient("SYSTEM");
    const seen: string[] = [];
    local.subscribe("_INBOX.x", (subject, reply) => seen.push(`${subject} ${reply}`));
    expect(js.deliverAs("_INBOX.x", "orders.new", "$JS.ACK.1", 0, Buffer.from("m"))).toBe(true);
    expect(seen).toEqual(["orders.new $JS.ACK.1"]);
    expect(route.forwarded).toEqual([{ subject: "_INBOX.x", reply: "$JS.ACK.1", queues: [], payload: "m" }]);
    expect(js.deliverAs("_INBOX.nobody", "orders.new", undefined, 0, Buffer.from("m"))).toBe(false);
  });

  test("traffic from and to other servers is counted apart from client traffic", async () => {
    await startServer();
    const route = remote("ROUTER");
    interest(route, "out");
    const c = await RawClient.open(server.port);
    c.send('CONNECT {"verbose":false}\r\nSUB in 1\r\nPUB out 2\r\nhi\r\nPING\r\n');
    await c.waitFor("PONG");
    server.publish(route, server.globalAccount, "in", undefined, 0, Buffer.from("abc"));
    await c.waitFor("MSG in 1 3");
    const { inMsgs, inBytes, outMsgs, outBytes, peerInMsgs, peerInBytes, peerOutMsgs, peerOutBytes } = server.stats;
    expect({ inMsgs, inBytes, outMsgs, outBytes }).toEqual({ inMsgs: 2, inBytes: 5, outMsgs: 2, outBytes: 5 });
    expect({ peerInMsgs, peerInBytes, peerOutMsgs, peerOutBytes }).toEqual({ peerInMsgs: 1, peerInBytes: 3, peerOutMsgs: 1, peerOutBytes: 2 });
    c.close();
  });

  test("a request forwarded to a route counts as reaching a responder", async () => {
    await startServer();
    const route = remote("ROUTER");
    interest(route, "svc");
    const c = await RawClient.open(server.port);
    c.send('CONNECT {"protocol":1,"headers":true,"no_responders":true,"verbose":false}\r\nSUB inbox 1\r\nPUB svc inbox 2\r\nhi\r\nPING\r\n');
    await c.waitFor("PONG");
    expect(c.received).not.toContain("503");
    expect(route.forwarded).toEqual([{ subject: "svc", reply: "inbox", queues: [], payload: "hi" }]);
    c.close();
  });
});

describe("gateway-routed replies (Go's gwReplyMapping)", () => {
  test("a client sees the reply without its _GR_ prefix, and its answer goes to the routed subject", async () => {
    await startServer();
    const c = await RawClient.open(server.port);
    c.send('CONNECT {"verbose":false}\r\nSUB svc 1\r\nPING\r\n');
    await c.waitFor("PONG");
    const routed: string[] = [];
    const gw = server.createInternalClient("SYSTEM");
    gw.subscribe("_GR_.>", (subject) => routed.push(subject));
    server.publish(remote("GATEWAY"), server.globalAccount, "svc", "_GR_.abcdef.ghijkl._INBOX.x", 0, Buffer.from("q"));
    await c.waitFor("MSG svc 1 _INBOX.x 1");
    c.send("PUB _INBOX.x 1\r\na\r\nPING\r\n");
    await c.waitFor(/PONG[\s\S]*PONG/);
    expect(routed).toEqual(["_GR_.abcdef.ghijkl._INBOX.x"]);
    c.close();
  });
});

describe("interest watchers and cluster INFO", () => {
  test("a sublist watcher sees each insert and removal", async () => {
    await startServer();
    const seen: string[] = [];
    const stop = server.globalAccount.sublist.watch((sub, added) => seen.push(`${added ? "+" : "-"}${sub.subject}`));
    const c = server.createInternalClient("SYSTEM");
    const sub = c.subscribe("a.b", () => {});
    c.removeSub(sub);
    stop();
    c.subscribe("c", () => {});
    expect(seen).toEqual(["+a.b", "-a.b"]);
  });

  test("a new account is announced", async () => {
    await startServer();
    const names: string[] = [];
    server.events.on("accountRegistered", (a) => names.push(a.name));
    server.registerAccount("NEW");
    server.registerAccount("NEW");
    expect(names).toEqual(["NEW"]);
  });

  test("cluster INFO fields reach clients that speak protocol 1, not the others", async () => {
    await startServer();
    const modern = await RawClient.open(server.port);
    const legacy = await RawClient.open(server.port);
    modern.send('CONNECT {"protocol":1,"verbose":false}\r\nPING\r\n');
    legacy.send('CONNECT {"protocol":0,"verbose":false}\r\nPING\r\n');
    await modern.waitFor("PONG");
    await legacy.waitFor("PONG");
    server.setClusterInfo({ cluster: "east", connect_urls: ["127.0.0.1:4333"] }, true);
    const text = await modern.waitFor(/INFO .*"connect_urls":\["127\.0\.0\.1:4333"\]/);
    expect(text).toContain('"cluster":"east"');
    legacy.send("PING\r\n");
    await legacy.waitFor(/PONG\r\n[\s\S]*PONG\r\n/);
    expect(legacy.received.match(/INFO /g)).toHaveLength(1);
    const late = await RawClient.open(server.port);
    expect(await late.waitFor("INFO")).toContain('"connect_urls":["127.0.0.1:4333"]');
    for (const c of [modern, legacy, late]) c.close();
  });
});
