import { afterEach, describe, expect, test } from "vitest";
import { freePort } from "../support/servers.js";
import { RawConn, Topology, numLeafs, readInfo, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** Go's runLeafServer: a server with a leaf listener on loopback (and no system account imports). */
async function leafServer(extra = "") {
  const leafPort = await freePort();
  const s = await topo.inProcess(`port: -1\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n ${extra}\n}`);
  return { ...s, leafPort };
}

/** Go's setupConn for a client: CONNECT, then PING/PONG. */
async function clientConn(port: number, headers = false): Promise<RawConn> {
  const c = await topo.raw(port);
  await c.expect(/^INFO .*\r\n/);
  c.send(`CONNECT {"verbose":false,"pedantic":false,"headers":${headers},"protocol":1}\r\n`);
  await c.untilPong();
  return c;
}

/** Go's setupLeaf: CONNECT {} on a raw leaf connection, then the LS+ lines the server sends. */
async function leafConn(port: number, expectedSubs: number): Promise<{ lc: RawConn; subs: string[] }> {
  const lc = await topo.raw(port);
  await readInfo(lc);
  lc.send("CONNECT {}\r\n");
  const subs: string[] = [];
  while (subs.length < expectedSubs) subs.push((await lc.expect(/LS\+ ([^\r]+)\r\n/))[1]);
  return { lc, subs };
}

const LMSG = /LMSG ([^\s]+)(?: ([^\r]*?))? (\d+)\r\n([^\r]*)\r\n/;
const MSG = /MSG ([^\s]+) ([^\s]+)(?: ([^\s]+))? (\d+)\r\n([^\r]*)\r\n/;

describe("raw leaf protocol (Go's test/leafnode_test.go)", () => {
  test("TestLeafNodeInfo: auth always required, headers on, CONNECT {} registers", async () => {
    const s = await leafServer();
    const lc = await topo.raw(s.leafPort);
    const info = await readInfo(lc);
    expect(info.auth_required).toBe(true);
    expect(info.headers).toBe(true);
    expect(typeof info.nonce).toBe("string");
    expect(info.leafnode_urls).toEqual([`127.0.0.1:${s.leafPort}`]);
    lc.send("CONNECT {}\r\n");
    await waitFor("leaf registered", () => numLeafs(s.server) === 1);
    lc.socket.destroy();
    await waitFor("leaf gone", () => numLeafs(s.server) === 0);
  });

  test("TestNumLeafNodes: the count follows connections", async () => {
    const s = await leafServer();
    const open = async () => {
      const lc = await topo.raw(s.leafPort);
      await readInfo(lc);
      lc.send("CONNECT {}\r\n");
      return lc;
    };
    const lc1 = await open();
    await waitFor("1 leaf", () => numLeafs(s.server) === 1);
    const lc2 = await open();
    await waitFor("2 leafs", () => numLeafs(s.server) === 2);
    lc1.socket.destroy();
    await waitFor("1 leaf", () => numLeafs(s.server) === 1);
    lc2.socket.destroy();
    await waitFor("0 leafs", () => numLeafs(s.server) === 0);
  });

  test("TestLeafNodeRequiresConnect: no CONNECT in time is an Authentication Timeout", async () => {
    const s = await leafServer("authorization { timeout: 0.001 }");
    const lc = await topo.raw(s.leafPort);
    const info = await readInfo(lc);
    expect(info.auth_required).toBe(true);
    expect(info.tls_required).toBeUndefined();
    expect(info.tls_verify).toBeUndefined();
    await lc.expect(/-ERR 'Authentication Timeout'\r\n/);
    await lc.expectClosed();
  });

  test("TestLeafNodeSendsSubsAfterConnect: existing interest is sent, queue groups with their weight", async () => {
    const s = await leafServer();
    const c = await clientConn(s.port);
    c.send("SUB foo 1\r\nSUB bar 2\r\nSUB foo baz 3\r\nSUB foo baz 4\r\nSUB bar 5\r\n");
    await c.untilPong();
    const { subs } = await leafConn(s.leafPort, 4);
    expect(subs.sort()).toEqual(["bar", "foo", "foo baz 2", expect.stringMatching(/^\$LDS\.[A-Za-z0-9]{22}$/)].sort());
  });

  test("TestLeafNodeSendsSubsOngoing: LS+ on first interest and each queue change, LS- on last", async () => {
    const s = await leafServer();
    const c = await clientConn(s.port);
    const { lc } = await leafConn(s.leafPort, 1);
    await lc.untilPong();
    c.send("SUB foo 1\r\n");
    await lc.expect(/^LS\+ foo\r\n/);
    c.send("SUB foo bar 2\r\n");
    await lc.expect(/^LS\+ foo bar 1\r\n/);
    c.send("SUB foo bar 3\r\n");
    await lc.expect(/^LS\+ foo bar 2\r\n/);
    c.send("SUB foo bar 4\r\n");
    await lc.expect(/^LS\+ foo bar 3\r\n/);
    c.send("SUB foo 5\r\n");
    await c.untilPong();
    expect(await lc.untilPong()).toBe("");
    c.send("UNSUB 5\r\n");
    await c.untilPong();
    expect(await lc.untilPong()).toBe("");
    c.send("UNSUB 1\r\n");
    await lc.expect(/^LS- foo\r\n/);
    c.send("UNSUB 2\r\n");
    await lc.expect(/^LS\+ foo bar 2\r\n/);
    c.send("UNSUB 3\r\n");
    await lc.expect(/^LS\+ foo bar 1\r\n/);
    c.send("UNSUB 4\r\n");
    await lc.expect(/^LS- foo bar\r\n/);
  });

  test("TestLeafNodeSubs: one LMSG per message whatever the leaf's interest, with its queue groups", async () => {
    const s = await leafServer();
    const { lc } = await leafConn(s.leafPort, 1);
    await lc.untilPong();
    lc.send("LS+ foo\r\n");
    expect(await lc.untilPong()).toBe("");
    const c = await clientConn(s.port);
    c.send("PUB foo 2\r\nOK\r\n");
    let m = await lc.expect(LMSG);
    expect([m[1], m[2], m[3], m[4]]).toEqual(["foo", undefined, "2", "OK"]);
    lc.send("LS+ foo\r\n");
    expect(await lc.untilPong()).toBe("");
    c.send("PUB foo 3\r\nOK!\r\n");
    m = await lc.expect(LMSG);
    expect([m[1], m[2], m[4]]).toEqual(["foo", undefined, "OK!"]);
    lc.send("LS+ foo bar 4\r\n");
    expect(await lc.untilPong()).toBe("");
    c.send("PUB foo 4\r\nOKOK\r\n");
    m = await lc.expect(LMSG);
    expect([m[1], m[2], m[4]]).toEqual(["foo", "| bar", "OKOK"]);
    lc.send("LS+ foo baz 2\r\n");
    expect(await lc.untilPong()).toBe("");
    c.send("PUB foo 5\r\nHELLO\r\n");
    m = await lc.expect(LMSG);
    expect([m[1], m[2], m[4]]).toEqual(["foo", "| bar baz", "HELLO"]);
    expect(await lc.untilPong()).toBe("");
    lc.send("LS- foo\r\nLS- foo bar\r\nLS- foo baz\r\n");
    expect(await lc.untilPong()).toBe("");
    c.send("PUB foo 5\r\nHELLO\r\n");
    await c.untilPong();
    expect(await lc.untilPong()).toBe("");
  });

  test("TestLeafNodeMsgDelivery: LMSG reaches plain subscribers, queue subscribers only when named", async () => {
    const s = await leafServer();
    const { lc } = await leafConn(s.leafPort, 1);
    await lc.untilPong();
    const c = await clientConn(s.port);
    c.send("SUB foo 1\r\n");
    await c.untilPong();
    await lc.expect(/LS\+ foo\r\n/);
    lc.send("LMSG foo 2\r\nOK\r\n");
    let m = await c.expect(MSG);
    expect([m[1], m[2], m[3], m[5]]).toEqual(["foo", "1", undefined, "OK"]);
    c.send("UNSUB 1\r\n");
    await lc.expect(/LS- foo\r\n/);
    c.send("SUB foo bar 2\r\n");
    await lc.expect(/LS\+ foo bar 1\r\n/);
    lc.send("LMSG foo 2\r\nOK\r\n");
    expect(await lc.untilPong()).toBe("");
    expect(await c.untilPong()).toBe("");
    lc.send("LMSG foo | bar 2\r\nOK\r\n");
    m = await c.expect(MSG);
    expect([m[1], m[2], m[3], m[5]]).toEqual(["foo", "2", undefined, "OK"]);
    lc.send("LMSG foo + myreply bar 2\r\nOK\r\n");
    m = await c.expect(MSG);
    expect([m[1], m[2], m[3], m[5]]).toEqual(["foo", "2", "myreply", "OK"]);
  });

  test("TestLeafNodeSplitBuffer: an LMSG split across reads", async () => {
    const s = await leafServer();
    const responder = await topo.client(`nats://127.0.0.1:${s.port}`);
    responder.subscribe("foo", { queue: "bar", callback: (_e, m) => void m.respond("ok") });
    await responder.flush();
    const { lc } = await leafConn(s.leafPort, 2);
    lc.send("LS+ reply\r\n");
    await lc.untilPong();
    const pause = () => new Promise((r) => setTimeout(r, 2));
    lc.send("LMSG foo ");
    await pause();
    lc.send("+ reply bar 2\r\n");
    await pause();
    lc.send("OK\r");
    await pause();
    lc.send("\n");
    const m = await lc.expect(LMSG);
    expect([m[1], m[4]]).toEqual(["reply", "ok"]);
  });

  test("TestLeafNodeNoEcho: a leaf never gets its own message back", async () => {
    const s = await leafServer();
    const c = await clientConn(s.port);
    const { lc } = await leafConn(s.leafPort, 1);
    await lc.untilPong();
    c.send("SUB foo 1\r\n");
    await lc.expect(/LS\+ foo\r\n/);
    lc.send("LS+ foo\r\n");
    await lc.untilPong();
    lc.send("LMSG foo 2\r\nOK\r\n");
    await c.expect(MSG);
    expect(await lc.untilPong()).toBe("");
  });

  test("TestLeafNodeHeaderSupport: HMSG crosses a solicited leaf both ways", async () => {
    const leafPort = await freePort();
    const a = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const b = await topo.inProcess(`port: -1\nleafnodes { reconnect_interval: "50ms", remotes [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("leaf connected", () => numLeafs(a.server) === 1 && numLeafs(b.server) === 1);
    const clientA = await clientConn(a.port, true);
    const clientB = await clientConn(b.port, true);
    clientA.send("SUB foo bar 22\r\nSUB bar 11\r\n");
    await clientA.untilPong();
    const HMSG = /HMSG ([^\s]+) ([^\s]+)(?: ([^\s]+))? (\d+) (\d+)\r\n([^\r]*)\r\n/;
    // Wait until B has A's interest: a request on "bar" reaches A.
    await waitFor("interest on B", async () => {
      clientB.send("HPUB bar 12 14\r\nK1:V1,K2:V2 ok\r\n");
      await clientB.untilPong();
      try {
        await clientA.expect(HMSG, 100);
        return true;
      } catch {
        return false;
      }
    });
    for (const [subject, reply, sid] of [["foo", "reply", "22"], ["foo", undefined, "22"], ["bar", undefined, "11"], ["bar", "reply", "11"]] as const) {
      clientB.send(`HPUB ${subject}${reply ? ` ${reply}` : ""} 12 14\r\nK1:V1,K2:V2 ok\r\n`);
      const m = await clientA.expect(HMSG);
      expect([m[1], m[2], m[3], m[4], m[5], m[6]]).toEqual([subject, sid, reply, "12", "14", "K1:V1,K2:V2 ok"]);
    }
  });
});
