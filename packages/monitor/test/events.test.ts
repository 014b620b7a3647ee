import { connect as rawConnect, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { accountsAuthenticator, eventually, startMonitored, type Harness } from "./helpers.js";
import type { MonitorOptions } from "../src/index.js";
import type { ServerOptionsInput } from "@nats-ts/core";

let h: Harness;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await h?.close();
});

/** A server with accounts APP and OTHER and a system-account client (user sys). */
async function withSystemClient(opts: ServerOptionsInput = {}, monitor: MonitorOptions = {}): Promise<NatsConnection> {
  h = await startMonitored(opts, monitor, { authenticator: accountsAuthenticator, accounts: ["APP", "OTHER"] });
  return h.client({ user: "sys", pass: "sys", name: "sys" });
}

/** Collects what arrives on `subject` (parsed JSON). */
function collect(nc: NatsConnection, subject: string, queue?: string): { subject: string; data: any }[] {
  const got: { subject: string; data: any }[] = [];
  nc.subscribe(subject, { queue, callback: (_e: unknown, m: Msg) => {
      got.push({ subject: m.subject, data: m.json() });
    },
  });
  return got;
}

const request = async (nc: NatsConnection, subject: string, body: unknown = "") =>
  (await nc.request(subject, typeof body === "string" ? body : JSON.stringify(body), { timeout: 2000 })).json<any>();

