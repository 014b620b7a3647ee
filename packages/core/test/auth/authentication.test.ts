import bcrypt from "bcryptjs";
import { createUser } from "@nats-io/nkeys";
import { nkeyAuthenticator } from "@nats-io/transport-node";
import { describe, expect, test } from "vitest";
import { ClosedReason, type ServerOptionsInput } from "../../src/index.js";
import { connectTo, withServer } from "../helpers.js";
import { RawClient } from "../raw-client.js";

const enc = new TextEncoder();

/** Connects, proves the connection works with a round trip, and closes. */
async function roundTrip(server: Parameters<typeof connectTo>[0], opts: Parameters<typeof connectTo>[1]): Promise<void> {
  const nc = await connectTo(server, opts);
  const sub = nc.subscribe("ping", { max: 1 });
  nc.publish("ping", enc.encode("x"));
  for await (const m of sub) expect(m.string()).toBe("x");
  await nc.close();
}

describe("authentication methods with the nats.js client", () => {
  test("users list with a plain password: right password connects, wrong one is refused", () =>
    withServer({ authorization: { users: [{ user: "alice", password: "s3cret" }] } }, async (server) => {
      await roundTrip(server, { user: "alice", pass: "s3cret" });
      await expect(connectTo(server, { user: "alice", pass: "nope" })).rejects.toThrow(/Authorization Violation/);
      await expect(connectTo(server, { user: "mallory", pass: "s3cret" })).rejects.toThrow(/Authorization Violation/);
      await expect(connectTo(server)).rejects.toThrow(/Authorization Violation/);
    }));

  test("users list with a bcrypt ($2a$) password", async () => {
    const hash = bcrypt.hashSync("hunter2", 4).replace(/^\$2b\$/, "$2a$");
    expect(hash.startsWith("$2a$")).toBe(true);
    await withServer({ authorization: { users: [{ user: "bob", password: hash }] } }, async (server) => {
      await roundTrip(server, { user: "bob", pass: "hunter2" });
      await expect(connectTo(server, { user: "bob", pass: hash })).rejects.toThrow(/Authorization Violation/);
      await expect(connectTo(server, { user: "bob", pass: "hunter3" })).rejects.toThrow(/Authorization Violation/);
    });
  });

  test("nkey user signs the INFO nonce; a key not configured, or a wrong signature, is refused", async () => {
    const user = createUser();
    const stranger = createUser();
    await withServer({ authorization: { users: [{ nkey: user.getPublicKey() }] } }, async (server) => {
      const raw = await RawClient.open(server.port);
      const info = JSON.parse((await raw.waitFor(/INFO .*\r\n/)).slice(5));
      expect(info.nonce).toMatch(/^[A-Za-z0-9_-]{10,}$/);
      raw.close();
      await roundTrip(server, { authenticator: nkeyAuthenticator(user.getSeed()) });
      await expect(connectTo(server, { authenticator: nkeyAuthenticator(stranger.getSeed()) })).rejects.toThrow(/Authorization Violation/);
      // The configured key, but a signature by another key.
      const bad = await RawClient.open(server.port);
      await bad.waitFor("INFO");
      const nonce = JSON.parse(bad.received.slice(5, bad.received.indexOf("\r\n"))).nonce as string;
      const sig = Buffer.from(stranger.sign(enc.encode(nonce))).toString("base64url");
      bad.send(`CONNECT ${JSON.stringify({ nkey: user.getPublicKey(), sig, verbose: false })}\r\nPING\r\n`);
      await bad.waitFor("-ERR 'Authorization Violation'");
      await bad.waitClosed();
    });
  });

  test("token: the right token connects, a wrong one is refused", () =>
    withServer({ authorization: { token: "t0k3n" } }, async (server) => {
      await roundTrip(server, { token: "t0k3n" });
      await expect(connectTo(server, { token: "wrong" })).rejects.toThrow(/Authorization Violation/);
    }));

  test("no_auth_user: a client without credentials becomes that user (and gets its permissions)", () =>
    withServer(
      {
        authorization: {
          users: [
            { user: "guest", password: "x", permissions: { publish: { allow: ["public.>"] }, subscribe: { allow: ["public.>", "_INBOX.>"] } } },
            { user: "admin", password: "y" },
          ],
        },
        noAuthUser: "guest",
      },
      async (server) => {
        const nc = await connectTo(server);
        const sub = nc.subscribe("public.news", { max: 1 });
        nc.publish("public.news", enc.encode("hi"));
        for await (const m of sub) expect(m.string()).toBe("hi");
        expect([...server.connections.values()].map((c) => c.user)).toEqual(["guest"]);
        await expect(nc.request("private", enc.encode("x"), { timeout: 1000 })).rejects.toThrow(/Permissions Violation for Publish to "private"/);
        await nc.close();
        await roundTrip(server, { user: "admin", pass: "y" });
        await expect(connectTo(server, { user: "admin", pass: "bad" })).rejects.toThrow(/Authorization Violation/);
      },
    ));

  test("accounts' users bind to their account; an auth failure is recorded as Authentication Failure", () =>
    withServer({ accounts: { A: { users: [{ user: "a", password: "a" }] } } }, async (server) => {
      const nc = await connectTo(server, { user: "a", pass: "a" });
      const [c] = [...server.connections.values()];
      expect(c.account?.name).toBe("A");
      await nc.close();
      await expect(connectTo(server, { user: "a", pass: "b" })).rejects.toThrow(/Authorization Violation/);
      expect(server.closedConnections.list().at(-1)?.reason).toBe(ClosedReason.AuthenticationViolation);
    }));

  test("allowed_connection_types: a user limited to WEBSOCKET can not connect over plain TCP", () =>
    withServer({ authorization: { users: [{ user: "ws", password: "p", allowedConnectionTypes: ["WEBSOCKET"] }] } }, async (server) => {
      await expect(connectTo(server, { user: "ws", pass: "p" })).rejects.toThrow(/Authorization Violation/);
    }));
});

