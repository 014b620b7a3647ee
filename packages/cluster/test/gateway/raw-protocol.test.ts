import { afterEach, describe, expect, test } from "vitest";
import { gatewayTuning } from "../../src/gateway/index.js";
import { ERR_RE, INFO_RE, MSG_RE, PONG_RE, RSUB_RE, RUNSUB_RE, RawConn } from "../route/raw.js";
import { gatewayConf, gatewayOf, Topology, tuneGateways, type InProcess } from "./helpers.js";

const AUNSUB_RE = /A-\s+(\S+)\s*\r\n/;
const ASUB_RE = /A\+\s+(\S+)\s*\r\n/;
const PING_RE = /PING\r\n/;
const FOO_ACCOUNT = `accounts { FOO { users [ { user: ivan, password: password } ] } }`;

// Like Go's test options (DisableShortFirstPing): no PING in the middle of an exchange.
const saved = tuneGateways({ solicitDelay: 10, firstPingDelay: 60_000 });

/** A fake gateway of cluster `org` connected to the gateway port (Go's setupGatewayConn). */
async function fakeGateway(port: number, org: string, dst: string, ping = true): Promise<RawConn> {
  const c = await RawConn.open(port);
  const m = await c.expect(INFO_RE);
  expect((JSON.parse(m[1]) as { gateway: string }).gateway).toBe(dst);
  c.send(`CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"gateway":"${org}"}\r\n`);
  c.send(`INFO {"gateway":"${org}"}\r\n`);
  if (ping) {
    c.send("PING\r\n");
    await c.expect(PONG_RE);
  }
  return c;
}

/** A client on the client port, optionally with credentials (Go's setupConn / setupConnWithUserPass). */
async function rawClient(port: number, user?: string, pass?: string): Promise<RawConn> {
  const c = await RawConn.open(port);
  await c.expect(INFO_RE);
  const creds = user === undefined ? "" : `,"user":"${user}","pass":"${pass}"`;
  c.send(`CONNECT {"verbose":false,"pedantic":false,"tls_required":false${creds}}\r\n`);
  return c;
}

/** Sends and waits for the PONG that proves the server processed it. */
async function flush(c: RawConn, text: string): Promise<void> {
  c.send(`${text}PING\r\n`);
  await c.expect(PONG_RE);
}