describe("system account events", () => {
  test("TestSystemAccount: the system account holds the monitor's service subscriptions", async () => {
    h = await startMonitored();
    expect(h.server.systemAccount.name).toBe("$SYS");
    const subs = h.server.systemAccount.sublist.all().map((s) => s.subject);
    expect(subs).toEqual(expect.arrayContaining(["$SYS.REQ.SERVER.PING", `$SYS.REQ.SERVER.${h.server.id}.VARZ`, "$SYS.REQ.ACCOUNT.*.CONNZ"]));
  });

  test("TestSystemAccountNewConnection: CONNECT and DISCONNECT events with client info and stats", async () => {
    const sys = await withSystemClient();
    const events = collect(sys, "$SYS.ACCOUNT.APP.>");
    await sys.flush();
    const nc = await h.client({ user: "app", pass: "app", name: "TEST EVENTS" });
    const connect = (await eventually(() => events.find((e) => e.subject.endsWith(".CONNECT")))).data;
    expect(connect.type).toBe("io.nats.server.advisory.v1.client_connect");
    expect(connect.id).toHaveLength(22);
    expect(Date.parse(connect.timestamp)).not.toBeNaN();
    expect(connect.server).toMatchObject({ id: h.server.id, name: h.server.name, host: "127.0.0.1" });
    expect(connect.server.seq).toBeGreaterThan(0);
    expect(connect.client).toMatchObject({ acc: "APP", user: "app", name: "TEST EVENTS", lang: "nats.js", host: "127.0.0.1", kind: "Client", client_type: "nats" });
    const cid = connect.client.id;
    expect(cid).toBeGreaterThan(0);
    nc.subscribe("foo");
    for (let i = 0; i < 5; i++) nc.publish("foo", "Hello World");
    await nc.flush();
    await nc.close();
    const disconnect = (await eventually(() => events.find((e) => e.subject.endsWith(".DISCONNECT")))).data;
    expect(disconnect.type).toBe("io.nats.server.advisory.v1.client_disconnect");
    expect(disconnect.client.id).toBe(cid);
    expect(disconnect.reason).toBe("Client Closed");
    expect(disconnect.sent).toEqual({ msgs: 5, bytes: 55 });
    expect(disconnect.received).toEqual({ msgs: 5, bytes: 55 });
    expect(Date.parse(disconnect.client.stop)).toBeGreaterThanOrEqual(Date.parse(disconnect.client.start));
  });

  test("the disconnect event carries the measured round-trip time in nanoseconds", async () => {
    const sys = await withSystemClient({ pingInterval: 30 });
    const events = collect(sys, "$SYS.ACCOUNT.APP.DISCONNECT");
    await sys.flush();
    const nc = await h.client({ user: "app", pass: "app" });
    await eventually(() => [...h.server.connections.values()].every((c) => c.rtt > 0));
    await nc.close();
    const ev = (await eventually(() => events[0])).data;
    expect(Number.isInteger(ev.client.rtt)).toBe(true);
    expect(ev.client.rtt).toBeGreaterThan(0);
  });

  test("TestServerEventsConnectDisconnectForGlobalAcc: events for the global account", async () => {
    h = await startMonitored({}, {}, {
      authenticator: { required: false, authenticate: (c) => (c.user === "sys" ? { account: "$SYS" } : { account: "$G" }) },
    });
    const sys = await h.client({ user: "sys" });
    const events = collect(sys, "$SYS.ACCOUNT.$G.*");
    await sys.flush();
    const nc = await h.client();
    await eventually(() => events.some((e) => e.subject === "$SYS.ACCOUNT.$G.CONNECT"));
    await nc.close();
    await eventually(() => events.some((e) => e.subject === "$SYS.ACCOUNT.$G.DISCONNECT"));
  });

  test("TestSystemAccountDisconnectBadLogin: auth errors reported on CLIENT.AUTH.ERR", async () => {
    const sys = await withSystemClient();
    const events = collect(sys, "$SYS.SERVER.*.CLIENT.AUTH.ERR");
    await sys.flush();
    await expect(h.client({ user: "app", pass: "wrong", reconnect: false })).rejects.toThrow();
    const ev = (await eventually(() => events[0])).data;
    expect(ev.reason).toBe("Authentication Failure");
    // The user the refused client claimed (Go's raw auth user).
    expect(ev.client.user).toBe("app");
    expect(ev.type).toBe("io.nats.server.advisory.v1.client_disconnect");
    expect(events[0].subject).toBe(`$SYS.SERVER.${h.server.id}.CLIENT.AUTH.ERR`);
  });

  test("TestServerEventsReceivedByQSubs: queue subscribers get events too", async () => {
    const sys = await withSystemClient();
    const events = collect(sys, "$SYS.ACCOUNT.*.CONNECT", "queue");
    await sys.flush();
    await h.client({ user: "app", pass: "app" });
    await eventually(() => events.length === 1);
  });

  test("TestServerAccountConns: the SERVER.CONNS heartbeat carries the account's traffic", async () => {
    const sys = await withSystemClient({}, { accountConnsInterval: 100 });
    const nc = await h.client({ user: "app", pass: "app" });
    const got: string[] = [];
    nc.subscribe("foo", { callback: (_e: unknown, m: Msg) => void got.push(m.string()) });
    const hw = "HELLO WORLD";
    nc.publish("foo", hw);
    nc.publish("bar", hw); // only counts towards received
    await nc.flush();
    await eventually(() => got.length === 1);
    const events = collect(sys, "$SYS.ACCOUNT.APP.SERVER.CONNS");
    await sys.flush();
    const m = (await eventually(() => events[0])).data;
    expect(m.received).toMatchObject({ msgs: 2, bytes: 2 * hw.length });
    expect(m.sent).toMatchObject({ msgs: 1, bytes: hw.length });
  });

  test("SERVER.CONNS on connect and when the last connection leaves", async () => {
    const sys = await withSystemClient();
    const events = collect(sys, "$SYS.ACCOUNT.APP.SERVER.CONNS");
    const old = collect(sys, "$SYS.SERVER.ACCOUNT.APP.CONNS");
    await sys.flush();
    const nc = await h.client({ user: "app", pass: "app" });
    const first = (await eventually(() => events[0])).data;
    expect(first).toMatchObject({ type: "io.nats.server.advisory.v1.account_connections", acc: "APP", conns: 1, total_conns: 1 });
    await eventually(() => old.length === 1);
    await nc.close();
    const last = (await eventually(() => events[1])).data;
    expect(last.conns).toBe(0);
  });

  test("account connection heartbeat repeats while the account has connections", async () => {
    const sys = await withSystemClient({}, { accountConnsInterval: 50 });
    const events = collect(sys, "$SYS.ACCOUNT.APP.SERVER.CONNS");
    await sys.flush();
    await h.client({ user: "app", pass: "app" });
    await eventually(() => events.length >= 3);
    expect(events.every((e) => e.data.conns === 1)).toBe(true);
  });

  test("TestSystemAccountConnectionUpdatesStopAfterNoLocal / TestConnectionUpdatesTimerProperlySet: heartbeat stops at zero connections", async () => {
    const sys = await withSystemClient({}, { accountConnsInterval: 40 });
    const events = collect(sys, "$SYS.ACCOUNT.APP.SERVER.CONNS");
    await sys.flush();
    const nc = await h.client({ user: "app", pass: "app" });
    await eventually(() => events.length >= 2);
    await nc.close();
    await eventually(() => events.some((e) => e.data.conns === 0));
    const settled = events.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(events.length).toBe(settled);
    expect(events[events.length - 1].data.conns).toBe(0);
  });

  test("shutdown event reaches system subscribers before their connection closes", async () => {
    const sys = await withSystemClient();
    const events = collect(sys, "$SYS.SERVER.*.SHUTDOWN");
    await sys.flush();
    await h.server.shutdown();
    await eventually(() => events.length === 1);
    expect(events[0].data).toMatchObject({ id: h.server.id, name: h.server.name });
  });

  test("lame duck event is sent when entering lame duck mode", async () => {
    const sys = await withSystemClient({ lameDuckDuration: 200, lameDuckGracePeriod: 20 });
    const events = collect(sys, "$SYS.SERVER.*.LAMEDUCK");
    await sys.flush();
    const ldm = h.server.enterLameDuckMode();
    await eventually(() => events.length === 1);
    expect(events[0].data.id).toBe(h.server.id);
    await ldm;
  });
});

