import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import type { NatsServer } from "../../src/index.js";
import { confOptions, startFromConf } from "../conf-server.js";
import { connectTo } from "../helpers.js";

const enc = new TextEncoder();
const servers: NatsServer[] = [];
const conns: NatsConnection[] = [];

afterEach(async () => {
  for (const nc of conns.splice(0)) await nc.close().catch(() => {});
  for (const s of servers.splice(0)) await s.shutdown();
});

async function start(conf: string): Promise<NatsServer> {
  const s = await startFromConf(conf);
  servers.push(s);
  return s;
}

async function login(server: NatsServer, user: string, pass = user): Promise<NatsConnection> {
  const nc = await connectTo(server, { user, pass });
  conns.push(nc);
  return nc;
}

/** Messages received on a subscription within a short window after a flush round trip. */
async function collect(nc: NatsConnection, subject: string, act: () => Promise<void>): Promise<string[]> {
  const got: string[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_e, m) => {
      got.push(`${m.subject}:${m.string()}`);
    },
  });
  await nc.flush();
  await act();
  await new Promise((r) => setTimeout(r, 50));
  await nc.flush();
  sub.unsubscribe();
  return got;
}

describe("accounts", () => {
  test("TestAccountIsolation: two accounts never see each other's messages", async () => {
    const s = await start(`accounts { A { users [{user: a, password: a}] }, B { users [{user: b, password: b}] } }`);
    const a = await login(s, "a");
    const b = await login(s, "b");
    const seenByB = await collect(b, "foo", async () => {
      a.publish("foo", enc.encode("from-a"));
      await a.flush();
    });
    expect(seenByB).toEqual([]);
    const seenByA = await collect(a, "foo", async () => {
      a.publish("foo", enc.encode("own"));
      await a.flush();
    });
    expect(seenByA).toEqual(["foo:own"]);
  });

  test("TestAccountGlobalDefault: without accounts every client is in $G", async () => {
    const s = await start(`port: -1`);
    const nc = await connectTo(s);
    conns.push(nc);
    expect([...s.connections.values()][0].account?.name).toBe("$G");
  });

  test("TestCrossAccountRequestReply: a service import answers requests across accounts", async () => {
    const s = await start(`
      accounts {
        SVC { users [{user: svc, password: svc}], exports [{service: "req.*"}] }
        APP { users [{user: app, password: app}], imports [{service: {account: SVC, subject: "req.*"}, to: "ask.*"}] }
      }`);
    const svc = await login(s, "svc");
    svc.subscribe("req.*", {
      callback: (_e, m) => {
        m.respond(enc.encode(`answer to ${m.subject} ${m.string()}`));
      },
    });
    await svc.flush();
    const app = await login(s, "app");
    const r = await app.request("ask.time", enc.encode("please"), { timeout: 2000 });
    expect(r.string()).toBe("answer to req.time please");
    // The exporter's own subjects stay private: APP can not reach req.* directly.
    await expect(app.request("req.time", enc.encode("x"), { timeout: 500 })).rejects.toThrow(/no responders|timeout/i);
  });

  test("TestCrossAccountServiceResponseTypes: a streamed response delivers every message, a singleton only the first", async () => {
    const s = await start(`
      accounts {
        SVC { users [{user: svc, password: svc}], exports [{service: "one"}, {service: "many", response_type: stream}] }
        APP { users [{user: app, password: app}], imports [{service: {account: SVC, subject: one}}, {service: {account: SVC, subject: many}}] }
      }`);
    const svc = await login(s, "svc");
    for (const subj of ["one", "many"]) {
      svc.subscribe(subj, {
        callback: (_e, m) => {
          for (let i = 0; i < 3; i++) svc.publish(m.reply!, enc.encode(`${subj}-${i}`));
        },
      });
    }
    await svc.flush();
    const app = await login(s, "app");
    for (const [subj, expected] of [["one", ["one-0"]], ["many", ["many-0", "many-1", "many-2"]]] as const) {
      const got = await collect(app, `inbox.${subj}`, async () => {
        app.publish(subj, enc.encode("go"), { reply: `inbox.${subj}` });
        await app.flush();
        await svc.flush();
      });
      expect(got.map((g) => g.split(":")[1])).toEqual(expected);
    }
  });

  test("a stream import with a prefix delivers the exporter's messages under the prefix", async () => {
    const s = await start(`
      accounts {
        PUB { users [{user: pub, password: pub}], exports [{stream: "events.>"}] }
        SUB { users [{user: sub, password: sub}], imports [{stream: {account: PUB, subject: "events.>"}, prefix: "pub"}] }
      }`);
    const pub = await login(s, "pub");
    const sub = await login(s, "sub");
    const got = await collect(sub, "pub.events.>", async () => {
      pub.publish("events.order.created", enc.encode("1"));
      pub.publish("other.thing", enc.encode("2"));
      await pub.flush();
    });
    expect(got).toEqual(["pub.events.order.created:1"]);
  });

  test("TestPrefixWildcardMapping / TestNoPrefixWildcardMapping: stream imports with `to` remap wildcard subjects", async () => {
    const s = await start(`
      accounts {
        PUB { users [{user: pub, password: pub}], exports [{stream: "orders.*"}] }
        SUB { users [{user: sub, password: sub}], imports [{stream: {account: PUB, subject: "orders.*"}, to: "mine.*.orders"}] }
      }`);
    const pub = await login(s, "pub");
    const sub = await login(s, "sub");
    const got = await collect(sub, "mine.>", async () => {
      pub.publish("orders.eu", enc.encode("x"));
      await pub.flush();
    });
    expect(got).toEqual(["mine.eu.orders:x"]);
  });

  test("a restricted export can only be imported by the accounts it names", () => {
    const conf = (importer: string) => `
      accounts {
        E { exports [{stream: "s.>", accounts: [OK]}, {service: "q", accounts: [OK]}] }
        OK { imports [{stream: {account: E, subject: "s.>"}}] }
        NO { imports [{${importer}: {account: E, subject: ${importer === "stream" ? '"s.>"' : "q"}}}] }
      }`;
    expect(() => confOptions(conf("stream"))).toThrow(/Error adding stream import "s.>": stream import not authorized/);
    expect(() => confOptions(conf("service"))).toThrow(/Error adding service import "q": service import not authorized/);
  });

  test("TestImportExportConfigFailures: unknown accounts, own-account imports and unknown keywords are refused", () => {
    expect(() => confOptions(`accounts { nats.io { imports = [{stream: {account: "synadia", subject:"foo"}}] } }`)).toThrow(
      /"synadia" account not defined for stream import/,
    );
    expect(() => confOptions(`accounts { nats.io { imports = [{service: {account: "nats.io", subject:"foo.*"}}] } }`)).toThrow(
      /service import not authorized/,
    );
    expect(() => confOptions(`accounts { nats.io { exports = [{service: "foo.*", wat:true}] } }`)).toThrow(/unknown field "wat"/);
    expect(() => confOptions(`accounts { nats.io { imports = [{stream: {account: nats.io, subject: "foo.*"}, wat:true}] } }`)).toThrow(
      /unknown field "wat"/,
    );
    expect(() => confOptions(`accounts { nats.io { exports = [{service: {account: nats.io, subject:"foo.*"}}] } }`)).toThrow(
      /Expected service name to be string/,
    );
  });

  test("imports that route messages back to their source are refused at load", () => {
    expect(() =>
      confOptions(`
        accounts {
          A { exports [{stream: "x.>"}], imports [{stream: {account: B, subject: "x.>"}}] }
          B { exports [{stream: "x.>"}], imports [{stream: {account: A, subject: "x.>"}}] }
        }`),
    ).toThrow(/import forms a cycle/);
    expect(() =>
      confOptions(`
        accounts {
          A { exports [{service: "q.>"}], imports [{service: {account: B, subject: "q.>"}}] }
          B { exports [{service: "q.>"}], imports [{service: {account: A, subject: "q.>"}}] }
        }`),
    ).toThrow(/import forms a cycle/);
    // Disjoint subjects in both directions are fine.
    expect(() =>
      confOptions(`
        accounts {
          A { exports [{service: "a.>"}], imports [{service: {account: B, subject: "b.>"}}] }
          B { exports [{service: "b.>"}], imports [{service: {account: A, subject: "a.>"}}] }
        }`),
    ).not.toThrow();
  });

  test("TestAccountLimitsServerConfig: max_connections per account refuses the connection past the limit", async () => {
    const s = await start(`
      max_connections: 10
      accounts { MAXC { users = [{user: derek, password: foo}], limits { max_connections: 5, max_subs: 10, max_payload: 32k, max_leafnodes: 1 } } }`);
    expect(s.lookupAccount("MAXC")?.limits).toEqual({ maxConnections: 5, maxSubscriptions: 10, maxPayload: 32_000 });
    for (let i = 0; i < 5; i++) await login(s, "derek", "foo");
    await expect(connectTo(s, { user: "derek", pass: "foo" })).rejects.toThrow(/maximum account active connections exceeded/);
  });

  test("account max_subscriptions and max_payload apply to each of its clients", async () => {
    const s = await start(`accounts { L { users = [{user: l, password: l}], limits { max_subs: 2, max_payload: 100 } } }`);
    const nc = await login(s, "l");
    const errors: string[] = [];
    (async () => {
      for await (const st of nc.status()) if (st.type === "error") errors.push(String(st.error));
    })().catch(() => {});
    nc.subscribe("a");
    nc.subscribe("b");
    nc.subscribe("c");
    await nc.flush().catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    expect(errors.join()).toMatch(/maximum subscriptions exceeded/);
    const [c] = [...s.connections.values()];
    expect(c.subs.size).toBe(2);
  });
});

