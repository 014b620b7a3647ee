import { afterEach, describe, expect, test } from "vitest";
import { freePort } from "../support/servers.js";
import { RawConn, Topology, leafzOf, numLeafs, readInfo, waitFor } from "./helpers.js";

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

describe("raw leaf protocol (more of Go's tests)", () => {
  test("TestLeafNodeQueueSubscriberUnsubscribe: a queue member leaving lowers the weight, no LS-", async () => {
    const s = await leafServer();
    const { lc } = await leafConn(s.leafPort, 1);
    await lc.untilPong();
    const c1 = await clientConn(s.port);
    c1.send("SUB foo bar 1\r\n");
    await lc.expect(/^LS\+ foo bar 1\r\n/);
    const c2 = await clientConn(s.port);
    c2.send("SUB foo bar 1\r\n");
    await lc.expect(/^LS\+ foo bar 2\r\n/);
    c1.socket.destroy();
    await lc.expect(/^LS\+ foo bar 1\r\n/);
    expect(await lc.untilPong()).toBe("");
  });

  test("TestLeafNodeLocalizedDQ: queue messages stay with the local members", async () => {
    const s = await leafServer();
    const sl = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "nats-leaf://127.0.0.1:${s.leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(s.server) === 1);
    const c = await clientConn(sl.port);
    c.send("SUB foo bar 1\r\nSUB foo bar 2\r\nSUB foo bar 3\r\nSUB foo bar 4\r\n");
    await c.untilPong();
    const sc = await clientConn(s.port);
    sc.send("SUB foo bar 11\r\nSUB foo bar 12\r\nSUB foo bar 13\r\nSUB foo bar 14\r\n");
    await sc.untilPong();
    await waitFor("the hub's queue interest on the leaf", () => leafzOf(sl.server, true).leafs[0].subscriptions_list?.includes("foo"));
    for (let i = 0; i < 10; i++) c.send("PUB foo 2\r\nOK\r\n");
    for (let i = 0; i < 10; i++) expect((await c.expect(MSG))[5]).toBe("OK");
    expect(await sc.untilPong()).toBe("");
  });

  test("TestLeafNodeClusterNameWithSpacesRejected: in CONNECT and in a later INFO", async () => {
    const s = await leafServer();
    const lc = await topo.raw(s.leafPort);
    await readInfo(lc);
    lc.send(`CONNECT {"cluster":"my cluster"}\r\n`);
    await lc.expect(/-ERR 'cluster name cannot contain spaces'\r\n/);
    await lc.expectClosed();
    const { lc: lc2 } = await leafConn(s.leafPort, 1);
    lc2.send(`INFO {"server":"server"}\r\n`);
    lc2.send(`INFO {"cluster":"my cluster"}\r\n`);
    await lc2.expect(/-ERR 'cluster name cannot contain spaces'\r\n/);
    await lc2.expectClosed();
  });

  test.each([
    ["with explicit system account", "system_account: SYS", true],
    ["without explicit system account", "", false],
  ])("TestLeafNodeConnectInfo: %s", async (_name, sys, hasSys) => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1
      ${sys}
      accounts {
        SYS: { users: [{ user: sys, password: pwd}] }
        A:   { users: [{ user: a, password: pwd}] }
        B:   { users: [{ user: b, password: pwd}] }
      }
      leafnodes { listen: "127.0.0.1:${leafPort}" }`);
    let n = 0;
    for (const [user, acc, isSys] of [["a", "A", false], ["sys", "SYS", hasSys], ["b", "B", false]] as const) {
      const lc = await topo.raw(leafPort);
      await readInfo(lc);
      lc.send(`CONNECT {"user":"${user}","pass":"pwd"}\r\n`);
      const info = await readInfo(lc);
      expect(info.connect_info).toBe(true);
      expect(info.remote_account).toBe(acc);
      expect(info.acc_is_sys === true).toBe(isSys);
      n++;
      await waitFor("registered", () => numLeafs(hub.server) === n);
    }
  });

  test("TestLeafNodeBasicAuth: the listener's user and password", async () => {
    const leafPort = await freePort();
    const s = await topo.inProcess(`listen: "127.0.0.1:-1"\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n authorization { user: "derek", password: "s3cr3t!", timeout: 2.2 }\n}`);
    for (const creds of ["", `,"user":"derek","pass":"badpassword"`]) {
      const lc = await topo.raw(leafPort);
      await readInfo(lc);
      lc.send(`CONNECT {"verbose":false,"pedantic":false${creds}}\r\n`);
      await lc.expect(/-ERR 'Authorization Violation'\r\n/);
      await lc.expectClosed();
    }
    const lc = await topo.raw(leafPort);
    await readInfo(lc);
    lc.send(`CONNECT {"verbose":false,"pedantic":false,"user":"derek","pass":"s3cr3t!"}\r\n`);
    await lc.expect(/INFO .*\r\n/);
    await lc.expect(/LS\+ \$LDS\.[^\r]+\r\n/);
    await lc.untilPong();
    await waitFor("registered", () => numLeafs(s.server) === 1);
  });

  test("TestLeafNodeNoPingBeforeConnect: PINGs start once CONNECT is processed", async () => {
    const leafPort = await freePort();
    await topo.inProcess(`port: -1\nping_interval: "15ms"\nleafnodes {\n listen: "127.0.0.1:${leafPort}"\n authorization { timeout: 0.5 }\n}`);
    const lc = await topo.raw(leafPort);
    await readInfo(lc);
    await new Promise((r) => setTimeout(r, 60));
    expect(lc.pending).toBe("");
    lc.send("CONNECT {}\r\n");
    await lc.expect(/PING\r\n/);
  });

  test("TestLeafNodeRTT: both sides measure the round trip and keep it current", async () => {
    const leafPort = await freePort();
    const sb = await topo.inProcess(`port: -1\nping_interval: "15ms"\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const sa = await topo.inProcess(`port: -1\nping_interval: "15ms"\nleafnodes { remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(sa.server) === 1 && numLeafs(sb.server) === 1);
    for (const s of [sa, sb]) {
      const rtt = () => leafzOf(s.server).leafs[0].rtt;
      const first = await waitFor("rtt tracked", () => rtt() !== "0s" && rtt());
      await waitFor("rtt updated", () => rtt() !== first);
    }
  });
});

describe("limits on what a leaf may make this server hold", () => {
  test("a huge queue weight is capped, the group still gets its messages", async () => {
    const s = await leafServer();
    const { lc } = await leafConn(s.leafPort, 1);
    lc.send("LS+ foo q 999999999\r\n");
    await lc.untilPong();
    expect(leafzOf(s.server).leafs[0].subscriptions).toBe(1);
    const c = await clientConn(s.port);
    c.send("PUB foo 2\r\nok\r\n");
    const m = await lc.expect(LMSG);
    expect([m[1], m[2]]).toEqual(["foo", "| q"]);
  });

  test("max_subscriptions applies to a leaf's interest", async () => {
    const leafPort = await freePort();
    const s = await topo.inProcess(`port: -1\nmax_subscriptions: 2\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const { lc } = await leafConn(leafPort, 1);
    lc.send("LS+ a\r\nLS+ b\r\nLS+ c\r\n");
    await lc.expect(/-ERR 'maximum subscriptions exceeded'\r\n/);
    await lc.untilPong();
    expect(leafzOf(s.server, true).leafs[0].subscriptions_list?.sort()).toEqual(["a", "b"]);
  });
});