describe("STATSZ", () => {
  test("TestServerEventsStatsZ: periodic STATSZ with server counters", async () => {
    const sys = await withSystemClient({}, { statszInterval: 60 });
    const events = collect(sys, `$SYS.SERVER.${h.server.id}.STATSZ`);
    await sys.flush();
    const nc = await h.client({ user: "app", pass: "app" });
    nc.publish("foo", "x");
    await nc.flush();
    const m = (await eventually(() => events.find((e) => e.data.statsz.connections === 2 && e.data.statsz.received.msgs > 0))).data;
    expect(m.server.id).toBe(h.server.id);
    expect(m.statsz).toMatchObject({ connections: 2, total_connections: 2, active_accounts: 2, active_servers: 1 });
    expect(m.statsz.mem).toBeGreaterThan(0);
    expect(m.statsz.gomaxprocs).toBeGreaterThan(0);
    await eventually(() => events.length >= 3);
  });

  test("TestServerEventsStatszSingleServer: STATSZ goes out only when someone listens", async () => {
    const sys = await withSystemClient();
    await new Promise((r) => setTimeout(r, 300)); // past the first (250ms) broadcast slot
    expect(h.server.stats.inMsgs).toBe(0);
    const events = collect(sys, "$SYS.SERVER.*.STATSZ");
    await sys.flush();
    await eventually(() => events.length >= 1);
  });

  test("TestServerEventsStatsZForcedBroadcastNotRateLimited: a PING without reply broadcasts every time", async () => {
    const sys = await withSystemClient();
    const events = collect(sys, `$SYS.SERVER.${h.server.id}.STATSZ`);
    await sys.flush();
    for (let i = 0; i < 3; i++) sys.publish("$SYS.REQ.SERVER.PING");
    await sys.flush();
    // Within one rate-limit window (1s) only forced broadcasts can produce three.
    await eventually(() => events.length >= 3);
  });

  test("TestServerEventsPingStatsZ: PING, PING.STATSZ and <id>.STATSZ answer with statsz", async () => {
    const sys = await withSystemClient();
    for (const subject of ["$SYS.REQ.SERVER.PING", "$SYS.REQ.SERVER.PING.STATSZ", `$SYS.REQ.SERVER.${h.server.id}.STATSZ`]) {
      const m = await request(sys, subject);
      expect(m.server.id).toBe(h.server.id);
      expect(m.statsz.connections).toBe(1);
    }
  });

  test("TestServerEventsPingStatsZFilter / TestServerEventsPingStatsZFailFilter: filters that exclude us get no answer", async () => {
    const sys = await withSystemClient({ serverName: "filtered", serverTags: ["a:1", "b:2"] });
    for (const body of [{ cluster: "DOESNOTEXIST" }, { host: "DOESNOTEXIST" }, { server_name: "DOESNOTEXIST" }, { server_name: "filt", exact_match: true }, { tags: ["a:1", "c:3"] }]) {
      await expect(sys.request("$SYS.REQ.SERVER.PING", JSON.stringify(body), { timeout: 150 })).rejects.toThrow();
    }
    for (const body of [{ server_name: "filt" }, { server_name: "filtered", exact_match: true }, { host: "127.0" }]) {
      expect((await request(sys, "$SYS.REQ.SERVER.PING", body)).server.name).toBe("filtered");
    }
    expect((await request(sys, "$SYS.REQ.SERVER.PING", "{bad")).error.code).toBe(400);
  });

  test("TestServerEventsFilteredByTag: tag filters apply to every endpoint", async () => {
    const sys = await withSystemClient({ serverTags: ["region:eu"] });
    expect((await request(sys, "$SYS.REQ.SERVER.PING.VARZ", { tags: ["region:eu"] })).data.tags).toEqual(["region:eu"]);
    await expect(sys.request("$SYS.REQ.SERVER.PING.VARZ", JSON.stringify({ tags: ["region:us"] }), { timeout: 150 })).rejects.toThrow();
  });

  test("TestServerEventsPingStatsSlowConsumersStats: slow consumer breakdown appears once there is one", async () => {
    const sys = await withSystemClient({ maxPending: 4096 });
    expect((await request(sys, "$SYS.REQ.SERVER.PING.STATSZ")).statsz.slow_consumer_stats).toBeUndefined();
    const sock = rawConnect(h.server.port, "127.0.0.1");
    sockets.push(sock);
    await new Promise((r) => sock.once("connect", r));
    sock.pause();
    sock.write('CONNECT {"user":"app","pass":"app"}\r\nSUB slow 1\r\nPING\r\n');
    await eventually(() => h.server.lookupAccount("APP")!.sublist.hasInterest("slow"));
    const pub = await h.client({ user: "app", pass: "app" });
    for (let i = 0; i < 64; i++) pub.publish("slow", new Uint8Array(512));
    await pub.flush();
    const m = await eventually(async () => {
      const r = await request(sys, "$SYS.REQ.SERVER.PING.STATSZ");
      return r.statsz.slow_consumers === 1 ? r : undefined;
    });
    expect(m.statsz.slow_consumer_stats).toEqual({ clients: 1, routes: 0, gateways: 0, leafs: 0 });
  });

  test("TestServerEventsPingStatsStaleConnectionStats: stale connection breakdown", async () => {
    const sys = await withSystemClient({ pingInterval: 30, pingMax: 1 });
    const sock = rawConnect(h.server.port, "127.0.0.1");
    sockets.push(sock);
    await new Promise((r) => sock.once("connect", r));
    sock.pause();
    sock.write('CONNECT {"user":"app","pass":"app"}\r\n');
    const m = await eventually(async () => {
      const r = await request(sys, "$SYS.REQ.SERVER.PING.STATSZ");
      return r.statsz.stale_connections === 1 ? r : undefined;
    });
    expect(m.statsz.stale_connection_stats.clients).toBe(1);
  });
});

