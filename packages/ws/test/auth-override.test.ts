import { describe, expect, test } from "vitest";
import { resolveOptions, type ConnectInfo, type ServerOptionsInput } from "@nats-ts/core";
import { hasAuthOverride, websocketAuthenticator, type WebsocketOptions } from "../src/index.js";

const connect = (c: Partial<ConnectInfo> = {}): ConnectInfo => ({
  verbose: false,
  pedantic: false,
  echo: true,
  headers: true,
  noResponders: true,
  protocol: 1,
  tlsRequired: false,
  name: "",
  lang: "",
  version: "",
  ...c,
});
const WS = { connectionType: "WEBSOCKET" };

function auth(server: ServerOptionsInput, ws: WebsocketOptions) {
  return websocketAuthenticator(resolveOptions(server), ws);
}

// The Go tests (TestWSBasicAuth, TestWSTokenAuth, TestWSNoAuthUser) drive this through a running
// server; here the authenticator the override produces is checked on its own, case by case.
describe("websocket auth override (authenticator)", () => {
  test("no override: WebSocket clients use the server's authentication", () => {
    expect(hasAuthOverride({ port: 1 })).toBe(false);
    expect(auth({ authorization: { token: "t" } }, {})).toBeUndefined();
  });

  test("a websocket user/password replaces the top-level one", () => {
    const a = auth({ authorization: { user: "normal", password: "client" } }, { authorization: { user: "websocket", password: "client" } })!;
    expect(a.required).toBe(true);
    expect(a.authenticate(connect({ user: "websocket", pass: "client" }), WS)).toMatchObject({ account: "$G", user: "websocket" });
    expect(a.authenticate(connect({ user: "normal", pass: "client" }), WS)).toBeUndefined();
    expect(a.authenticate(connect({ user: "websocket", pass: "wrong" }), WS)).toBeUndefined();
  });

  test("a websocket token applies even when plain clients need no auth", () => {
    const a = auth({}, { authorization: { token: "goodtoken" } })!;
    expect(a.required).toBe(true);
    expect(a.authenticate(connect({ authToken: "goodtoken" }), WS)).toMatchObject({ account: "$G" });
    expect(a.authenticate(connect({ authToken: "badtoken" }), WS)).toBeUndefined();
    expect(a.authenticate(connect(), WS)).toBeUndefined();
  });

  test("a websocket token replaces the top-level token", () => {
    const a = auth({ authorization: { token: "normaltoken" } }, { authorization: { token: "wstoken" } })!;
    expect(a.authenticate(connect({ authToken: "wstoken" }), WS)).toBeDefined();
    expect(a.authenticate(connect({ authToken: "normaltoken" }), WS)).toBeUndefined();
  });

  test("a websocket no_auth_user replaces the top-level one; users keep their accounts", () => {
    const server: ServerOptionsInput = {
      accounts: {
        normal: { users: [{ user: "noauth", password: "pwd" }, { user: "user", password: "pwd" }] },
        websocket: { users: [{ user: "wsnoauth", password: "pwd" }, { user: "wsuser", password: "pwd" }] },
      },
      noAuthUser: "noauth",
    };
    const a = auth(server, { noAuthUser: "wsnoauth" })!;
    expect(a.noAuthUser).toBe("wsnoauth");
    expect(a.authenticate(connect(), WS)).toMatchObject({ user: "wsnoauth", account: "websocket" });
    expect(a.authenticate(connect({ user: "wsuser", pass: "pwd" }), WS)).toMatchObject({ user: "wsuser", account: "websocket" });
    expect(a.authenticate(connect({ user: "user", pass: "pwd" }), WS)).toMatchObject({ user: "user", account: "normal" });
  });
});
