import { afterEach, describe, expect, test } from "vitest";
import { nkeys, type NatsConnection } from "@nats-io/nats-core";
import { optionsFromConf, parseConf } from "@nats-ts/core";
import type { WebsocketOptions } from "../src/index.js";
import { RawWsClient } from "./raw-ws.js";
import { eventually, startWsServer, tcpConnect, wsConnect, wsConnectWithHeaders, type WsServer } from "./helpers.js";

let s: WsServer | undefined;
const conns: NatsConnection[] = [];
afterEach(async () => {
  for (const nc of conns.splice(0)) await nc.close().catch(() => {});
  await s?.stop();
  s = undefined;
});

async function works(p: Promise<NatsConnection>): Promise<void> {
  const nc = await p;
  conns.push(nc);
  await nc.flush();
}

/** The first line the server answers a CONNECT+PING with: PONG or the -ERR. */
async function answerTo(connect: object, headers: Record<string, string> = {}): Promise<string> {
  const c = await RawWsClient.open(s!.port, headers);
  try {
    await c.readUntil("\r\n");
    c.send(`CONNECT ${JSON.stringify({ verbose: false, protocol: 1, ...connect })}\r\nPING\r\n`);
    const text = await c.readUntil("\r\n");
    return text.split("\r\n")[0];
  } finally {
    c.destroy();
  }
}

