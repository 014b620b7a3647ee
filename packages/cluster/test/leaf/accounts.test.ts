import { afterEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { freePort } from "../support/servers.js";
import { Inbox, Topology, leafzOf, numLeafs, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** Waits until a request from `nc` on `subject` is answered. */
async function answered(nc: NatsConnection, subject: string): Promise<string> {
  return waitFor(`an answer on ${subject}`, async () => (await nc.request(subject, "", { timeout: 200 })).string());
}

/** A subscriber on `foo` for user1 and one for user2 (users of accounts of their own), as Go's tests set them up. */
async function fooInboxes(url: string): Promise<[Inbox, Inbox]> {
  const inboxes: Inbox[] = [];
  for (const user of ["user1", "user2"]) {
    const nc = await topo.client(url, { user, pass: user });
    inboxes.push(new Inbox(nc, "foo"));
    await nc.flush();
  }
  return [inboxes[0], inboxes[1]];
}

/** Publishes on `foo` from `nc` until `hit` gets it; `miss` must not. */
async function deliveredOnlyTo(what: string, nc: NatsConnection, hit: Inbox, miss: Inbox): Promise<void> {
  await waitFor(what, async () => {
    nc.publish("foo", "hello");
    return (await hit.next(100)) === "hello";
  });
  expect(await miss.next(100)).toBeUndefined();
}

describe("accounts and authorization", () => {
  test.each([
    ["user creds required and no user so fails", "", "", true, ""],
    ["user creds required and pick user2 associated to ACC2", "", "user2:user2@", false, "ACC2"],
    ["user creds required and unknown user should fail", "", "unknown:user@", true, ""],
    ["user creds required so binds to ACC1", 'user: "ln"\npass: "pwd"', "ln:pwd@", false, "ACC1"],
  ])("TestLeafNodeBasicAuthSingleton: %s", async (_name, userSpec, urlCreds, shouldFail, boundTo) => {
    const leafPort = await freePort();
    const s1 = await topo.inProcess(`port: -1
      accounts: {
        ACC1: { users = [{user: "user1", password: "user1"}] }
        ACC2: { users = [{user: "user2", password: "user2"}] }
      }
      leafnodes: {
        listen: "127.0.0.1:${leafPort}"
        authorization {
          ${userSpec}
          account: "ACC1"
        }
      }`);
    const [sub1, sub2] = await fooInboxes(s1.url);
    const s2 = await topo.logged(`port: -1\nleafnodes { reconnect: "50ms", remotes = [ { url: "nats-leaf://${urlCreds}127.0.0.1:${leafPort}" } ] }`);
    if (shouldFail) {
      await waitFor("a refused attempt", () => s2.lines.some((l) => l.includes("Authorization Violation")));
      expect(numLeafs(s1.server)).toBe(0);
      return;
    }
    await waitFor("leaf connected", () => numLeafs(s2.server) === 1 && numLeafs(s1.server) === 1);
    expect(leafzOf(s1.server).leafs[0].account).toBe(boundTo);
    const nc = await topo.client(s2.url);
    // The hub's interest arrived with the connection: publish until one side gets it.
    const [hit, miss] = boundTo === "ACC1" ? [sub1, sub2] : [sub2, sub1];
    await deliveredOnlyTo("delivery on the bound account", nc, hit, miss);
  });

  test("TestLeafNodeBasicAuthMultiple: users of the leaf listener bind to their accounts", async () => {
    const leafPort = await freePort();
    const s1 = await topo.inProcess(`port: -1
      accounts: {
        S1ACC1: { users = [{user: "user1", password: "user1"}] }
        S1ACC2: { users = [{user: "user2", password: "user2"}] }
      }
      leafnodes: {
        listen: "127.0.0.1:${leafPort}"
        authorization {
          users = [
            {user: "ln1", password: "ln1", account: "S1ACC1"}
            {user: "ln2", password: "ln2", account: "S1ACC2"}
            {user: "ln3", password: "ln3"}
          ]
        }
      }`);
    const wrong = await topo.logged(`port: -1\nleafnodes { remotes = [{url: "nats-leaf://wron:user@127.0.0.1:${leafPort}"}] }`);
    await waitFor("a refused attempt", () => wrong.lines.some((l) => l.includes("Authorization Violation")));
    expect(numLeafs(s1.server)).toBe(0);
    await wrong.stop();

    const [sub1, sub2] = await fooInboxes(s1.url);
    const s2 = await topo.inProcess(`port: -1
      accounts {
        S2ACC1 { users = [{user: "user1", password: "user1"}] }
        S2ACC2 { users = [{user: "user2", password: "user2"}] }
      }
      leafnodes: {
        reconnect: "50ms"
        remotes = [
          { url: "nats-leaf://ln1:ln1@127.0.0.1:${leafPort}", account: "S2ACC1" }
          { url: "nats-leaf://ln2:ln2@127.0.0.1:${leafPort}", account: "S2ACC2" }
        ]
      }`);
    await waitFor("2 leaf connections", () => numLeafs(s2.server) === 2);
    const p1 = await topo.client(s2.url, { user: "user1", pass: "user1" });
    const p2 = await topo.client(s2.url, { user: "user2", pass: "user2" });
    await deliveredOnlyTo("S2ACC1 reaches S1ACC1", p1, sub1, sub2);
    await deliveredOnlyTo("S2ACC2 reaches S1ACC2", p2, sub2, sub1);
    // A user without an account binds to $G (and nothing breaks).
    const s3 = await topo.inProcess(`port: -1\nleafnodes { remotes = [ { url: "nats-leaf://ln3:ln3@127.0.0.1:${leafPort}" } ] }`);
    await waitFor("ln3 connected", () => numLeafs(s3.server) === 1);
    await waitFor("bound to $G on the hub", () => leafzOf(s1.server, false, "$G").leafnodes === 1);
  });

  test("TestLeafNodesBasicTokenAuth: a token in the URL passes the server's token authorization", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`server_name: "HUB"\nlisten: "127.0.0.1:-1"\nauthorization { token: secret }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`server_name: "LEAF"\nlisten: "127.0.0.1:-1"\nleafnodes { remotes: [ { url: "nats://secret@127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected on both", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
  });

  test("TestLeafNodePermissions: deny_exports and deny_imports of a remote", async () => {
    const leafPort = await freePort();
    const ln1 = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const ln2 = await topo.inProcess(`port: -1
      leafnodes {
        reconnect: "50ms"
        remotes [ { url: "nats://127.0.0.1:${leafPort}", deny_exports: ["export.*", "export"], deny_imports: ["import.*", "import"] } ]
      }`);
    await waitFor("connected", () => numLeafs(ln1.server) === 1);
    const nc1 = await topo.client(ln1.url);
    const nc2 = await topo.client(ln2.url);
    const subAll = new Inbox(nc1, ">");
    await nc1.flush();
    await waitFor("'>' known on ln2", () => leafzOf(ln2.server, true).leafs[0].subscriptions_list?.includes(">"));
    for (const [subject, received] of [["export.bat", false], ["export", false], ["foo", true], ["export.this.one", true]] as const) {
      nc2.publish(subject, "msg");
      expect(await subAll.next(received ? 1000 : 100), subject).toBe(received ? "msg" : undefined);
    }
    subAll.unsubscribe();
    await waitFor("'>' gone on ln2", () => !leafzOf(ln2.server, true).leafs[0].subscriptions_list?.includes(">"));
    for (const [subSubject, pubSubject, ok] of [
      ["import.*", "import.bad", false],
      ["import", "import", false],
      ["foo", "foo", true],
      ["import.*.>", "import.this.one.ok", true],
    ] as const) {
      const sub = new Inbox(nc2, subSubject);
      await nc2.flush();
      if (ok) await waitFor(`${subSubject} known on ln1`, () => leafzOf(ln1.server, true).leafs[0].subscriptions_list?.includes(subSubject));
      else expect(await waitFor("flushed", async () => (await nc2.flush(), true))).toBe(true);
      nc1.publish(pubSubject, "msg");
      expect(await sub.next(ok ? 1000 : 100), subSubject).toBe(ok ? "msg" : undefined);
      sub.unsubscribe();
      await waitFor(`${subSubject} gone on ln1`, () => !leafzOf(ln1.server, true).leafs[0].subscriptions_list?.includes(subSubject));
    }
    // The denied imports were never announced to the hub.
    expect(leafzOf(ln1.server, true).leafs[0].subscriptions_list?.filter((x) => !x.startsWith("$LDS."))).toEqual([]);
  });

  test("a hub user's permissions: the leaf learns them, and a leaf breaking them is closed", async () => {
    const leafPort = await freePort();
    const hub = await topo.logged(`port: -1
      authorization { users = [
        { user: leaf, password: pwd, permissions: { publish: { allow: ["up.>", "_INBOX.>"] }, subscribe: { allow: ["down.>", "_INBOX.>"] } } }
        { user: admin, password: pwd }
      ] }
      leafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://leaf:pwd@127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1 && numLeafs(leaf.server) === 1);
    const onHub = await topo.client(hub.url, { user: "admin", pass: "pwd" });
    const onLeaf = await topo.client(leaf.url);
    onHub.subscribe("up.svc", { callback: (_e, m) => void m.respond("up") });
    onHub.subscribe("other.svc", { callback: (_e, m) => void m.respond("other") });
    await onHub.flush();
    expect(await answered(onLeaf, "up.svc")).toBe("up");
    // The hub only tells the leaf about interest the leaf may publish to.
    expect(leafzOf(leaf.server, true).leafs[0].subscriptions_list).not.toContain("other.svc");
    const down: string[] = [];
    onLeaf.subscribe("down.x", { callback: (_e, m) => void down.push(m.string()) });
    onLeaf.subscribe("side.x", { callback: (_e, m) => void down.push(m.string()) });
    await onLeaf.flush();
    await waitFor("down.x known on the hub", () => leafzOf(hub.server, true).leafs[0].subscriptions_list?.includes("down.x"));
    onHub.publish("down.x", "d");
    await waitFor("delivered", () => down.includes("d"));
    // The leaf learnt its permissions from the hub's INFO: it does not even announce side.x.
    await onLeaf.flush();
    expect(leafzOf(hub.server, true).leafs[0].subscriptions_list).not.toContain("side.x");
    // A leaf that ignores them is cut off, for a subscription as for a publish.
    for (const [proto, text] of [
      ["LS+ side.x\r\n", `-ERR 'Permissions Violation for Subscription to "side.x"'`],
      ["LMSG other.svc 2\r\nhi\r\n", `-ERR 'Permissions Violation for Publish to "other.svc"'`],
    ]) {
      const raw = await topo.raw(leafPort);
      await raw.expect(/^INFO .*\r\n/);
      raw.send(`CONNECT {"user":"leaf","pass":"pwd"}\r\n`);
      await raw.expect(/"connect_info":true/);
      raw.send(proto);
      await raw.expect(new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
      await raw.expectClosed();
    }
    expect(numLeafs(hub.server)).toBe(1);
  });
});

describe("Go 2.9 interop with deny lists", () => {
  test("a Go leaf's deny_imports (CONNECT deny_pub) and deny_exports hold against a nats-ts hub", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.go(`port: ${await freePort()}\nleafnodes { reconnect: 1, remotes [ { url: "nats://127.0.0.1:${leafPort}", deny_imports: ["secret.>"], deny_exports: ["private.>"] } ] }`);
    await waitFor("connected", () => numLeafs(hub.server) === 1);
    const onHub = await topo.client(hub.url);
    const onLeaf = await topo.client(leaf.url);
    const atLeaf: string[] = [];
    onLeaf.subscribe(">", { callback: (_e, m) => void atLeaf.push(m.subject) });
    onLeaf.subscribe("ready", { callback: (_e, m) => void m.respond("ok") });
    const atHub: string[] = [];
    onHub.subscribe(">", { callback: (_e, m) => void atHub.push(m.subject) });
    await answered(onHub, "ready");
    await waitFor("'>' of the hub known at the leaf", async () => {
      onLeaf.publish("probe", "");
      await onLeaf.flush();
      return atHub.includes("probe");
    });
    onHub.publish("secret.a", "");
    onHub.publish("public.a", "");
    onLeaf.publish("private.b", "");
    onLeaf.publish("public.b", "");
    await waitFor("public messages crossed", () => atLeaf.includes("public.a") && atHub.includes("public.b"));
    await onHub.flush();
    await onLeaf.flush();
    expect(atLeaf).not.toContain("secret.a");
    expect(atHub).not.toContain("private.b");
  });

  test("a nats-ts leaf's deny lists hold against a Go hub", async () => {
    const leafPort = await freePort();
    const hub = await topo.go(`port: ${await freePort()}\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const leaf = await topo.inProcess(`port: -1\nleafnodes { reconnect: "50ms", remotes [ { url: "nats://127.0.0.1:${leafPort}", deny_imports: ["secret.>"], deny_exports: ["private.>"] } ] }`);
    await waitFor("connected", () => numLeafs(leaf.server) === 1);
    const onHub = await topo.client(hub.url);
    const onLeaf = await topo.client(leaf.url);
    const atLeaf: string[] = [];
    onLeaf.subscribe(">", { callback: (_e, m) => void atLeaf.push(m.subject) });
    onLeaf.subscribe("ready", { callback: (_e, m) => void m.respond("ok") });
    const atHub: string[] = [];
    onHub.subscribe(">", { callback: (_e, m) => void atHub.push(m.subject) });
    await answered(onHub, "ready");
    await waitFor("'>' of the hub known at the leaf", () => leafzOf(leaf.server, true).leafs[0].subscriptions_list?.includes(">"));
    onHub.publish("secret.a", "");
    onHub.publish("public.a", "");
    onLeaf.publish("private.b", "");
    onLeaf.publish("public.b", "");
    await waitFor("public messages crossed", () => atLeaf.includes("public.a") && atHub.includes("public.b"));
    await onHub.flush();
    await onLeaf.flush();
    expect(atLeaf).not.toContain("secret.a");
    expect(atHub).not.toContain("private.b");
  });
});
