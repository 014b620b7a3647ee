import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { ClientPermissions, type NatsServer } from "../../src/index.js";
import { startFromConf } from "../conf-server.js";
import { connectTo } from "../helpers.js";
import { RawClient } from "../raw-client.js";

const enc = new TextEncoder();
const servers: NatsServer[] = [];
const raws: RawClient[] = [];
const conns: NatsConnection[] = [];

afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  for (const nc of conns.splice(0)) await nc.close().catch(() => {});
  for (const s of servers.splice(0)) await s.shutdown();
});

const PERMS_CONF = `
  authorization {
    users = [
      { user: limited, password: pw, permissions: {
          publish: { allow: ["orders.>", "logs.*"], deny: ["orders.secret"] }
          subscribe: { allow: ["updates.>", "work.* workers", "_INBOX.>"], deny: ["updates.private"] }
      } }
      { user: svc, password: pw, permissions: { subscribe: "requests.>", allow_responses: true } }
      { user: svc2, password: pw, permissions: { subscribe: "requests.>", allow_responses: { max: 2, expires: "1m" } } }
      { user: admin, password: pw }
    ]
  }`;

async function start(): Promise<NatsServer> {
  const s = await startFromConf(PERMS_CONF);
  servers.push(s);
  return s;
}

async function raw(server: NatsServer, user: string): Promise<RawClient> {
  const r = await RawClient.open(server.port);
  raws.push(r);
  r.send(`CONNECT ${JSON.stringify({ user, pass: "pw", verbose: false, headers: true, protocol: 1 })}\r\n`);
  return r;
}

async function pingPong(r: RawClient): Promise<string> {
  const before = (r.received.match(/PONG/g) ?? []).length;
  r.send("PING\r\n");
  await r.waitFor(new RegExp(`(PONG[\\s\\S]*){${before + 1}}`));
  return r.received;
}

