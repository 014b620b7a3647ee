import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { FakeJetStream } from "./fake-jetstream.js";
import { accountsAuthenticator, eventually, startMonitored, type Harness } from "./helpers.js";
import { shapeDiff } from "./shape.js";

// Compares every endpoint's JSON against what the Go nats-server 2.9.10 produced for the same
// situation (test/fixtures/go, recorded by scripts/record-go-fixtures.mjs). Fields added in later
// Go versions, which we produce too, are listed as `extra` with the version that added them.

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/go/${name}.json`, import.meta.url), "utf8"));

/** Go 2.10+ fields of /varz (in_client_*, stale/stalled counters, config_digest: 2.10/2.11). */
const VARZ_NEWER = [
  "in_client_msgs", "in_client_bytes", "out_client_msgs", "out_client_bytes", "stale_connections", "stalled_clients",
  "config_digest", "slow_consumer_stats", "slow_consumer_stats.clients", "slow_consumer_stats.routes",
  "slow_consumer_stats.gateways", "slow_consumer_stats.leafs", "stale_connection_stats", "stale_connection_stats.clients",
  "stale_connection_stats.routes", "stale_connection_stats.gateways", "stale_connection_stats.leafs",
];
/** ServerInfo.flags: Go 2.10 capability bits. */
const SERVER_NEWER = ["server.flags"];
/** AccountStat.name, num_subscriptions and the per-link traffic breakdown: Go 2.10. */
const STAT_NEWER = ["name", "num_subscriptions"].concat(
  ...["sent", "received"].map((d) => ["gateways", "routes", "leafs"].flatMap((l) => [`${d}.${l}`, `${d}.${l}.msgs`, `${d}.${l}.bytes`])),
);
const ACCSTAT_NEWER = STAT_NEWER.map((k) => `account_statz[].${k}`);
/** AccountInfo: mappings/exports/responses always listed since 2.10; is_system since 2.10. */
const ACCOUNT_INFO_NEWER = ["mappings", "exports", "responses", "is_system"];
/** STATSZ fields of Go 2.10: client-only traffic and GOMAXPROCS. */
const STATSZ_NEWER = [
  "statsz.sent_to_clients", "statsz.sent_to_clients.msgs", "statsz.sent_to_clients.bytes", "statsz.received_from_clients",
  "statsz.received_from_clients.msgs", "statsz.received_from_clients.bytes", "statsz.gomaxprocs",
];
/** No round-trip time is measured yet, and Go omits a zero `rtt`. */
const NO_RTT = ["client.rtt"];
const prefixed = (prefix: string, keys: string[]) => keys.map((k) => `${prefix}${k}`);

let h: Harness;
let sys: NatsConnection;
const events: { subject: string; data: any }[] = [];
const js = new FakeJetStream();

beforeAll(async () => {
  h = await startMonitored(
    { serverName: "tsfix", serverTags: ["region:test"] },
    { jetstream: js },
    { authenticator: accountsAuthenticator, accounts: ["APP"] },
  );
  sys = await h.client({ user: "sys", pass: "sys", name: "sys-watcher" });
  sys.subscribe("$SYS.>", {
    callback: (_e: unknown, m: Msg) => {
      let data: unknown;
      try {
        data = m.json();
      } catch {
        data = m.string();
      }
      events.push({ subject: m.subject, data });
    },
  });
  await sys.flush();
  const app = await h.client({ user: "app", pass: "app", name: "app-client" });
  app.subscribe("foo.*");
  app.subscribe("bar", { queue: "workers" });
  for (let i = 0; i < 5; i++) app.publish("foo.x", "hello");
  await app.flush();
  const short = await h.client({ user: "app", pass: "app", name: "short-lived" });
  short.subscribe("gone.soon");
  await short.flush();
  await short.close();
  await expect(h.client({ user: "app", pass: "wrong", reconnect: false })).rejects.toThrow();
  await eventually(() => events.some((e) => e.subject.endsWith("CLIENT.AUTH.ERR")));
});

afterAll(async () => {
  await h.close();
});

describe("HTTP endpoints match Go's JSON shapes", () => {
  const cases: [fixtureName: string, path: string, allow?: { missing?: string[]; extra?: string[] }][] = [
    ["http-varz", "/varz", { extra: VARZ_NEWER, missing: ["jetstream.stats.api.level"] }],
    ["http-connz-detail", "/connz?subs=detail&auth=true", {}],
    ["http-connz-subs", "/connz?subs=1", {}],
    // Go's closed connections in the recording had no subscriptions; Go lists them when they do.
    ["http-connz-closed", "/connz?state=closed&subs=1&auth=1", { extra: ["connections[].subscriptions_list"] }],
    // 2.9.10 left server_id, now and paging out of /subsz without subs=1; Go 2.10 always has them.
    ["http-subsz", "/subsz", { extra: ["server_id", "now", "total", "offset", "limit"] }],
    ["http-subsz-detail", "/subsz?subs=1", {}],
    // server_name: Go 2.10.
    ["http-routez", "/routez", { extra: ["server_name"] }],
    ["http-gatewayz", "/gatewayz", {}],
    ["http-leafz", "/leafz", {}],
    ["http-accountz", "/accountz", {}],
    ["http-accountz-app", "/accountz?acc=APP", { extra: prefixed("account_detail.", ACCOUNT_INFO_NEWER) }],
    ["http-accstatz", "/accstatz", { extra: ACCSTAT_NEWER }],
    ["http-accstatz-unused", "/accstatz?unused=1", { extra: ACCSTAT_NEWER }],
    // total: Go 2.10.
    ["http-jsz", "/jsz", { extra: ["total"] }],
    ["http-jsz-all", "/jsz?accounts=true&streams=true&consumers=true&config=true", { extra: ["total"] }],
    ["http-jsz-acc", "/jsz?acc=APP&streams=1", { extra: ["total"] }],
    ["http-healthz", "/healthz", {}],
    ["http-healthz-js-enabled", "/healthz?js-enabled-only=true", {}],
    ["http-healthz-js-server", "/healthz?js-server-only=true", {}],
  ];
  for (const [name, path, allow] of cases) {
    test(`${path} has the keys and types of Go's ${name}`, async () => {
      const go = fixture(name);
      const ours = await h.get(path);
      expect(ours.status).toBe(go.status);
      expect(shapeDiff(go.body, ours.body, allow)).toEqual([]);
    });
  }

  const errors: [fixtureName: string, path: string][] = [
    ["http-connz-bad-sort", "/connz?sort=foo"],
    ["http-connz-bad-state", "/connz?state=foo"],
    ["http-connz-bad-limit", "/connz?limit=x"],
    ["http-connz-bad-subs", "/connz?subs=x"],
    ["http-connz-bad-cid", "/connz?cid=-1"],
    ["http-connz-stop-open", "/connz?sort=stop"],
    ["http-connz-reason-open", "/connz?sort=reason"],
    ["http-subsz-bad-test", "/subsz?subs=1&test=foo.*"],
    ["plain-accountz-missing", "/accountz?acc=NOPE"],
    ["http-missing", "/nope"],
  ];
  for (const [name, path] of errors) {
    test(`${path} answers Go's status and text (${name})`, async () => {
      const go = fixture(name);
      const ours = await h.get(path);
      expect({ status: ours.status, text: ours.text }).toEqual({ status: go.status, text: go.text });
    });
  }

  test("JSONP: /varz?callback=cb wraps the JSON like Go", async () => {
    const go = fixture("http-varz-jsonp");
    const ours = await h.get("/varz?callback=cb");
    expect(ours.contentType).toBe("application/javascript");
    expect(ours.text.startsWith("cb({") && ours.text.endsWith("})")).toBe(true);
    const inner = (t: string) => JSON.parse(t.slice(3, -1));
    expect(shapeDiff(inner(go.text), inner(ours.text), { extra: VARZ_NEWER, missing: ["jetstream.stats.api.level"] })).toEqual([]);
  });
});

