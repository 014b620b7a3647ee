import { afterEach, describe, expect, test } from "vitest";
import { goDurationString, goUptime, healthz, jsz, subsz, varz } from "../src/index.js";
import { FakeJetStream } from "./fake-jetstream.js";
import { accountsAuthenticator, bothModes, eventually, startMonitored, type Harness } from "./helpers.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

test("TestMyUptime: Go's uptime format", () => {
  const s = 1000;
  const m = 60 * s;
  const hr = 60 * m;
  const d = 24 * hr;
  expect(goUptime(22 * s)).toBe("22s");
  expect(goUptime(4 * m + 22 * s)).toBe("4m22s");
  expect(goUptime(4 * hr + 4 * m + 22 * s)).toBe("4h4m22s");
  expect(goUptime(32 * d + 4 * hr + 4 * m + 22 * s)).toBe("32d4h4m22s");
  expect(goUptime(22 * 365 * d + 32 * d + 4 * hr + 4 * m + 22 * s)).toBe("22y32d4h4m22s");
});

test("round-trip times print like Go's time.Duration", () => {
  expect(goDurationString(0)).toBe("0s");
  expect(goDurationString(0.000999)).toBe("999ns");
  expect(goDurationString(0.516789)).toBe("516µs");
  expect(goDurationString(1.215629)).toBe("1.215629ms");
  expect(goDurationString(250)).toBe("250ms");
  expect(goDurationString(1500)).toBe("1.5s");
});

describe("/varz", () => {
  test("TestMonitorHandleVarz: counters follow traffic", async () => {
    h = await startMonitored({ serverName: "varz-test", serverTags: ["a:1"] });
    const before = await h.json("/varz");
    expect(before.server_name).toBe("varz-test");
    expect(before.tags).toEqual(["a:1"]);
    expect(before.connections).toBe(0);
    expect(before.http_port).toBe(h.monitor.httpPort);
    expect(Date.parse(before.start)).toBeLessThanOrEqual(Date.parse(before.now));
    const nc = await h.client();
    nc.subscribe("foo");
    nc.publish("foo", "hello");
    await nc.flush();
    const after = await h.json("/varz");
    expect(after.connections).toBe(1);
    expect(after.total_connections).toBe(1);
    expect(after.in_msgs - before.in_msgs).toBe(1);
    expect(after.out_msgs - before.out_msgs).toBe(1);
    expect(after.in_bytes - before.in_bytes).toBe(5);
    expect(after.subscriptions - before.subscriptions).toBeGreaterThanOrEqual(1);
    expect(after.mem).toBeGreaterThan(0);
    expect(after.http_req_stats["/varz"]).toBe(2);
  });

  test("TestVarz: exact counters for one client's message on a fresh server", async () => {
    h = await startMonitored();
    const first = await h.json("/varz");
    expect(Date.now() - Date.parse(first.start)).toBeLessThan(10_000);
    const nc = await h.client();
    nc.subscribe("foo");
    nc.publish("foo", "hello");
    await nc.flush();
    const r = await h.get("/varz");
    expect(r.text).not.toContain("cluster_port");
    expect(r.body).toMatchObject({ connections: 1, in_msgs: 1, out_msgs: 1, in_bytes: 5, out_bytes: 5, max_pending: 64 * 1024 * 1024, write_deadline: 10_000_000_000 });
  });

  test("TestMonitorVarzSubscriptionsResetProperly: repeated /varz does not add up subscriptions", async () => {
    h = await startMonitored();
    const first = (await h.json("/varz")).subscriptions;
    const second = (await h.json("/varz")).subscriptions;
    expect(second).toBe(first);
  });

  test("TestMonitorClusterEmptyWhenNotDefined: no cluster, gateway or leaf detail", async () => {
    h = await startMonitored();
    const v = await h.json("/varz");
    expect([v.cluster, v.gateway, v.leaf, v.jetstream]).toEqual([{}, {}, {}, {}]);
  });

  test("TestMonitorServerIDs: every endpoint reports the same server id", async () => {
    h = await startMonitored();
    const ids = await Promise.all(["/varz", "/connz", "/subsz", "/routez", "/jsz", "/accountz"].map(async (p) => (await h.json(p)).server_id));
    expect(new Set(ids)).toEqual(new Set([h.server.id]));
  });

  test("TestMonitorHttpStatsNoUpdatedWhenUsingServerFuncs: direct calls do not count as HTTP requests", async () => {
    h = await startMonitored();
    const ctx = h.monitor.context!;
    for (let i = 0; i < 3; i++) {
      varz(ctx);
      subsz(ctx);
    }
    expect(varz(ctx).http_req_stats).toEqual({});
  });

  test("TestMonitorVarzMetadata: server_metadata is reported", async () => {
    h = await startMonitored({ blocks: { server_metadata: { key1: "value1", key2: "value2" } } });
    expect(varz(h.monitor.context!).metadata).toEqual({ key1: "value1", key2: "value2" });
  });

  test("TestMonitorWebsocket: the websocket block's settings", async () => {
    const websocket = {
      host: "127.0.0.1",
      port: 8080,
      advertise: "somehost:8080",
      no_auth_user: "someuser",
      jwt_cookie: "somecookiename",
      authorization: { timeout: 2 },
      no_tls: true,
      tls: { verify_and_map: true },
      same_origin: true,
      allowed_origins: ["https://origin1", "https://origin2"],
      compression: true,
      handshake_timeout: "4s",
    };
    h = await startMonitored({ blocks: { websocket } });
    for (const v of await bothModes<any>(h, "/varz", () => varz(h.monitor.context!))) {
      expect(v.websocket).toEqual({
        host: "127.0.0.1",
        port: 8080,
        advertise: "somehost:8080",
        no_auth_user: "someuser",
        jwt_cookie: "somecookiename",
        handshake_timeout: 4_000_000_000,
        auth_timeout: 2,
        no_tls: true,
        tls_map: true,
        same_origin: true,
        allowed_origins: ["https://origin1", "https://origin2"],
        compression: true,
      });
    }
  });

  test("TestMonitorMQTT: the mqtt block's settings, with the bound port when the listener reports one", async () => {
    h = await startMonitored({ blocks: { mqtt: { listen: "127.0.0.1:-1", no_auth_user: "someuser", js_domain: "js", ack_wait: "10s", max_ack_pending: 123 } } });
    h.server.listeners.mqtt = ["mqtt://127.0.0.1:18833"];
    expect(varz(h.monitor.context!).mqtt).toEqual({
      host: "127.0.0.1",
      port: 18833,
      no_auth_user: "someuser",
      js_domain: "js",
      ack_wait: 10_000_000_000,
      max_ack_pending: 123,
    });
  });

  test("JSONP: callback= wraps any JSON endpoint", async () => {
    h = await startMonitored();
    const r = await h.get("/connz?callback=myfn");
    expect(r.contentType).toBe("application/javascript");
    expect(JSON.parse(r.text.slice("myfn(".length, -1)).server_id).toBe(h.server.id);
  });
});

