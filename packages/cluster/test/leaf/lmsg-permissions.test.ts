import { createServer } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { freePort } from "../support/servers.js";
import { Inbox, RawConn, Topology, leafzOf, numLeafs, readInfo, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** A hand-driven hub: greets a soliciting server with a leaf INFO and hands the connection to the test. */
async function fakeHub(): Promise<{ port: number; next: () => Promise<RawConn> }> {
  const conns: RawConn[] = [];
  const server = createServer((s) => {
    const c = RawConn.adopt(s);
    topo.keepRaw(c);
    c.send(`INFO {"server_id":"FAKEHUB","server_name":"fake","version":"2.9.10","proto":1,"headers":true,"auth_required":true,"max_payload":1048576,"client_id":7,"nonce":"abc","leafnode_urls":["127.0.0.1:1"]}\r\n`);
    conns.push(c);
  });
  topo.keepListener(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return { port, next: () => waitFor("a connection to the fake hub", () => conns.shift()) };
}

/** Account A with a client user `a` and a leaf user that may publish only on pub.ok (Go's test setup). */
function permissionsConf(name: string, leafPort: number): string {
  return `server_name: "${name}"
      listen: "127.0.0.1:-1"
      accounts {
        A {
          users = [
            { user: "a", password: "a" }
            { user: "leaf", password: "pwd", permissions: { publish: { allow: ["pub.ok"] }, subscribe: { allow: [">"] } } }
          ]
        }
      }
      leafnodes { listen: "127.0.0.1:${leafPort}", compression: off }`;
}

describe("LMSG permissions (Go's leafMsgAllowed)", () => {
  test("TestLeafNodeLMSGHonorsPublishPermissions: the hub refuses what the leaf user may not publish", async () => {
    const leafPort = await freePort();
    const hub = await topo.logged(permissionsConf("HUB", leafPort));
    const raw = await topo.raw(leafPort);
    await readInfo(raw);
    raw.send(`CONNECT {"name":"leaf","user":"leaf","pass":"pwd"}\r\nPING\r\n`);
    await waitFor("connected", () => numLeafs(hub.server) === 1);
    const nc = await topo.client(hub.url, { user: "a", pass: "a" });
    const ok = new Inbox(nc, "pub.ok");
    const blocked = new Inbox(nc, "pub.blocked");
    await nc.flush();
    raw.send("LMSG pub.ok 2\r\nok\r\n");
    expect(await ok.next()).toBe("ok");
    raw.send("LMSG pub.blocked 7\r\nblocked\r\n");
    expect(await blocked.next(250)).toBeUndefined();
    await waitFor("violation logged", () => hub.lines.some((l) => l.includes(`Publish Violation on "pub.blocked"`)));
  });

  test("TestLeafNodeSpokeSideLMSGHonorsLocalPermissions: a spoke (hub: true on the other side) drops what its user may not publish", async () => {
    const leafPort = await freePort();
    const spoke = await topo.inProcess(permissionsConf("SPOKE", leafPort));
    // The hub solicits with hub: true; here a raw connection plays it.
    const hubLeaf = await topo.raw(leafPort);
    await readInfo(hubLeaf);
    hubLeaf.send(`CONNECT {"name":"HUB","user":"leaf","pass":"pwd","is_hub":true}\r\n`);
    await waitFor("connected", () => numLeafs(spoke.server) === 1);
    expect(leafzOf(spoke.server).leafs[0].is_spoke).toBe(true);
    const nc = await topo.client(spoke.url, { user: "a", pass: "a" });
    const sub = new Inbox(nc, "pub.*");
    await nc.flush();
    hubLeaf.send("LMSG pub.blocked 7\r\nblocked\r\nLMSG pub.ok 2\r\nok\r\n");
    expect(await sub.next()).toBe("ok");
    expect(await sub.next(100)).toBeUndefined();
  });

  test("TestLeafNodeLMSGHonorsImportPermissions: deny_imports drops what the hub sends anyway, the connection stays", async () => {
    const hub = await fakeHub();
    const leaf = await topo.inProcess(`server_name: "LEAF"
      listen: "127.0.0.1:-1"
      accounts { A { users = [ { user: "a", password: "a" } ] } }
      leafnodes {
        compression: off
        remotes = [ { url: "nats://leaf:pwd@127.0.0.1:${hub.port}", account: A, compression: off, deny_imports: ["imp.blocked"] } ]
      }`);
    const c = await hub.next();
    const connect = JSON.parse((await c.expect(/CONNECT (\{.*\})\r\n/))[1]) as Record<string, unknown>;
    expect(connect).toMatchObject({ user: "leaf", pass: "pwd", remote_account: "A", deny_pub: ["imp.blocked"] });
    await waitFor("registered", () => numLeafs(leaf.server) === 1);
    const nc = await topo.client(leaf.url, { user: "a", pass: "a" });
    const sub = new Inbox(nc, "imp.*");
    await nc.flush();
    await c.expect(/LS\+ imp\.\*\r\n/);
    c.send("LMSG imp.blocked 7\r\nblocked\r\n");
    c.send("LMSG imp.ok 2\r\nok\r\n");
    expect(await sub.next()).toBe("ok");
    expect(await sub.next(100)).toBeUndefined();
    expect(numLeafs(leaf.server)).toBe(1);
  });

  test("TestLeafNodePermsSuppressSubs: the hub only tells a leaf about subjects its user may publish", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`listen: 127.0.0.1:-1
      authorization {
        PERMS = { publish = "foo", subscribe = ["_INBOX.>"] }
        users = [
          {user: "user", password: "pass"}
          {user: "ln", password: "pass", permissions: $PERMS }
        ]
      }
      no_auth_user: user
      leafnodes { listen: 127.0.0.1:${leafPort} }`);
    const nc = await topo.client(hub.url);
    nc.subscribe("baz", { callback: () => {} });
    nc.subscribe("foo", { callback: () => {} });
    await nc.flush();
    const ln = await topo.inProcess(`listen: 127.0.0.1:-1\nleafnodes { remotes = [ { url: "nats://ln:pass@127.0.0.1:${leafPort}" } ] }`);
    await waitFor("connected", () => numLeafs(ln.server) === 1);
    await waitFor("foo announced", () => leafzOf(ln.server, true).leafs[0].subscriptions_list?.includes("foo"));
    nc.subscribe("bar", { callback: () => {} });
    nc.subscribe("foo.x", { callback: () => {} });
    await nc.flush();
    // Nothing but foo and the hub's loop detection subject.
    const seen = leafzOf(ln.server, true).leafs[0].subscriptions_list!.filter((s) => !s.startsWith("$LDS."));
    expect(seen).toEqual(["foo"]);
  });

  test("TestLeafNodeInfoPermissionUpdatesAllowedForSolicitedLeaf: a hub's INFO sets what the soliciting side may send", async () => {
    const hub = await fakeHub();
    const leaf = await topo.inProcess(`listen: "127.0.0.1:-1"\nleafnodes { remotes = [ { url: "nats://127.0.0.1:${hub.port}" } ] }`);
    const c = await hub.next();
    await c.expect(/CONNECT .*\r\n/);
    await waitFor("registered", () => numLeafs(leaf.server) === 1);
    c.send(`INFO {"server_id":"FAKEHUB","export":{"allow":["export.>"]},"import":{"allow":["import.>"]}}\r\nLS+ >\r\n`);
    await c.untilPong();
    const nc = await topo.client(leaf.url);
    nc.publish("other.x", "no");
    nc.publish("export.x", "yes");
    const m = await c.expect(/LMSG ([^\s]+) \d+\r\n/);
    expect(m[1]).toBe("export.x");
    // Its interest is announced only within the import rules.
    nc.subscribe("other.foo", { callback: () => {} });
    nc.subscribe("import.foo", { callback: () => {} });
    await c.expect(/LS\+ import\.foo\r\n/);
    expect(await c.untilPong()).not.toContain("other.foo");
  });

  test("TestLeafNodeInfoPermissionUpdatesRequireSolicitedLeaf: an accepted leaf can not set permissions by INFO", async () => {
    const leafPort = await freePort();
    const hub = await topo.inProcess(`port: -1\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    const raw = await topo.raw(leafPort);
    await readInfo(raw);
    raw.send("CONNECT {}\r\n");
    await waitFor("connected", () => numLeafs(hub.server) === 1);
    raw.send(`INFO {"export":{"allow":["export.>"]},"import":{"allow":["import.>"]}}\r\nLS+ other.foo\r\n`);
    await raw.untilPong();
    const nc = await topo.client(hub.url);
    nc.publish("other.foo", "still");
    expect((await raw.expect(/LMSG ([^\s]+) \d+\r\n/))[1]).toBe("other.foo");
  });
});