describe("$SYS requests match Go's JSON shapes", () => {
  const req = async (subject: string, body = "") => (await sys.request(subject, body, { timeout: 2000 })).json<any>();
  const cases: [fixtureName: string, subject: string, body?: string, allow?: { missing?: string[]; extra?: string[] }][] = [
    ["sys-ping-statsz", "$SYS.REQ.SERVER.PING.STATSZ", "", { extra: [...SERVER_NEWER, ...STATSZ_NEWER] }],
    ["sys-ping", "$SYS.REQ.SERVER.PING", "", { extra: [...SERVER_NEWER, ...STATSZ_NEWER] }],
    ["sys-ping-varz", "$SYS.REQ.SERVER.PING.VARZ", "", { extra: [...SERVER_NEWER, ...prefixed("data.", VARZ_NEWER)], missing: ["data.jetstream.stats.api.level"] }],
    ["sys-ping-connz", "$SYS.REQ.SERVER.PING.CONNZ", "", { extra: SERVER_NEWER }],
    ["sys-ping-subsz", "$SYS.REQ.SERVER.PING.SUBSZ", "", { extra: [...SERVER_NEWER, ...prefixed("data.", ["server_id", "now", "total", "offset", "limit"])] }],
    ["sys-ping-jsz", "$SYS.REQ.SERVER.PING.JSZ", "", { extra: [...SERVER_NEWER, "data.total"] }],
    // status_code: Go 2.10 keeps it in $SYS answers.
    ["sys-ping-healthz", "$SYS.REQ.SERVER.PING.HEALTHZ", "", { extra: [...SERVER_NEWER, "data.status_code"] }],
    ["sys-ping-accountz", "$SYS.REQ.SERVER.PING.ACCOUNTZ", "", { extra: SERVER_NEWER }],
    ["sys-ping-routez", "$SYS.REQ.SERVER.PING.ROUTEZ", "", { extra: [...SERVER_NEWER, "data.server_name"] }],
    ["sys-ping-gatewayz", "$SYS.REQ.SERVER.PING.GATEWAYZ", "", { extra: SERVER_NEWER }],
    ["sys-ping-leafz", "$SYS.REQ.SERVER.PING.LEAFZ", "", { extra: SERVER_NEWER }],
    ["sys-account-connz", "$SYS.REQ.ACCOUNT.APP.CONNZ", "", { extra: SERVER_NEWER }],
    ["sys-account-subsz", "$SYS.REQ.ACCOUNT.APP.SUBSZ", "", { extra: SERVER_NEWER }],
    ["sys-account-info", "$SYS.REQ.ACCOUNT.APP.INFO", "", { extra: [...SERVER_NEWER, ...prefixed("data.", ACCOUNT_INFO_NEWER)] }],
    ["sys-account-jsz", "$SYS.REQ.ACCOUNT.APP.JSZ", "", { extra: SERVER_NEWER }],
    ["sys-account-leafz", "$SYS.REQ.ACCOUNT.APP.LEAFZ", "", { extra: SERVER_NEWER }],
    ["sys-account-statz", "$SYS.REQ.ACCOUNT.APP.STATZ", "", { extra: [...SERVER_NEWER, ...prefixed("data.", ACCSTAT_NEWER)] }],
    ["sys-account-conns", "$SYS.REQ.ACCOUNT.APP.CONNS", "", { extra: [...SERVER_NEWER, ...STAT_NEWER] }],
    ["sys-account-ping-statz", "$SYS.REQ.ACCOUNT.PING.STATZ", JSON.stringify({ accounts: ["APP"] }), { extra: [...SERVER_NEWER, ...prefixed("data.", ACCSTAT_NEWER)] }],
    ["sys-server-connz-bad", "$SYS.REQ.SERVER.PING.CONNZ", "{bad json", { extra: SERVER_NEWER }],
  ];
  for (const [name, subject, body, allow] of cases) {
    test(`${subject} has the keys and types of Go's ${name}`, async () => {
      expect(shapeDiff(fixture(name), await req(subject, body), allow)).toEqual([]);
    });
  }

  test("a bad options body gets Go's 400 error text", async () => {
    const go = fixture("sys-server-connz-bad");
    const ours = await req(`$SYS.REQ.SERVER.${h.server.id}.CONNZ`, "{bad json");
    expect(ours.error).toEqual(go.error);
    expect(ours.data).toBeUndefined();
  });

  test("an invalid sort gets Go's 500 error text", async () => {
    const go = fixture("sys-server-connz-bad-sort");
    const ours = await req(`$SYS.REQ.SERVER.${h.server.id}.CONNZ`, JSON.stringify({ sort: "nope" }));
    expect(ours.error).toEqual(go.error);
  });
});

