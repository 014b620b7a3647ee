// Ports of the Go server's raw-protocol tests (test/proto_test.go, verbose_test.go,
// pedantic_test.go, ping_test.go, maxpayload_test.go, auth_test.go).
import { describe, expect, test } from "vitest";
import { ERR_RE, expectMsgs, flushed, protoFixture } from "./proto-helpers.js";

const { server, conn, raw: rawConn } = protoFixture();

describe("test/proto_test.go", () => {
  test("TestProtoBasics: PING, a message to one sub, a message to a wildcard sub too", async () => {
    const c = await conn(await server());
    c.send("PING\r\n");
    await c.waitFor("PONG\r\n");
    c.send("SUB foo 1\r\nPUB foo 5\r\nhello\r\n");
    const [m] = await expectMsgs(c, 1);
    expect(m).toEqual({ subject: "foo", sid: "1", reply: "", size: "5", payload: "hello" });
    c.received = "";
    c.send("SUB * 2\r\nPUB foo 2\r\nok\r\n");
    const two = await expectMsgs(c, 2);
    expect(two.map((x) => x.sid).sort()).toEqual(["1", "2"]);
    for (const x of two) expect([x.subject, x.payload]).toEqual(["foo", "ok"]);
  });

  test("TestProtoErr: a bad operation gets -ERR", async () => {
    const c = await conn(await server());
    c.send("ZZZ");
    await c.waitFor(ERR_RE);
  });

  test("TestUnsubMax: UNSUB sid 2 delivers exactly two of a hundred", async () => {
    const c = await conn(await server());
    c.send("SUB foo 22\r\nUNSUB 22 2\r\n");
    for (let i = 0; i < 100; i++) c.send("PUB foo 2\r\nok\r\n");
    await flushed(c);
    const msgs = await expectMsgs(c, 2);
    expect(msgs).toHaveLength(2);
    for (const m of msgs) expect([m.subject, m.sid, m.payload]).toEqual(["foo", "22", "ok"]);
  });

  test("TestQueueSub: two members of a group share 100 messages", async () => {
    const c = await conn(await server());
    c.send("SUB foo qgroup1 22\r\nSUB foo qgroup1 32\r\n");
    for (let i = 0; i < 100; i++) c.send("PUB foo 2\r\nok\r\n");
    const msgs = await expectMsgs(c, 100);
    const bySid = new Map<string, number>();
    for (const m of msgs) bySid.set(m.sid, (bySid.get(m.sid) ?? 0) + 1);
    expect(bySid.size).toBe(2);
    for (const n of bySid.values()) expect(n).toBeGreaterThanOrEqual(35);
  });

  test("TestMultipleQueueSub: each group gets every message once", async () => {
    const c = await conn(await server());
    c.send("SUB foo g1 1\r\nSUB foo g1 2\r\nSUB foo g2 3\r\nSUB foo g2 4\r\n");
    for (let i = 0; i < 100; i++) c.send("PUB foo 2\r\nok\r\n");
    const msgs = await expectMsgs(c, 200);
    await flushed(c);
    const bySid = new Map<string, number>();
    for (const m of msgs) bySid.set(m.sid, (bySid.get(m.sid) ?? 0) + 1);
    expect(bySid.size).toBe(4);
    expect((bySid.get("1") ?? 0) + (bySid.get("2") ?? 0)).toBe(100);
    expect((bySid.get("3") ?? 0) + (bySid.get("4") ?? 0)).toBe(100);
    for (const n of bySid.values()) expect(n).toBeGreaterThanOrEqual(35);
  });

  test("TestPubToArgState: PUBS is an error", async () => {
    const c = await conn(await server());
    c.send("PUBS foo 2\r\nok\r\n");
    await c.waitFor(ERR_RE);
  });

  test("TestSubToArgState: SUBZZZ is an error", async () => {
    const c = await conn(await server());
    c.send("SUBZZZ foo 1\r\n");
    await c.waitFor(ERR_RE);
  });

  test("TestProtoCrash: a CONNECT split before its CRLF still gets +OK", async () => {
    const c = await rawConn(await server());
    c.send('CONNECT {"verbose":true,"tls_required":false,"user":"test","pedantic":true,"pass":"password"}');
    await new Promise((r) => setTimeout(r, 100));
    c.send("\r\n");
    await c.waitFor("+OK\r\n");
  });

  test("a CONNECT whose JSON cannot be read is closed without an -ERR, as Go does", async () => {
    const s = await server();
    const c = await rawConn(s);
    c.received = "";
    c.send("CONNECT {not json}\r\n");
    await c.waitClosed();
    expect(c.received).toBe("");
  });

  test("TestDuplicateProtoSub: the same sid twice is one subscription", async () => {
    const s = await server();
    const c = await conn(s);
    c.send("SUB foo 1\r\nSUB foo 1\r\n");
    await flushed(c);
    expect(s.globalAccount.sublist.count).toBe(1);
  });

  test("TestIncompletePubArg: a short payload that swallows the next PUB is an error", async () => {
    const c = await conn(await server());
    const good = "A".repeat(10000) + "\r\n";
    const bad = "B".repeat(3371);
    const bad2 = "C".repeat(10000) + "\r\n";
    const pub = "PUB example 10000\r\n";
    c.send(pub + good + pub + good + pub + bad + pub + bad2);
    await c.waitFor(ERR_RE);
  });

  test("TestControlLineMaximums: a control line over 4096 bytes is an error", async () => {
    const c = await conn(await server());
    c.send("PUB foo " + "2222222222".repeat(32 * 20));
    await c.waitFor(ERR_RE);
    expect(c.received).toContain("-ERR 'maximum control line exceeded'");
  });
});