describe("Go accounts_test ports", () => {
  test("TestAccountServiceImportNoResponders: a request through a service import nobody serves gets no responders", async () => {
    const s = await start(`
      accounts {
        accExp { users: [{user: accExp, password: accExp}], exports: [{service: "foo"}] }
        accImp { users: [{user: accImp, password: accImp}], imports: [{service: {account: accExp, subject: "foo"}}] }
      }`);
    const nc = await login(s, "accImp");
    await expect(nc.request("foo", enc.encode("request"), { timeout: 250 })).rejects.toThrow(/no responders/i);
  });

  test("TestMultipleStreamImportsWithSameSubjectDifferentPrefix: one subscriber gets both exporters' streams", async () => {
    const s = await start(`
      accounts {
        foo { users [{user: foo, password: foo}], exports [{stream: test}] }
        bar { users [{user: bar, password: bar}], exports [{stream: test}] }
        import { users [{user: imp, password: imp}], imports [{stream: {account: foo, subject: test}, prefix: foo}, {stream: {account: bar, subject: test}, prefix: bar}] }
      }`);
    const imp = await login(s, "imp", "imp");
    const foo = await login(s, "foo");
    const bar = await login(s, "bar");
    const got = await collect(imp, "*.test", async () => {
      bar.publish("test", enc.encode("hello-bar"));
      await bar.flush();
      foo.publish("test", enc.encode("hello-foo"));
      await foo.flush();
    });
    expect(got.sort()).toEqual(["bar.test:hello-bar", "foo.test:hello-foo"]);
  });

  test("TestAccountDuplicateServiceImportSubject: the same local subject twice from one exporter is refused", () => {
    const conf = (second: string) => `
      accounts {
        foo { exports [{service: remote1}, {service: remote2}] }
        baz { exports [{service: remote1}] }
        bar { imports [{service: {account: foo, subject: remote1}, to: foo}, ${second}] }
      }`;
    expect(() => confOptions(conf(`{service: {account: foo, subject: remote2}, to: foo}`))).toThrow(
      /Duplicate service import subject "foo", previously used in import for account "foo", subject "remote1"/,
    );
    expect(() => confOptions(conf(`{service: {account: baz, subject: remote1}, to: foo}`))).not.toThrow();
  });

  test("TestAccountMapsUsers / TestMultiAccountsIsolation: users land in their accounts, which stay isolated", async () => {
    const s = await start(`
      accounts {
        synadia { users [{user: derek, password: foo}, {user: ivan, password: bar}] }
        nats { users [{user: alice, password: baz}] }
      }`);
    const derek = await login(s, "derek", "foo");
    const ivan = await login(s, "ivan", "bar");
    const alice = await login(s, "alice", "baz");
    const byUser = new Map([...s.connections.values()].map((c) => [c.user, c.account?.name]));
    expect(Object.fromEntries(byUser)).toEqual({ derek: "synadia", ivan: "synadia", alice: "nats" });
    const seenByIvan = await collect(ivan, "foo", async () => {
      derek.publish("foo", enc.encode("same account"));
      alice.publish("foo", enc.encode("other account"));
      await derek.flush();
      await alice.flush();
    });
    expect(seenByIvan).toEqual(["foo:same account"]);
  });

  test("TestServiceImportWithWildcards: a wildcard service import routes each request to the exporter", async () => {
    const s = await start(`
      accounts {
        foo { users [{user: foo, password: foo}], exports [{service: "test.*"}] }
        bar { users [{user: bar, password: bar}], imports [{service: {account: foo, subject: "test.*"}}] }
      }`);
    const foo = await login(s, "foo");
    foo.subscribe("test.*", {
      callback: (_e, m) => {
        m.respond(enc.encode(`got ${m.subject}`));
      },
    });
    await foo.flush();
    const bar = await login(s, "bar");
    expect((await bar.request("test.22", enc.encode("x"), { timeout: 1000 })).string()).toBe("got test.22");
    expect((await bar.request("test.33", enc.encode("x"), { timeout: 1000 })).string()).toBe("got test.33");
  });
});

