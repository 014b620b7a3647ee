import { createServer, connect, type Socket } from "node:net";
import { afterEach, expect, test } from "vitest";
import { S2CompressedStream, S2FormatError, S2StreamWriter, writerForMode } from "../../src/shared/compression/index.js";

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

/** Two ends of a loopback TCP connection. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const accepted = new Promise<Socket>((r) => server.once("connection", r));
  const client = connect((server.address() as { port: number }).port, "127.0.0.1");
  const other = await accepted;
  server.close();
  sockets.push(client, other);
  return [client, other];
}

function collect(s: NodeJS.ReadableStream): { text: () => string } {
  const parts: Buffer[] = [];
  s.on("data", (d: Buffer) => parts.push(d));
  return { text: () => Buffer.concat(parts).toString("latin1") };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("both directions round trip; corked writes go out as one S2 stream", async () => {
  const [a, b] = await socketPair();
  const wire = collect(b);
  const left = new S2CompressedStream(a, writerForMode("s2_fast"));
  const right = new S2CompressedStream(b, writerForMode("s2_uncompressed"));
  const atRight = collect(right);
  const atLeft = collect(left);
  left.cork();
  const lines = Array.from({ length: 500 }, (_, i) => `LMSG subject.${i % 7} 5\r\nhello\r\n`);
  for (const l of lines) left.write(l);
  left.uncork();
  right.write("PING\r\n");
  await until("all lines", () => atRight.text() === lines.join(""));
  await until("the PING", () => atLeft.text() === "PING\r\n");
  // One stream identifier: the corked batch was one frame; compressed well below its size.
  expect(wire.text().split("S2sTwO").length - 1).toBe(1);
  expect(wire.text().length).toBeLessThan(lines.join("").length / 3);
});

test("bad input from the peer: onCorrupt with the reason, then an error and the socket closed", async () => {
  const [a, b] = await socketPair();
  const corrupt: S2FormatError[] = [];
  const stream = new S2CompressedStream(a, new S2StreamWriter(), (e) => corrupt.push(e));
  const errors: Error[] = [];
  stream.on("error", (e) => errors.push(e));
  stream.on("data", () => {});
  b.write("PING\r\n");
  await until("the error", () => errors.length === 1);
  expect(corrupt[0].message).toBe("S2 stream does not start with a stream identifier");
  expect(errors[0]).toBeInstanceOf(S2FormatError);
  await until("closed", () => a.destroyed);
});

test("end() ends the raw stream; the peer's end ends this one", async () => {
  const [a, b] = await socketPair();
  const left = new S2CompressedStream(a, new S2StreamWriter());
  const right = new S2CompressedStream(b, new S2StreamWriter());
  let ended = false;
  right.on("data", () => {});
  right.on("end", () => (ended = true));
  left.on("data", () => {});
  left.on("error", () => {});
  right.on("error", () => {});
  left.end("bye\r\n");
  await until("the peer saw the end", () => ended);
});

test("a slow reader: writes wait in uncompressed bytes (writableLength grows) until the socket drains", async () => {
  const [a, b] = await socketPair();
  b.pause();
  const left = new S2CompressedStream(a, writerForMode("s2_uncompressed"));
  left.on("error", () => {});
  const chunk = Buffer.alloc(1 << 20, 1);
  let peak = 0;
  for (let i = 0; i < 64; i++) {
    left.write(chunk);
    peak = Math.max(peak, left.writableLength);
  }
  expect(peak).toBeGreaterThan(16 << 20);
  let received = 0;
  b.on("data", (d: Buffer) => (received += d.length));
  b.resume();
  await until("everything delivered", () => received >= 64 << 20, 20_000);
  await until("nothing waits", () => left.writableLength === 0);
});
