import { afterEach, describe, expect, test } from "vitest";
import { Subscription, type MessageSink } from "@nats-ts/core";
import { OutboundInterest } from "../../src/leaf/interest.js";
import { freePort } from "../support/servers.js";
import { Inbox, Topology, leafzOf, numLeafs, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** Interest of another server as core's sublist holds it (what the routes code inserts). */
function remoteSink(kind: "ROUTER" | "GATEWAY"): MessageSink {
  return { kind, cid: 9999, deliver: () => false, removeSub: () => {}, forward: () => true };
}

describe("which interest crosses a leaf connection (Go's updateSmap rules)", () => {
  test("a hub announces route interest to its leafs; a spoke keeps route interest from its hub", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${p1}" }`);
    const mid = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${p2}", reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${p1}" } ] }`);
    const edge = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${p2}" } ] }`);
    await waitFor("chain up", () => numLeafs(hub.server) === 1 && numLeafs(mid.server) === 2 && numLeafs(edge.server) === 1);
    const routeSub = new Subscription(remoteSink("ROUTER"), "from.route", "1");
    mid.server.globalAccount.sublist.insert(routeSub);
    // The edge (a leaf of mid) hears of it; the hub (mid's hub) does not.
    await waitFor("edge knows from.route", () => leafzOf(edge.server, true).leafs[0].subscriptions_list?.includes("from.route"));
    const onMid = await topo.client(mid.url);
    onMid.subscribe("probe", { callback: () => {} });
    await onMid.flush();
    await waitFor("hub knows probe", () => leafzOf(hub.server, true).leafs[0].subscriptions_list?.includes("probe"));
    expect(leafzOf(hub.server, true).leafs[0].subscriptions_list).not.toContain("from.route");
    mid.server.globalAccount.sublist.remove(routeSub);
    await waitFor("edge forgot from.route", () => !leafzOf(edge.server, true).leafs[0].subscriptions_list?.includes("from.route"));
    // Interest the hub sent to mid goes on to the edge (mid is the edge's hub), not back up.
    const onHub = await topo.client(hub.url);
    onHub.subscribe("from.hub", { callback: () => {} });
    await onHub.flush();
    await waitFor("edge knows from.hub", () => leafzOf(edge.server, true).leafs[0].subscriptions_list?.includes("from.hub"));
    // And the edge's interest reaches the hub through mid.
    const onEdge = await topo.client(edge.url);
    onEdge.subscribe("from.edge", { callback: () => {} });
    await onEdge.flush();
    await waitFor("hub knows from.edge", () => leafzOf(hub.server, true).leafs[0].subscriptions_list?.includes("from.edge"));
  });

  test("a remote with hub: true makes the accepting side the spoke", async () => {
    const leafPort = await freePort();
    const spoke = await topo.inProcess(`port: -1\nserver_name: SPOKE\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const hub = await topo.inProcess(`port: -1\nserver_name: HUB\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${leafPort}", hub: true } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(spoke.server) === 1);
    expect(leafzOf(hub.server).leafs[0]).toMatchObject({ name: "SPOKE", is_spoke: false });
    expect(leafzOf(spoke.server).leafs[0]).toMatchObject({ name: "HUB", is_spoke: true });
    // The spoke does not pass route interest up to its hub.
    spoke.server.globalAccount.sublist.insert(new Subscription(remoteSink("ROUTER"), "from.route", "1"));
    const onSpoke = await topo.client(spoke.url);
    onSpoke.subscribe("local", { callback: () => {} });
    await onSpoke.flush();
    await waitFor("hub knows local", () => leafzOf(hub.server, true).leafs[0].subscriptions_list?.includes("local"));
    expect(leafzOf(hub.server, true).leafs[0].subscriptions_list).not.toContain("from.route");
  });

  test("service imports are announced to leafs (Go's ims) and answered through the import", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1
      accounts {
        A { users [ { user: a, password: a } ], imports [ { service: { account: B, subject: "svc.>" } } ] }
        B { users [ { user: b, password: b } ], exports [ { service: "svc.>" } ] }
      }
      leafnodes { listen: "127.0.0.1:${leafPort}", authorization { user: leaf, password: pwd, account: A } }`);
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://leaf:pwd@127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
    expect(leafzOf(leaf.server, true).leafs[0].subscriptions_list).toContain("svc.>");
    // A request from the leaf reaches B's responder through A's import on the hub.
    const onB = await topo.client(hub.url, { user: "b", pass: "b" });
    onB.subscribe("svc.echo", { callback: (_e, m) => void m.respond(`b:${m.string()}`) });
    await onB.flush();
    const onLeaf = await topo.client(leaf.url);
    const r = await waitFor("answer", async () => (await onLeaf.request("svc.echo", "hi", { timeout: 300 })).string());
    expect(r).toBe("b:hi");
  });
});

describe("OutboundInterest", () => {
  test("coalesces changes into the LS+/LS- lines Go would have sent last", () => {
    const i = new OutboundInterest();
    i.add("foo", 1);
    i.add("foo", 1);
    i.add("foo bar", 1);
    i.add("foo bar", 1);
    expect(i.take()).toBe("LS+ foo\r\nLS+ foo bar 2\r\n");
    i.add("foo", -1);
    expect(i.take()).toBe("");
    i.add("foo", -1);
    i.add("foo bar", -1);
    expect(i.take()).toBe("LS- foo\r\nLS+ foo bar 1\r\n");
    i.add("baz", 1);
    i.add("baz", -1);
    expect(i.take()).toBe("");
    i.add("never", -1);
    expect(i.take()).toBe("");
    i.add("foo bar", -1);
    expect(i.take()).toBe("LS- foo bar\r\n");
    expect(i.keys()).toEqual([]);
  });
});

describe("daisy chains and several remotes", () => {
  test("TestLeafNodeInterestPropagationDaisychain: interest of C reaches A through B, again after A restarts", async () => {
    const [aPort, aLeaf, bLeaf] = [await freePort(), await freePort(), await freePort()];
    const confA = `port: ${aPort}\nleafnodes { listen: "127.0.0.1:${aLeaf}" }`;
    let sA = await topo.inProcess(confA);
    const sB = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${bLeaf}", reconnect: "20ms", remotes = [{ url: "nats://127.0.0.1:${aLeaf}" }] }`);
    const sC = await topo.inProcess(`port: -1\nleafnodes { reconnect: "20ms", remotes = [{ url: "nats://127.0.0.1:${bLeaf}" }] }`);
    await waitFor("chain up", () => numLeafs(sC.server) === 1 && numLeafs(sB.server) === 2 && numLeafs(sA.server) === 1);
    const ncC = await topo.client(sC.url);
    ncC.subscribe("foo", { callback: () => {} });
    await ncC.flush();
    const knows = (s: typeof sA) => leafzOf(s.server, true).leafs.some((l) => l.subscriptions_list?.includes("foo"));
    await waitFor("B knows foo", () => knows(sB));
    await waitFor("A knows foo", () => knows(sA));
    await sA.stop();
    topo.servers.splice(topo.servers.indexOf(sA), 1);
    sA = await topo.inProcess(confA);
    await waitFor("chain up again", () => numLeafs(sA.server) === 1 && numLeafs(sB.server) === 2 && numLeafs(sC.server) === 1);
    await waitFor("A knows foo again", () => knows(sA));
  });

  test("TestLeafNodeTwoRemotesToSameHubAccount: two local accounts into one hub account, no duplicate", async () => {
    const leafPort = await freePort();
    const s1 = await topo.inProcess(`port: -1\nserver_name: "hub"\naccounts { HA { users: [{user: ha, password: pwd}] } }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const s2 = await topo.logged(`port: -1
      server_name: "spoke"
      accounts {
        A { users: [{user: A, password: pwd}] }
        B { users: [{user: B, password: pwd}] }
        C { users: [{user: C, password: pwd}] }
      }
      leafnodes {
        reconnect: "20ms"
        remotes [
          { url: "nats://ha:pwd@127.0.0.1:${leafPort}", local: "A" }
          { url: "nats://ha:pwd@127.0.0.1:${leafPort}", local: "C" }
        ]
      }`);
    await waitFor("2 connections", () => numLeafs(s2.server) === 2 && numLeafs(s1.server) === 2);
    const subs = {
      A: new Inbox(await topo.client(s2.url, { user: "A", pass: "pwd" }), "A"),
      B: new Inbox(await topo.client(s2.url, { user: "B", pass: "pwd" }), "B"),
      C: new Inbox(await topo.client(s2.url, { user: "C", pass: "pwd" }), "C"),
    };
    for (const subj of ["A", "C"]) await waitFor(`HA knows ${subj}`, () => leafzOf(s1.server, true).leafs.some((l) => l.subscriptions_list?.includes(subj)));
    const nc = await topo.client(s1.url, { user: "ha", pass: "pwd" });
    for (const subj of ["A", "B", "C"]) nc.publish(subj, "hello");
    expect(await subs.A.next()).toBe("hello");
    expect(await subs.C.next()).toBe("hello");
    expect(await subs.B.next(100)).toBeUndefined();
    expect(s2.lines.some((l) => l.includes("Duplicate Remote LeafNode Connection"))).toBe(false);
    expect(numLeafs(s2.server)).toBe(2);
  });
});

test("TestLeafNodeStreamImport: a message imported into the leaf's account crosses to the hub", async () => {
  const leafPort = await freePort();
  const s1 = await topo.inProcess(`port: -1
    accounts { A { users = [ { user: a, password: a } ] } }
    no_auth_user: a
    leafnodes { listen: "127.0.0.1:${leafPort}", authorization { account: A } }`);
  const s2 = await topo.inProcess(`port: -1
    accounts {
      B { users = [ { user: b, password: b } ], exports = [ { stream: ">" } ] }
      C { users = [ { user: c, password: c } ], imports = [ { stream: { account: B, subject: ">" } } ] }
    }
    no_auth_user: b
    leafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${leafPort}", account: C } ] }`);
  await waitFor("connected", () => numLeafs(s1.server) === 1 && numLeafs(s2.server) === 1);
  expect(leafzOf(s1.server).leafs[0].account).toBe("A");
  const nc1 = await topo.client(s1.url);
  const sub = new Inbox(nc1, "a");
  await nc1.flush();
  await waitFor("C knows a", () => leafzOf(s2.server, true).leafs[0].subscriptions_list?.includes("a"));
  const nc2 = await topo.client(s2.url);
  nc2.publish("a", "hello?");
  expect(await sub.next()).toBe("hello?");
});

describe("exports and imports across a leaf (Go's test/leafnode_test.go)", () => {
  const bConf = (leafPort: number, accounts: string) => `listen: 127.0.0.1:-1
    server_name: B
    leafnodes { reconnect: "20ms", remotes = [ { url: "nats://127.0.0.1:${leafPort}", account: "EXTERNAL" } ] }
    accounts: { ${accounts} }`;

  test("TestStreamExportWithMultipleAccounts: a stream imported from the leaf's account arrives with its prefix", async () => {
    const leafPort = await freePort();
    const srvA = await topo.inProcess(`listen: 127.0.0.1:-1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const srvB = await topo.inProcess(
      bConf(
        leafPort,
        `INTERNAL: { users: [ {user: good, password: pwd} ], imports: [ { stream: { account: EXTERNAL, subject: "foo" }, prefix: "bar" } ] }
         EXTERNAL: { users: [ {user: bad, password: pwd} ], exports: [ { stream: "foo" } ] }`,
      ),
    );
    await waitFor("connected", () => numLeafs(srvA.server) === 1 && numLeafs(srvB.server) === 1);
    const nc = await topo.client(srvB.url, { user: "good", pass: "pwd" });
    const got: string[] = [];
    nc.subscribe(">", { callback: (_e, m) => void got.push(m.subject) });
    await nc.flush();
    await waitFor("A knows foo", () => leafzOf(srvA.server, true).leafs[0].subscriptions_list?.includes("foo"));
    const nc2 = await topo.client(srvA.url);
    nc2.publish("foo", "");
    await waitFor("received", () => got.length === 1);
    expect(got).toEqual(["bar.foo"]);
  });

  test("TestServiceExportWithMultipleAccounts: a service imported from the leaf's account is answered across the leaf", async () => {
    const leafPort = await freePort();
    const srvA = await topo.inProcess(`server_name: A\nlisten: 127.0.0.1:-1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const srvB = await topo.inProcess(
      bConf(
        leafPort,
        `INTERNAL: { users: [ {user: good, password: pwd} ], imports: [ { service: { account: EXTERNAL, subject: "foo" } } ] }
         EXTERNAL: { users: [ {user: evil, password: pwd} ], exports: [ { service: "foo" } ] }`,
      ),
    );
    await waitFor("connected", () => numLeafs(srvB.server) === 1);
    const nc2 = await topo.client(srvA.url);
    nc2.subscribe("foo", { callback: (_e, m) => void m.respond("world") });
    await nc2.flush();
    await waitFor("B knows foo", () => leafzOf(srvB.server, true).leafs[0].subscriptions_list?.includes("foo"));
    const nc = await topo.client(srvB.url, { user: "good", pass: "pwd" });
    expect((await nc.request("foo", "hello", { timeout: 2000 })).string()).toBe("world");
  });
});

test("TestServiceExportWithLeafnodeRestart: chained service imports across a leaf, again after the leaf restarts", async () => {
  const leafPort = await freePort();
  const srvG = await topo.inProcess(`server_name: G
    listen: 127.0.0.1:-1
    leafnodes { listen: "127.0.0.1:${leafPort}", authorization { account: "EXTERNAL", user: ln, password: pass } }
    accounts: {
      INTERNAL: {
        users: [ {user: good, password: pwd} ]
        exports: [ {service: "foo", response: singleton} ]
        imports: [ { service: { account: EXTERNAL, subject: "evilfoo" }, to: from_evilfoo } ]
      },
      EXTERNAL: {
        users: [ {user: evil, password: pwd} ]
        exports: [ {service: "evilfoo", response: singleton} ]
        imports: [ { service: { account: INTERNAL, subject: "foo" }, to: goodfoo } ]
      }
    }`);
  const confE = `server_name: E
    listen: 127.0.0.1:-1
    leafnodes { reconnect: "20ms", remotes = [ { url: "nats://ln:pass@127.0.0.1:${leafPort}", account: "EXTERNAL_GOOD" } ] }
    accounts: {
      INTERNAL_EVILINC: {
        users: [ {user: evil, password: pwd} ]
        exports: [ {service: "foo", response: singleton} ]
        imports: [ { service: { account: EXTERNAL_GOOD, subject: "goodfoo" }, to: from_goodfoo } ]
      },
      EXTERNAL_GOOD: {
        users: [ {user: good, password: pwd} ]
        exports: [ {service: "goodfoo", response: singleton} ]
        imports: [ { service: { account: INTERNAL_EVILINC, subject: "foo" }, to: evilfoo } ]
      }
    }`;
  for (let round = 0; round < 2; round++) {
    const srvE = await topo.inProcess(confE);
    await waitFor("connected", () => numLeafs(srvE.server) === 1 && numLeafs(srvG.server) === 1);
    const nc2 = await topo.client(srvE.url, { user: "evil", pass: "pwd" });
    nc2.subscribe("foo", { callback: (_e, m) => void m.respond("world") });
    await nc2.flush();
    await waitFor("G knows evilfoo", () => leafzOf(srvG.server, true).leafs[0].subscriptions_list?.includes("evilfoo"));
    const nc = await topo.client(srvG.url, { user: "good", pass: "pwd" });
    expect((await nc.request("from_evilfoo", "hello", { timeout: 2000 })).string()).toBe("world");
    await nc.close();
    await nc2.close();
    await srvE.stop();
    await waitFor("E gone", () => numLeafs(srvG.server) === 0);
  }
});

test("TestLeafNodesStaggeredSubPub: a leaf that joins later reaches a subscriber behind an earlier leaf", async () => {
  const leafPort = await freePort();
  const s = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
  const remote = `port: -1\nleafnodes { reconnect: "20ms", remotes [ { url: "nats-leaf://127.0.0.1:${leafPort}" } ] }`;
  const sl1 = await topo.inProcess(remote);
  await waitFor("sl1 connected", () => numLeafs(s.server) === 1);
  const ncl = await topo.client(sl1.url);
  const sub = new Inbox(ncl, "foo");
  await ncl.flush();
  await waitFor("hub knows foo", () => leafzOf(s.server, true).leafs[0].subscriptions_list?.includes("foo"));
  const sl2 = await topo.inProcess(remote);
  await waitFor("sl2 connected", () => numLeafs(s.server) === 2 && numLeafs(sl2.server) === 1);
  const ncl2 = await topo.client(sl2.url);
  ncl2.publish("foo", "x");
  expect(await sub.next(1000)).toBe("x");
});
