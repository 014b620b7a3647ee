import { mkdtempSync, rmSync } from "node:fs";
import { connect as tcpConnect, createServer, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NatsServer, optionsFromConf, parseConf, type ServerOptionsInput } from "@nats-ts/core";
import { jetstreamPlugin } from "@nats-ts/jetstream";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { generate, parser as createParser, type IConnackPacket, type Packet } from "mqtt-packet";
import { mqttPlugin, type MqttOptions, type MqttPlugin } from "../src/index.js";

export interface MqttTestServer {
  server: NatsServer;
  plugin: MqttPlugin;
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A NatsServer with JetStream and the MQTT listener, both on 127.0.0.1 random ports. */
export async function startMqtt(opts: { mqtt?: MqttOptions; server?: ServerOptionsInput; storeDir?: string } = {}): Promise<MqttTestServer> {
  const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), "nats-ts-mqtt-"));
  const plugin = mqttPlugin({ host: "127.0.0.1", port: -1, ...opts.mqtt });
  const server = new NatsServer(
    { host: "127.0.0.1", port: 0, serverName: "mqtt-test", jetstream: { store_dir: storeDir }, ...opts.server },
    { plugins: [jetstreamPlugin(), plugin] },
  );
  return started(server, plugin, opts.storeDir === undefined ? storeDir : undefined);
}

/** A server started from conf text (`%STORE%` stands for a fresh JetStream store directory), as Go's tests do. */
export async function startMqttFromConf(text: string): Promise<MqttTestServer> {
  const storeDir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-conf-"));
  const { options } = optionsFromConf(parseConf(text.replaceAll("%STORE%", storeDir), { env: {} }));
  const plugin = mqttPlugin();
  const server = new NatsServer({ ...options, host: "127.0.0.1", port: 0 }, { plugins: [jetstreamPlugin(), plugin] });
  return started(server, plugin, storeDir);
}

/** Starts `server` and describes it; `ownStoreDir` is removed when it stops. */
async function started(server: NatsServer, plugin: MqttPlugin, ownStoreDir: string | undefined): Promise<MqttTestServer> {
  await server.start();
  return {
    server,
    plugin,
    port: plugin.port,
    url: `mqtt://127.0.0.1:${plugin.port}`,
    async stop() {
      await server.shutdown();
      if (ownStoreDir !== undefined) rmSync(ownStoreDir, { recursive: true, force: true });
    },
  };
}

/**
 * A hand-driven MQTT client over a raw socket: sends exactly the bytes a test wants and reads
 * back decoded packets, to check the server's answers packet by packet.
 */
export class RawMqtt {
  private readonly packets: Packet[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  readonly whenClosed: Promise<void>;

  private constructor(
    readonly socket: Socket,
    private readonly protocolVersion: 4 | 5,
  ) {
    const p = createParser({ protocolVersion });
    p.on("packet", (pk: Packet) => {
      this.packets.push(pk);
      this.wake();
    });
    socket.on("data", (d: Buffer) => p.parse(d));
    socket.on("error", () => undefined);
    this.whenClosed = new Promise((resolve) =>
      socket.on("close", () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(port: number, protocolVersion: 4 | 5 = 4): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const s = tcpConnect({ host: "127.0.0.1", port }, () => resolve(new RawMqtt(s, protocolVersion)));
      s.once("error", reject);
    });
  }

  /** Opens a connection and completes CONNECT/CONNACK. */
  static async connected(port: number, connect: Partial<Extract<Packet, { cmd: "connect" }>> = {}): Promise<RawMqtt> {
    const c = await RawMqtt.open(port, connect.protocolVersion === 5 ? 5 : 4);
    c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "", keepalive: 0, ...connect });
    const ack = await c.next();
    if (ack.cmd !== "connack" || (ack.returnCode ?? ack.reasonCode) !== 0) throw new Error(`connect refused: ${JSON.stringify(ack)}`);
    return c;
  }

  send(p: Packet): void {
    this.socket.write(generate(p, { protocolVersion: this.protocolVersion }));
  }

  sendRaw(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.from(bytes));
  }

  /** The next packet from the server; rejects if the connection closes or nothing comes in time. */
  async next(timeoutMs = 2000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    while (this.packets.length === 0) {
      if (this.closed) throw new Error("connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a packet");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.packets.shift()!;
  }

  /** Resolves true if the server closes the connection within the time, false otherwise. */
  async closesWithin(ms: number): Promise<boolean> {
    if (this.closed) return true;
    return Promise.race([this.whenClosed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  }

  /** Resolves when no packet arrives during `ms` (and fails the test otherwise). */
  async expectNothing(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.packets.length > 0) throw new Error(`unexpected packet ${JSON.stringify(this.packets[0])}`);
  }

  end(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Messages an MQTT.js client receives, awaited one at a time. */
export class Inbox {
  private readonly items: { topic: string; payload: string; qos: number; retain: boolean; dup: boolean }[] = [];
  private wake: (() => void) | undefined;

  constructor(client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      this.items.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, dup: packet.dup });
      this.wake?.();
    });
  }

  async next(timeoutMs = 2000): Promise<{ topic: string; payload: string; qos: number; retain: boolean; dup: boolean }> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for an MQTT message");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.items.shift()!;
  }

  /** Fails if a message arrives within `ms`. */
  async expectNothing(ms = 150): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.items.length > 0) throw new Error(`unexpected message ${JSON.stringify(this.items[0])}`);
  }
}

/**
 * An MQTT.js client whose inbox listens before CONNACK arrives: a resumed session's queued
 * messages may follow the CONNACK at once.
 */
export async function mqttConnectWithInbox(url: string, opts: IClientOptions = {}): Promise<{ client: MqttClient; inbox: Inbox; connack: IConnackPacket }> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 2000, ...opts });
  const inbox = new Inbox(client);
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  return { client, inbox, connack };
}

/** An MQTT.js 3.1.1 client that never reconnects by itself. */
export function mqttConnect(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 2000, ...opts });
}

/**
 * A TCP relay in front of the MQTT listener, to simulate a client crash at a chosen packet: when
 * `dropWhen` matches the start of a chunk from the server, that chunk is not forwarded and both
 * sides are cut. The target port can change, so a client can come back to a restarted server.
 */
export class CrashingRelay {
  private readonly server: NetServer;
  private readonly sockets = new Set<Socket>();
  dropWhen: ((fromServer: Buffer) => boolean) | undefined;
  port = 0;

  private constructor(public target: number) {
    this.server = createServer((client) => {
      const upstream = tcpConnect({ host: "127.0.0.1", port: this.target });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.on("data", (d) => upstream.write(d));
      upstream.on("data", (d) => {
        if (this.dropWhen?.(d)) {
          this.dropWhen = undefined;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(d);
      });
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
  }

  static async open(target: number): Promise<CrashingRelay> {
    const r = new CrashingRelay(target);
    await new Promise<void>((resolve) => r.server.listen(0, "127.0.0.1", resolve));
    r.port = (r.server.address() as { port: number }).port;
    return r;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `check` until it holds; fails after `ms`. */
export async function eventually(check: () => Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A test server restarted on the same store directory, as a server restart in production. */
export class RestartableServer {
  readonly storeDir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-restart-"));
  current: MqttTestServer | undefined;

  async restart(mqtt: MqttOptions = {}): Promise<MqttTestServer> {
    await this.current?.stop();
    this.current = await startMqtt({ storeDir: this.storeDir, mqtt });
    return this.current;
  }

  async dispose(): Promise<void> {
    await this.current?.stop();
    this.current = undefined;
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}