describe("$SYS events match Go's JSON shapes", () => {
  const goEvents: { subject: string; data: any }[] = fixture("sys-events");
  const goEvent = (suffix: RegExp) => goEvents.find((e) => suffix.test(e.subject))!.data;
  const ourEvent = (suffix: RegExp) => eventually(() => events.find((e) => suffix.test(e.subject))?.data);

  test("$SYS.ACCOUNT.<acc>.CONNECT", async () => {
    expect(shapeDiff(goEvent(/^\$SYS\.ACCOUNT\.APP\.CONNECT$/), await ourEvent(/^\$SYS\.ACCOUNT\.APP\.CONNECT$/), { extra: SERVER_NEWER })).toEqual([]);
  });

  test("$SYS.ACCOUNT.<acc>.DISCONNECT", async () => {
    expect(shapeDiff(goEvent(/^\$SYS\.ACCOUNT\.APP\.DISCONNECT$/), await ourEvent(/^\$SYS\.ACCOUNT\.APP\.DISCONNECT$/), { extra: SERVER_NEWER, missing: NO_RTT })).toEqual([]);
  });

  test("$SYS.SERVER.<id>.CLIENT.AUTH.ERR", async () => {
    // Core does not keep the user a refused client tried, so `client.user` is absent from ours.
    const allow = { extra: SERVER_NEWER, missing: ["client.user", ...NO_RTT] };
    expect(shapeDiff(goEvent(/CLIENT\.AUTH\.ERR$/), await ourEvent(/CLIENT\.AUTH\.ERR$/), allow)).toEqual([]);
  });

  test("$SYS.ACCOUNT.<acc>.SERVER.CONNS and the old $SYS.SERVER.ACCOUNT.<acc>.CONNS", async () => {
    const extra = [...SERVER_NEWER, ...STAT_NEWER];
    expect(shapeDiff(goEvent(/^\$SYS\.ACCOUNT\.APP\.SERVER\.CONNS$/), await ourEvent(/^\$SYS\.ACCOUNT\.APP\.SERVER\.CONNS$/), { extra })).toEqual([]);
    expect(shapeDiff(goEvent(/^\$SYS\.SERVER\.ACCOUNT\.APP\.CONNS$/), await ourEvent(/^\$SYS\.SERVER\.ACCOUNT\.APP\.CONNS$/), { extra })).toEqual([]);
  });

  test("$SYS.SERVER.<id>.STATSZ", async () => {
    const extra = [...SERVER_NEWER, ...STATSZ_NEWER];
    expect(shapeDiff(goEvent(/\.STATSZ$/), await ourEvent(/^\$SYS\.SERVER\.[A-Z0-9]+\.STATSZ$/), { extra })).toEqual([]);
  });
});

