import { afterEach, describe, expect, test } from "vitest";
import { nkeys, type NatsConnection } from "@nats-io/nats-core";
import { optionsFromConf, parseConf } from "@nats-ts/core";
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

  test("websocket-only authorization and no_auth_user are refused at start rather than ignored", async () => {
    await expect(startWsServer({ authorization: { token: "t" } })).rejects.toThrow(/not supported by this nats-ts build yet/);
    await expect(
      startWsServer({ noAuthUser: "u" }, { authorization: { users: [{ user: "u", password: "p" }] } }),
    ).rejects.toThrow(/not supported by this nats-ts build yet/);
  });
});