describe("solicited leafs (Go's test/leafnode_test.go)", () => {
  test("TestLeafNodeSendsRemoteSubsOnConnect: a restarted hub passes a leaf's interest to a newcomer", async () => {
    const leafPort = await freePort();
    const hubConf = `port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`;
    let s = await topo.inProcess(hubConf);
    const sl = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(s.server) === 1);
    await s.stop();
    topo.servers.splice(topo.servers.indexOf(s), 1);
    const c = await clientConn(sl.port);
    c.send("SUB foo 1\r\n");
    await c.untilPong();
    s = await topo.inProcess(hubConf);
    await waitFor("reconnected", () => numLeafs(s.server) === 1);
    await waitFor("foo known", () => leafzOf(s.server, true).leafs[0].subscriptions_list?.includes("foo"));
    const { subs } = await leafConn(leafPort, 3);
    expect(subs.filter((x) => x.startsWith("$LDS.")).length).toBe(2);
    expect(subs).toContain("foo");
  });

  test("TestLeafNodeDaisyChain: a request from the end of a chain reaches a responder at the other end", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const s1 = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${p1}" }`);
    const s2 = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${p2}", reconnect: "20ms", remotes [ { url: "nats-leaf://127.0.0.1:${p1}" } ] }`);
    await waitFor("s1 connected", () => numLeafs(s1.server) === 1);
    const s3 = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats-leaf://127.0.0.1:${p2}" } ] }`);
    await waitFor("s2 has 2", () => numLeafs(s2.server) === 2);
    const nc1 = await topo.client(s1.url);
    nc1.subscribe("ngs.usage", { callback: (_e, m) => void m.respond("22 msgs") });
    await nc1.flush();
    await waitFor("s3 knows ngs.usage", () => leafzOf(s3.server, true).leafs[0].subscriptions_list?.includes("ngs.usage"));
    const nc2 = await topo.client(s3.url);
    expect((await nc2.request("ngs.usage", "1h", { timeout: 1000 })).string()).toBe("22 msgs");
  });

  test("TestLeafnodeHeaders: headers cross to the leaf", async () => {
    const leafPort = await freePort();
    const srv = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(srv.server) === 1 && numLeafs(leaf.server) === 1);
    const snc = await topo.client(srv.url);
    const lnc = await topo.client(leaf.url);
    const got: { where: string; value: string | undefined }[] = [];
    lnc.subscribe("test", { callback: (_e, m) => void got.push({ where: "leaf", value: m.headers?.get("Test") }) });
    await lnc.flush();
    await waitFor("test known", () => leafzOf(srv.server, true).leafs[0].subscriptions_list?.includes("test"));
    snc.subscribe("test", { callback: (_e, m) => void got.push({ where: "server", value: m.headers?.get("Test") }) });
    const { headers } = await import("@nats-io/transport-node");
    const h = headers();
    h.append("Test", "Header");
    snc.publish("test", "", { headers: h });
    await waitFor("both", () => got.length === 2);
    expect(got.sort((a, b) => a.where.localeCompare(b.where))).toEqual([
      { where: "leaf", value: "Header" },
      { where: "server", value: "Header" },
    ]);
  });
});

