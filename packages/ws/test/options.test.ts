import { describe, expect, test } from "vitest";
import { NatsServer, optionsFromConf, parseConf } from "@nats-ts/core";
import { validateWebsocketOptions, websocketOptionsFromConf, websocketPlugin, type WebsocketOptions } from "../src/index.js";
import { RawWsClient } from "./raw-ws.js";

const block = (text: string): unknown => (parseConf(text) as Record<string, unknown>).websocket;

describe("websocket options", () => {
  test("TestWSParseOptions: errors and values of the websocket block", () => {
    const bad: [string, string, string][] = [
      ["bad type", "websocket: []", "to be a map"],
      ["bad listen", "websocket: { listen: [] }", "port or host:port"],
      ["bad port", 'websocket: { port: "abc" }', "not int64"],
      ["bad host", "websocket: { host: 123 }", "not string"],
      ["bad advertise type", "websocket: { advertise: 123 }", "not string"],
      ["bad tls", "websocket: { tls: 123 }", "not map[string]interface {}"],
      ["bad same origin", 'websocket: { same_origin: "abc" }', "not bool"],
      ["bad allowed origins type", "websocket: { allowed_origins: {} }", "unsupported type"],
      ["bad allowed origins values", "websocket: { allowed_origins: [ {} ] }", "unsupported type in array"],
      ["bad handshake timeout type", "websocket: { handshake_timeout: [] }", "unsupported type"],
      ["bad handshake timeout duration", 'websocket: { handshake_timeout: "abc" }', "invalid duration"],
      ["bad header type", "websocket: { headers: 123 }", "unsupported type"],
      ["bad header type array", "websocket: { headers: [] }", "unsupported type"],
      ["bad header value", 'websocket: { headers: { "key": 123 } }', "unsupported type"],
      ["unknown field", "websocket: { this_does_not_exist: 123 }", "unknown"],
    ];
    for (const [name, text, err] of bad) expect(() => websocketOptionsFromConf(block(text)), name).toThrow(err);

    const good: [string, string, WebsocketOptions][] = [
      ["listen port only", "websocket { listen: 1234 }", { port: 1234 }],
      ["listen host and port", 'websocket { listen: "localhost:1234" }', { host: "localhost", port: 1234 }],
      ["host", 'websocket { host: "localhost" }', { host: "localhost" }],
      ["port", "websocket { port: 1234 }", { port: 1234 }],
      ["advertise", 'websocket { advertise: "host:1234" }', { advertise: "host:1234" }],
      ["same origin", "websocket { same_origin: true }", { sameOrigin: true }],
      ["allowed origins one only", 'websocket { allowed_origins: "https://host.com/" }', { allowedOrigins: ["https://host.com/"] }],
      ["allowed origins array", 'websocket { allowed_origins: [\n"https://host1.com/"\n"https://host2.com/"\n] }', { allowedOrigins: ["https://host1.com/", "https://host2.com/"] }],
      ["handshake timeout in whole seconds", "websocket { handshake_timeout: 3 }", { handshakeTimeout: 3000 }],
      ["handshake timeout n duration", 'websocket { handshake_timeout: "4s" }', { handshakeTimeout: 4000 }],
      ["tls config", 'websocket { tls { cert_file: "c.pem"\nkey_file: "k.pem" } }', { tls: { certFile: "c.pem", keyFile: "k.pem" } }],
      ["compression", "websocket { compression: true }", { compression: true }],
      ["jwt cookie", 'websocket { jwt_cookie: "jwtcookie" }', { jwtCookie: "jwtcookie" }],
      ["user cookie", 'websocket { user_cookie: "usercookie" }', { userCookie: "usercookie" }],
      ["pass cookie", 'websocket { pass_cookie: "passcookie" }', { passCookie: "passcookie" }],
      ["token cookie", 'websocket { token_cookie: "tokencookie" }', { tokenCookie: "tokencookie" }],
      ["no auth user", 'websocket { no_auth_user: "noauthuser" }', { noAuthUser: "noauthuser" }],
      ["auth block", 'websocket { authorization { user: "webuser"\npassword: "pwd"\ntoken: "token"\ntimeout: 2.0 } }', { authorization: { user: "webuser", password: "pwd", token: "token", timeout: 2 } }],
      ["headers", 'websocket { headers { "X-Custom-Header": "custom-value" } }', { headers: { "X-Custom-Header": "custom-value" } }],
      ["ping interval", 'websocket { ping_interval: "30s" }', { pingInterval: 30_000 }],
    ];
    for (const [name, text, expected] of good) expect(websocketOptionsFromConf(block(text)), name).toEqual(expected);
  });

  test("TestWSValidateOptions: Go's start-up errors", () => {
    const ctx = { users: new Set<string>(), trustedOperators: false };
    const ws: WebsocketOptions = { port: 8080, noTls: true };
    const cases: [string, WebsocketOptions, string, Set<string>?][] = [
      ["websocket disabled", { port: 0 }, ""],
      ["no tls", { port: 8080 }, "requires TLS configuration"],
      ["bad url in allowed list", { ...ws, allowedOrigins: ["http://this:is:bad:url"] }, "unable to parse"],
      ["allowed origin must be absolute URL", { ...ws, allowedOrigins: ["foo"] }, "unable to parse"],
      ["allowed origin scheme must be http or https", { ...ws, allowedOrigins: ["ftp://host.com"] }, "must be absolute URLs with http or https scheme"],
      ["missing trusted configuration", { ...ws, jwtCookie: "jwt" }, "keys configuration is required"],
      ["websocket username not allowed if users specified", { ...ws, authorization: { user: "b", password: "pwd" } }, "websocket authentication username not compatible with presence of users/nkeys", new Set(["abc"])],
      ["websocket token not allowed if users specified", { ...ws, authorization: { token: "mytoken" } }, "websocket authentication token not compatible with presence of users/nkeys", new Set(["abc"])],
      ["headers with sec-websocket- prefix not allowed", { ...ws, headers: { "Sec-WebSocket-Key": "123" } }, 'invalid header "Sec-WebSocket-Key", "Sec-WebSocket-" prefix not allowed'],
      ["header with host", { ...ws, headers: { Host: "http://localhost:8080" } }, 'websocket: invalid header "Host" not allowed'],
      ["header with content-length", { ...ws, headers: { "Content-Length": "0" } }, 'websocket: invalid header "Content-Length" not allowed'],
      ["header with connection", { ...ws, headers: { Connection: "Upgrade" } }, 'websocket: invalid header "Connection" not allowed'],
      ["header with upgrade", { ...ws, headers: { Upgrade: "websocket" } }, 'websocket: invalid header "Upgrade" not allowed'],
      ["header with Nats-No-Masking", { ...ws, headers: { "Nats-No-Masking": "false" } }, 'websocket: invalid header "Nats-No-Masking" not allowed'],
      ["disabled websocket listener", { ...ws, port: 0 }, ""],
      ["valid", ws, ""],
    ];
    for (const [name, o, err, users] of cases) {
      const got = validateWebsocketOptions(o, { ...ctx, users: users ?? ctx.users });
      if (err === "") expect(got, name).toBeUndefined();
      else expect(got, name).toContain(err);
    }
  });

  test("TestWSNoAuthUserValidation: a websocket no_auth_user must be a configured user", () => {
    const ws: WebsocketOptions = { port: 8080, noTls: true, noAuthUser: "notfound" };
    expect(validateWebsocketOptions(ws, { users: new Set(), trustedOperators: false })).toContain("users/nkeys are not defined");
    expect(validateWebsocketOptions(ws, { users: new Set(["user"]), trustedOperators: false })).toContain('"notfound" not present as user or nkey');
    expect(validateWebsocketOptions({ ...ws, noAuthUser: "user" }, { users: new Set(["user"]), trustedOperators: false })).toBeUndefined();
  });

  test("a conf file's websocket block starts the listener and fills the ports-file entry", async () => {
    const { options } = optionsFromConf(parseConf('listen: "127.0.0.1:-1"\nwebsocket { listen: "127.0.0.1:-1"\nno_tls: true\ncompression: true }\n'));
    const plugin = websocketPlugin();
    const server = new NatsServer(options, { plugins: [plugin] });
    await server.start();
    try {
      expect(plugin.port).toBeGreaterThan(0);
      expect(server.listeners.websocket).toEqual([`ws://127.0.0.1:${plugin.port}`]);
      const c = await RawWsClient.open(plugin.port, { "Sec-WebSocket-Extensions": "permessage-deflate" });
      expect(c.headers["sec-websocket-extensions"]).toContain("permessage-deflate");
      c.destroy();
    } finally {
      await server.shutdown();
    }
  });

  test("the ws alias block and no block at all (the plugin stays idle)", async () => {
    const { options } = optionsFromConf(parseConf('listen: "127.0.0.1:-1"\nws { port: -1, no_tls: true }\n'));
    const plugin = websocketPlugin({ host: "127.0.0.1", port: undefined });
    const server = new NatsServer(options, { plugins: [plugin] });
    await server.start();
    expect(plugin.port).toBeGreaterThan(0);
    await server.shutdown();
    const idle = websocketPlugin();
    const plain = new NatsServer({ host: "127.0.0.1", port: 0 }, { plugins: [idle] });
    await plain.start();
    expect(idle.port).toBe(0);
    expect(plain.listeners.websocket).toBeUndefined();
    await plain.shutdown();
  });
});
