import { describe, expect, test } from "vitest";
import { withServer } from "../helpers.js";
import { RawClient } from "../raw-client.js";

const CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"protocol":1}\r\n';

describe("server-wide in/out message stats (Go's in_msgs, out_msgs)", () => {
  test("count what clients publish and what is delivered to clients, not internal subscribers or publishers", () =>
    withServer({}, async (server) => {
      const internalSeen: string[] = [];
      const sys = server.createInternalClient("SYSTEM");
      sys.subscribe("watched", (subject) => internalSeen.push(subject));
      const raw = await RawClient.open(server.port);
      raw.send(CONNECT + "SUB watched 1\r\nPUB watched 5\r\nhello\r\nPING\r\n");
      await raw.waitFor("PONG");
      // One publish from a client, delivered to the client and to the internal subscriber.
      expect(internalSeen).toEqual(["watched"]);
      expect(server.stats).toMatchObject({ inMsgs: 1, inBytes: 5, outMsgs: 1, outBytes: 5 });

      // An internal publish is not "in", but its delivery to a client is "out".
      sys.publish("watched", Buffer.from("abc"));
      raw.send("PING\r\n");
      await raw.waitFor(/PONG[^]*PONG/);
      expect(server.stats).toMatchObject({ inMsgs: 1, inBytes: 5, outMsgs: 2, outBytes: 8 });
      raw.close();
    }));

  test("an MQTT-style internal client of kind CLIENT counts like a connection", () =>
    withServer({}, async (server) => {
      const a = server.createInternalClient("CLIENT");
      const b = server.createInternalClient("CLIENT");
      let got = 0;
      b.subscribe("t", () => got++);
      a.publish("t", Buffer.from("xy"));
      expect(got).toBe(1);
      expect(server.stats).toMatchObject({ inMsgs: 1, inBytes: 2, outMsgs: 1, outBytes: 2 });
    }));
});
