import { connect as netConnect, type Socket } from "node:net";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { NatsServer, createLogger, optionsFromConf, parseConf } from "@nats-ts/core";
import { clusterPlugin, type ClusterPlugin } from "../../src/index.js";
import { startChild, startGo, startInProcess, type TestServer } from "../support/servers.js";

/** Polls `check` until it returns something truthy, failing after `timeout` ms with `what`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeout = 8_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface LeafzEntry {
  id: number;
  name: string;
  is_spoke: boolean;
  account: string;
  ip: string;
  port: number;
  rtt?: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
  compression?: string;
}

/** /leafz of an in-process nats-ts server. */
export function leafzOf(server: NatsServer, subscriptions = false, account = ""): { leafnodes: number; leafs: LeafzEntry[] } {
  const plugin = server.plugin<ClusterPlugin>("cluster")!;
  return plugin.leafz({ subscriptions, account }) as { leafnodes: number; leafs: LeafzEntry[] };
}

export function numLeafs(server: NatsServer): number {
  return leafzOf(server).leafnodes;
}

/** Tracks what a test starts so that afterEach stops all of it. */
export class Topology {
  readonly servers: TestServer[] = [];
  readonly clients: NatsConnection[] = [];
  readonly raws: RawConn[] = [];

  async inProcess(conf: string): Promise<TestServer & { server: NatsServer }> {
    const s = await startInProcess(conf);
    this.servers.push(s);
    return s;
  }

  /** An in-process server whose log lines are kept (debug included). */
  async logged(conf: string): Promise<TestServer & { server: NatsServer; lines: string[] }> {
    const lines: string[] = [];
    const logger = createLogger({ debug: true, logtime: false, write: (l) => void lines.push(l) });
    const server = new NatsServer(optionsFromConf(parseConf(conf)).options, { logger, plugins: [clusterPlugin()] });
    await server.start();
    const s = { kind: "nats-ts" as const, server, lines, port: server.port, url: `nats://127.0.0.1:${server.port}`, log: () => lines.join("\n"), stop: () => server.shutdown() };
    this.servers.push(s);
    return s;
  }

  async go(conf: string): Promise<TestServer> {
    const s = await startGo(conf);
    this.servers.push(s);
    return s;
  }

  async child(conf: string): Promise<TestServer> {
    const s = await startChild(conf);
    this.servers.push(s);
    return s;
  }

  async client(url: string, opts: Record<string, unknown> = {}): Promise<NatsConnection> {
    const nc = await connect({ servers: url, reconnect: false, ...opts });
    this.clients.push(nc);
    return nc;
  }

  async raw(port: number): Promise<RawConn> {
    const c = await RawConn.open(port);
    this.raws.push(c);
    return c;
  }

  async stop(): Promise<void> {
    for (const r of this.raws.splice(0)) r.socket.destroy();
    await Promise.all(this.clients.splice(0).map((c) => c.close().catch(() => {})));
    await Promise.all(this.servers.splice(0).map((s) => s.stop().catch(() => {})));
  }
}

/** A raw TCP connection speaking the protocol by hand (Go's createLeafConn, sendProto, expectResult). */
export class RawConn {
  private buf = "";
  private waiters: (() => void)[] = [];
  closed = false;

  constructor(readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buf += d;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ host, port }, () => resolve(new RawConn(s)));
      s.once("error", reject);
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Waits for `re` in what was received, consumes up to the end of the match and returns it. */
  async expect(re: RegExp, timeout = 3000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const m = re.exec(this.buf);
      if (m !== null) {
        this.buf = this.buf.slice(m.index + m[0].length);
        return m;
      }
      if (this.closed) throw new Error(`connection closed waiting for ${re}; received: ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; received: ${JSON.stringify(this.buf)}`);
      await this.wait(left);
    }
  }

  /** Sends PING and returns everything received before the PONG (Go's expectNothing, made deterministic). */
  async untilPong(timeout = 3000): Promise<string> {
    this.send("PING\r\n");
    const m = await this.expect(/^([\s\S]*?)PONG\r\n/, timeout);
    return m[1];
  }

  /** Resolves once the server closed the connection. */
  async expectClosed(timeout = 3000): Promise<string> {
    const deadline = Date.now() + timeout;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`connection still open; received: ${JSON.stringify(this.buf)}`);
      await this.wait(left);
    }
    return this.buf;
  }

  /** What was received and not consumed yet. */
  get pending(): string {
    return this.buf;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Messages of one subscription, kept in order, with a way to wait for the next one. */
export class Inbox {
  readonly received: string[] = [];
  private read = 0;
  private waiters: (() => void)[] = [];
  private readonly sub: Subscription;

  constructor(nc: NatsConnection, subject: string, queue?: string) {
    this.sub = nc.subscribe(subject, {
      queue,
      callback: (_e, m) => {
        this.received.push(m.string());
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      },
    });
  }

  unsubscribe(): void {
    this.sub.unsubscribe();
  }

  /** The next message not read yet, or undefined after `ms`. */
  async next(ms = 1000): Promise<string | undefined> {
    if (this.read < this.received.length) return this.received[this.read++];
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    return this.read < this.received.length ? this.received[this.read++] : undefined;
  }
}

/** Reads the INFO a leaf listener sends first. */
export async function readInfo(c: RawConn): Promise<Record<string, unknown>> {
  const m = await c.expect(/^INFO (\{.*\})\r\n/);
  return JSON.parse(m[1]) as Record<string, unknown>;
}
