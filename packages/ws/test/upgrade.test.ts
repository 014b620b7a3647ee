import { connect as tlsConnect } from "node:tls";
import { connect as netConnect } from "node:net";
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { wsconnect } from "@nats-io/nats-core";
import { WebSocket } from "ws";
import { OriginChecker } from "../src/index.js";
import { RawWsClient } from "./raw-ws.js";
import { captureLogger, eventually, startWsServer, type WsServer } from "./helpers.js";
import { makeCerts, type TestCerts } from "./certs.js";

let s: WsServer | undefined;
const clients: RawWsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await s?.stop();
  s = undefined;
});

async function request(extra: Record<string, string>, raw?: string): Promise<RawWsClient> {
  const c = await RawWsClient.open(s!.port, extra, raw);
  clients.push(c);
  return c;
}

const VALID_KEY = "dGhlIHNhbXBsZSBub25jZQ==";

describe("upgrade requests", () => {
  test("TestWSUpgradeValidationErrors: Go's status for each bad upgrade", async () => {
    const { logger, lines } = captureLogger();
    s = await startWsServer({ sameOrigin: true }, {}, logger);
    const port = s.port;
    const valid = (headers: Record<string, string | undefined>, method = "GET") => {
      const all: Record<string, string | undefined> = {
        Host: `127.0.0.1:${port}`,
        Upgrade: "websocket",
        Connection: "Upgrade",
        "Sec-WebSocket-Key": VALID_KEY,
        "Sec-WebSocket-Version": "13",
        ...headers,
      };
      const head = Object.entries(all)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      return `${method} / HTTP/1.1\r\n${head}\r\n`;
    };
    const cases: [string, string, number, string][] = [
      ["bad method", valid({}, "POST"), 405, "request method must be GET"],
      ["no host", valid({ Host: undefined }), 400, "'Host' missing in request"],
      ["invalid upgrade header", valid({ Upgrade: undefined }), 400, "invalid value for header 'Upgrade'"],
      ["invalid connection header", valid({ Connection: undefined }), 400, "invalid value for header 'Connection'"],
      ["no key", valid({ "Sec-WebSocket-Key": undefined }), 400, "key missing"],
      ["empty key", valid({ "Sec-WebSocket-Key": "" }), 400, "key missing"],
      ["invalid key encoding", valid({ "Sec-WebSocket-Key": "%%%" }), 400, "invalid websocket key"],
      ["invalid key length", valid({ "Sec-WebSocket-Key": Buffer.from("short").toString("base64") }), 400, "invalid websocket key"],
      ["missing version", valid({ "Sec-WebSocket-Version": undefined }), 400, "invalid version"],
      ["wrong version", valid({ "Sec-WebSocket-Version": "99" }), 400, "invalid version"],
      ["origin", valid({ Origin: "http://bad.host.com" }), 403, "origin not allowed"],
    ];
    const texts: Record<number, string> = { 400: "Bad Request", 403: "Forbidden", 405: "Method Not Allowed" };
    for (const [name, req, status, reason] of cases) {
      lines.length = 0;
      const c = await request({}, req);
      expect(c.status, name).toBe(status);
      expect(c.headers["sec-websocket-version"], name).toBe("13");
      expect(await c.body(), name).toBe(`${texts[status]}\n`);
      expect(lines.some((l) => l.includes(`websocket handshake error: ${reason}`)), name).toBe(true);
    }
    // The server is still serving after all that.
    const ok = await request({});
    expect(ok.status).toBe(101);
  });

  test("TestWSServerReportUpgradeFailure: the failure is logged with the client's address", async () => {
    const { logger, lines } = captureLogger();
    s = await startWsServer({}, {}, logger);
    const c = await request({ Connection: "keep-alive" });
    expect(c.status).toBe(400);
    await eventually(() => lines.some((l) => l.includes("invalid value for header 'Connection'")));
    const line = lines.find((l) => l.includes("invalid value for header 'Connection'"))!;
    expect(line).toMatch(/\[ERR\] 127\.0\.0\.1:\d+ - websocket handshake error/);
  });

  test("TestWSUpgradeMQTTOnlyWhenEnabled: /mqtt is refused while MQTT is not served", async () => {
    s = await startWsServer();
    const port = s.port;
    const mqtt = await request({}, `GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${VALID_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    expect(mqtt.status).toBe(404);
    expect(await mqtt.body()).toBe("Not Found\n");
    const client = await request({});
    expect(client.status).toBe(101);
  });

  test("an MQTT route registered on the listener gets /mqtt with the mqtt subprotocol", async () => {
    const { NatsServer } = await import("@nats-ts/core");
    const { websocketPlugin, WebSocketStream } = await import("../src/index.js");
    const plugin = websocketPlugin({ host: "127.0.0.1", port: -1, noTls: true });
    plugin.addRoute("/mqtt", { protocol: "mqtt", accept: (ws) => new WebSocketStream(ws).end(Buffer.from("mqtt here")) });
    const server = new NatsServer({ host: "127.0.0.1", port: 0 }, { plugins: [plugin] });
    await server.start();
    try {
      const ws = new WebSocket(`${plugin.url}/mqtt`, "mqtt");
      const msg = await new Promise<string>((resolve, reject) => {
        ws.once("message", (d) => resolve(String(d)));
        ws.once("error", reject);
      });
      expect(ws.protocol).toBe("mqtt");
      expect(msg).toBe("mqtt here");
      ws.terminate();
    } finally {
      await server.shutdown();
    }
  });

  test("a plain HTTP request (no upgrade) gets 400", async () => {
    s = await startWsServer();
    const res = await fetch(`http://127.0.0.1:${s.port}/`);
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("Bad Request\n");
  });

  test("TestWSCompressNegotiation: the extension is in the response only when both sides want it", async () => {
    s = await startWsServer({ compression: false });
    const off = await request({ "Sec-WebSocket-Extensions": "permessage-deflate" });
    expect(off.status).toBe(101);
    expect(off.headers["sec-websocket-extensions"]).toBeUndefined();
    await s.stop();
    s = await startWsServer({ compression: true });
    const on = await request({ "Sec-WebSocket-Extensions": "permessage-deflate" });
    expect(on.headers["sec-websocket-extensions"]).toBe("permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    const notAsked = await request({});
    expect(notAsked.headers["sec-websocket-extensions"]).toBeUndefined();
  });

  test("permessage-deflate window bits: the response carries what was agreed (RFC 7692)", async () => {
    s = await startWsServer({ compression: true });
    const c = await request({ "Sec-WebSocket-Extensions": "permessage-deflate; server_max_window_bits=10; client_max_window_bits" });
    expect(c.headers["sec-websocket-extensions"]).toBe(
      "permessage-deflate; server_max_window_bits=10; server_no_context_takeover; client_no_context_takeover",
    );
  });

  test("TestWSSetHeaderServer: configured headers are in the upgrade response", async () => {
    s = await startWsServer({ headers: { "X-Custom-Header": "custom-value", "Strict-Transport-Security": "max-age=60" } });
    const c = await request({});
    expect(c.status).toBe(101);
    expect(c.headers["x-custom-header"]).toBe("custom-value");
    expect(c.headers["strict-transport-security"]).toBe("max-age=60");
  });

  test("TestWSSetHeader: the 101 response has the handshake headers and the configured ones, nothing else", async () => {
    s = await startWsServer({ headers: { "X-Header": "some-value", "X-Another-Header": "another-value" } });
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    const c = await request({ "Sec-WebSocket-Key": key });
    expect(c.status).toBe(101);
    expect(c.headers).toEqual({
      "x-header": "some-value",
      "x-another-header": "another-value",
      upgrade: "websocket",
      connection: "Upgrade",
      // RFC 6455's own example key and accept value.
      "sec-websocket-accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    });
  });

  test("TestWSUpgradeConnDeadline: the handshake timeout no longer applies once upgraded", async () => {
    s = await startWsServer({ handshakeTimeout: 100 });
    const c = await request({});
    expect(c.status).toBe(101);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.closed).toBe(false);
    c.send("CONNECT {}\r\nPING\r\n");
    expect(await c.readUntil("PONG")).toContain("PONG");
  });

  test("TestWSUpgradeWithEmptyXForwardedForSliceDoesNotPanic: an empty X-Forwarded-For is ignored", async () => {
    s = await startWsServer();
    const c = await request({}, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${VALID_KEY}\r\nSec-WebSocket-Version: 13\r\nX-Forwarded-For:\r\n\r\n`);
    expect(c.status).toBe(101);
    c.send("CONNECT {}\r\nPING\r\n");
    expect(await c.readUntil("PONG")).toContain("PONG");
    expect([...s.server.connections.values()][0].host).toBe("127.0.0.1");
  });

  test("TestWSFailureToStartServer: a websocket port in use fails the start", async () => {
    const { createServer } = await import("node:net");
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startWsServer({ port })).rejects.toThrow(/EADDRINUSE|Unable to listen/);
    } finally {
      taken.close();
    }
  });

  test("TestWSXForwardedFor: a valid first X-Forwarded-For address becomes the client's host", async () => {
    s = await startWsServer();
    const cases: [Record<string, string>, string | undefined][] = [
      [{}, undefined],
      [{ "X-Forwarded-For": "not a valid IP" }, undefined],
      [{ "X-Forwarded-For": "1.2.3.4" }, "1.2.3.4"],
      [{ "X-Forwarded-For": "::1" }, "::1"],
    ];
    for (const [headers, expected] of cases) {
      const c = await request(headers);
      c.send('CONNECT {"verbose":false,"protocol":1,"name":"xff"}\r\nPING\r\n');
      await c.readUntil("PONG");
      const conns = [...s.server.connections.values()];
      const conn = conns[conns.length - 1];
      expect(conn.host).toBe(expected ?? "127.0.0.1");
      c.destroy();
    }
  });

  test("origin checks: allowed origins connect with wsconnect, others get 403", async () => {
    s = await startWsServer({ allowedOrigins: ["http://app.example.com"] });
    const url = s.url;
    const factory = (origin: string) => (u: string) => Promise.resolve({ socket: new WebSocket(u, { origin }), encrypted: false });
    const nc = await wsconnect({ servers: url, reconnect: false, wsFactory: factory("http://app.example.com") } as never);
    await nc.flush();
    await nc.close();
    await expect(wsconnect({ servers: url, reconnect: false, wsFactory: factory("http://evil.example.com") } as never)).rejects.toThrow();
    const c = await request({ Origin: "http://evil.example.com" });
    expect(c.status).toBe(403);
  });
});

describe("origin checker", () => {
  test("TestWSCheckOrigin: same origin and allowed list", () => {
    const someList = ["http://host1.com", "http://host2.com:1234"];
    const sameHostMultiScheme = ["http://host3.com", "https://host3.com"];
    const cases: [string, boolean, string[], string, boolean, string, string][] = [
      ["any", false, [], "", false, "http://any.host.com", ""],
      ["same origin ok", true, [], "host.com", false, "http://host.com:80", ""],
      ["same origin bad host", true, [], "host.com", false, "http://other.host.com", "not same origin"],
      ["same origin bad port", true, [], "host.com", false, "http://host.com:81", "not same origin"],
      ["same origin bad scheme explicit port", true, [], "host.com:443", true, "http://host.com:443", "not same origin"],
      ["same origin bad scheme", true, [], "host.com", true, "http://host.com", "not same origin"],
      ["same origin bad uri", true, [], "host.com", false, "@@@://invalid:url:1234", "invalid URI"],
      ["same origin bad url", true, [], "host.com", false, "http://invalid:url:1234", "too many colons"],
      ["same origin bad req host", true, [], "invalid:url:1234", false, "http://host.com", "too many colons"],
      ["no origin same origin ignored", true, [], "", false, "", ""],
      ["no origin list ignored", true, someList, "", false, "", ""],
      ["no origin same origin and list ignored", true, someList, "", false, "", ""],
      ["allowed from list", false, someList, "", false, "http://host2.com:1234", ""],
      ["allowed with different path", false, someList, "", false, "http://host1.com/some/path", ""],
      ["allowed from list same host http", false, sameHostMultiScheme, "", false, "http://host3.com", ""],
      ["allowed from list same host https", false, sameHostMultiScheme, "", false, "https://host3.com", ""],
      ["list bad port", false, someList, "", false, "http://host1.com:1234", "not in the allowed list"],
      ["list bad scheme", false, someList, "", false, "https://host2.com:1234", "not in the allowed list"],
    ];
    for (const [name, same, list, reqHost, secure, origin, err] of cases) {
      const got = new OriginChecker(same, list).check(origin, reqHost, secure);
      if (err === "") expect(got, name).toBeUndefined();
      else expect(got, name).toContain(err);
    }
  });
});

describe("TLS", () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => certs.cleanup());

  test("TestWSTLSConnection: wss:// with the listener's certificate", async () => {
    s = await startWsServer({ noTls: false, tls: { certFile: certs.certFile, keyFile: certs.keyFile } });
    expect(s.url.startsWith("wss://")).toBe(true);
    expect(s.server.listeners.websocket).toEqual([s.url]);
    const factory = (u: string) => Promise.resolve({ socket: new WebSocket(u, { ca: certs.ca }), encrypted: true });
    const nc = await wsconnect({ servers: s.url, reconnect: false, wsFactory: factory } as never);
    const sub = nc.subscribe("tls", { max: 1 });
    nc.publish("tls", "secure");
    for await (const m of sub) expect(m.string()).toBe("secure");
    await nc.close();
    // A plain ws:// client can not talk to it.
    const plain = new WebSocket(s.url.replace("wss:", "ws:"));
    await expect(new Promise((resolve, reject) => plain.once("open", resolve).once("error", reject))).rejects.toThrow();
  });

  test("wss:// clients get INFO with the listener's TLS flags, and their connection records the TLS in use", async () => {
    s = await startWsServer({ noTls: false, tls: { certFile: certs.certFile, keyFile: certs.keyFile } });
    const ws = new WebSocket(s.url, { ca: certs.ca });
    try {
      const first = await new Promise<string>((resolve, reject) => ws.once("message", (d) => resolve(d.toString())).once("error", reject));
      const info = JSON.parse(first.split("\r\n")[0].slice(5)) as Record<string, unknown>;
      expect(info).toMatchObject({ tls_required: true, tls_available: true, port: s.port });
      const client = [...s.server.connections.values()][0];
      expect(client.tls?.version).toMatch(/^1\.[23]$/);
      expect(client.tls?.cipherSuite).toMatch(/^TLS_/);
    } finally {
      ws.terminate();
    }
  });

  test("TestWSTLSVerifyClientCert: without a client certificate the handshake fails", async () => {
    s = await startWsServer({ noTls: false, tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, verify: true } });
    const open = (opts: object) =>
      new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(s!.url, { ca: certs.ca, ...opts });
        ws.once("open", () => (ws.terminate(), resolve())).once("error", reject);
      });
    await expect(open({})).rejects.toThrow();
    await open({ cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) });
  });

  test("TestWSHandshakeTimeout: a client that does not finish the TLS handshake is cut off and logged", async () => {
    const { logger, lines } = captureLogger();
    s = await startWsServer({ noTls: false, handshakeTimeout: 50, tls: { certFile: certs.certFile, keyFile: certs.keyFile } }, {}, logger);
    const sock = netConnect({ host: "127.0.0.1", port: s.port });
    sock.on("error", () => {});
    await new Promise((r) => sock.once("close", r));
    await eventually(() => lines.some((l) => l.includes("websocket: ") && l.includes("timeout")));
    // A client that completes the handshake in time is served.
    const t = tlsConnect({ host: "127.0.0.1", port: s.port, ca: certs.ca });
    await new Promise<void>((resolve, reject) => t.once("secureConnect", resolve).once("error", reject));
    t.destroy();
  });

  test("websocket requires TLS unless no_tls", async () => {
    await expect(startWsServer({ noTls: false })).rejects.toThrow("websocket requires TLS configuration");
  });
});
