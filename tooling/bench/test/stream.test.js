import { afterEach, beforeEach, expect, test } from "vitest";
import { pubFrame, RawConnection } from "../src/protocol.js";
import { runStream } from "../src/stream.js";
import { startFakeServer } from "./fake-server.js";

/** @type {import("./fake-server.js").FakeServer} */
let server;
/** @type {RawConnection[]} */
let conns;

beforeEach(async () => {
  server = await startFakeServer();
  conns = [];
});

afterEach(async () => {
  for (const c of conns) c.close();
  await server.close();
});

async function open() {
  const c = await RawConnection.open({ host: "127.0.0.1", port: server.port });
  conns.push(c);
  return c;
}

test("the handshake keeps the server's INFO", async () => {
  const c = await open();
  expect(JSON.parse(c.info)).toMatchObject({ server_id: "fake" });
});

test("runStream ends once every subscriber has every published message", async () => {
  const subs = [await open(), await open()];
  for (const s of subs) await s.subscribe("bench.t", 7);
  const pub = await open();
  const { published, seconds } = await runStream(pub, subs, pubFrame("bench.t", 100), 200);
  expect(published).toBeGreaterThan(0);
  expect(seconds).toBeGreaterThan(0);
  for (const s of subs) expect(s.counter.msgs).toBe(published);
  // A second phase on the same connections counts from where the first one stopped.
  const again = await runStream(pub, subs, pubFrame("bench.t", 100), 100);
  for (const s of subs) expect(s.counter.msgs).toBe(published + again.published);
});

test("runStream without subscribers ends on the server's PONG", async () => {
  const pub = await open();
  const { published } = await runStream(pub, [], pubFrame("nobody", 16), 100);
  expect(published).toBeGreaterThan(0);
});

test("runStream fails instead of hanging when the server drops the connections", async () => {
  const sub = await open();
  await sub.subscribe("bench.t", 1);
  const pub = await open();
  const running = runStream(pub, [sub], pubFrame("bench.t", 100), 5_000);
  setTimeout(() => server.dropClients(), 50);
  await expect(running).rejects.toThrow(); // "closed" or ECONNRESET, whichever the socket sees first
});