describe("test/verbose_test.go", () => {
  test("TestVerbosePing: CONNECT gets +OK, PING still gets PONG", async () => {
    const c = await rawConn(await server());
    c.send('CONNECT {"verbose":true,"pedantic":false}\r\n');
    await c.waitFor("+OK\r\n");
    c.send("PING\r\n");
    await c.waitFor("PONG\r\n");
  });

  test("TestVerboseConnect: a second CONNECT also gets +OK", async () => {
    const c = await rawConn(await server());
    c.send('CONNECT {"verbose":true,"pedantic":false}\r\n');
    await c.waitFor("+OK\r\n");
    c.received = "";
    c.send('CONNECT {"verbose":true,"pedantic":true,"tls_required":false}\r\n');
    await c.waitFor("+OK\r\n");
  });

  test("TestVerbosePubSub: PUB, SUB and UNSUB each get +OK", async () => {
    const c = await rawConn(await server());
    c.send('CONNECT {"verbose":true,"pedantic":false}\r\n');
    await c.waitFor("+OK\r\n");
    for (const op of ["PUB foo 2\r\nok\r\n", "SUB foo 1\r\n", "UNSUB 1\r\n"]) {
      c.received = "";
      c.send(op);
      await c.waitFor("+OK\r\n");
    }
  });
});

describe("test/pedantic_test.go", () => {
  test("TestPedanticSub: malformed SUB subjects get -ERR 'Invalid Subject'", async () => {
    const c = await conn(await server(), '{"verbose":false,"pedantic":true}');
    for (const subject of ["foo.", ".foo.", "foo..bar", "foo.>.bar"]) {
      c.received = "";
      c.send(`SUB ${subject} 1\r\n`);
      await c.waitFor(ERR_RE);
      expect(c.received.match(ERR_RE)![1]).toBe("'Invalid Subject'");
    }
  });

  test("TestPedanticPub: in pedantic mode wildcards and empty tokens in PUB subjects are errors", async () => {
    const c = await conn(await server(), '{"verbose":false,"pedantic":true}');
    for (const subject of ["foo.*", "foo.>", "foo.", ".foo", "foo..*"]) {
      c.received = "";
      c.send(`PUB ${subject} 2\r\nok\r\n`);
      await c.waitFor("-ERR 'Invalid Publish Subject'\r\n");
    }
  });
});

