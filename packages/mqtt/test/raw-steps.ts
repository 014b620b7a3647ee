import { expect } from "vitest";
import { RawMqtt } from "./helpers.js";

// Packet-level steps in the manner of Go's mqtt_test.go helpers (testMQTTConnect, testMQTTSub,
// testMQTTPublish, testMQTTCheckPubMsgNoAck ...), for the ported tests.

export type Pub = { cmd: "publish"; topic: string; payload: Buffer; qos: number; dup: boolean; retain: boolean; messageId?: number };

export const connectPacket = (clientId: string, clean: boolean) => ({ cmd: "connect" as const, protocolId: "MQTT" as const, protocolVersion: 4 as const, clean, clientId, keepalive: 0 });

export async function open(port: number, clientId: string, clean: boolean, present = false): Promise<RawMqtt> {
  const c = await RawMqtt.open(port);
  c.send(connectPacket(clientId, clean));
  expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 0, sessionPresent: present });
  return c;
}

export async function sub(c: RawMqtt, filters: [string, number][], granted: number[]): Promise<void> {
  c.send({ cmd: "subscribe", messageId: 1, subscriptions: filters.map(([topic, qos]) => ({ topic, qos: qos as 0 | 1 | 2 })) });
  expect(await c.next()).toMatchObject({ cmd: "suback", messageId: 1, granted });
}

/** Publishes and completes the publisher's side of the QoS exchange (Go's testMQTTPublish). */
export async function publish(c: RawMqtt, qos: 0 | 1 | 2, topic: string, messageId: number, payload: string, retain = false): Promise<void> {
  c.send({ cmd: "publish", topic, payload: Buffer.from(payload), qos, messageId: qos > 0 ? messageId : undefined, retain, dup: false });
  if (qos === 1) expect(await c.next()).toMatchObject({ cmd: "puback", messageId });
  if (qos === 2) {
    expect(await c.next()).toMatchObject({ cmd: "pubrec", messageId });
    c.send({ cmd: "pubrel", messageId });
    expect(await c.next()).toMatchObject({ cmd: "pubcomp", messageId });
  }
}

/** Reads a PUBLISH and checks topic, payload and flags without acknowledging it (Go's testMQTTCheckPubMsgNoAck). */
export async function expectPub(c: RawMqtt, topic: string, qos: number, payload: string, dup = false, retain = false): Promise<number> {
  const p = (await c.next()) as Pub;
  expect({ cmd: p.cmd, topic: p.topic, payload: p.payload?.toString(), qos: p.qos, dup: p.dup, retain: p.retain }).toEqual({ cmd: "publish", topic, payload, qos, dup, retain });
  return p.messageId ?? 0;
}

export async function completeQos2(c: RawMqtt, pi: number): Promise<void> {
  c.send({ cmd: "pubrec", messageId: pi });
  expect(await c.next()).toMatchObject({ cmd: "pubrel", messageId: pi });
  c.send({ cmd: "pubcomp", messageId: pi });
}

export async function flush(c: RawMqtt): Promise<void> {
  c.send({ cmd: "pingreq" });
  expect((await c.next()).cmd).toBe("pingresp");
}