describe("/subsz", () => {
  test("server/monitor_test.go:TestSubsz: sublist statistics", async () => {
    h = await startMonitored();
    const base = await h.json("/subsz");
    const nc = await h.client();
    nc.subscribe("foo");
    nc.publish("foo", "x");
    await nc.flush();
    for (const sl of await bothModes<any>(h, "/subsz", () => subsz(h.monitor.context!))) {
      expect(sl.num_subscriptions - base.num_subscriptions).toBe(1);
      expect(sl.num_inserts).toBeGreaterThanOrEqual(sl.num_subscriptions);
      expect(sl.num_matches).toBeGreaterThan(0);
      expect(sl.subscriptions_list).toBeUndefined();
    }
  });

  test("TestMonitorSubszDetails: subs=1 lists subscriptions with account and cid", async () => {
    h = await startMonitored();
    const nc = await h.client();
    for (const s of ["foo.*", "foo.bar", "foo.foo"]) nc.subscribe(s);
    await nc.flush();
    for (const sl of await bothModes<any>(h, "/subsz?subs=1&test=foo.bar", () => subsz(h.monitor.context!, { subscriptions: true, test: "foo.bar" }))) {
      expect(sl.total).toBe(2);
      expect(sl.subscriptions_list.map((d: any) => d.subject).sort()).toEqual(["foo.*", "foo.bar"]);
      expect(sl.subscriptions_list[0].account).toBe("$G");
    }
  });

  test("TestMonitorSubszWithOffsetAndLimit: paging", async () => {
    h = await startMonitored();
    const nc = await h.client();
    for (let i = 0; i < 200; i++) nc.subscribe(`foo.${i}`);
    await nc.flush();
    for (const sl of await bothModes<any>(h, "/subsz?subs=1&offset=10&limit=100&test=foo.150", () => subsz(h.monitor.context!, { subscriptions: true, offset: 10, limit: 100, test: "foo.150" }))) {
      expect([sl.offset, sl.limit, sl.total, sl.subscriptions_list.length]).toEqual([10, 100, 1, 0]);
    }
    const all = await h.json("/subsz?subs=1&offset=10&limit=100");
    expect([all.offset, all.limit, all.subscriptions_list.length]).toEqual([10, 100, 100]);
    expect(all.total).toBeGreaterThanOrEqual(200);
  });

  test("TestMonitorSubszOffsetOverflow: a huge offset lists nothing", async () => {
    h = await startMonitored();
    const sl = await h.json("/subsz?subs=1&offset=9223372036854775807&limit=1");
    expect(sl.subscriptions_list).toEqual([]);
  });

  test("TestMonitorSubszTestPubSubject: test= filters by a publish subject, wildcards refused", async () => {
    h = await startMonitored();
    const nc = await h.client();
    for (const s of ["foo.*", "foo.bar", "foo.foo"]) nc.subscribe(s);
    await nc.flush();
    expect((await h.json("/subsz?subs=1&test=foo.foo")).total).toBe(2);
    expect((await h.json("/subsz?subs=1&test=foo")).subscriptions_list).toEqual([]);
    for (const bad of ["*", "foo.*", "foo.>", "foo..bar"]) {
      const r = await h.get(`/subsz?subs=1&test=${bad}`);
      expect(r.status).toBe(400);
      expect(r.contentType).toContain("text/plain");
    }
  });

  test("TestMonitorSubszMultiAccount: acc= limits to one account", async () => {
    h = await startMonitored({}, {}, { authenticator: accountsAuthenticator, accounts: ["APP", "OTHER"] });
    const a = await h.client({ user: "app", pass: "app" });
    a.subscribe("app.only");
    const o = await h.client({ user: "other", pass: "other" });
    o.subscribe("other.only");
    await a.flush();
    await o.flush();
    const sl = await h.json("/subsz?subs=1&acc=APP&test=app.only");
    expect(sl.subscriptions_list.map((d: any) => [d.account, d.subject])).toEqual([["APP", "app.only"]]);
    expect((await h.json("/subsz?subs=1&acc=APP&test=other.only")).total).toBe(0);
  });
});

