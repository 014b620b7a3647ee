import { afterEach, describe, expect, test } from "vitest";
import { connect } from "@nats-io/transport-node";
import { NatsServer, optionsFromConf, parseConf, planAuth, resolveOptions } from "../../src/index.js";
import { confOptions } from "../conf-server.js";

const servers: NatsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.shutdown();
});

function parsed(text: string, env: Record<string, string> = {}) {
  return resolveOptions(optionsFromConf(parseConf(text, { env })).options);
}

describe("real-world config files to options", () => {
  test("a single user with a bcrypt password and a timeout", () => {
    const o = parsed(`
      # one user, hashed with "nats server passwd"
      listen: 0.0.0.0:4222
      authorization {
        user: app
        password: "$2a$11$ooHgjJg.KiFhmMYBt5ESRO5PeJT0m9qRqEOVC0cB3MxKIsGpbjzUy"
        timeout: "3s"
      }`);
    expect(o.authorization).toEqual({ user: "app", password: "$2a$11$ooHgjJg.KiFhmMYBt5ESRO5PeJT0m9qRqEOVC0cB3MxKIsGpbjzUy", timeout: 3 });
  });

  test("multi-tenant: accounts with users, exports, imports, mappings, limits and a system account", () => {
    const o = parsed(`
      PASS: "s3cret"
      accounts {
        ORDERS {
          users: [ { user: orders, password: $PASS, permissions: { publish: ["orders.>"], subscribe: { deny: ["admin.>"] } } } ]
          exports: [
            { stream: "orders.events.>" }
            { service: "orders.lookup", accounts: [BILLING], response_type: stream, response_threshold: "5s" }
          ]
          mappings: { "orders.new": [ { destination: "orders.new.v2", weight: 10% }, { destination: "orders.new.v1", weight: 90% } ] }
          limits: { max_connections: 100, max_subs: 1000, max_payload: 1MB }
        }
        BILLING {
          users: [ { nkey: UC6NLCN7AS34YOJVCYD4PJ3QB7QGLYG5B5IMBT25VW5K4TNUJODM7BOX } ]
          imports: [
            { stream: { account: ORDERS, subject: "orders.events.>" }, prefix: "ext" }
            { service: { account: ORDERS, subject: "orders.lookup" }, to: "lookup" }
          ]
          default_permissions: { subscribe: ["ext.>", "_INBOX.>"] }
        }
        SYS { users: [ { user: sys, password: sys } ] }
      }
      system_account: SYS
      no_auth_user: orders
    `);
    expect(o.systemAccount).toBe("SYS");
    expect(o.noAuthUser).toBe("orders");
    expect(o.accounts.ORDERS).toEqual({
      users: [{ user: "orders", password: "s3cret", permissions: { publish: { allow: ["orders.>"] }, subscribe: { deny: ["admin.>"] } } }],
      exports: [
        { stream: "orders.events.>" },
        { service: "orders.lookup", accounts: ["BILLING"], responseType: "stream", responseThreshold: 5000 },
      ],
      mappings: {
        "orders.new": [
          { destination: "orders.new.v2", weight: 10 },
          { destination: "orders.new.v1", weight: 90 },
        ],
      },
      limits: { maxConnections: 100, maxSubscriptions: 1000, maxPayload: 1024 * 1024 },
    });
    expect(o.accounts.BILLING).toEqual({
      users: [{ nkey: "UC6NLCN7AS34YOJVCYD4PJ3QB7QGLYG5B5IMBT25VW5K4TNUJODM7BOX" }],
      imports: [
        { stream: { account: "ORDERS", subject: "orders.events.>" }, prefix: "ext" },
        { service: { account: "ORDERS", subject: "orders.lookup" }, to: "lookup" },
      ],
      defaultPermissions: { subscribe: { allow: ["ext.>", "_INBOX.>"] } },
    });
  });

  test("a tls block with mutual TLS", () => {
    const o = parsed(`
      tls {
        cert_file: "./certs/server.pem"
        key_file: "./certs/key.pem"
        ca_file: "./certs/ca.pem"
        verify: true
        timeout: 2
        cipher_suites: ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
        curve_preferences: ["CurveP256"]
        handshake_first: true
      }`);
    expect(o.tls).toEqual({
      certFile: "./certs/server.pem",
      keyFile: "./certs/key.pem",
      caFile: "./certs/ca.pem",
      verify: true,
      verifyAndMap: false,
      timeout: 2,
      handshakeFirst: true,
      handshakeFirstFallback: 0,
      ciphers: ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
    });
  });

  test("wrong types inside auth blocks fail with file, line and column", () => {
    const conf = parseConf(`authorization {\n  users = [\n    { user: 1, password: x }\n  ]\n}\n`, { file: "auth.conf" });
    expect(() => optionsFromConf(conf)).toThrow(/^auth\.conf:3:7: .*"user"/);
    const perms = parseConf(`authorization { users [ { user: a, permissions: { publish: { allowed: [x] } } } ] }`, { file: "p.conf" });
    expect(() => optionsFromConf(perms)).toThrow(/p\.conf:1:\d+: Unknown field name "allowed" parsing subject permissions, only 'allow' or 'deny' are permitted/);
    const accounts = parseConf(`port: 4222\naccounts {\n  A { imports [{stream: {account: B, subject: foo}}] }\n}\n`, { file: "acc.conf" });
    expect(() => optionsFromConf(accounts)).toThrow(/^acc\.conf:2:1: "B" account not defined for stream import$/);
  });
});

