import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { ClosedReason, createLogger, NatsServer, ReloadError, optionsFromConf, parseConf } from "../../src/index.js";
import { connectTo } from "../helpers.js";
import { RawClient } from "../raw-client.js";
import { createUser } from "@nats-io/nkeys";
import { nkeyAuthenticator } from "@nats-io/transport-node";

const enc = new TextEncoder();
const servers: NatsServer[] = [];
const conns: NatsConnection[] = [];

afterEach(async () => {
  for (const nc of conns.splice(0)) await nc.close().catch(() => {});
  for (const s of servers.splice(0)) await s.shutdown();
});

function opts(conf: string) {
  return { host: "127.0.0.1", port: 0, ...optionsFromConf(parseConf(conf, { env: {} })).options };
}

async function start(conf: string, logLines?: string[]): Promise<NatsServer> {
  const logger = logLines === undefined ? undefined : createLogger({ write: (l) => logLines.push(l) });
  const s = new NatsServer(opts(conf), { logger });
  await s.start();
  servers.push(s);
  return s;
}

async function client(s: NatsServer, o: Parameters<typeof connectTo>[1] = {}): Promise<NatsConnection> {
  const nc = await connectTo(s, o);
  conns.push(nc);
  return nc;
}

/** Reloads with the same port the server is bound to, as a conf with `port: -1` would. */
function reload(s: NatsServer, conf: string): string[] {
  return s.reload(opts(conf));
}