describe("test/ping_test.go", () => {
  const PING_INTERVAL = 50;
  const PING_MAX = 2;

  test("TestPingInterval: PING_MAX unanswered PINGs, then -ERR and a close", async () => {
    const c = await conn(await server({ pingInterval: PING_INTERVAL, pingMax: PING_MAX }));
    await c.waitFor(/(?:[\s\S]*?PING\r\n){2}/);
    await c.waitFor(ERR_RE);
    expect(c.received).toContain("-ERR 'Stale Connection'");
    await c.waitClosed();
  });

  test("TestUnpromptedPong: PONGs nobody asked for do not keep a connection alive", async () => {
    const c = await conn(await server({ pingInterval: PING_INTERVAL, pingMax: PING_MAX }));
    for (let i = 0; i < 100; i++) c.send("PONG\r\n");
    await c.waitFor(/(?:[\s\S]*?PING\r\n){2}/);
    await c.waitFor(ERR_RE);
    await c.waitClosed();
  });

  test("TestPingSuppresion: a client PING suppresses the server's next PING", async () => {
    const interval = 200;
    const s = await server({ pingInterval: interval });
    const c = await conn(s);
    await c.waitFor("PING\r\n");
    c.send("PONG\r\n");
    await new Promise((r) => setTimeout(r, interval / 2));
    c.received = "";
    c.send("PING\r\n");
    await c.waitFor("PONG\r\n");
    await new Promise((r) => setTimeout(r, interval));
    expect(c.received).toBe("PONG\r\n");
  });
});

describe("test/maxpayload_test.go", () => {
  test("TestMaxPayloadOverrun: an oversize PUB is refused; an absurd size disconnects", async () => {
    const s = await server({ maxPayload: 10000 });
    const c = await conn(s);
    c.send("PUB foo 199380988\r\n");
    await c.waitFor(ERR_RE);
    const d = await conn(s);
    d.send("PUB foo 18446744073709551615123\r\n");
    await d.waitClosed();
  });
});

describe("test/auth_test.go", () => {
  const token = { authorization: { token: "s3cr3t" } };

  test("TestNoAuthClient: INFO does not ask for auth when none is configured", async () => {
    const c = await rawConn(await server());
    expect(c.received).not.toContain('"auth_required"');
  });

  test("TestAuthClientBadToken: a wrong token gets -ERR 'Authorization Violation'", async () => {
    const c = await rawConn(await server(token));
    expect(c.received).toContain('"auth_required":true');
    c.send('CONNECT {"verbose":true,"auth_token":"ZZZ"}\r\n');
    await c.waitFor("-ERR 'Authorization Violation'\r\n");
  });

  test("TestAuthClientNoConnect: no CONNECT within the auth timeout is an error", async () => {
    const c = await rawConn(await server({ authorization: { token: "s3cr3t", timeout: 0.2 } }));
    await c.waitFor(ERR_RE);
  });

  test("TestAuthClientGoodConnect: the right token gets +OK", async () => {
    const c = await rawConn(await server(token));
    c.send('CONNECT {"verbose":true,"auth_token":"s3cr3t"}\r\n');
    await c.waitFor("+OK\r\n");
  });

  test("TestAuthClientFailOnEverythingElse: PUB before CONNECT is an error", async () => {
    const c = await rawConn(await server(token));
    c.send("PUB foo 2\r\nok\r\n");
    await c.waitFor(ERR_RE);
  });

  const user = { authorization: { user: "derek", password: "foo" } };

  test("TestNoUserOrPasswordClient: CONNECT without credentials is refused", async () => {
    const c = await rawConn(await server(user));
    c.send('CONNECT {"verbose":true,"pedantic":true}\r\n');
    await c.waitFor("-ERR 'Authorization Violation'\r\n");
  });

  test("TestBadUserClient: an unknown user is refused", async () => {
    const c = await rawConn(await server(user));
    c.send('CONNECT {"verbose":true,"user":"derekzz","pass":"foo"}\r\n');
    await c.waitFor("-ERR 'Authorization Violation'\r\n");
  });

  test("TestBadPasswordClient: a wrong password is refused", async () => {
    const c = await rawConn(await server(user));
    c.send('CONNECT {"verbose":true,"user":"derek","pass":"ZZ"}\r\n');
    await c.waitFor("-ERR 'Authorization Violation'\r\n");
  });

  test("TestPasswordClientGoodConnect: the right user and password get +OK", async () => {
    const c = await rawConn(await server(user));
    c.send('CONNECT {"verbose":true,"user":"derek","pass":"foo"}\r\n');
    await c.waitFor("+OK\r\n");
  });
});
