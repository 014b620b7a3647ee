import { afterEach } from "vitest";
import type { NatsServer, ServerOptionsInput } from "../../src/index.js";
import { startServer } from "../helpers.js";
import { RawClient } from "../raw-client.js";

export interface ParsedMsg {
  subject: string;
  sid: string;
  reply: string;
  size: string;
  payload: string;
}

const MSG_RE = /MSG\s+(\S+)\s+(\S+)\s+(?:(\S+)\s+)?(\d+)\r\n/g;

/** Every MSG frame received so far, like Go's test/test.go expectMsgs. */
export function parseMsgs(text: string): ParsedMsg[] {
  const out: ParsedMsg[] = [];
  for (const m of text.matchAll(MSG_RE)) {
    const start = m.index! + m[0].length;
    out.push({ subject: m[1], sid: m[2], reply: m[3] ?? "", size: m[4], payload: text.slice(start, start + Number(m[4])) });
  }
  return out;
}

/** Go's setupConn: read INFO, send a plain CONNECT and a PING, wait for the PONG. */
export async function setupConn(port: number, connect = '{"verbose":false,"pedantic":false}'): Promise<RawClient> {
  const c = await RawClient.open(port);
  await c.waitFor(/^INFO .*\r\n/);
  c.send(`CONNECT ${connect}\r\nPING\r\n`);
  await c.waitFor("PONG\r\n");
  c.received = "";
  return c;
}

/** Waits until `n` MSG frames have arrived and returns them. */
export async function expectMsgs(c: RawClient, n: number): Promise<ParsedMsg[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const msgs = parseMsgs(c.received);
    if (msgs.length >= n) return msgs;
    if (Date.now() > deadline) throw new Error(`expected ${n} messages, got ${msgs.length}: ${c.received.slice(-300)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends PING and waits for its PONG: everything sent before it has been processed. */
export async function flushed(c: RawClient): Promise<void> {
  const pongs = (c.received.match(/PONG\r\n/g) ?? []).length;
  c.send("PING\r\n");
  await c.waitFor(new RegExp(`(?:[\\s\\S]*?PONG\\r\\n){${pongs + 1}}`));
}

export const ERR_RE = /-ERR\s+([^\r\n]*)\r\n/;

/**
 * Servers and raw connections for one test file, all stopped after each test.
 * `raw` waits for INFO only; `conn` also completes CONNECT/PING/PONG (Go's setupConn).
 */
export function protoFixture() {
  const servers: NatsServer[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const s of servers.splice(0)) await s.shutdown();
  });
  return {
    async server(opts: ServerOptionsInput = {}): Promise<NatsServer> {
      const s = await startServer(opts);
      servers.push(s);
      return s;
    },
    async raw(s: NatsServer): Promise<RawClient> {
      const c = await RawClient.open(s.port);
      clients.push(c);
      await c.waitFor(/^INFO .*\r\n/);
      return c;
    },
    async conn(s: NatsServer, connect?: string): Promise<RawClient> {
      const c = await setupConn(s.port, connect);
      clients.push(c);
      return c;
    },
  };
}
