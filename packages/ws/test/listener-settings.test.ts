import { connect } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { RawWsClient } from "./raw-ws.js";
import { startWsServer, type WsServer } from "./helpers.js";

let s: WsServer | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
});

async function openAndReadInfo(): Promise<{ c: RawWsClient; info: Record<string, unknown> }> {
  const c = await RawWsClient.open(s!.port);
  const line = (await c.readUntil("\r\n")).split("\r\n")[0];
  return { c, info: JSON.parse(line.slice(5)) as Record<string, unknown> };
}

describe("websocket block settings for its clients", () => {
  test("TestWSAuthTimeout: the websocket authorization timeout replaces the top-level one", async () => {
    const cases: [string, number | undefined, string][] = [
      ["use top-level auth timeout", undefined, "PONG"],
      ["use websocket auth timeout", 0.05, "-ERR 'Authentication Timeout'"],
    ];
    for (const [name, wsTimeout, expected] of cases) {
      s = await startWsServer({ authorization: { user: "websocket", password: "client", timeout: wsTimeout } }, { authorization: { timeout: 10 } });
      const { c, info } = await openAndReadInfo();
      try {
        expect(info.auth_required, name).toBe(true);
        await new Promise((r) => setTimeout(r, 100));
        c.send('CONNECT {"verbose":false,"protocol":1,"user":"websocket","pass":"client"}\r\nPING\r\n');
        expect((await c.readUntil("\r\n")).startsWith(expected), name).toBe(true);
      } finally {
        c.destroy();
        await s.stop();
        s = undefined;
      }
    }
  });

  test("TestWebsocketPingInterval: the websocket ping_interval replaces the server's", async () => {
    s = await startWsServer({ pingInterval: 200 });
    const { c } = await openAndReadInfo();
    try {
      c.send('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n');
      await c.readUntil("PONG");
      let pings = 0;
      const deadline = Date.now() + 1000;
      while (Date.now() < deadline) {
        const text = await c.readUntil("PING\r\n", 1000);
        if (text.includes("PING\r\n")) {
          pings++;
          c.send("PONG\r\n");
        }
      }
      expect(pings).toBeGreaterThanOrEqual(2);
    } finally {
      c.destroy();
    }
  });

  test("INFO announces the websocket listener's host and port, and auth_required only when its clients need it", async () => {
    s = await startWsServer({ authorization: { token: "ws" } });
    const { c, info } = await openAndReadInfo();
    c.destroy();
    expect(info).toMatchObject({ host: "127.0.0.1", port: s.port, auth_required: true });
    expect(info.tls_required).toBeUndefined();
    // TCP clients keep the server's own INFO: its port, and no authentication asked.
    const tcpInfo = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: s!.server.port });
      socket.once("data", (d) => {
        socket.destroy();
        resolve(JSON.parse(d.toString().split("\r\n")[0].slice(5)) as Record<string, unknown>);
      });
      socket.once("error", reject);
    });
    expect(tcpInfo.port).toBe(s.server.port);
    expect(tcpInfo.auth_required).toBeUndefined();
  });
});