describe("permissions", () => {
  test("publish allow/deny: a violation answers Go's -ERR and keeps the connection open", async () => {
    const s = await start();
    const r = await raw(s, "limited");
    r.send("PUB orders.new 1\r\nx\r\nPUB orders.secret 1\r\nx\r\nPUB payments.x 1\r\nx\r\nPUB logs.app 1\r\nx\r\n");
    const got = await pingPong(r);
    expect(got).toContain(`-ERR 'Permissions Violation for Publish to "orders.secret"'`);
    expect(got).toContain(`-ERR 'Permissions Violation for Publish to "payments.x"'`);
    expect(got).not.toContain(`"orders.new"`);
    expect(got).not.toContain(`"logs.app"`);
    expect(r.closed).toBe(false);
  });

  test("subscribe allow/deny and queue-specific entries", async () => {
    const s = await start();
    const r = await raw(s, "limited");
    r.send("SUB updates.a 1\r\nSUB updates.private 2\r\nSUB other 3\r\nSUB work.x workers 4\r\nSUB work.x loafers 5\r\nSUB work.x 6\r\n");
    const got = await pingPong(r);
    expect(got).toContain(`-ERR 'Permissions Violation for Subscription to "updates.private"'`);
    expect(got).toContain(`-ERR 'Permissions Violation for Subscription to "other"'`);
    expect(got).toContain(`-ERR 'Permissions Violation for Subscription to "work.x" using queue "loafers"'`);
    expect(got).not.toContain(`"updates.a"`);
    expect(got).not.toContain(`using queue "workers"`);
    // A plain (non-queue) subscription is not covered by a queue-specific allow entry.
    expect(got).toContain(`-ERR 'Permissions Violation for Subscription to "work.x"'\r\n`);
    expect([...s.connections.values()][0].subs.size).toBe(2);
    expect(r.closed).toBe(false);
  });

  test("a wildcard subscription overlapping the deny list gets no denied messages", async () => {
    const s = await start();
    const r = await raw(s, "limited");
    r.send("SUB updates.> 1\r\n");
    await pingPong(r);
    const admin = await connectTo(s, { user: "admin", pass: "pw" });
    conns.push(admin);
    admin.publish("updates.private", enc.encode("no"));
    admin.publish("updates.public", enc.encode("yes"));
    await admin.flush();
    await r.waitFor("MSG updates.public 1 3\r\nyes");
    await pingPong(r);
    expect(r.received).not.toContain("updates.private");
  });

  test("TestAccountUserSubPermsWithQueueGroups: a queue subscription overlapping the deny list gets no denied messages", async () => {
    const s = await startFromConf(`
      listen: 127.0.0.1:-1
      authorization { users = [ { user: user, password: "pass", permissions: {
        publish: "foo.restricted", subscribe: { allow: "foo.>", deny: "foo.restricted" }, allow_responses: { max: 1, ttl: 0s } } } ] }`);
    servers.push(s);
    const nc = await connectTo(s, { user: "user", pass: "pass" });
    conns.push(nc);
    let received = 0;
    nc.subscribe("foo.>", {
      queue: "qg",
      callback: () => {
        received++;
      },
    });
    nc.publish("foo.restricted", enc.encode("RESTRICTED"));
    await nc.flush();
    await nc.flush();
    expect(received).toBe(0);
  });

  test("allow_responses: a responder may answer a request once, but may not publish elsewhere", async () => {
    const s = await start();
    const svc = await connectTo(s, { user: "svc", pass: "pw" });
    conns.push(svc);
    const replies: string[] = [];
    svc.subscribe("requests.>", {
      callback: (_e, m) => {
        replies.push(m.reply!);
        m.respond(enc.encode("first"));
        m.respond(enc.encode("second")); // over the default max of 1: refused
      },
    });
    await svc.flush();
    const admin = await connectTo(s, { user: "admin", pass: "pw" });
    conns.push(admin);
    const got: string[] = [];
    admin.subscribe("reply.here", {
      callback: (_e, m) => {
        got.push(m.string());
      },
    });
    await admin.flush();
    admin.publish("requests.time", enc.encode("?"), { reply: "reply.here" });
    await admin.flush();
    await new Promise((r) => setTimeout(r, 50));
    await svc.flush();
    await admin.flush();
    expect(got).toEqual(["first"]);
    const r = await raw(s, "svc");
    r.send("PUB reply.here 1\r\nx\r\n");
    expect(await pingPong(r)).toContain(`-ERR 'Permissions Violation for Publish to "reply.here"'`);
  });

  test("allow_responses { max: 2 }: two responses pass, the third is refused", async () => {
    const s = await start();
    const r = await raw(s, "svc2");
    r.send("SUB requests.> 1\r\n");
    await pingPong(r);
    const admin = await connectTo(s, { user: "admin", pass: "pw" });
    conns.push(admin);
    admin.publish("requests.x", enc.encode("?"), { reply: "back.1" });
    await admin.flush();
    await r.waitFor("MSG requests.x 1 back.1 1");
    r.send("PUB back.1 1\r\na\r\nPUB back.1 1\r\nb\r\nPUB back.1 1\r\nc\r\n");
    const got = await pingPong(r);
    expect(got.match(/Permissions Violation for Publish to "back.1"/g)?.length).toBe(1);
  });

  test("ClientPermissions: allow_responses alone means publish nothing but responses", () => {
    const p = new ClientPermissions({ allowResponses: { maxMsgs: 1, expires: 0 } });
    expect(p.canPublish("anything")).toBe(false);
    expect(new ClientPermissions({ subscribe: { allow: ["a.>"] } }).canPublish("anything")).toBe(true);
    const q = new ClientPermissions({ subscribe: { allow: ["foo.*"], deny: ["foo.bar baz.*"] } });
    expect(q.canSubscribe("foo.bar")).toBe(true);
    expect(q.canSubscribe("foo.bar", "baz.1")).toBe(false);
    expect(q.canSubscribe("foo.bar", "other")).toBe(true);
    expect(q.canSubscribe("foo.*")).toBe(true);
  });
});

describe("reserved subjects", () => {
  test("clients may not use the server's reply prefixes (_R_., $JS.ACK., _GR_.) nor publish to $NRG.", async () => {
    const s = await startFromConf(`port: -1`);
    servers.push(s);
    const r = await RawClient.open(s.port);
    raws.push(r);
    r.send('CONNECT {"verbose":false}\r\nPUB svc _R_.abc.1 1\r\nx\r\nPUB x $JS.ACK.s.c.1.1.1.1.0 1\r\nx\r\nPUB $NRG.vote 1\r\nx\r\nPUB ok _INBOX.1 1\r\nx\r\n');
    const got = await pingPong(r);
    expect(got).toContain(`-ERR 'Permissions Violation for Publish with Reply of "_R_.abc.1"'`);
    expect(got).toContain(`-ERR 'Permissions Violation for Publish with Reply of "$JS.ACK.s.c.1.1.1.1.0"'`);
    expect(got).toContain(`-ERR 'Permissions Violation for Publish to "$NRG.vote"'`);
    expect(got).not.toContain(`_INBOX.1"`);
    expect(r.closed).toBe(false);
  });
});
