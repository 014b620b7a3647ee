import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { startGo } from "../support/servers.js";
import { makeRoutePki } from "./certs.js";
import { goListenerPort, memberConf, numRoutes, routePortOf, Topology, waitFor } from "./helpers.js";

const topo = new Topology();

afterEach(() => topo.stop());
let pki: ReturnType<typeof makeRoutePki>;
beforeAll(() => {
  pki = makeRoutePki();
});
afterAll(() => pki.cleanup());

function tlsBlock(verify = true): string {
  return `tls { cert_file: "${pki.cert}", key_file: "${pki.key}", ca_file: "${pki.ca}", verify: ${verify}, timeout: 2 }`;
}

/** Publishes on `pub` until `sub` got one message on `subject`. */
async function flowing(pub: NatsConnection, sub: NatsConnection, subject: string): Promise<void> {
  let got = false;
  const s = sub.subscribe(subject, { callback: () => {
    got = true;
  } });
  await sub.flush();
  await waitFor(`${subject} flowing`, async () => {
    pub.publish(subject);
    await pub.flush();
    return got;
  });
  s.unsubscribe();
}

describe("routes: TLS", () => {
  test("TestTLSSeedSolicitWorks: a member reaches a seed over TLS with verified certificates", async () => {
    const a = await topo.inProcess(memberConf({ cluster: "tls", port: -1, clusterExtra: tlsBlock() }));
    const b = await topo.inProcess(memberConf({ cluster: "tls", port: -1, routes: [routePortOf(a)], clusterExtra: tlsBlock() }));
    await waitFor("TLS route", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    await flowing(await topo.client(a.url), await topo.client(b.url), "over.tls");
  });

  test("TestTLSChainedSolicitWorks: gossip works over TLS (a member that knows the second node only)", async () => {
    const a = await topo.inProcess(memberConf({ cluster: "tls", port: -1, clusterExtra: tlsBlock() }));
    const b = await topo.inProcess(memberConf({ cluster: "tls", port: -1, routes: [routePortOf(a)], clusterExtra: tlsBlock() }));
    const c = await topo.inProcess(memberConf({ cluster: "tls", port: -1, routes: [routePortOf(b)], clusterExtra: tlsBlock() }));
    await waitFor("TLS mesh", () => [a, b, c].every((s) => numRoutes(s.server) === 2));
  });

  test("TestRouteTLSHandshakeError: a plain route to a TLS listener never becomes a route", async () => {
    const a = await topo.inProcess(memberConf({ cluster: "tls", port: -1, clusterExtra: tlsBlock() }));
    const b = await topo.inProcess(memberConf({ cluster: "tls", port: -1, routes: [routePortOf(a)] }));
    await new Promise((r) => setTimeout(r, 400));
    expect(numRoutes(a.server)).toBe(0);
    expect(numRoutes(b.server)).toBe(0);
  });

  test("TLS routes interoperate with a Go 2.9 server", async () => {
    const go = topo.track(
      await startGo(`
        host: 127.0.0.1
        port: -1
        cluster { name: tls, host: 127.0.0.1, port: -1, ${tlsBlock()} }
      `),
    );
    const pg = await goListenerPort(go, "route");
    const ts = await topo.inProcess(memberConf({ cluster: "tls", port: -1, routes: [pg], clusterExtra: tlsBlock() }));
    await waitFor("TLS route to Go", () => numRoutes(ts.server) === 1);
    await flowing(await topo.client(go.url), await topo.client(ts.url), "go.to.ts");
    await flowing(await topo.client(ts.url), await topo.client(go.url), "ts.to.go");
  });
});

describe("routes: authorization", () => {
  test("TestServerRoutesWithAuthAndBCrypt: route credentials checked against a bcrypt password", async () => {
    // bcrypt of "bar" (Go's configs/srv_a_bcrypt.conf).
    const hash = "$2a$10$LoRPzN3GtF2pNX5QgCBBHeUr6/zVN./RVGOu5U8SpHyg2sfzvfXji";
    const a = await topo.inProcess(memberConf({ cluster: "abc", port: -1, clusterExtra: `authorization { user: ruser, password: "${hash}", timeout: 5 }` }));
    const b = await topo.inProcess(memberConf({ cluster: "abc", port: -1, clusterExtra: `routes: ["nats-route://ruser:bar@127.0.0.1:${routePortOf(a)}"]` }));
    await waitFor("route", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    await flowing(await topo.client(b.url), await topo.client(a.url), "foo");
  });
});

describe("routes: permissions", () => {
  test("TestRouteBasicPermissions: import limits the interest sent, export the interest honoured", async () => {
    const b = await topo.inProcess(memberConf({ cluster: "xyz", port: -1 }));
    const a = await topo.inProcess(
      memberConf({
        cluster: "xyz",
        port: -1,
        routes: [routePortOf(b)],
        clusterExtra: `permissions { import: "foo", export: { allow: "*", deny: ["foo", "nats"] } }`,
      }),
    );
    await waitFor("route", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    const nca = await topo.client(a.url);
    const ncb = await topo.client(b.url);
    const got: string[] = [];
    const cb = (_e: unknown, m: { subject: string }) => {
      got.push(m.subject);
    };
    ncb.subscribe("bar", { callback: cb });
    ncb.subscribe("baz", { callback: cb });
    await ncb.flush();
    const remoteOnA = () => a.server.globalAccount.sublist.all().filter((s) => s.remote).length;
    await waitFor("A takes B's bar and baz", () => remoteOnA() === 2);
    nca.publish("bar");
    nca.publish("baz");
    await nca.flush();
    await waitFor("bar and baz from A", () => got.length === 2);
    // A does not export foo: B's interest in it is ignored, so A's foo stays on A.
    const subBfoo = ncb.subscribe("foo", { callback: cb });
    await ncb.flush();
    await nca.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(remoteOnA()).toBe(2);
    nca.publish("foo");
    await nca.flush();
    // A does not import bat: B never hears of A's interest.
    nca.subscribe("bat", { callback: cb });
    await nca.flush();
    ncb.publish("bat");
    await ncb.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(["bar", "baz"]);
    // A imports foo: A's interest reaches B and B's foo arrives.
    subBfoo.unsubscribe();
    nca.subscribe("foo", { callback: cb });
    await nca.flush();
    await waitFor("foo from B", async () => {
      ncb.publish("foo");
      await ncb.flush();
      return got.includes("foo");
    });
  });
});