describe("subject mappings", () => {
  test("TestAccountBasicRouteMapping / TestAccountWildcardRouteMapping: literal and wildcard mappings", async () => {
    const s = await start(`
      mappings { "foo": "bar", "orders.*.*": "shard.{{wildcard(2)}}.$1" }`);
    const nc = await connectTo(s);
    conns.push(nc);
    const got = await collect(nc, ">", async () => {
      nc.publish("foo", enc.encode("1"));
      nc.publish("orders.acme.new", enc.encode("2"));
      await nc.flush();
    });
    expect(got.sort()).toEqual(["bar:1", "shard.new.acme:2"]);
  });

  test("TestAccountRouteMappingsConfiguration: per-account mappings apply only in that account", async () => {
    const s = await start(`
      accounts {
        A { users [{user: a, password: a}], mappings { "in": "out" } }
        B { users [{user: b, password: b}] }
      }`);
    const a = await login(s, "a");
    const b = await login(s, "b");
    expect(await collect(a, ">", async () => void a.publish("in", enc.encode("x")))).toEqual(["out:x"]);
    expect(await collect(b, ">", async () => void b.publish("in", enc.encode("x")))).toEqual(["in:x"]);
  });

  test("a weighted mapping splits 10 000 messages within ±3% of its weights; the rest stays on the subject", async () => {
    const s = await start(`
      mappings {
        "work": [ { destination: "work.a", weight: 50% }, { destination: "work.b", weight: 30% } ]
      }`);
    const nc = await connectTo(s);
    conns.push(nc);
    const counts: Record<string, number> = {};
    const total = 10_000;
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      const count = (subject: string) => {
        counts[subject] = (counts[subject] ?? 0) + 1;
        if (++seen === total) resolve();
      };
      nc.subscribe("work.>", { callback: (_e, m) => count(m.subject) });
      nc.subscribe("work", { callback: (_e, m) => count(m.subject) });
    });
    await nc.flush();
    for (let i = 0; i < total; i++) nc.publish("work", enc.encode(String(i)));
    await done;
    expect(Math.abs(counts["work.a"] / total - 0.5)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(counts["work.b"] / total - 0.3)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(counts["work"] / total - 0.2)).toBeLessThanOrEqual(0.03);
  });

  test("TestGlobalAccountRouteMappingsConfiguration: top-level mappings (literal, weighted wildcard, reordering) in $G", async () => {
    const s = await start(`
      mappings = {
        foo: bar
        foo.*: [ { dest: bar.v1.$1, weight: 40% }, { destination: baz.v2.$1, weight: 20 } ]
        bar.*.*: RAB.$2.$1
      }`);
    const nc = await connectTo(s);
    conns.push(nc);
    const counts = new Map<string, number>();
    for (const subj of ["bar", "bar.v1.>", "baz.v2.>", "RAB.>", "foo.*"]) {
      nc.subscribe(subj, {
        callback: () => {
          counts.set(subj, (counts.get(subj) ?? 0) + 1);
        },
      });
    }
    await nc.flush();
    nc.publish("foo");
    nc.publish("bar.11.22");
    for (let i = 0; i < 500; i++) nc.publish("foo.22");
    await nc.flush();
    const total = () => [...counts.values()].reduce((a, b) => a + b, 0);
    for (let i = 0; i < 100 && total() < 502; i++) await new Promise((r) => setTimeout(r, 10));
    expect(counts.get("bar")).toBe(1);
    expect(counts.get("RAB.>")).toBe(1);
    const [kept, v1, v2] = [counts.get("foo.*") ?? 0, counts.get("bar.v1.>") ?? 0, counts.get("baz.v2.>") ?? 0];
    expect(kept + v1 + v2).toBe(500);
    expect(v1 >= v2 && kept >= v2).toBe(true);
  });

  test("invalid mappings are refused with Go's words", () => {
    expect(() => confOptions(`mappings { "foo.*": "bar.{{wildcard(2)}}" }`)).toThrow(
      /Error adding mapping for "foo.\*" to "bar.{{wildcard\(2\)}}" : invalid mapping destination: wildcard index out of range/,
    );
    expect(() => confOptions(`mappings { "foo": [{destination: a, weight: 60}, {destination: b, weight: 50}] }`)).toThrow(
      /total weight needs to be <= 100/,
    );
    expect(() => confOptions(`mappings { "foo": [{destination: a}] }`)).toThrow(/Missing weight for mapping destination "a"/);
  });
});

