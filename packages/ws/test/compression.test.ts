import { afterEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/nats-core";
import { wsconnect } from "@nats-io/nats-core";
import { WebSocket } from "ws";
import { deflate, frame, RawWsClient } from "./raw-ws.js";
import { captureLogger, eventually, startWsServer, tcpConnect, type WsServer } from "./helpers.js";

const BINARY = 2;
const DEFLATE = { "Sec-WebSocket-Extensions": "permessage-deflate; server_no_context_takeover; client_no_context_takeover" };

let s: WsServer | undefined;
const clients: RawWsClient[] = [];
const conns: NatsConnection[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const nc of conns.splice(0)) await nc.close().catch(() => {});
  await s?.stop();
  s = undefined;
});

async function open(): Promise<RawWsClient> {
  const c = await RawWsClient.open(s!.port, DEFLATE);
  clients.push(c);
  expect(c.headers["sec-websocket-extensions"]).toContain("permessage-deflate");
  await c.readUntil("\r\n");
  return c;
}

async function tcpSubscriber(subject: string) {
  const nc = await tcpConnect(s!);
  conns.push(nc);
  const sub = nc.subscribe(subject);
  await nc.flush();
  const it = sub[Symbol.asyncIterator]();
  return { nc, next: async () => (await it.next()).value!.string() };
}

describe("permessage-deflate", () => {
  test("TestWSCompressionBasic: what the server sends is compressed when negotiated", async () => {
    s = await startWsServer({ compression: true });
    const payload = `This is the content of a message that will be compresse${"d".repeat(80)}.`;
    const c = await open();
    c.write(frame(BINARY, deflate("SUB foo 1\r\nPING\r\n"), { rsv: 4 }));
    const pong = await c.next();
    expect(pong?.rsv1).toBe(false); // under the 64-byte threshold: sent as is
    expect(pong?.payload.toString()).toBe("PONG\r\n");
    const pub = await tcpConnect(s);
    conns.push(pub);
    pub.publish("foo", payload);
    const f = await c.next();
    expect(f?.rsv1).toBe(true);
    expect(f?.raw.includes(payload)).toBe(false);
    expect(f?.raw).toEqual(deflate(f!.payload));
    expect(f?.payload.toString()).toBe(`MSG foo 1 ${payload.length}\r\n${payload}\r\n`);
  });

  test("TestWSCompressedPubInSingleFrame: a compressed frame with a PUB and a PING", async () => {
    s = await startWsServer({ compression: true });
    const sub = await tcpSubscriber("foo");
    const c = await open();
    c.write(frame(BINARY, deflate("PUB foo 2\r\nok\r\nPING\r\n"), { rsv: 4 }));
    expect(await sub.next()).toBe("ok");
    expect((await c.next())?.payload.toString()).toBe("PONG\r\n");
  });

  test("TestWSCompressedFragmentedFrame: a compressed message in two fragments", async () => {
    s = await startWsServer({ compression: true });
    const sub = await tcpSubscriber("foo");
    const c = await open();
    const z = deflate("PUB foo 1\r\na\r\n");
    const split = Math.max(1, z.length >> 1);
    c.write(frame(BINARY, z.subarray(0, split), { fin: false, rsv: 4 }));
    c.write(frame(0, z.subarray(split)));
    expect(await sub.next()).toBe("a");
    c.write(frame(BINARY, deflate("PING\r\n"), { rsv: 4 }));
    expect((await c.next())?.payload.toString()).toBe("PONG\r\n");
  });

  test("TestWSCompressedSequentialFramesRemainResponsive: many compressed frames in a row", async () => {
    s = await startWsServer({ compression: true });
    const sub = await tcpSubscriber("seq");
    const c = await open();
    for (let i = 0; i < 50; i++) c.write(frame(BINARY, deflate(`PUB seq ${String(i).length}\r\n${i}\r\n`), { rsv: 4 }));
    for (let i = 0; i < 50; i++) expect(await sub.next()).toBe(String(i));
    c.write(frame(BINARY, deflate("PING\r\n"), { rsv: 4 }));
    expect((await c.next())?.payload.toString()).toBe("PONG\r\n");
  });

  test("TestWSCorruptedCompressedFrameIsRejected: corrupt deflate data closes the connection and is logged", async () => {
    const { logger, lines } = captureLogger();
    s = await startWsServer({ compression: true }, {}, logger);
    const c = await open();
    const z = deflate("PING\r\n");
    z[z.length - 1] ^= 0xff;
    c.write(frame(BINARY, z, { rsv: 4 }));
    const close = await c.closeFrame();
    expect(close?.code).toBe(1007);
    await eventually(() => lines.some((l) => l.includes("[ERR]") && l.includes("corrupt")));
  });

  test("TestWSDecompressLimit: a compressed PUB over max_payload is refused after decompression", async () => {
    for (const mpay of [4096, 1024 * 1024]) {
      s = await startWsServer({ compression: true }, { maxPayload: mpay });
      const c = await open();
      const size = mpay + 1;
      c.write(frame(BINARY, deflate(Buffer.concat([Buffer.from(`PUB foo ${size}\r\n`), Buffer.alloc(size), Buffer.from("\r\n")])), { rsv: 4 }));
      const text = await c.readUntil("-ERR");
      expect(text).toContain("-ERR 'Maximum Payload Violation'");
      expect((await c.closeFrame())?.code).toBe(1009);
      await s.stop();
      s = undefined;
      c.destroy();
    }
  });

  test("a compression bomb larger than the message limit closes with 1009", async () => {
    s = await startWsServer({ compression: true }, { maxPayload: 4096 });
    const c = await open();
    c.write(frame(BINARY, deflate(Buffer.alloc(4096 * 8 + 1)), { rsv: 4 }));
    expect((await c.closeFrame())?.code).toBe(1009);
  });

  test("wsconnect negotiates compression and large messages go both ways compressed", async () => {
    s = await startWsServer({ compression: true });
    let socket: WebSocket | undefined;
    const nc = await wsconnect({
      servers: s.url,
      reconnect: false,
      wsFactory: (u: string) => Promise.resolve({ socket: (socket = new WebSocket(u)), encrypted: false }),
    } as never);
    conns.push(nc);
    expect(socket!.extensions).toContain("permessage-deflate");
    const tcp = await tcpSubscriber("big.up");
    const big = "0123456789abcdef".repeat(32 * 1024); // 512 KiB, very compressible
    const down = nc.subscribe("big.down", { max: 1 });
    await nc.flush();
    const raw = (socket as unknown as { _socket: { bytesRead: number; bytesWritten: number } })._socket;
    const [read0, written0] = [raw.bytesRead, raw.bytesWritten];
    nc.publish("big.up", big);
    expect(await tcp.next()).toBe(big);
    tcp.nc.publish("big.down", big);
    for await (const m of down) expect(m.string()).toBe(big);
    expect(raw.bytesWritten - written0).toBeLessThan(big.length / 10);
    expect(raw.bytesRead - read0).toBeLessThan(big.length / 10);
  });
});