describe("authentication of WebSocket clients", () => {
  test("TestWSUsersAuth: users, with allowed_connection_types", async () => {
    const cases: [string, string[] | undefined, string, string, string][] = [
      ["no filtering, wrong user", undefined, "wronguser", "pwd", "-ERR 'Authorization Violation'"],
      ["no filtering, correct user", undefined, "user", "pwd", "PONG"],
      ["filering, user not allowed", ["STANDARD"], "user", "pwd", "-ERR 'Authorization Violation'"],
      ["filtering, user allowed", ["STANDARD", "WEBSOCKET"], "user", "pwd", "PONG"],
      ["filtering, wrong password", ["STANDARD", "WEBSOCKET"], "user", "badpassword", "-ERR 'Authorization Violation'"],
    ];
    for (const [name, types, user, pass, expected] of cases) {
      s = await startWsServer({}, { authorization: { users: [{ user: "user", password: "pwd", allowedConnectionTypes: types }] } });
      expect(await answerTo({ user, pass }), name).toBe(expected);
      await s.stop();
      s = undefined;
    }
  });

  test("TestWSBindToProperAccount: a user of account a (allowed WEBSOCKET, lower case in the conf) binds to a", async () => {
    const { options } = optionsFromConf(
      parseConf(`accounts {
        a { users [ {user: a, password: pwd, allowed_connection_types: ["STANDARD", "websocket"]} ] }
        b { users [ {user: b, password: pwd} ] }
      }`),
    );
    s = await startWsServer({}, options);
    const tcp = await tcpConnect(s, { user: "a", pass: "pwd" });
    conns.push(tcp);
    const sub = tcp.subscribe("foo", { max: 1 });
    await tcp.flush();
    const c = await RawWsClient.open(s.port);
    try {
      await c.readUntil("\r\n");
      c.send('CONNECT {"verbose":false,"protocol":1,"user":"a","pass":"pwd"}\r\nPING\r\n');
      expect(await c.readUntil("PONG")).toContain("PONG");
      c.send("PUB foo 7\r\nfrom ws\r\n");
      for await (const m of sub) expect(m.string()).toBe("from ws");
    } finally {
      c.destroy();
    }
  });

  test("TestWSNkeyAuth: nkey users, with allowed_connection_types", async () => {
    const kp = nkeys.createUser();
    const pub = kp.getPublicKey();
    const wskp = nkeys.createUser();
    const wspub = wskp.getPublicKey();
    const badkp = nkeys.createUser();
    type Users = { nkey: string; allowedConnectionTypes?: string[] }[];
    const cases: [string, Users, nkeys.KeyPair, string][] = [
      ["no filtering, wrong nkey", [{ nkey: pub }], badkp, "-ERR 'Authorization Violation'"],
      ["no filtering, correct nkey", [{ nkey: pub }], kp, "PONG"],
      ["filtering, nkey not allowed", [{ nkey: pub, allowedConnectionTypes: ["STANDARD"] }, { nkey: wspub, allowedConnectionTypes: ["WEBSOCKET"] }], kp, "-ERR 'Authorization Violation'"],
      ["filtering, correct nkey", [{ nkey: pub }, { nkey: wspub, allowedConnectionTypes: ["STANDARD", "WEBSOCKET"] }], wskp, "PONG"],
      ["filtering, wrong nkey", [{ nkey: wspub, allowedConnectionTypes: ["STANDARD", "WEBSOCKET"] }], badkp, "-ERR 'Authorization Violation'"],
    ];
    for (const [name, users, signer, expected] of cases) {
      s = await startWsServer({}, { authorization: { users } });
      const c = await RawWsClient.open(s.port);
      try {
        const info = JSON.parse((await c.readUntil("\r\n")).slice(5)) as { nonce: string };
        const sig = Buffer.from(signer.sign(new TextEncoder().encode(info.nonce))).toString("base64url");
        c.send(`CONNECT ${JSON.stringify({ verbose: false, protocol: 1, nkey: signer.getPublicKey(), sig })}\r\nPING\r\n`);
        expect((await c.readUntil("\r\n")).split("\r\n")[0], name).toBe(expected);
      } finally {
        c.destroy();
        await s.stop();
        s = undefined;
      }
    }
  });

  test("top-level token: wsconnect with the right token connects, a wrong one is refused", async () => {
    s = await startWsServer({}, { authorization: { token: "goodtoken" } });
    await works(wsConnect(s, { token: "goodtoken" }));
    await expect(wsConnect(s, { token: "badtoken" })).rejects.toThrow(/Authorization Violation/i);
  });

  test("top-level user/password apply to WebSocket clients", async () => {
    s = await startWsServer({}, { authorization: { user: "normal", password: "client" } });
    await works(wsConnect(s, { user: "normal", pass: "client" }));
    await expect(wsConnect(s, { user: "websocket", pass: "client" })).rejects.toThrow(/Authorization Violation/i);
  });

  test("user and password cookies stand in for CONNECT credentials", async () => {
    s = await startWsServer({ userCookie: "nuser", passCookie: "npass" }, { authorization: { user: "normal", password: "client" } });
    await works(wsConnectWithHeaders(s, { Cookie: "other=1; nuser=normal; npass=client" }));
    await expect(wsConnectWithHeaders(s, { Cookie: "nuser=normal; npass=wrong" })).rejects.toThrow(/Authorization Violation/i);
    // Credentials in CONNECT win over the cookies.
    await works(wsConnectWithHeaders(s, { Cookie: "nuser=other; npass=wrong" }, { user: "normal", pass: "client" }));
    await expect(wsConnectWithHeaders(s, { Cookie: "nuser=normal; npass=client" }, { user: "normal", pass: "bad" })).rejects.toThrow(
      /Authorization Violation/i,
    );
    // Without the cookies there are no credentials at all.
    await expect(wsConnect(s)).rejects.toThrow(/Authorization Violation/i);
  });

  test("token cookie stands in for auth_token; a quoted cookie value is unquoted", async () => {
    s = await startWsServer({ tokenCookie: "ntoken" }, { authorization: { token: "goodtoken" } });
    expect(await answerTo({}, { Cookie: "ntoken=goodtoken" })).toBe("PONG");
    expect(await answerTo({}, { Cookie: 'ntoken="goodtoken"' })).toBe("PONG");
    expect(await answerTo({}, { Cookie: "ntoken=badtoken" })).toBe("-ERR 'Authorization Violation'");
    expect(await answerTo({ auth_token: "badtoken" }, { Cookie: "ntoken=goodtoken" })).toBe("-ERR 'Authorization Violation'");
    // A cookie with another name is not a credential.
    expect(await answerTo({}, { Cookie: "token=goodtoken" })).toBe("-ERR 'Authorization Violation'");
  });

  test("top-level no_auth_user applies to WebSocket clients", async () => {
    s = await startWsServer(
      {},
      {
        accounts: { normal: { users: [{ user: "noauth", password: "pwd" }, { user: "user", password: "pwd" }] } },
        noAuthUser: "noauth",
      },
    );
    expect(await answerTo({})).toBe("PONG");
    await eventually(() => s!.server.closedConnections.list().some((x) => x.user === "noauth" && x.account === "normal"));
    expect(await answerTo({ user: "user", pass: "pwd" })).toBe("PONG");
    expect(await answerTo({ user: "user", pass: "bad" })).toBe("-ERR 'Authorization Violation'");
  });

  test("TestWSBasicAuth: user/password at top level, in the websocket block (overriding), and from cookies", async () => {
    const top = { authorization: { user: "normal", password: "client" } };
    const wsAuth: WebsocketOptions = { authorization: { user: "websocket", password: "client" } };
    const cookieAuth: [WebsocketOptions, object] = [{ userCookie: "un", passCookie: "pw" }, { authorization: { user: "me", password: "s3cr3t!" } }];
    const cases: [string, WebsocketOptions, object, string, string, string, string | undefined][] = [
      ["top level auth, no override, wrong u/p", {}, top, "websocket", "client", "-ERR 'Authorization Violation'", undefined],
      ["top level auth, no override, correct u/p", {}, top, "normal", "client", "PONG", undefined],
      ["no top level auth, ws auth, wrong u/p", wsAuth, {}, "normal", "client", "-ERR 'Authorization Violation'", undefined],
      ["no top level auth, ws auth, correct u/p", wsAuth, {}, "websocket", "client", "PONG", undefined],
      ["top level auth, ws override, wrong u/p", wsAuth, top, "normal", "client", "-ERR 'Authorization Violation'", undefined],
      ["top level auth, ws override, correct u/p", wsAuth, top, "websocket", "client", "PONG", undefined],
      ["username/password from cookies", ...cookieAuth, "", "", "PONG", "un=me; pw=s3cr3t!"],
      ["bad username/ good password from cookies", ...cookieAuth, "", "", "-ERR 'Authorization Violation'", "un=m; pw=s3cr3t!"],
      ["good username/ bad password from cookies", ...cookieAuth, "", "", "-ERR 'Authorization Violation'", "un=me; pw=hi!"],
    ];
    for (const [name, ws, opts, user, pass, expected, cookie] of cases) {
      s = await startWsServer(ws, opts);
      expect(await answerTo({ user, pass }, cookie === undefined ? {} : { Cookie: cookie }), name).toBe(expected);
      await s.stop();
      s = undefined;
    }
  });

  test("TestWSTokenAuth: a token at top level, in the websocket block, and the block's overriding the top level's", async () => {
    const cases: [string, WebsocketOptions, object, string, string][] = [
      ["top level auth, no override, wrong token", {}, { authorization: { token: "goodtoken" } }, "badtoken", "-ERR 'Authorization Violation'"],
      ["top level auth, no override, correct token", {}, { authorization: { token: "goodtoken" } }, "goodtoken", "PONG"],
      ["no top level auth, ws auth, wrong token", { authorization: { token: "goodtoken" } }, {}, "badtoken", "-ERR 'Authorization Violation'"],
      ["no top level auth, ws auth, correct token", { authorization: { token: "goodtoken" } }, {}, "goodtoken", "PONG"],
      ["top level auth, ws override, wrong token", { authorization: { token: "websockettoken" } }, { authorization: { token: "clienttoken" } }, "clienttoken", "-ERR 'Authorization Violation'"],
      ["top level auth, ws override, correct token", { authorization: { token: "websockettoken" } }, { authorization: { token: "clienttoken" } }, "websockettoken", "PONG"],
    ];
    for (const [name, ws, opts, token, expected] of cases) {
      s = await startWsServer(ws, opts);
      expect(await answerTo({ auth_token: token }), name).toBe(expected);
      await s.stop();
      s = undefined;
    }
  });

  test("a websocket-only token leaves TCP clients' authentication alone", async () => {
    s = await startWsServer({ authorization: { token: "wstoken" } }, { authorization: { token: "tcptoken" } });
    await works(wsConnect(s, { token: "wstoken" }));
    await expect(wsConnect(s, { token: "tcptoken" })).rejects.toThrow(/Authorization Violation/i);
    await works(tcpConnect(s, { token: "tcptoken" }));
    await expect(tcpConnect(s, { token: "wstoken" })).rejects.toThrow(/Authorization Violation/i);
  });

  test("TestWSNoAuthUser: the websocket no_auth_user overrides the top-level one; given credentials win", async () => {
    const cases: [string, boolean, boolean, string, string][] = [
      ["no override, no user provided", false, false, "noauth", "normal"],
      ["no override, user povided", false, true, "user", "normal"],
      ["override, no user provided", true, false, "wsnoauth", "websocket"],
      ["override, user provided", true, true, "wsuser", "websocket"],
    ];
    for (const [name, override, useAuth, expectedUser, expectedAcc] of cases) {
      s = await startWsServer(override ? { noAuthUser: "wsnoauth" } : {}, {
        accounts: {
          normal: { users: [{ user: "noauth", password: "pwd" }, { user: "user", password: "pwd" }] },
          websocket: { users: [{ user: "wsnoauth", password: "pwd" }, { user: "wsuser", password: "pwd" }] },
        },
        noAuthUser: "noauth",
      });
      const c = await RawWsClient.open(s.port);
      try {
        const info = JSON.parse((await c.readUntil("\r\n")).slice(5)) as { client_id: number };
        c.send(`CONNECT ${JSON.stringify({ verbose: false, protocol: 1, ...(useAuth ? { user: expectedUser, pass: "pwd" } : {}) })}\r\nPING\r\n`);
        expect((await c.readUntil("\r\n")).split("\r\n")[0], name).toBe("PONG");
        const client = s.server.connections.get(info.client_id);
        expect(client?.user, name).toBe(expectedUser);
        expect(client?.account?.name, name).toBe(expectedAcc);
      } finally {
        c.destroy();
        await s.stop();
        s = undefined;
      }
    }
  });

  test("TestWSNoAuthUserOverride: a PING before CONNECT binds the websocket no_auth_user, not the top-level one", async () => {
    s = await startWsServer(
      { noAuthUser: "wsguest" },
      {
        accounts: { admin_acc: { users: [{ user: "admin", password: "adminpass" }] }, ws_acc: { users: [{ user: "wsguest", password: "pwd" }] } },
        noAuthUser: "admin",
      },
    );
    const c = await RawWsClient.open(s.port);
    try {
      const info = JSON.parse((await c.readUntil("\r\n")).slice(5)) as { client_id: number };
      c.send("PING\r\n");
      const answer = await c.readUntil("\r\n", 2000);
      expect(answer.startsWith("-ERR")).toBe(false);
      const client = s.server.connections.get(info.client_id);
      expect(client?.account?.name).toBe("ws_acc");
      expect(client?.user).toBe("wsguest");
    } finally {
      c.destroy();
    }
  });
});
