import { afterEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { ClosedReason } from "@nats-ts/core";
import { closeReason, closeStatusFor } from "../src/index.js";
import { frame, RawWsClient } from "./raw-ws.js";
import { startWsServer, tcpConnect, type WsServer } from "./helpers.js";

const TEXT = 1;
const BINARY = 2;
const CLOSE = 8;
const PING = 9;
const PONG = 10;

let s: WsServer | undefined;
const clients: RawWsClient[] = [];
const conns: NatsConnection[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const nc of conns.splice(0)) await nc.close().catch(() => {});
  await s?.stop();
  s = undefined;
});

async function open(extra: Record<string, string> = {}): Promise<RawWsClient> {
  const c = await RawWsClient.open(s!.port, extra);
  clients.push(c);
  expect(c.status).toBe(101);
  // INFO comes first.
  expect(await c.readUntil("\r\n")).toMatch(/^INFO \{/);
  return c;
}

/** A TCP subscriber on `subject`, returning the payloads it receives. */
async function tcpSubscriber(subject: string): Promise<{ next(): Promise<string> }> {
  const nc = await tcpConnect(s!);
  conns.push(nc);
  const sub = nc.subscribe(subject);
  await nc.flush();
  const it = sub[Symbol.asyncIterator]();
  return { next: async () => (await it.next()).value!.string() };
}

describe("frames", () => {
  test("TestWSReadUncompressedFrames: ops split across frames and many ops in one frame", async () => {
    s = await startWsServer();
    const sub = await tcpSubscriber("foo");
    const c = await open();
    c.write(frame(BINARY, "PUB foo 2\r\n"));
    c.write(frame(BINARY, "o"));
    c.write(frame(TEXT, "k\r\nPUB foo 3\r\ntwo\r\nPU"));
    c.write(frame(BINARY, "B foo 5\r\nthree\r\nPING\r\n"));
    expect(await c.readUntil("PONG\r\n")).toContain("PONG\r\n");
    expect([await sub.next(), await sub.next(), await sub.next()]).toEqual(["ok", "two", "three"]);
  });

  test("TestWSReadVariousFrameSizes: 7-bit, 16-bit and 64-bit payload lengths", async () => {
    s = await startWsServer({}, { maxPayload: 200_000 });
    const sub = await tcpSubscriber("size");
    const c = await open();
    for (const n of [10, 200, 70_000]) {
      const payload = "x".repeat(n);
      c.write(frame(BINARY, `PUB size ${n}\r\n${payload}\r\n`));
      expect((await sub.next()).length).toBe(n);
    }
  });

  test("TestWSReadPartialFrameHeaderAtEndOfReadBuffer: a frame arriving a byte at a time", async () => {
    s = await startWsServer();
    const sub = await tcpSubscriber("slow");
    const c = await open();
    const bytes = frame(BINARY, "PUB slow 5\r\nbytes\r\n");
    for (const b of bytes) {
      c.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    expect(await sub.next()).toBe("bytes");
  });

  test("TestWSReadFragmentedFrames: a message in fragments is one byte stream", async () => {
    s = await startWsServer();
    const sub = await tcpSubscriber("frag");
    const c = await open();
    c.write(frame(BINARY, "PUB frag 11\r\nhel", { fin: false }));
    c.write(frame(0, "lo ", { fin: false }));
    c.write(frame(0, "world\r\n"));
    expect(await sub.next()).toBe("hello world");
  });

  test("TestWSReadPingFrame: a ping is answered with a pong carrying its payload", async () => {
    s = await startWsServer();
    const c = await open();
    c.write(frame(PING, "are you there"));
    const f = await c.next();
    expect(f?.opcode).toBe(PONG);
    expect(f?.payload.toString()).toBe("are you there");
  });

  test("TestWSReadPongFrame: an unsolicited pong is ignored", async () => {
    s = await startWsServer();
    const c = await open();
    c.write(frame(PONG, "x"));
    c.send("PING\r\n");
    expect(await c.readUntil("PONG")).toContain("PONG\r\n");
  });

  test("TestWSReadControlFrameBetweebFragmentedFrames: a ping between fragments", async () => {
    s = await startWsServer();
    const sub = await tcpSubscriber("mid");
    const c = await open();
    c.write(frame(BINARY, "PUB mid 4\r\nab", { fin: false }));
    c.write(frame(PING, "p"));
    c.write(frame(0, "cd\r\n"));
    const f = await c.next();
    expect(f?.opcode).toBe(PONG);
    expect(await sub.next()).toBe("abcd");
  });

  test("TestWSReadCloseFrame: the server echoes the client's close status and reason, then closes", async () => {
    s = await startWsServer();
    const c = await open();
    const payload = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from("bye")]);
    c.write(frame(CLOSE, payload));
    expect(await c.closeFrame()).toEqual({ code: 1000, reason: "bye" });
    expect(await c.waitClosed()).toBe(true);
  });

  test("TestWSCloseFrameWithPartialOrInvalid: a 1-byte close payload is a protocol error", async () => {
    s = await startWsServer();
    const c = await open();
    c.write(frame(CLOSE, Buffer.from([0x03])));
    expect((await c.closeFrame())?.code).toBe(1002);
    expect(await c.waitClosed()).toBe(true);
  });

  // Go also answers a close reason that is not UTF-8 with 1007; here UTF-8 validation is off (as Go
  // does not validate text frames either), so such a close is echoed like any other.
  test("TestWSHandleControlFrameErrors: a close frame with an invalid status is a protocol error", async () => {
    s = await startWsServer();
    for (const code of [1005, 1004, 999, 5000]) {
      const c = await open();
      c.write(frame(CLOSE, Buffer.from([code >> 8, code & 255])));
      expect((await c.closeFrame())?.code, String(code)).toBe(1002);
    }
  });

  test("TestWSReadErrors: protocol violations close with 1002", async () => {
    s = await startWsServer();
    const cases: [string, Buffer][] = [
      ["mask bit missing", frame(BINARY, "hello", { mask: false })],
      ["control frame too long", frame(PING, "x".repeat(126))],
      ["control frame without final bit", frame(PING, "hello", { fin: false })],
      ["new message before final frame", Buffer.concat([frame(BINARY, "frag1", { fin: false }), frame(BINARY, "new")])],
      ["continuation without a message", frame(0, "continuation")],
      ["unknown opcode", frame(11, "hello")],
      ["compressed frame without negotiation", frame(BINARY, "compressed", { rsv: 4 })],
      ["RSV2 set", frame(BINARY, "hello", { rsv: 2 })],
    ];
    for (const [name, bytes] of cases) {
      const c = await open();
      c.write(bytes);
      expect((await c.closeFrame())?.code, name).toBe(1002);
      expect(await c.waitClosed(), name).toBe(true);
    }
  });

  test("TestWSReadHugePayloadLenDoesNotPanic: a 64-bit length with the top bit set", async () => {
    s = await startWsServer();
    const c = await open();
    const head = Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    c.write(head);
    expect(await c.waitClosed()).toBe(true);
    const again = await open();
    again.send("PING\r\n");
    expect(await again.readUntil("PONG")).toContain("PONG");
  });

  test("TestWSBatchedPubInSingleFrame: a frame larger than max_payload holding several PUBs", async () => {
    s = await startWsServer({}, { maxPayload: 16 });
    const sub = await tcpSubscriber("foo");
    const c = await open();
    c.send("PUB foo 8\r\n12345678\r\nPUB foo 8\r\nabcdefgh\r\nPING\r\n");
    expect(await sub.next()).toBe("12345678");
    expect(await sub.next()).toBe("abcdefgh");
    expect(await c.readUntil("PONG")).toContain("PONG\r\n");
  });

  test("TestWSFlushesBufferedDeliveryBeforeProtocolClose: a PUB before a bad frame is delivered", async () => {
    s = await startWsServer();
    const sub = await tcpSubscriber("foo");
    const c = await open();
    c.write(Buffer.concat([frame(BINARY, "PUB foo 1\r\na\r\n"), frame(PING, "", { mask: false })]));
    expect(await sub.next()).toBe("a");
    expect((await c.closeFrame())?.code).toBe(1002);
  });

  test("TestWSCloseMsgSendOnConnectionClose: the server's close frame carries Go's status and reason", async () => {
    s = await startWsServer();
    const c = await open();
    c.send("CONNECT {\"verbose\":false}\r\nFOO BAR\r\n");
    expect(await c.readUntil("-ERR")).toContain("-ERR 'Unknown Protocol Operation'");
    expect(await c.closeFrame()).toEqual({ code: 1002, reason: ClosedReason.ProtocolViolation });
    expect(await c.waitClosed()).toBe(true);
  });

  test("TestWSWebrowserClient: a browser gets big deliveries in messages of at most 4096 bytes", async () => {
    s = await startWsServer();
    const c = await RawWsClient.open(s.port, { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0" });
    clients.push(c);
    await c.readUntil("\r\n");
    c.send("SUB foo 1\r\nPING\r\n");
    expect(await c.readUntil("PONG")).toContain("PONG");
    const nc = await tcpConnect(s);
    conns.push(nc);
    const psize = 204813;
    nc.publish("foo", new Uint8Array(psize));
    const rsize = psize + `MSG foo 1 ${psize}\r\n\r\n`.length;
    let total = 0;
    let frames = 0;
    while (total < rsize) {
      const f = await c.next();
      expect(f?.opcode).toBe(BINARY);
      expect(f!.payload.length).toBeLessThanOrEqual(4096);
      total += f!.payload.length;
      frames++;
    }
    expect(total).toBe(rsize);
    expect(frames).toBe(Math.ceil(rsize / 4096));
  });

  test("max payload exceeded closes with 1009", async () => {
    s = await startWsServer({}, { maxPayload: 16 });
    const c = await open();
    c.send(`PUB foo 32\r\n${"x".repeat(32)}\r\n`);
    expect(await c.readUntil("-ERR")).toContain("-ERR 'Maximum Payload Violation'");
    expect((await c.closeFrame())?.code).toBe(1009);
  });

  test("a WebSocket message larger than the listener allows closes with 1009", async () => {
    s = await startWsServer({}, { maxPayload: 16 });
    const c = await open();
    c.send("x".repeat(16 * 8 + 1));
    expect((await c.closeFrame())?.code).toBe(1009);
  });

  test("server shutdown sends 1001 with the reason", async () => {
    s = await startWsServer();
    const c = await open();
    c.send("CONNECT {}\r\nPING\r\n");
    await c.readUntil("PONG");
    const stopping = s.stop();
    expect(await c.closeFrame()).toEqual({ code: 1001, reason: ClosedReason.ServerShutdown });
    await stopping;
    s = undefined;
  });
});

describe("close statuses", () => {
  test("TestWSEnqueueCloseMsg: close status by reason", () => {
    const cases: [ClosedReason, number][] = [
      [ClosedReason.ClientClosed, 1000],
      [ClosedReason.AuthenticationTimeout, 1008],
      [ClosedReason.AuthenticationViolation, 1008],
      [ClosedReason.SlowConsumerPendingBytes, 1008],
      [ClosedReason.SlowConsumerWriteDeadline, 1008],
      [ClosedReason.MaxAccountConnectionsExceeded, 1008],
      [ClosedReason.MaxConnectionsExceeded, 1008],
      [ClosedReason.MaxControlLineExceeded, 1008],
      [ClosedReason.MaxSubscriptionsExceeded, 1008],
      [ClosedReason.AuthenticationExpired, 1008],
      [ClosedReason.ParseError, 1002],
      [ClosedReason.ProtocolViolation, 1002],
      [ClosedReason.BadClientProtocolVersion, 1002],
      [ClosedReason.MaxPayloadExceeded, 1009],
      [ClosedReason.ServerShutdown, 1001],
      [ClosedReason.WriteError, 1001],
      [ClosedReason.ReadError, 1001],
      [ClosedReason.StaleConnection, 1001],
      [ClosedReason.Kicked, 1011],
      // Go writes 1015 here, a code RFC 6455 7.4.1 forbids in a close frame (the ws library refuses it).
      [ClosedReason.TLSHandshakeError, 1011],
    ];
    for (const [reason, code] of cases) expect(closeStatusFor(reason), reason).toEqual({ code, reason });
  });

  test("TestWSCreateCloseMessage: a reason that does not fit a control frame is truncated with ...", () => {
    expect(closeReason("short")).toBe("short");
    const long = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".repeat(6);
    const cut = closeReason(long);
    expect(Buffer.byteLength(cut)).toBe(123);
    expect(cut.endsWith("...")).toBe(true);
  });
});