test("TestLeafNodeHubRejectDuplicateRemotes: a second connection from the same server and account replaces the first", async () => {
  const leafPort = await freePort();
  const s = await topo.logged(`server_name: "A"\nport: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
  const connect = `CONNECT {"name":"B","server_id":"B","remote_account":"$G"}\r\n`;
  const first = await topo.raw(leafPort);
  await readInfo(first);
  first.send(connect);
  await waitFor("first registered", () => numLeafs(s.server) === 1);
  const second = await topo.raw(leafPort);
  await readInfo(second);
  second.send(connect);
  await first.expect(/-ERR 'Duplicate Remote LeafNode Connection'\r\n/);
  await first.expectClosed();
  expect(s.lines.some((l) => l.includes("Duplicate Remote LeafNode Connection"))).toBe(true);
  await waitFor("one left", () => numLeafs(s.server) === 1);
});

test("a leaf that stops answering PINGs is a stale connection", async () => {
  const leafPort = await freePort();
  const s = await topo.inProcess(`port: -1\nping_interval: "20ms"\nping_max: 2\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
  const lc = await topo.raw(leafPort);
  await readInfo(lc);
  lc.send("CONNECT {}\r\n");
  await waitFor("registered", () => numLeafs(s.server) === 1);
  await lc.expect(/-ERR 'Stale Connection'\r\n/);
  await lc.expectClosed();
  await waitFor("gone", () => numLeafs(s.server) === 0);
});