describe("gateway protocol against raw connections", () => {
  const topo = new Topology();
  const raws: RawConn[] = [];
  let gwPort = 0;
  afterEach(async () => {
    for (const r of raws.splice(0)) r.close();
    await topo.stop();
    gatewayTuning.doNotForceInterestOnly = false;
    gatewayTuning.maxNoInterestBeforeSwitch = saved.maxNoInterestBeforeSwitch;
    gatewayTuning.firstPingDelay = 60_000;
  });

  async function serverB(extra = "", gwExtra = ""): Promise<InProcess> {
    const b = await topo.inProcess(gatewayConf("B", -1, {}, extra, gwExtra));
    gwPort = gatewayOf(b).port;
    return b;
  }
  const track = <T extends RawConn>(c: T): T => {
    raws.push(c);
    return c;
  };

  test("TestGatewayAccountInterest: one A- per gateway, A+ only to the gateway that got A-", async () => {
    gatewayTuning.doNotForceInterestOnly = true;
    const b = await serverB(FOO_ACCOUNT);
    const gA = track(await fakeGateway(gwPort, "A", "B"));
    for (let i = 0; i < 100; i++) gA.send("RMSG FOO foo 2\r\nok\r\n");
    await gA.expect(AUNSUB_RE);
    await flush(gA, "");
    expect(gA.pending).toBe("");

    let gC = track(await fakeGateway(gwPort, "C", "B"));
    for (let i = 0; i < 100; i++) gC.send("RMSG FOO foo 2\r\nok\r\n");
    await gC.expect(AUNSUB_RE);
    await flush(gC, "");
    expect(gC.pending).toBe("");
    expect(await gA.nothing()).toBe("");

    // State is per connection: a new connection from C gets its own A-.
    gC.close();
    gC = track(await fakeGateway(gwPort, "C", "B"));
    gC.send("RMSG FOO foo 2\r\nok\r\n");
    await gC.expect(AUNSUB_RE);
    expect(await gA.nothing()).toBe("");

    gC.close();
    gC = track(await fakeGateway(gwPort, "C", "B"));
    const client = track(await rawClient(b.port, "ivan", "password"));
    await flush(client, "SUB not.used 1234567\r\n");
    await gA.expect(ASUB_RE);
    expect(await gC.nothing()).toBe("");
  });

  test("TestGatewaySubjectInterest: RS- once per subject and gateway, RS+ only where RS- was sent", async () => {
    gatewayTuning.doNotForceInterestOnly = true;
    const b = await serverB(FOO_ACCOUNT);
    const client = track(await rawClient(b.port, "ivan", "password"));
    await flush(client, "SUB not.used 1234567\r\n");
    const gA = track(await fakeGateway(gwPort, "A", "B"));
    for (let i = 0; i < 100; i++) gA.send("RMSG FOO foo 2\r\nok\r\n");
    await gA.expect(RUNSUB_RE);
    await flush(gA, "");
    expect(gA.pending).toBe("");

    let gC = track(await fakeGateway(gwPort, "C", "B"));
    for (let i = 0; i < 100; i++) gC.send("RMSG FOO foo 2\r\nok\r\n");
    await gC.expect(RUNSUB_RE);
    await flush(gC, "");
    expect(await gA.nothing()).toBe("");

    gC.close();
    gC = track(await fakeGateway(gwPort, "C", "B"));
    gC.send("RMSG FOO foo 2\r\nok\r\n");
    await gC.expect(RUNSUB_RE);
    expect(await gA.nothing()).toBe("");

    gC.close();
    gC = track(await fakeGateway(gwPort, "C", "B"));
    await flush(client, "SUB foo 1\r\nSUB foo 2\r\nSUB bar 3\r\n");
    const rs = await gA.expect(RSUB_RE);
    expect(rs[2]).toBe("foo");
    expect(await gC.nothing()).toBe("");
    expect(await gA.nothing()).toBe("");

    await flush(client, "UNSUB 1\r\nUNSUB 2\r\n");
    expect(await gC.nothing()).toBe("");
    expect(await gA.nothing()).toBe("");
    gC.close();

    gA.send("RMSG FOO foo 2\r\nok\r\n");
    await gA.expect(RUNSUB_RE);
    await flush(client, "SUB foo 4\r\n");
    await gA.expect(RSUB_RE);
    gA.send("RMSG FOO bar 2\r\nok\r\n");
    await client.expect(MSG_RE);
    await flush(client, "UNSUB 3\r\nUNSUB 4\r\n");
    expect(await gA.nothing()).toBe("");
    gA.send("RMSG FOO foo 2\r\nok\r\n");
    await gA.expect(RUNSUB_RE);
    gA.send("RMSG FOO bar 2\r\nok\r\n");
    await gA.expect(RUNSUB_RE);
    // A wildcard subscription takes back both RS-.
    await flush(client, "SUB * 5\r\n");
    const star = await gA.expect(RSUB_RE);
    expect(`${star[1]} ${star[2]}`).toBe("FOO *");
    gA.send("RMSG FOO foo 2\r\nok\r\n");
    await client.expect(MSG_RE);
    expect(await gA.nothing()).toBe("");
    gA.send("RMSG FOO bar 2\r\nok\r\n");
    await client.expect(MSG_RE);
    expect(await gA.nothing()).toBe("");
  });

  test("TestGatewayQueue: queue interest is always sent, once per subject and queue", async () => {
    gatewayTuning.doNotForceInterestOnly = true;
    const b = await serverB(FOO_ACCOUNT);
    let gA = track(await fakeGateway(gwPort, "A", "B"));
    const client = track(await rawClient(b.port, "ivan", "password"));
    await flush(client, "SUB foo.* bar 1\r\n");
    let m = await gA.expect(RSUB_RE);
    expect([m[2], m[3], m[4]]).toEqual(["foo.*", "bar", "1"]);
    await flush(client, "SUB foo.* bar 2\r\n");
    expect(await gA.nothing()).toBe("");
    await flush(client, "SUB foo.> bar 3\r\n");
    await gA.expect(RSUB_RE);
    await flush(client, "UNSUB 1\r\n");
    expect(await gA.nothing()).toBe("");
    await flush(client, "UNSUB 2\r\n");
    await gA.expect(RUNSUB_RE);
    await flush(client, "UNSUB 3\r\n");
    await gA.expect(RUNSUB_RE);

    await flush(client, "SUB foo bar 4\r\nSUB foo baz 5\r\nSUB foo bat 6\r\n");
    await gA.collect(RSUB_RE, 3);
    await flush(client, "SUB foo bar 7\r\nSUB foo 8\r\n");
    expect(await gA.nothing()).toBe("");

    // A new connection gets every queue interest at once.
    gA.close();
    gA = track(await fakeGateway(gwPort, "A", "B", false));
    const queues = (await gA.collect(RSUB_RE, 3)).map((x) => x[3]).sort();
    expect(queues).toEqual(["bar", "bat", "baz"]);
    expect(await gA.nothing()).toBe("");

    gA.send("RMSG FOO new.subject 2\r\nok\r\n");
    await gA.expect(RUNSUB_RE);
    await flush(client, "SUB new.* queue 9\r\n");
    m = await gA.expect(RSUB_RE);
    expect(`${m[2]} ${m[3]}`).toBe("new.* queue");
    expect(await gA.nothing()).toBe("");
    gA.send("RMSG FOO new.subject | queue 2\r\nok\r\n");
    await client.expect(MSG_RE);
    await flush(client, "UNSUB 9\r\n");
    m = await gA.expect(RUNSUB_RE);
    expect(`${m[2]} ${m[3]}`).toBe("new.* queue");
    expect(await gA.nothing()).toBe("");
  });

  test("TestGatewaySendAllSubs: past the RS- threshold the account switches to interest-only", async () => {
    gatewayTuning.doNotForceInterestOnly = true;
    const b = await serverB();
    const client = track(await rawClient(b.port));
    await flush(client, "SUB not.used 1234567\r\n");
    const gA = track(await fakeGateway(gwPort, "A", "B"));
    let batch = "";
    for (let i = 0; i < 1010; i++) batch += `RMSG $G foo.${i} 2\r\nok\r\n`;
    gA.send(batch);
    await gA.collect(RUNSUB_RE, 1000, 5000);
    const start = await gA.expect(INFO_RE);
    expect(JSON.parse(start[1])).toMatchObject({ gateway: "B", gateway_cmd: 2, gateway_cmd_payload: Buffer.from("$G").toString("base64") });
    const all = await gA.expect(RSUB_RE);
    expect(all[2]).toBe("not.used");
    const done = await gA.expect(INFO_RE);
    expect(JSON.parse(done[1])).toMatchObject({ gateway_cmd: 3 });
    client.send("SUB foo 1\r\n");
    await gA.expect(RSUB_RE);
    client.send("UNSUB 1\r\n");
    await gA.expect(RUNSUB_RE);
  });

  test("TestGatewayNoPanicOnBadProtocol: garbage on the gateway port closes only that connection", async () => {
    const b = await serverB();
    for (const proto of ["SUB > 1\r\n", "UNSUB 1\r\n", "RS+ $foo foo 2\r\n", "RS- $foo foo 2\r\n", "PUB foo 2\r\nok\r\n", "MSG foo 2\r\nok\r\n", "RMSG $foo foo 2\r\nok\r\n", "xxxx\r\n"]) {
      const c = track(await RawConn.open(gwPort));
      await c.expect(INFO_RE);
      c.send(proto);
      await c.expectClosed();
    }
    // An established gateway with garbage after the handshake is closed too.
    const gA = track(await fakeGateway(gwPort, "A", "B"));
    gA.send("RMSG $G\r\n");
    await gA.expectClosed();
    const client = track(await rawClient(b.port));
    await flush(client, "");
  });

  test("TestGatewayNoAccUnsubAfterQSub: a queue subscription takes back no-interest without A+", async () => {
    gatewayTuning.doNotForceInterestOnly = true;
    const b = await serverB();
    const gA = track(await fakeGateway(gwPort, "A", "B"));
    gA.send("RMSG $G foo 2\r\nok\r\n");
    await gA.expect(AUNSUB_RE);
    const client = track(await rawClient(b.port));
    await flush(client, "SUB bar queue 1\r\n");
    await gA.expect(RSUB_RE);
    await flush(client, "SUB baz 2\r\n");
    expect(await gA.nothing()).toBe("");
  });

  test("TestGatewayErrorOnRSentFromOutbound: RS+/RS- on an inbound connection close it", async () => {
    gatewayTuning.doNotForceInterestOnly = true;
    await serverB();
    for (const op of ["RS+", "RS-"]) {
      const gA = track(await fakeGateway(gwPort, "A", "B"));
      gA.send(`${op} foo bar\r\n`);
      await gA.expectClosed();
    }
  });

  test("TestGatewayAuthTimeout: no CONNECT within auth_timeout closes with an error", async () => {
    await serverB("", "authorization { timeout: 0.25 }");
    const c = track(await RawConn.open(gwPort));
    const info = await c.expect(INFO_RE);
    expect((JSON.parse(info[1]) as { gateway: string }).gateway).toBe("B");
    const err = await c.expect(ERR_RE);
    expect(err[1]).toBe("Authentication Timeout");
    await c.expectClosed();
  });

  test("TestGatewayFirstPingGoesAfterConnect: no PING before CONNECT, one soon after", async () => {
    gatewayTuning.doNotForceInterestOnly = true;
    gatewayTuning.firstPingDelay = 300;
    await serverB("", "authorization { timeout: 10 }");
    const c = track(await RawConn.open(gwPort));
    await c.expect(INFO_RE);
    // Longer than the first PING's delay: still nothing, as no CONNECT came.
    expect(await c.nothing(500)).toBe("");
    c.send(`CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"gateway":"A"}\r\n`);
    c.send(`INFO {"gateway":"A"}\r\n`);
    await c.expect(PING_RE, 3000);
  });

  test("a client CONNECT on the gateway port is refused with Go's error", async () => {
    await serverB();
    const c = track(await RawConn.open(gwPort));
    await c.expect(INFO_RE);
    c.send(`CONNECT {"verbose":false,"pedantic":false}\r\n`);
    const err = await c.expect(ERR_RE);
    expect(err[1]).toBe("attempted to connect to gateway port");
    await c.expectClosed();
  });

  test("TestGatewayRejectsInfoBeforeConnect: INFO before CONNECT is an authorization violation", async () => {
    await serverB();
    const c = track(await RawConn.open(gwPort));
    await c.expect(INFO_RE);
    c.send(`INFO {"gateway":"A"}\r\n`);
    const err = await c.expect(ERR_RE);
    expect(err[1]).toBe("Authorization Violation");
    await c.expectClosed();
  });
});
