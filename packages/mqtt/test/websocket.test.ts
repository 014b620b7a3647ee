import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NatsServer } from "@nats-ts/core";
import { jetstreamPlugin } from "@nats-ts/jetstream";
import { websocketPlugin } from "@nats-ts/ws";
import { connect } from "@nats-io/transport-node";
import { generate, parser as createParser, type Packet } from "mqtt-packet";
import { expect, test } from "vitest";
import { WebSocket } from "ws";
import { mqttPlugin } from "../src/index.js";

/** An MQTT client over a raw WebSocket (MQTT.js's ws transport does not load under vitest's ESM resolution). */
async function wsMqtt(url: string, protocolVersion: 4 | 5 = 4): Promise<{ send(p: Packet): void; next(): Promise<Packet>; close(): void; protocol: string }> {
  const ws = new WebSocket(url, ["mqtt"]);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const packets: Packet[] = [];
  let wake: (() => void) | undefined;
  const p = createParser({ protocolVersion });
  p.on("packet", (pk: Packet) => {
    packets.push(pk);
    wake?.();
  });
  ws.on("message", (data: Buffer) => p.parse(data));
  return {
    protocol: ws.protocol,
    send: (pk) => ws.send(generate(pk, { protocolVersion })),
    async next() {
      const deadline = Date.now() + 2000;
      while (packets.length === 0) {
        if (Date.now() > deadline) throw new Error("timed out");
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return packets.shift()!;
    },
    close: () => ws.close(),
  };
}

test("TestMQTTWebsocket: MQTT clients connect through the websocket listener's /mqtt path", async () => {
  const storeDir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-ws-"));
  const ws = websocketPlugin({ host: "127.0.0.1", port: -1, noTls: true });
  const server = new NatsServer(
    { host: "127.0.0.1", port: 0, serverName: "ws", jetstream: { store_dir: storeDir } },
    { plugins: [jetstreamPlugin(), ws, mqttPlugin({ host: "127.0.0.1", port: -1 })] },
  );
  await server.start();
  try {
    const c = await wsMqtt(`ws://127.0.0.1:${ws.port}/mqtt`);
    expect(c.protocol).toBe("mqtt");
    c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "ws", keepalive: 0 });
    expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 0 });
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "ws/+", qos: 1 }] });
    expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1] });
    c.send({ cmd: "publish", topic: "ws/a", payload: Buffer.from("over websocket"), qos: 1, messageId: 7, retain: false, dup: false });
    // The PUBACK and the delivery to our own subscription may come in either order.
    const two = [await c.next(), await c.next()];
    expect(two.find((x) => x.cmd === "puback")).toMatchObject({ messageId: 7 });
    expect(two.find((x) => x.cmd === "publish")).toMatchObject({ topic: "ws/a", qos: 1 });
    const nc = await connect({ servers: server.clientURL });
    nc.publish("ws.b", "from nats");
    const fromNats = (await c.next()) as { topic: string; payload: Buffer };
    expect([fromNats.topic, fromNats.payload.toString()]).toEqual(["ws/b", "from nats"]);
    await nc.close();
    c.close();
    // MQTT 5.0 over the same path.
    const v5 = await wsMqtt(`ws://127.0.0.1:${ws.port}/mqtt`, 5);
    v5.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: true, clientId: "ws5", keepalive: 0 });
    expect(await v5.next()).toMatchObject({ cmd: "connack", reasonCode: 0 });
    v5.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "ws5/t", qos: 0 }] });
    expect(await v5.next()).toMatchObject({ cmd: "suback", granted: [0] });
    v5.send({ cmd: "publish", topic: "ws5/t", payload: Buffer.from("v5"), qos: 0, retain: false, dup: false, properties: { userProperties: { k: "v" } } });
    expect(await v5.next()).toMatchObject({ cmd: "publish", topic: "ws5/t", properties: { userProperties: { k: "v" } } });
    v5.close();
  } finally {
    await server.shutdown();
    rmSync(storeDir, { recursive: true, force: true });
  }
});
