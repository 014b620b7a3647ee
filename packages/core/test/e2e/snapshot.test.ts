import { describe, expect, test } from "vitest";
import { ClosedReason, type ConnectionSnapshot } from "../../src/index.js";
import { withServer } from "../helpers.js";
import { RawClient } from "../raw-client.js";

const CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\n';

describe("ConnectionSnapshot of a closed connection", () => {
  test("keeps each subscription's sid, subject, queue, deliveries and max, the transport and the RTT", () =>
    withServer({ pingInterval: 100 }, async (server) => {
      const raw = await RawClient.open(server.port);
      raw.send(CONNECT + "SUB foo 1\r\nSUB bar workers 2\r\nUNSUB 2 5\r\nPUB foo 2\r\nhi\r\nPUB bar 2\r\nhi\r\nPUB bar 2\r\nhi\r\nPING\r\n");
      await raw.waitFor("PONG");
      // The server's first PING measures the round trip; answer it so rtt is known.
      await raw.waitFor("PING\r\n");
      raw.send("PONG\r\n");
      const client = [...server.connections.values()][0];
      await new Promise<void>((r) => {
        const wait = () => (client.rtt > 0 ? r() : setTimeout(wait, 10));
        wait();
      });
      const closed = new Promise<ConnectionSnapshot>((r) => server.events.once("clientClosed", r));
      raw.close();
      const snap = await closed;
      expect(snap.transport).toBe("nats");
      expect(snap.rtt).toBeGreaterThan(0);
      expect(snap.subscriptions).toEqual([
        { sid: "1", subject: "foo", queue: undefined, delivered: 1, max: 0 },
        { sid: "2", subject: "bar", queue: "workers", delivered: 2, max: 5 },
      ]);
    }));

  test("a refused client's snapshot names the user its CONNECT claimed; a token is redacted", () =>
    withServer({ authorization: { users: [{ user: "alice", password: "right" }] } }, async (server) => {
      const claims: string[] = [];
      server.events.on("authError", (s) => claims.push(`${s.connectUser}|${s.user ?? "-"}|${s.reason}`));
      for (const connect of ['{"user":"mallory","pass":"x"}', '{"auth_token":"secret"}', "{}"]) {
        const raw = await RawClient.open(server.port);
        raw.send(`CONNECT ${connect}\r\n`);
        await raw.waitClosed();
      }
      await new Promise((r) => setImmediate(r));
      expect(claims).toEqual([
        `mallory|-|${ClosedReason.AuthenticationViolation}`,
        `[REDACTED]|-|${ClosedReason.AuthenticationViolation}`,
        `|-|${ClosedReason.AuthenticationViolation}`,
      ]);
    }));
});