describe("a plain server (no accounts, no JetStream) matches Go's plain shapes", () => {
  let plain: Harness;
  beforeAll(async () => {
    plain = await startMonitored();
    const nc = await plain.client({ name: "plain" });
    nc.subscribe("a.b");
    await nc.flush();
  });
  afterAll(async () => {
    await plain.close();
  });
  const cases: [fixtureName: string, path: string, allow?: { missing?: string[]; extra?: string[] }][] = [
    ["plain-varz", "/varz", { extra: VARZ_NEWER }],
    ["plain-jsz", "/jsz", { extra: ["total"] }],
    ["plain-jsz-accounts", "/jsz?accounts=1", { extra: ["total"] }],
    ["plain-healthz-js-enabled", "/healthz?js-enabled-only=true"],
    ["plain-accountz", "/accountz"],
    ["plain-accountz-g", "/accountz?acc=$G", { extra: prefixed("account_detail.", ["mappings", "exports", "responses"]) }],
    ["plain-connz-auth", "/connz?auth=1&subs=1"],
    ["plain-accstatz", "/accstatz", { extra: ACCSTAT_NEWER }],
  ];
  for (const [name, path, allow] of cases) {
    test(`${path} has the keys and types of Go's ${name}`, async () => {
      const go = fixture(name);
      const ours = await plain.get(path);
      expect(ours.status).toBe(go.status);
      expect(shapeDiff(go.body, ours.body, allow)).toEqual([]);
    });
  }
});