function errorsOf(nc: NatsConnection): string[] {
  const errors: string[] = [];
  (async () => {
    for await (const st of nc.status()) if (st.type === "error" || st.type === "disconnect") errors.push(`${st.type}:${String((st as { error?: unknown }).error ?? "")}`);
  })().catch(() => {});
  return errors;
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("live reload", () => {
  test("TestConfigReloadUnsupported: changing the port is refused and the old config stays", async () => {
    const s = await start(`authorization { user: a, password: a }`);
    expect(() => s.reload({ ...opts(`authorization { user: b, password: b }`), port: s.port + 1 })).toThrow(ReloadError);
    expect(() => s.reload({ ...opts(``), port: 4333 })).toThrow(/config reload not supported for Port: old=0, new=4333/);
    await client(s, { user: "a", pass: "a" });
    await expect(connectTo(s, { user: "b", pass: "b" })).rejects.toThrow(/Authorization Violation/);
  });

  test("TestConfigReloadMaxSubsUnsupported: max_subscriptions can not change at runtime", async () => {
    const s = await start(`max_subs: 10`);
    expect(() => reload(s, `max_subs: 20`)).toThrow(/config reload not supported for MaxSubs: old=10, new=20/);
  });

  test("TestConfigReloadInvalidConfig: an invalid config is refused and the running one kept", async () => {
    const s = await start(`authorization { users [{user: a, password: a}] }`);
    expect(() => reload(s, `authorization { users [{user: a, password: a}] }\nno_auth_user: nobody`)).toThrow(/no_auth_user: "nobody" not present/);
    await client(s, { user: "a", pass: "a" });
  });

  test("TestConfigReloadValidate: removing the no_auth_user's user is refused with a no_auth_user error", async () => {
    const s = await start(`no_auth_user: a\nauthorization { users [ {user: "a", password: "a"}, {user: "b", password: "b"} ] }`);
    expect(() => reload(s, `no_auth_user: a\nauthorization { users [ {user: "b", password: "b"} ] }`)).toThrow(/^no_auth_user:/);
    await client(s);
  });

  test("TestConfigReloadRotateUserAuthentication: the old user is disconnected with Authorization Violation, the new one connects", async () => {
    const s = await start(`authorization { user: tyler, password: T0pS3cr3t }`);
    const nc = await client(s, { user: "tyler", pass: "T0pS3cr3t" });
    const errors = errorsOf(nc);
    reload(s, `authorization { user: derek, password: passw0rd }`);
    await expect(connectTo(s, { user: "tyler", pass: "T0pS3cr3t" })).rejects.toThrow(/Authorization Violation/);
    await client(s, { user: "derek", pass: "passw0rd" });
    await until(() => errors.some((e) => /disconnect|Authorization Violation/.test(e)));
    expect(s.closedConnections.list().some((c) => c.user === "tyler" && c.reason === ClosedReason.AuthenticationViolation)).toBe(true);
  });

  test("TestConfigReloadEnableUserAuthentication / TestConfigReloadDisableUserAuthentication", async () => {
    const s = await start(``);
    const anon = await client(s);
    reload(s, `authorization { user: tyler, password: T0pS3cr3t }`);
    await until(() => anon.isClosed());
    await client(s, { user: "tyler", pass: "T0pS3cr3t" });
    reload(s, ``);
    await client(s);
  });

  test("TestConfigReloadRotateTokenAuthentication / TestConfigReloadEnableTokenAuthentication", async () => {
    const s = await start(`authorization { token: T0pS3cr3t }`);
    const nc = await client(s, { token: "T0pS3cr3t" });
    reload(s, `authorization { token: passw0rd }`);
    await until(() => nc.isClosed());
    await expect(connectTo(s, { token: "T0pS3cr3t" })).rejects.toThrow(/Authorization Violation/);
    await client(s, { token: "passw0rd" });
  });

  test("TestConfigReloadRotateUsersAuthentication: a changed password disconnects that user only", async () => {
    const s = await start(`authorization { users = [ {user: alice, password: foo}, {user: bob, password: bar} ], timeout: 0.5 }`);
    const alice = await client(s, { user: "alice", pass: "foo" });
    const bob = await client(s, { user: "bob", pass: "bar" });
    const got: string[] = [];
    bob.subscribe("foo", {
      callback: (_e, m) => {
        got.push(m.string());
      },
    });
    await bob.flush();
    reload(s, `authorization { users = [ {user: alice, password: baz}, {user: bob, password: bar} ], timeout: 0.5 }`);
    await expect(connectTo(s, { user: "alice", pass: "foo" })).rejects.toThrow(/Authorization Violation/);
    await (await connectTo(s, { user: "alice", pass: "baz" })).close();
    await until(() => alice.isClosed());
    bob.publish("foo", enc.encode("hello"));
    await bob.flush();
    await until(() => got.length === 1);
    expect(got).toEqual(["hello"]);
  });

  test("reload adds and removes users of a users list while clients are connected", async () => {
    const s = await start(`authorization { users [{user: alice, password: a}, {user: bob, password: b}] }`);
    const alice = await client(s, { user: "alice", pass: "a" });
    const bob = await client(s, { user: "bob", pass: "b" });
    reload(s, `authorization { users [{user: alice, password: a}, {user: carol, password: c}] }`);
    await until(() => bob.isClosed());
    expect(alice.isClosed()).toBe(false);
    await client(s, { user: "carol", pass: "c" });
    // alice still works after the reload.
    const sub = alice.subscribe("still", { max: 1 });
    alice.publish("still", enc.encode("here"));
    for await (const m of sub) expect(m.string()).toBe("here");
  });

  test("TestConfigReloadChangePermissions: new permissions apply without reconnecting; revoked subscriptions are dropped with an -ERR", async () => {
    const before = `authorization { users [
      {user: bob, password: bar, permissions: { publish: { allow: ["req.foo"] }, subscribe: { allow: ["_INBOX.>"] } }}
      {user: alice, password: foo}
    ] }`;
    const after = `authorization { users [
      {user: bob, password: bar, permissions: { publish: { allow: ["other"] }, subscribe: { allow: ["_INBOX.foo.>"] } }}
      {user: alice, password: foo}
    ] }`;
    const s = await start(before);
    const bob = await client(s, { user: "bob", pass: "bar" });
    const errors = errorsOf(bob);
    let inbox = 0;
    bob.subscribe("_INBOX.>", {
      // nats.js also calls back with the subscription's permission error (and no message).
      callback: (err) => {
        if (err === null) inbox++;
      },
    });
    await bob.flush();
    const alice = await client(s, { user: "alice", pass: "foo" });
    let reqs = 0;
    alice.subscribe("req.foo", {
      callback: () => {
        reqs++;
      },
    });
    await alice.flush();
    bob.publish("req.foo", enc.encode("world"));
    alice.publish("_INBOX.foo", enc.encode("hello"));
    await bob.flush();
    await alice.flush();
    await until(() => inbox === 1 && reqs === 1);

    reload(s, after);
    await until(() => errors.some((e) => /permissions violation for subscription to "_inbox.>"/i.test(e)));
    bob.publish("req.foo", enc.encode("hola"));
    await bob.flush().catch(() => {});
    await until(() => errors.some((e) => /permissions violation for publish to "req.foo"/i.test(e)));
    alice.publish("_INBOX.foo", enc.encode("mundo"));
    await alice.flush();
    await new Promise((r) => setTimeout(r, 30));
    expect({ inbox, reqs }).toEqual({ inbox: 1, reqs: 1 });
    expect(bob.isClosed()).toBe(false);
    const sub = bob.subscribe("_INBOX.foo.>", { max: 1 });
    bob.publish("other", enc.encode("allowed now"));
    alice.publish("_INBOX.foo.bar", enc.encode("testing"));
    for await (const m of sub) expect(m.string()).toBe("testing");
  });

  test("TestConfigReloadMaxPayload: a lower max_payload applies to connected clients", async () => {
    const s = await start(`max_payload: 1000`);
    const nc = await client(s);
    reload(s, `max_payload: 10`);
    expect(s.opts.maxPayload).toBe(10);
    const errors = errorsOf(nc);
    // The client still believes 1000 bytes are fine; the server now refuses and closes.
    nc.publish("big", new Uint8Array(100));
    await until(() => nc.isClosed() || errors.length > 0);
    expect(s.closedConnections.list().at(-1)?.reason).toBe(ClosedReason.MaxPayloadExceeded);
  });

  test("TestConfigReloadAccountUsers: users move between accounts; clients of removed users are closed", async () => {
    const s = await start(`accounts { A { users [{user: a1, password: p}, {user: a2, password: p}] }, B { users [{user: b1, password: p}] } }`);
    const a1 = await client(s, { user: "a1", pass: "p" });
    const a2 = await client(s, { user: "a2", pass: "p" });
    const b1 = await client(s, { user: "b1", pass: "p" });
    reload(s, `accounts { A { users [{user: a1, password: p}] }, B { users [{user: b1, password: p}, {user: a2, password: p}] } }`);
    // a2 now belongs to another account: its connection (bound to A) can not stay.
    await until(() => a2.isClosed());
    expect(a1.isClosed() || b1.isClosed()).toBe(false);
    const moved = await client(s, { user: "a2", pass: "p" });
    expect([...s.connections.values()].find((c) => c.user === "a2")?.account?.name).toBe("B");
    await moved.close();
  });

  test("TestConfigReloadAccountMappings: mappings change at runtime", async () => {
    const s = await start(`mappings { foo: bar }`);
    const nc = await client(s);
    const got: string[] = [];
    nc.subscribe(">", {
      callback: (_e, m) => {
        got.push(m.subject);
      },
    });
    await nc.flush();
    nc.publish("foo", enc.encode("1"));
    await nc.flush();
    reload(s, `mappings { foo: baz }`);
    nc.publish("foo", enc.encode("2"));
    await nc.flush();
    await until(() => got.length === 2);
    expect(got).toEqual(["bar", "baz"]);
  });

  test("TestAccountImportCycle: adding exports and imports on reload keeps service imports working", async () => {
    const tmpl = (exp: string, imp: string) => `
      accounts {
        CP { users [{user: cp, password: cp}], exports [{service: "q1.>", response_type: Singleton}, {service: "q2.>", response_type: Singleton} ${exp}] }
        A { users [{user: a, password: a}], imports [{service: {account: CP, subject: "q1.>"}}, {service: {account: CP, subject: "q2.>"}} ${imp}] }
      }`;
    const s = await start(tmpl("", ""));
    const cp = await client(s, { user: "cp", pass: "cp" });
    cp.subscribe("q1.>", {
      callback: (_e, m) => {
        m.respond(enc.encode("reply"));
      },
    });
    await cp.flush();
    const a = await client(s, { user: "a", pass: "a" });
    const req = async () => {
      const got: string[] = [];
      const sub = a.subscribe("q2.inbox", {
        max: 1,
        callback: (_e, m) => {
          got.push(m.string());
        },
      });
      await a.flush();
      a.publish("q1.a", enc.encode("test"), { reply: "q2.inbox" });
      await until(() => got.length === 1);
      sub.unsubscribe();
      expect(got).toEqual(["reply"]);
    };
    await req();
    reload(s, tmpl(`, {service: "q3.>", response_type: Singleton}`, `, {service: {account: CP, subject: "q3.>"}}`));
    await req();
  });

  test("TestConfigReloadMaxConnections: lowering max_connections closes the newest clients and refuses new ones", async () => {
    const s = await start(``);
    const nc1 = await client(s);
    const nc2 = await client(s);
    reload(s, `max_connections: 1`);
    await until(() => nc2.isClosed());
    expect(nc1.isClosed()).toBe(false);
    expect(s.connections.size).toBe(1);
    await expect(connectTo(s)).rejects.toThrow(/maximum connections exceeded/);
  });

  test("TestConfigReloadMaxControlLineWithClients: a connected client gets the new max_control_line", async () => {
    const s = await start(``);
    const raw = await RawClient.open(s.port);
    raw.send("CONNECT {}\r\nPING\r\n");
    await raw.waitFor("PONG");
    reload(s, `max_control_line: 222`);
    raw.send(`SUB ${"x".repeat(300)} 1\r\n`);
    await raw.waitFor("-ERR 'maximum control line exceeded");
    raw.close();
  });

  test("TestConfigReloadIgnoreCustomAuth: a custom authenticator survives a reload", async () => {
    const custom = { required: false, authenticate: () => ({ account: "$G" }) };
    const s = new NatsServer({ host: "127.0.0.1", port: 0 }, { authenticator: custom });
    await s.start();
    servers.push(s);
    s.reload({ host: "127.0.0.1", port: 0, authorization: { token: "x" } });
    expect(s.authenticator).toBe(custom);
  });

  test("TestConfigReloadRevokesQueueSubscriptionWithQueueScopedDeny: a queue-scoped deny revokes that queue subscription", async () => {
    const conf = (deny: string) => `authorization { users: [ { user: attacker, password: pass, permissions: { subscribe: { allow: [">"]${deny === "" ? "" : `, ${deny}`} } } } ] }`;
    const s = await start(conf(""));
    const nc = await client(s, { user: "attacker", pass: "pass" });
    const errors = errorsOf(nc);
    let received = 0;
    nc.subscribe("admin.secret", {
      queue: "workers",
      callback: (err) => {
        if (err === null) received++;
      },
    });
    await nc.flush();
    reload(s, conf(`deny: ["admin.secret workers"]`));
    await until(() => errors.some((e) => /permissions violation for subscription to "admin.secret" using queue "workers"/i.test(e)));
    nc.publish("admin.secret", enc.encode("blocked"));
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toBe(0);
  });

  test("TestConfigReloadAccountStreamsImportExport: stream exports, imports and subscribe permissions change together", async () => {
    const tmpl = (exp: string, deny: string, imp: string, prefix: string) => `
      accounts {
        synadia {
          users [{user: derek, password: foo}]
          exports = [ {stream: "private.>", accounts: [nats.io]}, {stream: ${exp}} ]
        }
        nats.io {
          users [ {user: ivan, password: bar, permissions: {subscribe: {deny: ${deny}}}} ]
          imports = [ {stream: {account: "synadia", subject: ${imp}}}, {stream: {account: "synadia", subject: "private.natsio.*"}, prefix: ${prefix}} ]
        }
      }`;
    const s = await start(tmpl(`"foo.*"`, `"xxx"`, `"foo.*"`, `"ivan"`));
    const derek = await client(s, { user: "derek", pass: "foo" });
    const ivan = await client(s, { user: "ivan", pass: "bar" });
    const errors = errorsOf(ivan);
    const got = new Map<string, number>();
    for (const subj of ["foo.bar", "foo.baz", "foo.bat", "ivan.private.natsio.*"]) {
      ivan.subscribe(subj, {
        callback: (err) => {
          if (err === null) got.set(subj, (got.get(subj) ?? 0) + 1);
        },
      });
    }
    await ivan.flush();
    const deliveredTo = async (pub: string, sub: string): Promise<boolean> => {
      const before = got.get(sub) ?? 0;
      derek.publish(pub, enc.encode("hello"));
      await derek.flush();
      await ivan.flush();
      await new Promise((r) => setTimeout(r, 20));
      return (got.get(sub) ?? 0) > before;
    };
    expect(await deliveredTo("foo.bar", "foo.bar")).toBe(true);
    expect(await deliveredTo("foo.baz", "foo.baz")).toBe(true);
    expect(await deliveredTo("foo.bat", "foo.bat")).toBe(true);
    expect(await deliveredTo("private.natsio.foo", "ivan.private.natsio.*")).toBe(true);

    reload(s, tmpl(`"foo.*"`, `"foo.bat"`, `"foo.baz"`, `"yyyy"`));
    expect(await deliveredTo("foo.bar", "foo.bar")).toBe(false);
    expect(await deliveredTo("foo.baz", "foo.baz")).toBe(true);
    expect(await deliveredTo("foo.bat", "foo.bat")).toBe(false);
    expect(await deliveredTo("private.natsio.foo", "ivan.private.natsio.*")).toBe(false);
    await until(() => errors.some((e) => /permissions violation/i.test(e)));

    reload(s, tmpl(`"xxx"`, `"foo.bat"`, `"xxx"`, `"ivan"`));
    expect(await deliveredTo("foo.bar", "foo.bar")).toBe(false);
    expect(await deliveredTo("foo.baz", "foo.baz")).toBe(false);
    expect(await deliveredTo("foo.bat", "foo.bat")).toBe(false);
    expect(await deliveredTo("private.natsio.foo", "ivan.private.natsio.*")).toBe(true);
  });

  test("TestConfigReloadEnableUsersAuthentication / TestConfigReloadDisableUsersAuthentication / TestConfigReloadDisableTokenAuthentication", async () => {
    const s = await start(``);
    const anon = await client(s);
    reload(s, `authorization { users [{user: alice, password: foo}, {user: bob, password: bar}] }`);
    await until(() => anon.isClosed());
    const alice = await client(s, { user: "alice", pass: "foo" });
    const errors = errorsOf(alice);
    reload(s, ``);
    await client(s);
    reload(s, `authorization { token: T0pS3cr3t }`);
    await until(() => alice.isClosed());
    const withToken = await client(s, { token: "T0pS3cr3t" });
    reload(s, ``);
    await client(s);
    expect(withToken.isClosed()).toBe(false);
    expect(errors.filter((e) => e.startsWith("error:") && !/Authorization Violation/.test(e))).toEqual([]);
  });

  test("TestConfigReloadAccountNKeyUsers: nkey users move between accounts and the global account; removed accounts go", async () => {
    const derek = createUser();
    const ivan = createUser();
    const s = await start(`accounts { synadia { users = [ {nkey: ${derek.getPublicKey()}} ] }, nats.io { users = [ {nkey: ${ivan.getPublicKey()}} ] } }`);
    const d = await client(s, { authenticator: nkeyAuthenticator(derek.getSeed()) });
    const i = await client(s, { authenticator: nkeyAuthenticator(ivan.getSeed()) });
    expect(new Set([...s.connections.values()].map((c) => c.account?.name))).toEqual(new Set(["synadia", "nats.io"]));
    reload(s, `authorization { users = [ {nkey: ${ivan.getPublicKey()}} ] }\naccounts { nats.io { users = [ {nkey: ${derek.getPublicKey()}} ] } }`);
    expect(s.lookupAccount("synadia")).toBeUndefined();
    // Both connections are bound to an account their key no longer belongs to.
    await until(() => d.isClosed() && i.isClosed());
    await client(s, { authenticator: nkeyAuthenticator(derek.getSeed()) });
    await client(s, { authenticator: nkeyAuthenticator(ivan.getSeed()) });
    const byAccount = [...s.connections.values()].filter((c) => !c.isClosed).map((c) => c.account?.name).sort();
    expect(byAccount).toEqual(["$G", "nats.io"]);
  });

  test("accounts registered by code survive a reload; configured ones that disappear are removed", async () => {
    const s = await start(`accounts { A { users [{user: a, password: a}] } }`);
    s.registerAccount("PLUGIN");
    reload(s, `accounts { B { users [{user: b, password: b}] } }`);
    expect(s.lookupAccount("PLUGIN")).toBeDefined();
    expect(s.lookupAccount("A")).toBeUndefined();
    expect(s.lookupAccount("B")).toBeDefined();
  });

  test("TestConfigReloadAccountServicesImportExport: service exports and imports change on reload (no cluster)", async () => {
    const conf = (exports: string, imports: string) => `
      accounts {
        synadia { users [{user: derek, password: foo}], exports = [ ${exports} ] }
        nats.io { users [{user: ivan, password: bar}], imports = [ ${imports} ] }
      }`;
    const s = await start(
      conf(
        `{service: "pub.request"}, {service: "pub.special.request", accounts: [nats.io]}`,
        `{service: {account: "synadia", subject: "pub.special.request"}, to: "foo"}, {service: {account: "synadia", subject: "pub.request"}, to: "bar"}`,
      ),
    );
    const derek = await client(s, { user: "derek", pass: "foo" });
    const ivan = await client(s, { user: "ivan", pass: "bar" });
    for (const [subj, answer] of [["pub.special.request", "reply1"], ["pub.request", "reply2"], ["pub.special.request.new", "reply3"], ["derek.sub", "private"]]) {
      derek.subscribe(subj, {
        callback: (_e, m) => {
          derek.publish(m.reply!, enc.encode(answer));
        },
      });
    }
    await derek.flush();
    ivan.subscribe("ivan.sub", {
      callback: (_e, m) => {
        ivan.publish(m.reply!, enc.encode("private"));
      },
    });
    ivan.subscribe("bar");
    await ivan.flush();
    const req = async (nc: NatsConnection, subj: string, reply: string) => {
      if (reply === "") {
        await expect(nc.request(subj, enc.encode("request"), { timeout: 100 })).rejects.toThrow(/timeout|no responders/i);
      } else {
        expect((await nc.request(subj, enc.encode("request"), { timeout: 1000 })).string()).toBe(reply);
      }
    };
    await req(ivan, "foo", "reply1");
    await req(ivan, "bar", "reply2");
    await req(ivan, "baz", "");
    await req(ivan, "ivan.sub", "private");
    await req(derek, "derek.sub", "private");
    reload(
      s,
      conf(
        `{service: "pub.request"}, {service: "pub.special.request", accounts: [nats.io]}, {service: "pub.special.request.new", accounts: [nats.io]}`,
        `{service: {account: "synadia", subject: "pub.special.request"}, to: "foo"}, {service: {account: "synadia", subject: "pub.special.request.new"}, to: "baz"}`,
      ),
    );
    await req(ivan, "foo", "reply1");
    await req(ivan, "bar", "");
    await req(ivan, "baz", "reply3");
    await req(ivan, "ivan.sub", "private");
    await req(derek, "derek.sub", "private");
  });

  test("TestConfigReloadDefaultSystemAccount: the system account and its subscriptions survive a reload", async () => {
    const conf = `accounts { ACC { users = [ {user: usr, password: pwd} ] } }`;
    const s = await start(conf);
    const sys = s.systemAccount;
    const internal = s.createInternalClient("SYSTEM", sys);
    internal.subscribe("$SYS.REQ.SERVER.PING", () => {});
    const subs = sys.sublist.count;
    expect(s.accountNames()).toContain(sys.name);
    reload(s, conf);
    expect(s.systemAccount).toBe(sys);
    expect(s.systemAccount.sublist.count).toBe(subs);
    expect(s.accountNames()).toContain(sys.name);
    internal.close();
  });

  test("reload logs what changed and Go's closing line", async () => {
    const lines: string[] = [];
    const s = await start(`debug: false`, lines);
    reload(s, `debug: true\nping_interval: "1m"`);
    expect(lines.some((l) => l.endsWith("[INF] Reloaded: debug = true"))).toBe(true);
    expect(lines.some((l) => l.endsWith("[INF] Reloaded: ping_interval = 60000"))).toBe(true);
    expect(lines.at(-1)).toMatch(/\[INF\] Reloaded server configuration$/);
  });
});