describe("$SYS requests", () => {
  test("TestServerEventsPingMonitorz: every endpoint answers with {server, data}", async () => {
    const sys = await withSystemClient();
    const cases: [string, unknown, string[]][] = [
      ["VARZ", "", ["now", "cpu", "system_account"]],
      ["SUBSZ", "", ["num_subscriptions", "num_cache"]],
      ["CONNZ", "", ["now", "connections"]],
      ["ROUTEZ", "", ["now", "routes"]],
      ["GATEWAYZ", "", ["now", "outbound_gateways", "inbound_gateways"]],
      ["LEAFZ", "", ["now", "leafs"]],
      ["SUBSZ", {}, ["num_subscriptions", "num_cache"]],
      ["CONNZ", { limit: 5 }, ["now", "connections"]],
      ["ROUTEZ", { subscriptions_detail: true }, ["now", "routes"]],
      ["GATEWAYZ", { accounts: true }, ["now", "outbound_gateways", "inbound_gateways"]],
      ["LEAFZ", { subscriptions: true }, ["now", "leafs"]],
      ["ACCOUNTZ", {}, ["now", "accounts"]],
      ["ACCOUNTZ", { account: "$SYS" }, ["now", "account_detail"]],
      ["ROUTEZ", { cluster: "" }, ["now", "routes"]],
      ["JSZ", "", ["now", "disabled"]],
      ["HEALTHZ", "", ["status"]],
      ["HEALTHZ", { "js-enabled-only": true }, ["status"]],
      ["HEALTHZ", { "js-server-only": true }, ["status"]],
      ["EXPVARZ", "", ["memstats", "cmdline"]],
    ];
    for (const [endpoint, body, fields] of cases) {
      for (const subject of [`$SYS.REQ.SERVER.PING.${endpoint}`, `$SYS.REQ.SERVER.${h.server.id}.${endpoint}`]) {
        const m = await request(sys, subject, body);
        expect(m.server.id, subject).toBe(h.server.id);
        expect(m.error, subject).toBeUndefined();
        for (const f of fields) expect(m.data, `${subject} ${f}`).toHaveProperty(f);
      }
    }
  });

  test("TestMonitorProfilez: PROFILEZ records a CPU profile and reports Go's errors", async () => {
    const sys = await withSystemClient();
    const subject = `$SYS.REQ.SERVER.${h.server.id}.PROFILEZ`;
    const cpu = await request(sys, subject, { name: "cpu", duration: 50_000_000 });
    expect(cpu.data.error).toBe("");
    expect(JSON.parse(Buffer.from(cpu.data.profile, "base64").toString())).toHaveProperty("nodes");
    expect((await request(sys, subject, {})).data.error).toBe("Profile name not specified");
    expect((await request(sys, subject, { name: "goroutine" })).data.error).toBe('Profile "goroutine" not found');
    expect((await request(sys, subject, { name: "cpu", duration: 20_000_000_000 })).data.error).toBe("Duration 20s should be between 0s and 15s");
  });

  test("TestMonitorServerIDZRequest: IDZ answers name, host and id", async () => {
    const sys = await withSystemClient({ serverName: "idz" });
    expect(await request(sys, "$SYS.REQ.SERVER.PING.IDZ")).toEqual({ name: "idz", host: "127.0.0.1", id: h.server.id });
  });

  test("TestServerEventsHealthZSingleServer: HEALTHZ is ok with a status code", async () => {
    const sys = await withSystemClient();
    expect((await request(sys, "$SYS.REQ.SERVER.PING.HEALTHZ")).data).toEqual({ status: "ok", status_code: 200 });
  });

  test("TestServerEventsHealthZJetStreamNotEnabled: without JetStream the server is healthy", async () => {
    const sys = await withSystemClient();
    const m = await request(sys, `$SYS.REQ.SERVER.${h.server.id}.HEALTHZ`);
    expect(m.data.status).toBe("ok");
    expect(m.data.error).toBeUndefined();
  });

  test("HEALTHZ reports JetStream that is configured but not running", async () => {
    const sys = await withSystemClient({ jetstream: {} });
    const m = await request(sys, "$SYS.REQ.SERVER.PING.HEALTHZ");
    expect(m.data).toEqual({ status: "unavailable", status_code: 503, error: "JetStream not enabled (10076)" });
  });

  test("TestServerEventsStatszMaxProcsMemLimit: gomaxprocs in STATSZ", async () => {
    const sys = await withSystemClient();
    expect((await request(sys, "$SYS.REQ.SERVER.PING.STATSZ")).statsz.gomaxprocs).toBeGreaterThan(0);
  });

  test("TestSubszPagination: SUBSZ pages with limit and offset", async () => {
    const sys = await withSystemClient();
    const nc = await h.client({ user: "app", pass: "app" });
    for (let i = 0; i < 100; i++) nc.subscribe(`page.${i}`);
    await nc.flush();
    const page = await request(sys, "$SYS.REQ.SERVER.PING.SUBSZ", { subscriptions: true, account: "APP", limit: 10, offset: 5 });
    expect([page.data.offset, page.data.limit, page.data.subscriptions_list.length]).toEqual([5, 10, 10]);
    expect(page.data.total).toBeGreaterThanOrEqual(100);
    const beyond = await request(sys, "$SYS.REQ.SERVER.PING.SUBSZ", { subscriptions: true, account: "APP", offset: 1000 });
    expect(beyond.data.subscriptions_list).toEqual([]);
  });

  test("TestAccountReqMonitoring: SUBSZ, CONNZ and STATZ for one account", async () => {
    const sys = await withSystemClient();
    const app = await h.client({ user: "app", pass: "app", name: "app" });
    app.subscribe("app.sub");
    await app.flush();
    const other = await h.client({ user: "other", pass: "other" });
    other.subscribe("other.sub");
    await other.flush();
    const subsz = await request(sys, "$SYS.REQ.ACCOUNT.APP.SUBSZ");
    expect(subsz.data.subscriptions_list.every((d: any) => d.account === "APP")).toBe(true);
    expect(subsz.data.subscriptions_list.map((d: any) => d.subject)).toContain("app.sub");
    const connz = await request(sys, "$SYS.REQ.ACCOUNT.APP.CONNZ");
    expect(connz.data.connections.map((c: any) => c.name)).toEqual(["app"]);
    const statz = await request(sys, "$SYS.REQ.ACCOUNT.APP.STATZ");
    expect(statz.data.account_statz).toHaveLength(1);
    expect(statz.data.account_statz[0]).toMatchObject({ acc: "APP", conns: 1 });
    // An unused account answers only when asked to include unused ones.
    await expect(sys.request("$SYS.REQ.ACCOUNT.$G.STATZ", "", { timeout: 150 })).rejects.toThrow();
    expect((await request(sys, "$SYS.REQ.ACCOUNT.$G.STATZ", { include_unused: true })).data.account_statz[0].conns).toBe(0);
    const ping = await request(sys, "$SYS.REQ.ACCOUNT.PING.STATZ", { accounts: ["APP", "OTHER"] });
    expect(ping.data.account_statz.map((a: any) => a.acc).sort()).toEqual(["APP", "OTHER"]);
    const conns = await request(sys, "$SYS.REQ.ACCOUNT.APP.CONNS");
    expect(conns).toMatchObject({ acc: "APP", conns: 1 });
  });

  test("TestAccountReqInfo: INFO describes the account", async () => {
    const sys = await withSystemClient();
    await h.client({ user: "app", pass: "app" });
    const info = await request(sys, "$SYS.REQ.ACCOUNT.APP.INFO");
    expect(info.data).toMatchObject({ account_name: "APP", expired: false, complete: true, client_connections: 1, leafnode_connections: 0 });
    const missing = await request(sys, "$SYS.REQ.ACCOUNT.NOPE.INFO");
    expect(missing.error).toEqual({ code: 500, description: "Account NOPE does not exist" });
  });

  test("an account's own clients reach $SYS.REQ.ACCOUNT.PING.CONNZ and STATZ for their account only", async () => {
    await withSystemClient();
    const app = await h.client({ user: "app", pass: "app", name: "app-self" });
    await h.client({ user: "other", pass: "other", name: "other" });
    const connz = await request(app, "$SYS.REQ.ACCOUNT.PING.CONNZ");
    expect(connz.data.connections.map((c: any) => c.name)).toEqual(["app-self"]);
    const viaServerPing = await request(app, "$SYS.REQ.SERVER.PING.CONNZ");
    expect(viaServerPing.data.connections.map((c: any) => c.name)).toEqual(["app-self"]);
    const statz = await request(app, "$SYS.REQ.ACCOUNT.PING.STATZ");
    expect(statz.data.account_statz.map((a: any) => a.acc)).toEqual(["APP"]);
  });

  test("TestServerEventsLDMKick: LDM tells one client to move, KICK disconnects it", async () => {
    const sys = await withSystemClient();
    const nc = await h.client({ user: "app", pass: "app", name: "TEST EVENTS LDM+KICK", reconnect: false });
    const cid = nc.info!.client_id;
    const statuses: string[] = [];
    void (async () => {
      for await (const s of nc.status()) statuses.push(s.type);
    })();
    const ldm = await request(sys, `$SYS.REQ.SERVER.${h.server.id}.LDM`, { cid });
    expect(ldm.error).toBeUndefined();
    await eventually(() => statuses.includes("ldm"));
    const kick = await request(sys, `$SYS.REQ.SERVER.${h.server.id}.KICK`, { cid });
    expect(kick.error).toBeUndefined();
    await nc.closed();
    await eventually(() => h.server.closedConnections.list().some((c) => c.cid === cid && c.reason === "Kicked"));
    const missing = await request(sys, `$SYS.REQ.SERVER.${h.server.id}.KICK`, { cid: 9999 });
    expect(missing.error).toEqual({ code: 500, description: "no such client or leafnode id" });
  });

  test("TestServerEventsReload: RELOAD runs the configured reload and answers, or reports why not", async () => {
    let reloads = 0;
    const sys = await withSystemClient({}, { reload: () => void reloads++ });
    const before = (await request(sys, "$SYS.REQ.SERVER.PING.VARZ")).data.config_load_time;
    await new Promise((r) => setTimeout(r, 5));
    const ok = await request(sys, `$SYS.REQ.SERVER.${h.server.id}.RELOAD`);
    expect(ok.error).toBeUndefined();
    expect(ok.server.id).toBe(h.server.id);
    expect(reloads).toBe(1);
    const after = (await request(sys, "$SYS.REQ.SERVER.PING.VARZ")).data.config_load_time;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
    await h.close();

    const plain = await withSystemClient();
    const refused = await request(plain, `$SYS.REQ.SERVER.${h.server.id}.RELOAD`);
    expect(refused.error).toEqual({ code: 500, description: "can only reload config when a file is provided using -c or --config" });
  });

  test("requests are not answered once system events are turned off", async () => {
    h = await startMonitored({}, { systemEvents: false }, { authenticator: accountsAuthenticator });
    const sys = await h.client({ user: "sys", pass: "sys" });
    await expect(sys.request("$SYS.REQ.SERVER.PING.VARZ", "", { timeout: 150 })).rejects.toThrow();
  });
});