describe("/accountz and /accstatz", () => {
  test("TestMonitorAccountz: account list and detail", async () => {
    h = await startMonitored({}, {}, { authenticator: accountsAuthenticator, accounts: ["APP"] });
    await h.client({ user: "app", pass: "app" });
    const list = await h.json("/accountz");
    expect(list.system_account).toBe("$SYS");
    expect(list.accounts).toEqual(expect.arrayContaining(["$G", "$SYS", "APP"]));
    const detail = (await h.json("/accountz?acc=APP")).account_detail;
    expect(detail.account_name).toBe("APP");
    expect(detail.client_connections).toBe(1);
    expect(detail.sublist_stats.num_subscriptions).toBe(detail.subscriptions);
    expect((await h.json("/accountz?acc=$SYS")).account_detail.is_system).toBe(true);
    const missing = await h.get("/accountz?acc=NOPE");
    expect([missing.status, missing.text]).toEqual([400, "Account NOPE does not exist"]);
  });

  test("TestMonitorAccountStatz: connections and traffic per account, unused on request", async () => {
    h = await startMonitored({}, {}, { authenticator: accountsAuthenticator, accounts: ["APP", "OTHER"] });
    const nc = await h.client({ user: "app", pass: "app" });
    nc.subscribe("x");
    nc.publish("x", "12345");
    await nc.flush();
    const stz = await h.json("/accstatz");
    expect(stz.account_statz.map((a: any) => a.acc)).toEqual(["APP"]);
    expect(stz.account_statz[0]).toMatchObject({ conns: 1, total_conns: 1, leafnodes: 0, sent: { msgs: 1, bytes: 5 }, received: { msgs: 1, bytes: 5 } });
    const all = await h.json("/accstatz?unused=1");
    expect(all.account_statz.map((a: any) => a.acc)).toEqual(expect.arrayContaining(["$G", "$SYS", "APP", "OTHER"]));
    // Traffic of closed connections stays in the account's totals.
    await nc.close();
    await eventually(() => h.server.closedConnections.size === 1);
    const after = (await h.json("/accstatz?unused=1")).account_statz.find((a: any) => a.acc === "APP");
    expect(after).toMatchObject({ conns: 0, received: { msgs: 1, bytes: 5 } });
  });
});

