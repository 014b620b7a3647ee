import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { configAuthenticator, resolveOptions, type ConnectionEndpoint, type NatsServer } from "../../src/index.js";
import { startServer } from "../helpers.js";
import { RawClient } from "../raw-client.js";

/** A second TCP listener whose sockets go through acceptConnection with these endpoint settings. */
async function extraListener(server: NatsServer, settings: Omit<ConnectionEndpoint, "remoteAddress" | "remotePort">): Promise<Server> {
  const listener = createServer((socket) => {
    server.acceptConnection(socket, { remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0, transport: "websocket", ...settings });
  });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  return listener;
}

function portOf(listener: Server): number {
  const addr = listener.address();
  return typeof addr === "object" && addr !== null ? addr.port : 0;
}

function infoOf(raw: RawClient): Record<string, unknown> {
  const line = raw.received.split("\r\n")[0];
  return JSON.parse(line.slice(5)) as Record<string, unknown>;
}

describe("per-listener client settings (ConnectionEndpoint)", () => {
  let server: NatsServer | undefined;
  let listener: Server | undefined;
  afterEach(async () => {
    listener?.close();
    await server?.shutdown();
    server = listener = undefined;
  });

  test("a listener's authenticator replaces the server's: INFO auth_required, credentials, nonce", async () => {
    server = await startServer();
    const own = configAuthenticator(resolveOptions({ authorization: { token: "listener-secret" } }));
    listener = await extraListener(server, { authenticator: () => own });
    const raw = await RawClient.open(portOf(listener));
    await raw.waitFor("\r\n");
    expect(infoOf(raw).auth_required).toBe(true);
    raw.send('CONNECT {"verbose":false,"protocol":1,"auth_token":"wrong"}\r\nPING\r\n');
    await raw.waitFor("-ERR 'Authorization Violation'");
    await raw.waitClosed();

    const good = await RawClient.open(portOf(listener));
    good.send('CONNECT {"verbose":false,"protocol":1,"auth_token":"listener-secret"}\r\nPING\r\n');
    await good.waitFor("PONG\r\n");
    good.close();

    // The server's own port still needs nothing.
    const plain = await RawClient.open(server.port);
    await plain.waitFor("\r\n");
    expect(infoOf(plain).auth_required).toBeUndefined();
    plain.close();
  });

  test("a listener's authenticator is asked again after a reload", async () => {
    server = await startServer();
    let token = "first";
    listener = await extraListener(server, { authenticator: () => configAuthenticator(resolveOptions({ authorization: { token } })) });
    const raw = await RawClient.open(portOf(listener));
    raw.send('CONNECT {"verbose":false,"protocol":1,"auth_token":"first"}\r\nPING\r\n');
    await raw.waitFor("PONG\r\n");
    token = "second";
    server.reload({ host: "127.0.0.1", port: 0 });
    await raw.waitFor("-ERR 'Authorization Violation'");
    await raw.waitClosed();
  });

  test("a listener's auth timeout replaces the server's", async () => {
    server = await startServer({ authorization: { token: "t", timeout: 10 } });
    listener = await extraListener(server, { authTimeout: 50 });
    const raw = await RawClient.open(portOf(listener));
    await raw.waitFor("-ERR 'Authentication Timeout'", 2000);
    await raw.waitClosed();
  });

  test("a listener's ping interval replaces the server's", async () => {
    server = await startServer({ pingInterval: 3600_000 });
    listener = await extraListener(server, { pingInterval: 20 });
    const raw = await RawClient.open(portOf(listener));
    raw.send('CONNECT {"verbose":false,"protocol":1}\r\n');
    await raw.waitFor(/PING\r\n[^]*PING\r\n/, 3000);
    raw.close();
  });

  test("a listener's INFO fields replace the server's and keep Go's field order", async () => {
    server = await startServer({ maxPayload: 4096 });
    listener = await extraListener(server, { info: { host: "ws.example", port: 8443, tls_required: true, tls_available: true } });
    const raw = await RawClient.open(portOf(listener));
    await raw.waitFor("\r\n");
    const info = infoOf(raw);
    expect(info).toMatchObject({ host: "ws.example", port: 8443, tls_required: true, tls_available: true, server_id: server.id, max_payload: 4096 });
    expect(Object.keys(info).indexOf("host")).toBe(5);
    expect(Object.keys(info).indexOf("tls_available")).toBeLessThan(Object.keys(info).indexOf("max_payload"));
    raw.close();
  });
});