describe("Go opts_test ports", () => {
  test("TestAuthorizationConfig: users with permissions, allow_responses defaults and settings", () => {
    const o = parsed(`
      authorization {
        ALICE_PERMS = { publish = "*", subscribe = ">" }
        users = [
          { user: alice, password: foo, permissions: $ALICE_PERMS }
          { user: bob, password: bar, permissions: { publish: ["req.foo", "req.bar"], subscribe: "_INBOX.>" } }
          { user: susan, password: baz, permissions: { subscribe: "PUBLIC.>" } }
          { user: svca, password: pc, permissions: { subscribe: "my.service.req", allow_responses: true } }
          { user: svcb, password: sam, permissions: { subscribe: "my.service.req", allow_responses: { max: 10, expires: "1m" } } }
        ]
      }`);
    const users = Object.fromEntries(o.authorization!.users!.map((u) => [u.user, u]));
    expect(Object.keys(users)).toHaveLength(5);
    expect(users.alice.permissions).toEqual({ publish: { allow: ["*"] }, subscribe: { allow: [">"] } });
    expect(users.bob.permissions).toBeDefined();
    expect(users.susan.permissions).toEqual({ subscribe: { allow: ["PUBLIC.>"] } });
    expect(users.svca.permissions).toEqual({ subscribe: { allow: ["my.service.req"] }, allowResponses: { maxMsgs: 1, expires: 120_000 } });
    expect(users.svcb.permissions?.allowResponses).toEqual({ maxMsgs: 10, expires: 60_000 });
  });

  test("TestNewStyleAuthorizationConfig: allow and deny lists", () => {
    const o = parsed(`
      authorization {
        users = [
          { user: alice, password: foo, permissions: { publish: { allow: ["foo", "bar", "baz"] }, subscribe: { deny: "$SYS.>" } } }
          { user: bob, password: bar, permissions: { publish: { allow: "$SYS.>" }, subscribe: { deny: ["foo", "bar", "baz"] } } }
        ]
      }`);
    const [alice, bob] = o.authorization!.users!;
    expect(alice.permissions).toEqual({ publish: { allow: ["foo", "bar", "baz"] }, subscribe: { deny: ["$SYS.>"] } });
    expect(bob.permissions).toEqual({ publish: { allow: ["$SYS.>"] }, subscribe: { deny: ["foo", "bar", "baz"] } });
  });

  test("TestParsingResponsePermissions: max and ttl defaults, overrides and errors", () => {
    const conf = (a: string, b: string) => `authorization { users [ { user: ivan, password: pwd, permissions { allow_responses { ${a}\n${b} } } } ] }`;
    const resp = (a: string, b: string) => parsed(conf(a, b)).authorization!.users![0].permissions!.allowResponses;
    expect(resp("", "")).toEqual({ maxMsgs: 1, expires: 120_000 });
    expect(resp("max: 10", "")).toEqual({ maxMsgs: 10, expires: 120_000 });
    expect(resp("", "ttl: 5s")).toEqual({ maxMsgs: 1, expires: 5000 });
    expect(resp("max: 0", "")).toEqual({ maxMsgs: 1, expires: 120_000 });
    expect(resp("", `ttl: "0s"`)).toEqual({ maxMsgs: 1, expires: 120_000 });
    expect(resp("max: 10", `ttl: "5s"`)).toEqual({ maxMsgs: 10, expires: 5000 });
    expect(resp("max: -1", `ttl: "5s"`)).toEqual({ maxMsgs: -1, expires: 5000 });
    expect(resp("max: 10", `ttl: "-1s"`)).toEqual({ maxMsgs: 10, expires: -1000 });
    expect(() => resp("unknown_field: 123", "")).toThrow(/Unknown field/);
    expect(() => resp("max: 10", "ttl: 123")).toThrow(/not a duration string/);
    expect(() => resp("max: 10", "ttl: xyz")).toThrow(/error parsing expires/);
  });

  test("TestAccountSimpleConfig: a list of account names; duplicates are refused", () => {
    expect(Object.keys(parsed(`accounts = [foo, bar]`).accounts)).toEqual(["foo", "bar"]);
    expect(() => parsed(`accounts = [foo, foo]`)).toThrow(/Duplicate Account Entry: foo/);
  });

  test("TestAccountParseConfigDuplicateUsers: a user name may appear in one account only", () => {
    expect(() =>
      parsed(`accounts { synadia { users = [ {user: alice, password: foo}, {user: bob, password: bar} ] }, nats.io { users = [ {user: alice, password: bar} ] } }`),
    ).toThrow(/Duplicate user "alice" detected/);
  });

  test("TestParseExport (account_token_position): an import must name the importing account at that token", () => {
    const conf = (subject: string) => `
      accounts {
        accE { exports [{ service foo.*, account_token_position 2 }] }
        accI1 { imports [{ service { account accE, subject ${subject} }, to foo }] }
      }`;
    expect(parsed(conf("foo.accI1")).accounts.accE.exports).toEqual([{ service: "foo.*", accountTokenPosition: 2 }]);
    expect(() => parsed(conf("foo.accI2"))).toThrow(/Error adding service import "foo.accI2": service import not authorized/);
  });

  test("TestAuthorizationAndAccountsMisconfigurations", () => {
    const nkey = "UC6NLCN7AS34YOJVCYD4PJ3QB7QGLYG5B5IMBT25VW5K4TNUJODM7BOX";
    const cases: [string, string][] = [
      [`authorization = {users = [ {user: "user1", pass: "pwd"} ] }\naccounts { ACC { users = [ {user: "user1"} ] } }`, `Duplicate user "user1" detected`],
      [`authorization = {users = [ {nkey: ${nkey}} ] }\naccounts { ACC { users = [ {nkey: ${nkey}} ] } }`, `Duplicate nkey "${nkey}" detected`],
      [`authorization = {user: "user1", password: "pwd"}\naccounts = { ACC { users = [ {user: "user2", pass: "pwd"} ] } }`, "Can not have a single user/pass"],
      [`authorization = {user: "user1", password: "pwd"}\naccounts = { ACC { users = [ {nkey: ${nkey}} ] } }`, "Can not have a single user/pass"],
      [`authorization = {token: "my_token"}\naccounts = { ACC { users = [ {user: "user2", pass: "pwd"} ] } }`, "Can not have a token"],
      [`authorization = {token: "my_token"}\naccounts = { ACC { users = [ {nkey: ${nkey}} ] } }`, "Can not have a token"],
    ];
    for (const [text, err] of cases) expect(() => parsed(text)).toThrow(err);
  });

  test("TestTokenWithUsers / TestTokenWithUserPass / TestNkeyWithPassConfig / TestBadNkeyConfig", () => {
    expect(() => parsed(`authorization { token: $2a$11$whatever, users: [ {user: test, password: test} ] }`)).toThrow(/Can not have a token and a users array/);
    expect(() => parsed(`authorization { token: $2a$11$whatever, user: test, password: test }`)).toThrow(/token and a user/);
    expect(() => parsed(`authorization { users = [ {nkey: "UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV", pass: "foo"} ] }`)).toThrow(
      /Nkey users do not take usernames or passwords/,
    );
    expect(() => parsed(`authorization { users = [ {nkey: "Ufoo"} ] }`)).toThrow(/Not a valid public nkey for a user/);
  });

  test("TestNkeyUsersDefaultPermissionsConfig: default permissions apply to users without their own", () => {
    const o = parsed(`
      authorization {
        default_permissions = { publish = "foo" }
        users = [
          { user: "user", password: "pwd" }
          { user: "other", password: "pwd", permissions = { subscribe = "bar" } }
          { nkey: "UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV" }
        ]
      }
      accounts { A {
        default_permissions = { publish = "foo" }
        users = [ { user: "accuser", password: "pwd" }, { user: "accother", password: "pwd", permissions = { subscribe = "bar" } } ]
      } }`);
    const resolved = planAuth(o).plan;
    expect(resolved.users.get("user")?.permissions).toEqual({ publish: { allow: ["foo"] } });
    expect(resolved.users.get("other")?.permissions).toEqual({ subscribe: { allow: ["bar"] } });
    expect(resolved.nkeys.get("UDKTV7HZVYJFJN64LLMYQBUR6MTNNYCDC3LAZH4VHURW3GZLL3FULBXV")?.permissions).toEqual({ publish: { allow: ["foo"] } });
    expect(resolved.users.get("accuser")?.permissions).toEqual({ publish: { allow: ["foo"] } });
    expect(resolved.users.get("accother")?.permissions).toEqual({ subscribe: { allow: ["bar"] } });
    expect(resolved.users.get("accuser")?.account).toBe("A");
  });

  test("TestDefaultAuthTimeout: 2 s by default, the TLS timeout plus one second with TLS", async () => {
    const { authTimeoutSeconds } = await import("../../src/options.js");
    expect(authTimeoutSeconds(resolveOptions({}))).toBe(2);
    expect(authTimeoutSeconds(resolveOptions({ authorization: { timeout: 0 } }))).toBe(2);
    expect(authTimeoutSeconds(resolveOptions({ tls: { certFile: "c", keyFile: "k", timeout: 4 } }))).toBe(5);
  });

  test("TestAccountUsersLoadedProperly: users and nkeys from authorization and accounts are all loaded", () => {
    const o = parsed(`
      authorization { users [ {user: ivan, password: bar}, {nkey : UC6NLCN7AS34YOJVCYD4PJ3QB7QGLYG5B5IMBT25VW5K4TNUJODM7BOX} ] }
      accounts { synadia { users [ {user: derek, password: foo}, {nkey : UBAAQWTW6CG2G6ANGNKB5U2B7HRWHSGMZEZX3AQSAJOQDAUGJD46LD2E} ] } }`);
    for (let i = 0; i < 20; i++) {
      const { plan } = planAuth(o);
      expect(plan.users.size).toBe(2);
      expect(plan.nkeys.size).toBe(2);
    }
  });

  test("TestAuthorizationTimeoutConfigParsing: numbers are seconds, quoted values durations", () => {
    const timeout = (v: string) => parsed(`authorization { ${v} }`).authorization?.timeout;
    expect(timeout("")).toBeUndefined();
    expect(timeout("timeout: 0")).toBe(0);
    expect(timeout("timeout: 1")).toBe(1);
    expect(() => timeout("timeout: random_garbage")).toThrow(/invalid duration "random_garbage"/);
    expect(timeout("timeout: 10s")).toBe(10);
    expect(timeout("timeout: 1m")).toBe(1_000_000);
    expect(timeout(`timeout: "1m"`)).toBe(60);
    expect(timeout(`timeout: "10m5s30ms"`)).toBeCloseTo(605.03, 6);
    expect(timeout("timeout: 0.091")).toBe(0.091);
    expect(() => timeout("timeout: .091")).toThrow(/Floats must start with a digit/);
  });

  test("TestNoAuthUserCode: no_auth_user from an env variable, in an account or the global users", async () => {
    const text = `
      listen: "127.0.0.1:-1"
      no_auth_user: $NO_AUTH_USER
      accounts {
        synadia { users [ {user: "a", password: "a"}, {nkey : UBAAQWTW6CG2G6ANGNKB5U2B7HRWHSGMZEZX3AQSAJOQDAUGJD46LD2E} ] }
        acc { users [ {user: "c", password: "c"} ] }
      }
      authorization { users [ {user: "b", password: "b"} ] }`;
    for (const user of ["a", "b"]) {
      const s = new NatsServer({ ...parsed(text, { NO_AUTH_USER: user }), port: 0 });
      await s.start();
      servers.push(s);
      const nc = await connect({ servers: s.clientURL, reconnect: false });
      await nc.close();
    }
    for (const bad of ["notthere", "UBAAQWTW6CG2G6ANGNKB5U2B7HRWHSGMZEZX3AQSAJOQDAUGJD46LD2F"]) {
      expect(() => parsed(text, { NO_AUTH_USER: bad })).toThrow(/^no_auth_user/);
    }
  });

  test("TestQueuePermissions: queue-only allow entries and queue deny entries", async () => {
    const cases: [string, string | undefined, boolean][] = [
      ["allow", "queue.dev", false],
      ["allow", undefined, true],
      ["allow", "bad", true],
      ["deny", undefined, false],
      ["deny", "queue.dev", true],
    ];
    for (const [kind, queue, errExpected] of cases) {
      const s = new NatsServer(
        confOptions(`no_auth_user: u\nauthorization { users [{ user: u, password: pwd, permissions: { sub: { ${kind}: ["foo.> *.dev"] } } }] }`),
      );
      await s.start();
      servers.push(s);
      const nc = await connect({ servers: s.clientURL, reconnect: false });
      const errors: string[] = [];
      nc.subscribe("foo.bar", {
        queue,
        callback: (err) => {
          if (err !== null) errors.push(err.message);
        },
      });
      await nc.flush();
      await nc.flush();
      expect(errors.length > 0).toBe(errExpected);
      await nc.close();
    }
  });

  test("TestQueueQualifierOnlyAllowedForSubscribePermissions", () => {
    expect(() => parsed(`authorization { users [{ user: u, password: p, permissions: { publish: { allow: ["foo bar"] } } }] }`)).toThrow(
      /subject "foo bar" is not a valid subject/,
    );
    expect(parsed(`authorization { users [{ user: u, password: p, permissions: { subscribe: { allow: ["foo bar"] } } }] }`).authorization?.users).toHaveLength(1);
  });
});