describe("/jsz and /healthz", () => {
  test("TestMonitorJszNonJszServer: JetStream off answers disabled", async () => {
    h = await startMonitored();
    const j = await h.json("/jsz");
    expect(j.disabled).toBe(true);
    expect([j.streams, j.consumers, j.messages, j.bytes]).toEqual([0, 0, 0, 0]);
    expect(() => jsz(h.monitor.context!, { leaderOnly: true })).toThrow("filtered response: not leader");
    expect((await h.get("/jsz?leader-only=true")).text).toBe("filtered response: not leader");
  });

  test("/jsz reports the JetStream provider's totals, accounts, streams and consumers", async () => {
    const js = new FakeJetStream();
    h = await startMonitored({}, { jetstream: js });
    const j = await h.json("/jsz");
    expect([j.streams, j.consumers, j.messages, j.total]).toEqual([1, 1, 3, 1]);
    expect(j.account_details).toBeUndefined();
    const all = await h.json("/jsz?consumers=true&config=true");
    const stream = all.account_details[0].stream_detail[0];
    expect(stream.config.name).toBe("ORDERS");
    expect(stream.consumer_detail[0].num_pending).toBe(3);
    expect(stream.consumer_detail[0].config.durable_name).toBe("C1");
    const noConfig = await h.json("/jsz?consumers=true");
    expect(noConfig.account_details[0].stream_detail[0].config).toBeUndefined();
    expect(noConfig.account_details[0].stream_detail[0].consumer_detail[0].config).toBeUndefined();
    const one = await h.json("/jsz?acc=APP");
    expect(one.account_details.map((a: any) => a.name)).toEqual(["APP"]);
    expect(one.account_details[0].stream_detail).toBeUndefined();
    const varzJs = (await h.json("/varz")).jetstream;
    expect(varzJs.config.max_memory).toBe(1 << 30);
    expect(varzJs.stats.api.total).toBe(2);
  });

  test("TestServerHealthz: the health function answers ok with 200", async () => {
    h = await startMonitored();
    expect(healthz(h.monitor.context!)).toEqual({ status: "ok", status_code: 200 });
    expect(healthz(h.monitor.context!, {})).toEqual({ status: "ok", status_code: 200 });
  });

  test("TestMonitorHealthzStatusOK: ok with 200", async () => {
    h = await startMonitored();
    const r = await h.get("/healthz");
    expect([r.status, r.text]).toEqual([200, '{"status":"ok"}']);
  });

  test("TestMonitorHealthzStatusError: a stream without an account is a bad request", async () => {
    h = await startMonitored();
    const r = await h.get("/healthz?stream=ORDERS");
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ status: "error", error: `"account" must not be empty when checking stream health` });
    const detailed = await h.get("/healthz?consumer=C1&details=true");
    expect(detailed.status).toBe(400);
    expect(detailed.body).toEqual({ status: "error", errors: [{ type: "BAD_REQUEST", error: `"stream" must not be empty when checking consumer health` }] });
  });

  test("TestMonitorHealthzStatusUnavailable: JetStream configured but not running", async () => {
    h = await startMonitored({ jetstream: {} });
    const cases: [string, number, string][] = [
      ["/healthz?", 503, "unavailable"],
      ["/healthz?js-enabled-only=true", 503, "unavailable"],
      ["/healthz?js-server-only=true", 200, "ok"],
    ];
    for (const [url, status, want] of cases) {
      const plain = await h.get(url);
      expect([plain.status, plain.body.status], url).toEqual([status, want]);
      const detailed = await h.get(`${url}&details=true`);
      expect([detailed.status, detailed.body.status], url).toEqual([status, want === "ok" ? "ok" : "error"]);
    }
    expect((await h.get("/healthz")).body).toEqual({ status: "unavailable", error: "JetStream not enabled (10076)" });
    expect((await h.get("/healthz?details=true")).body.errors).toEqual([{ type: "JETSTREAM", error: "JetStream not enabled (10076)" }]);
  });

  test("/healthz reports JetStream asset problems the provider lists", async () => {
    const js = new FakeJetStream();
    h = await startMonitored({ jetstream: {} }, { jetstream: js });
    expect((await h.get("/healthz")).status).toBe(200);
    js.problems = [{ account: "APP", stream: "ORDERS", error: "JetStream stream 'APP > ORDERS' is not current" }];
    const r = await h.get("/healthz");
    expect([r.status, r.body.error]).toEqual([503, "JetStream stream 'APP > ORDERS' is not current"]);
    expect((await h.get("/healthz?js-enabled-only=true")).status).toBe(200);
    expect((await h.get("/healthz?details=1")).body.errors).toEqual([{ type: "STREAM", account: "APP", stream: "ORDERS", error: "JetStream stream 'APP > ORDERS' is not current" }]);
  });
});

