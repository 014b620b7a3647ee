import { headers, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { NatsServer } from "../../src/index.js";
import { connectTo, startServer } from "../helpers.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

function collect(nc: NatsConnection, subject: string, count: number, opts: { queue?: string } = {}): Promise<Msg[]> {
  const got: Msg[] = [];
  return new Promise((resolve) => {
    nc.subscribe(subject, {
      ...opts,
      callback: (_err, m) => {
        got.push(m);
        if (got.length === count) resolve(got);
      },
    });
  });
}

describe("core NATS with the nats.js client", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.shutdown());

  test("connects and reads the server's INFO", async () => {
    const nc = await connectTo(server);
    expect(nc.info?.server_id).toBe(server.id);
    expect(nc.info?.headers).toBe(true);
    expect(nc.info?.proto).toBe(1);
    expect(nc.info?.max_payload).toBe(1024 * 1024);
    await nc.close();
  });

  test("publish reaches a subscriber with subject, reply and payload intact", async () => {
    const nc = await connectTo(server);
    const got = collect(nc, "greet.one", 1);
    await nc.flush();
    nc.publish("greet.one", enc.encode("hello"), { reply: "answer.here" });
    const [m] = await got;
    expect(m.subject).toBe("greet.one");
    expect(m.reply).toBe("answer.here");
    expect(dec.decode(m.data)).toBe("hello");
    await nc.close();
  });

  test("wildcards: * matches one token, > matches the rest", async () => {
    const nc = await connectTo(server);
    const star: string[] = [];
    const full: string[] = [];
    nc.subscribe("w.*.end", { callback: (_e, m) => { star.push(m.subject); } });
    nc.subscribe("w.>", { callback: (_e, m) => { full.push(m.subject); } });
    await nc.flush();
    for (const s of ["w.a.end", "w.a.b.end", "w.b.end", "w", "x.a.end"]) nc.publish(s);
    await nc.flush();
    await nc.flush();
    expect(star).toEqual(["w.a.end", "w.b.end"]);
    expect(full).toEqual(["w.a.end", "w.a.b.end", "w.b.end"]);
    await nc.close();
  });

  test("queue group: each of 1000 messages goes to exactly one member, spread across members", async () => {
    const members = await Promise.all([1, 2, 3].map(() => connectTo(server)));
    const counts = [0, 0, 0];
    members.forEach((nc, i) => nc.subscribe("work", { queue: "workers", callback: () => { counts[i]++; } }));
    const plain = await connectTo(server);
    let plainCount = 0;
    plain.subscribe("work", { callback: () => { plainCount++; } });
    await Promise.all([...members, plain].map((nc) => nc.flush()));
    const pub = await connectTo(server);
    for (let i = 0; i < 1000; i++) pub.publish("work", enc.encode(String(i)));
    await pub.flush();
    await Promise.all([...members, plain].map((nc) => nc.flush()));
    expect(counts[0] + counts[1] + counts[2]).toBe(1000);
    expect(plainCount).toBe(1000);
    for (const c of counts) expect(c).toBeGreaterThan(200);
    await Promise.all([...members, plain, pub].map((nc) => nc.close()));
  });

  test("request/reply", async () => {
    const responder = await connectTo(server);
    responder.subscribe("math.double", { callback: (_e, m) => { m.respond(enc.encode(String(Number(dec.decode(m.data)) * 2))); } });
    await responder.flush();
    const requester = await connectTo(server);
    const replies = await Promise.all([1, 2, 3].map((n) => requester.request("math.double", enc.encode(String(n)), { timeout: 2000 })));
    expect(replies.map((r) => dec.decode(r.data))).toEqual(["2", "4", "6"]);
    await Promise.all([responder.close(), requester.close()]);
  });

  test("headers round trip, multi-valued and case preserved", async () => {
    const nc = await connectTo(server);
    const got = collect(nc, "hdr", 1);
    await nc.flush();
    const h = headers();
    h.append("X-Trace", "a");
    h.append("X-Trace", "b");
    h.set("lower-case", "v");
    nc.publish("hdr", enc.encode("body"), { headers: h });
    const [m] = await got;
    expect(m.headers?.values("X-Trace")).toEqual(["a", "b"]);
    expect(m.headers?.get("lower-case")).toBe("v");
    expect(dec.decode(m.data)).toBe("body");
    await nc.close();
  });

  test("a request nobody answers fails fast with no responders (503)", async () => {
    const nc = await connectTo(server);
    const started = Date.now();
    await expect(nc.request("nobody.home", enc.encode("?"), { timeout: 5000 })).rejects.toThrow(/503|no responders/i);
    expect(Date.now() - started).toBeLessThan(4000);
    await nc.close();
  });

  test("echo off: a connection does not receive its own messages", async () => {
    const nc = await connectTo(server, { noEcho: true });
    const other = await connectTo(server);
    const mine: string[] = [];
    const theirs: string[] = [];
    nc.subscribe("echo.test", { callback: (_e, m) => { mine.push(dec.decode(m.data)); } });
    other.subscribe("echo.test", { callback: (_e, m) => { theirs.push(dec.decode(m.data)); } });
    await Promise.all([nc.flush(), other.flush()]);
    nc.publish("echo.test", enc.encode("from-nc"));
    other.publish("echo.test", enc.encode("from-other"));
    await Promise.all([nc.flush(), other.flush()]);
    await Promise.all([nc.flush(), other.flush()]);
    expect(mine).toEqual(["from-other"]);
    expect(theirs.sort()).toEqual(["from-nc", "from-other"]);
    await Promise.all([nc.close(), other.close()]);
  });

  test("auto-unsubscribe after max messages", async () => {
    const nc = await connectTo(server);
    const got: number[] = [];
    const sub = nc.subscribe("auto", { max: 3, callback: (_e, m) => { got.push(Number(dec.decode(m.data))); } });
    await nc.flush();
    for (let i = 0; i < 10; i++) nc.publish("auto", enc.encode(String(i)));
    await nc.flush();
    await sub.closed;
    expect(got).toEqual([0, 1, 2]);
    expect(server.globalAccount.sublist.match("auto").psubs.length).toBe(0);
    await nc.close();
  });

  test("100 concurrent clients each get their own and the shared messages", async () => {
    const clients = await Promise.all(Array.from({ length: 100 }, () => connectTo(server)));
    const own = clients.map((nc, i) => collect(nc, `client.${i}`, 1));
    const shared = clients.map((nc) => collect(nc, "all.clients", 1));
    await Promise.all(clients.map((nc) => nc.flush()));
    const pub = await connectTo(server);
    for (let i = 0; i < 100; i++) pub.publish(`client.${i}`, enc.encode(String(i)));
    pub.publish("all.clients", enc.encode("everyone"));
    await pub.flush();
    const ownMsgs = await Promise.all(own);
    ownMsgs.forEach(([m], i) => expect(dec.decode(m.data)).toBe(String(i)));
    for (const [m] of await Promise.all(shared)) expect(dec.decode(m.data)).toBe("everyone");
    await Promise.all([...clients, pub].map((nc) => nc.close()));
  });
});