describe("export authorization", () => {
  test("TestImportAuthorized: which imports an export allows", async () => {
    const { planAuth, resolveOptions } = await import("../../src/index.js");
    type Export = { stream?: string; service?: string; accounts?: string[]; accountTokenPosition?: number };
    const base = resolveOptions({});
    const allowed = (exports: Export[], subject: string, importer = "bar", kind: "stream" | "service" = "stream"): boolean => {
      const accounts = { foo: { exports }, bar: {}, foobar: {}, baz: {}, [importer]: { imports: [{ [kind]: { account: "foo", subject } }] } };
      return planAuth({ ...base, accounts: accounts as typeof base.accounts }).problems.length === 0;
    };
    const s = (stream: string, accounts?: string[], accountTokenPosition?: number): Export => ({ stream, accounts, accountTokenPosition });
    for (const subj of ["foo", "*", ">", "foo.*", "foo.>"]) expect(allowed([], subj), subj).toBe(false);
    expect(allowed([s("foo")], "foo")).toBe(true);
    expect(allowed([s("foo")], "bar")).toBe(false);
    expect(allowed([s("foo")], "*")).toBe(false);
    const star = [s("foo"), s("*", ["bar"])];
    for (const [subj, ok] of [["foo", true], ["bar", true], ["baz", true], ["foo.bar", false], [">", false], ["*", true], ["foo.*", false], ["*.*", false], ["*.>", false]] as const) {
      expect(allowed(star, subj), subj).toBe(ok);
    }
    for (const subj of ["foo", "bar", "baz", "foo.bar", ">", "*", "foo.*", "*.*", "*.>"]) expect(allowed([s(">")], subj), subj).toBe(true);
    const pos = [s("foo.*", [], 2), s("bar.*.foo", [], 2)];
    expect(allowed(pos, "foo.bar")).toBe(true);
    expect(allowed(pos, "bar.bar.foo")).toBe(true);
    expect(allowed(pos, "foo.X")).toBe(false);
    expect(allowed(pos, "bar.X.foo")).toBe(false);
    expect(() => resolveOptions({ accounts: { foo: { exports: [s("baz.*.>", [], 3)] as never } } })).toThrow(/invalid subject/);
    const svc = [{ service: "a.*", accountTokenPosition: 2 }, { service: "b.*.a", accountTokenPosition: 2 }];
    expect(allowed(svc, "a.bar", "bar", "service")).toBe(true);
    expect(allowed(svc, "b.bar.a", "bar", "service")).toBe(true);
    expect(allowed(svc, "a.X", "bar", "service")).toBe(false);
    expect(allowed(svc, "b.X.a", "bar", "service")).toBe(false);
    const deep = [s("foo.*.baz.>", ["bar"])];
    for (const [subj, ok] of [["foo.bar.baz.1", true], ["foo.bar.baz.*", true], ["foo.*.baz.1.1", true], ["foo.22.baz.22", true], ["foo.bar.baz", false], ["foo.bar.*.*", false]] as const) {
      expect(allowed(deep, subj), subj).toBe(ok);
    }
    expect(allowed(deep, "foo.bar.baz.1", "foobar")).toBe(false);
    expect(allowed(deep, "foo.bar.baz.1", "baz")).toBe(false);
  });

  test("TestAccountServiceAndStreamExportDoubleDelivery: a stream and a service import of the same subjects deliver once", async () => {
    const s = await start(`
      accounts: {
        tenant1: { users: [ { user: "one", password: "one" } ], exports: [ { stream: "DW.>" }, { service: "DW.>" } ] }
        global: {
          users: [ { user: "global", password: "global" } ]
          imports: [ { stream: { account: tenant1, subject: "DW.>" }, prefix: tenant1 }, { service: { account: tenant1, subject: "DW.>" }, to: "tenant1.DW.>" } ]
        }
      }`);
    const nc = await login(s, "one");
    const got = await collect(nc, ">", async () => {
      nc.publish("DW.test.123", enc.encode("test"));
      await nc.flush();
      await new Promise((r) => setTimeout(r, 100));
    });
    expect(got).toEqual(["DW.test.123:test"]);
  });

  test("TestAccountImportOwnExport: an account may import its own service export", async () => {
    const s = await start(`
      accounts: { A: {
        exports: [ { service: echo, accounts: [A], latency: { subject: "latency.echo" } } ],
        imports: [ { service: { account: A, subject: echo } } ],
        users: [ { user: user, pass: pass } ]
      } }`);
    const nc = await login(s, "user", "pass");
    nc.subscribe("echo", {
      callback: (_e, m) => {
        m.respond(new Uint8Array(0));
      },
    });
    await nc.flush();
    await expect(nc.request("echo", enc.encode("request"), { timeout: 1000 })).resolves.toBeDefined();
  });
});

