import { connect as rawConnect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { connz, type ConnzJson } from "../src/index.js";
import { accountsAuthenticator, startMonitored, type Harness } from "./helpers.js";

// Bad input never crashes anything: arbitrary query strings and request bodies get an answer
// (or, for $SYS requests Go would ignore, none), and the server keeps serving afterwards.

let h: Harness;
let sys: NatsConnection;

beforeAll(async () => {
  h = await startMonitored({}, { prometheus: true }, { authenticator: accountsAuthenticator, accounts: ["APP"] });
  sys = await h.client({ user: "sys", pass: "sys" });
  const app = await h.client({ user: "app", pass: "app", name: "app" });
  app.subscribe("x.>");
  await app.flush();
  await app.close();
  await h.client({ user: "app", pass: "app", name: "still-open" });
});

afterAll(async () => {
  await h.close();
});

const PATHS = ["/", "/varz", "/connz", "/subsz", "/routez", "/gatewayz", "/leafz", "/accountz", "/accstatz", "/jsz", "/healthz", "/metrics", "/debug/vars"];
const KEYS = ["sort", "auth", "subs", "offset", "limit", "cid", "state", "user", "acc", "mqtt_client", "test", "unused", "accounts", "streams", "consumers", "config", "leader-only", "js-enabled-only", "js-server-only", "account", "stream", "consumer", "details", "callback"];

test("arbitrary query parameters never produce a server error", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...PATHS),
      fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.oneof(fc.string(), fc.integer().map(String), fc.constantFrom("true", "detail", "closed", "-1", "9999999999999999999999"))), { maxLength: 4 }),
      async (path, params) => {
        const q = new URLSearchParams(params).toString();
        const r = await h.get(q === "" ? path : `${path}?${q}`);
        expect([200, 400, 503]).toContain(r.status);
      },
    ),
    { numRuns: 150 },
  );
  expect((await h.get("/varz")).status).toBe(200);
});

test("arbitrary $SYS request bodies get a well-formed answer or none", async () => {
  const subjects = ["VARZ", "CONNZ", "SUBSZ", "JSZ", "HEALTHZ", "ACCOUNTZ", "STATSZ", "LEAFZ"].map((e) => `$SYS.REQ.SERVER.PING.${e}`);
  subjects.push("$SYS.REQ.ACCOUNT.APP.CONNZ", "$SYS.REQ.ACCOUNT.APP.INFO", "$SYS.REQ.ACCOUNT.PING.STATZ", `$SYS.REQ.SERVER.${h.server.id}.KICK`);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...subjects), fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), async (subject, body) => {
      try {
        const reply = await sys.request(subject, body, { timeout: 300 });
        const json = reply.json<any>();
        expect(typeof json).toBe("object");
      } catch (err) {
        // Filtered or skipped requests are not answered, as in Go.
        expect(String(err)).toMatch(/timeout|TIMEOUT|no responders/i);
      }
    }),
    { numRuns: 80 },
  );
  const still = (await sys.request("$SYS.REQ.SERVER.PING.CONNZ", "", { timeout: 2000 })).json<any>();
  expect(still.data.connections.map((c: any) => c.name)).toContain("still-open");
});

test("TestConnzClosedSubsDetailNoSharedMutation: each answer is built fresh", async () => {
  const ctx = h.monitor.context!;
  const closedApp = (c: ConnzJson) => c.connections.find((x) => x.name === "app")!;
  const a = connz(ctx, { state: "closed", subscriptionsDetail: true });
  closedApp(a).subscriptions_list_detail![0].subject = "mutated";
  const b = connz(ctx, { state: "closed", subscriptionsDetail: true });
  expect(closedApp(b).subscriptions_list_detail![0].subject).toBe("x.>");
});

test("TestMonitorConnzClosedConnsRace / TestMonitorVarzRaces: polling while clients come and go", async () => {
  const churn = (async () => {
    for (let i = 0; i < 20; i++) {
      const nc = await h.client({ user: "app", pass: "app" });
      await nc.close();
    }
  })();
  const polls = (async () => {
    for (let i = 0; i < 40; i++) {
      const [c, v] = await Promise.all([h.get("/connz?state=any&subs=detail"), h.get("/varz")]);
      expect([c.status, v.status]).toEqual([200, 200]);
    }
  })();
  await Promise.all([churn, polls]);
});

test("a request line the URL parser refuses gets 400, and the monitor keeps serving", async () => {
  for (const target of ["//%%%", "//x:99999/", "http://[::1"]) {
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = rawConnect(h.monitor.httpPort, "127.0.0.1", () => sock.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
      let text = "";
      sock.on("data", (d) => (text += d));
      sock.on("end", () => resolve(text));
      sock.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
  }
  expect((await h.get("/varz")).status).toBe(200);
});

test("a JetStream provider that throws costs an error answer, not the server", async () => {
  const broken = {
    jetStreamConfig: () => ({ max_memory: 0, max_storage: 0 }),
    jetStreamStats: () => {
      throw new Error("stats unavailable");
    },
    jetStreamAccounts: () => [],
  };
  const local = await startMonitored({}, { jetstream: broken, statszInterval: 20 }, { authenticator: accountsAuthenticator });
  try {
    const s = await local.client({ user: "sys", pass: "sys" });
    s.subscribe(`$SYS.SERVER.${local.server.id}.STATSZ`);
    const jszReply = (await s.request("$SYS.REQ.SERVER.PING.JSZ", "", { timeout: 2000 })).json<any>();
    expect(jszReply.error).toEqual({ code: 500, description: "stats unavailable" });
    await expect(s.request("$SYS.REQ.SERVER.PING.STATSZ", "", { timeout: 200 })).rejects.toThrow();
    expect((await local.get("/varz")).status).toBe(400);
    await new Promise((r) => setTimeout(r, 100));
    expect((await local.get("/connz")).status).toBe(200);
  } finally {
    await local.close();
  }
});