describe("other pages", () => {
  test("TestMonitorHandleRoot: the index page links every endpoint", async () => {
    h = await startMonitored();
    const r = await h.get("/");
    expect(r.status).toBe(200);
    expect(r.contentType).toContain("text/html");
    for (const p of ["varz", "connz", "subsz", "routez", "gatewayz", "leafz", "accountz", "accstatz", "jsz", "healthz", "dashboard"]) {
      expect(r.text).toContain(`href="./${p}"`);
    }
  });

  test("TestMonitorConcurrentMonitoring: parallel requests all succeed", async () => {
    h = await startMonitored();
    await h.client();
    const paths = ["/varz", "/connz", "/subsz", "/routez", "/gatewayz", "/leafz", "/accountz", "/accstatz", "/jsz", "/healthz"];
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => h.get(paths[i % paths.length])));
    expect(results.every((r) => r.status === 200 && r.body !== undefined)).toBe(true);
  });

  test("routez, gatewayz and leafz answer empty until clustering exists", async () => {
    h = await startMonitored();
    expect(await h.json("/routez")).toMatchObject({ num_routes: 0, routes: [] });
    expect(await h.json("/gatewayz")).toMatchObject({ outbound_gateways: {}, inbound_gateways: {} });
    expect(await h.json("/leafz")).toMatchObject({ leafnodes: 0, leafs: [] });
  });

  test("TestMonitorRoutezWithBadParams: a bad subs value answers 400", async () => {
    h = await startMonitored();
    const r = await h.get("/routez?subs=xxx");
    expect([r.status, r.text]).toEqual([400, `Error decoding boolean for 'subs': strconv.ParseBool: parsing "xxx": invalid syntax`]);
  });

  test("/debug/vars answers Go's expvar keys", async () => {
    h = await startMonitored();
    const v = await h.json("/debug/vars");
    expect(Array.isArray(v.cmdline)).toBe(true);
    expect(v.memstats.HeapAlloc).toBeGreaterThan(0);
  });

  test("the monitoring listener is written to the server's listeners (ports file)", async () => {
    h = await startMonitored();
    expect(h.server.listeners.monitoring).toEqual([`http://127.0.0.1:${h.monitor.httpPort}`]);
  });
});

test("TestMonitorHandler: the endpoints mount in an app's own HTTP server, and go away on shutdown", async () => {
  const { createServer } = await import("node:http");
  h = await startMonitored({ httpPort: 0 });
  const handler = h.monitor.handler;
  expect(handler).toBeDefined();
  const app = createServer((req, res) => handler!(req, res));
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  try {
    const port = (app.address() as { port: number }).port;
    const varz = await (await fetch(`http://127.0.0.1:${port}/varz`)).json();
    expect(varz.server_id).toBe(h.server.id);
  } finally {
    await new Promise((r) => app.close(r));
  }
  await h.server.shutdown();
  expect(h.monitor.handler).toBeUndefined();
});

test("a JetStream plugin without statistics yet counts as running for /healthz and /jsz", async () => {
  const jetstream = { name: "jetstream", blocks: ["jetstream"], enabled: true, start: () => undefined };
  const monitor = (await import("../src/index.js")).monitorPlugin();
  const { NatsServer } = await import("@nats-ts/core");
  const server = new NatsServer({ host: "127.0.0.1", port: 0, httpPort: -1, jetstream: {} }, { plugins: [jetstream, monitor] });
  await server.start();
  try {
    const base = `http://127.0.0.1:${monitor.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const j = await (await fetch(`${base}/jsz`)).json();
    expect(j.disabled).toBeUndefined();
    expect(j.streams).toBe(0);
    jetstream.enabled = false;
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await (await fetch(`${base}/jsz`)).json()).disabled).toBe(true);
  } finally {
    await server.shutdown();
  }
});