describe("deliveries shown under another subject (JetStream) across imports", () => {
  test("a stream import routes by the deliver subject and shows the stream subject", async () => {
    const s = await start(`
      accounts {
        JS { users [{user: js, password: js}], exports [{stream: "deliver.>"}] }
        APP { users [{user: app, password: app}], imports [{stream: {account: JS, subject: "deliver.>"}, to: "inbox.>"}] }
      }`);
    const app = await login(s, "app");
    const js = s.createInternalClient("JETSTREAM", s.lookupAccount("JS")!);
    const leak: string[] = [];
    const leakSub = app.subscribe("orders.>", { callback: (_e, m) => void leak.push(m.subject) });
    const got = await collect(app, "inbox.>", async () => {
      expect(js.deliverAs("deliver.c1", "orders.1", "$JS.ACK.x", 0, Buffer.from("m"))).toBe(true);
    });
    leakSub.unsubscribe();
    expect(got).toEqual(["orders.1:m"]);
    expect(leak).toEqual([]);
  });

  test("a delivery to a service import's reply reaches the requester, showing the stream subject", async () => {
    const s = await start(`
      accounts {
        JS { users [{user: js, password: js}], exports [{service: "pull.next"}] }
        APP { users [{user: app, password: app}], imports [{service: {account: JS, subject: "pull.next"}}] }
      }`);
    const app = await login(s, "app");
    const js = s.createInternalClient("JETSTREAM", s.lookupAccount("JS")!);
    js.subscribe("pull.next", (_subject, reply) => {
      js.deliverAs(reply!, "orders.7", "$JS.ACK.y", 0, Buffer.from("pulled"));
    });
    const got = await collect(app, "my.inbox", async () => {
      app.publish("pull.next", enc.encode(""), { reply: "my.inbox" });
      await app.flush();
    });
    expect(got).toEqual(["orders.7:pulled"]);
  });
});