describe("authorization options are checked like Go's", () => {
  const bad: [string, ServerOptionsInput, RegExp][] = [
    ["token with users", { authorization: { token: "t", users: [{ user: "a" }] } }, /Can not have a token and a users array/],
    ["user with users", { authorization: { user: "u", password: "p", users: [{ user: "a" }] } }, /Can not have a single user\/pass and a users array/],
    ["duplicate user", { authorization: { users: [{ user: "a" }] }, accounts: { A: { users: [{ user: "a" }] } } }, /Duplicate user "a" detected/],
    ["bad nkey", { authorization: { users: [{ nkey: "UBAD" }] } }, /Not a valid public nkey for a user/],
    ["unknown no_auth_user", { authorization: { users: [{ user: "a" }] }, noAuthUser: "b" }, /no_auth_user: "b" not present as user or nkey/],
    ["no_auth_user without users", { noAuthUser: "b" }, /no_auth_user: "b" present, but users\/nkeys are not defined/],
    ["single user with accounts", { authorization: { user: "u", password: "p" }, accounts: { A: { users: [{ user: "a" }] } } }, /Can not have a single user\/pass and accounts/],
  ];
  for (const [name, opts, error] of bad) {
    test(`refused: ${name}`, async () => {
      const { resolveOptions } = await import("../../src/index.js");
      expect(() => resolveOptions(opts)).toThrow(error);
    });
  }
});

describe("Go auth_test ports", () => {
  test("TestNoAuthUser: credentials pick their account; no credentials pick the no_auth_user's", () =>
    withServer(
      {
        accounts: { FOO: { users: [{ user: "foo", password: "pwd1" }] }, BAR: { users: [{ user: "bar", password: "pwd2" }] } },
        noAuthUser: "foo",
      },
      async (server) => {
        const cases: [string, Parameters<typeof connectTo>[1], string | undefined][] = [
          ["valid user/pwd", { user: "bar", pass: "pwd2" }, "BAR"],
          ["invalid pwd", { user: "bar", pass: "wrong" }, undefined],
          ["some token", { token: "sometoken" }, undefined],
          ["user with empty password", { user: "bar", pass: "" }, undefined],
          ["no user", {}, "FOO"],
        ];
        for (const [name, opts, account] of cases) {
          if (account === undefined) {
            await expect(connectTo(server, opts), name).rejects.toThrow(/Authorization Violation/);
            continue;
          }
          const nc = await connectTo(server, opts);
          expect([...server.connections.values()].map((c) => c.account?.name), name).toEqual([account]);
          await nc.close();
          while (server.connections.size > 0) await new Promise((r) => setTimeout(r, 5));
        }
      },
    ));

  test("TestNoAuthUserNkey: an nkey user can be the no_auth_user", async () => {
    const kp = createUser();
    await withServer({ accounts: { FOO: { users: [{ nkey: kp.getPublicKey() }] } }, noAuthUser: kp.getPublicKey() }, async (server) => {
      const nc = await connectTo(server);
      expect([...server.connections.values()][0].account?.name).toBe("FOO");
      await nc.close();
    });
  });

  test("TestNoAuthUserNoConnectProto: a PUB without CONNECT binds to the no_auth_user; silence still times out", () =>
    withServer({ accounts: { A: { users: [{ user: "foo", password: "pwd" }] } }, authorization: { timeout: 0.3 }, noAuthUser: "foo" }, async (server) => {
      const first = await RawClient.open(server.port);
      first.send("PUB foo 2\r\nok\r\n");
      await new Promise((r) => setTimeout(r, 450));
      expect(first.closed).toBe(false);
      expect([...server.connections.values()][0].account?.name).toBe("A");
      first.close();
      const silent = await RawClient.open(server.port);
      await silent.waitFor("-ERR 'Authentication Timeout'");
      await silent.waitClosed();
    }));

  test("TestUserUnknownAllowedConnectionType: unknown connection types are refused, known ones in any case", async () => {
    const { resolveOptions } = await import("../../src/index.js");
    expect(() => resolveOptions({ authorization: { users: [{ user: "user", password: "pwd", allowedConnectionTypes: ["STANDARD", "someNewType"] }] } })).toThrow(
      /invalid connection types \["SOMENEWTYPE"\]/,
    );
    expect(() => resolveOptions({ authorization: { users: [{ user: "user", password: "pwd", allowedConnectionTypes: ["websocket"] }] } })).not.toThrow();
  });
});
