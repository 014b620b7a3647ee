import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";

let t: MqttTestServer;
beforeAll(async () => {
  t = await startMqtt();
});
afterAll(async () => {
  await t.stop();
});

describe("CONNECT / CONNACK", () => {
  test("TestMQTTStart: the listener accepts MQTT clients and is registered", async () => {
    expect(t.port).toBeGreaterThan(0);
    expect(t.server.listeners.mqtt).toEqual([`mqtt://127.0.0.1:${t.port}`]);
    const c = await RawMqtt.connected(t.port, { clientId: "start" });
    c.end();
  });

  test("TestMQTTConnectNotFirstPacket: anything before CONNECT closes the connection", async () => {
    const c = await RawMqtt.open(t.port);
    c.send({ cmd: "pingreq" });
    expect(await c.closesWithin(2000)).toBe(true);
  });

  test("TestMQTTSecondConnect: a second CONNECT closes the connection", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "second" });
    c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "second", keepalive: 0 });
    expect(await c.closesWithin(2000)).toBe(true);
  });

  test("TestMQTTConnectFailsOnParse: a protocol level other than 3, 4 or 5 with the name MQTT gets CONNACK 0x01", async () => {
    const c = await RawMqtt.open(t.port);
    // "MQTT", level 7, clean session, keep alive 0, client id "mqtt"
    c.sendRaw([0x10, 16, 0, 4, 0x4d, 0x51, 0x54, 0x54, 7, 0x02, 0, 0, 0, 4, 0x6d, 0x71, 0x74, 0x74]);
    expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 1 });
    expect(await c.closesWithin(2000)).toBe(true);
  });

  test("CONNECT: the 3.1 protocol name MQIsdp is refused without CONNACK", async () => {
    const c = await RawMqtt.open(t.port);
    c.send({ cmd: "connect", protocolId: "MQIsdp", protocolVersion: 3, clean: true, clientId: "old", keepalive: 0 });
    expect(await c.closesWithin(2000)).toBe(true);
    await expect(c.next(10)).rejects.toThrow("connection closed");
  });

  test("CONNECT: empty client id needs clean session (CONNACK 0x02)", async () => {
    const c = await RawMqtt.open(t.port);
    // mqtt-packet refuses to encode this CONNECT, so it is written by hand: flags 0, empty client id.
    c.sendRaw([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x00, 0, 0, 0, 0]);
    expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 2 });
    expect(await c.closesWithin(2000)).toBe(true);
  });

  test("empty client id with clean session is accepted (a client id is assigned)", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "", clean: true });
    c.send({ cmd: "pingreq" });
    expect((await c.next()).cmd).toBe("pingresp");
    c.end();
  });

  test("client ids with characters invalid in NATS names are rejected (CONNACK 0x02)", async () => {
    for (const clientId of ["a.b", "a b", "a*", "a>"]) {
      const c = await RawMqtt.open(t.port);
      c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId, keepalive: 0 });
      expect(await c.next(), clientId).toMatchObject({ cmd: "connack", returnCode: 2 });
      expect(await c.closesWithin(2000)).toBe(true);
    }
  });

  test("TestMQTTConnKeepAlive: a silent client is dropped after 1.5x keep alive, pings keep it", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "ka", keepalive: 1 });
    // Pinging every 0.5 s keeps the connection past 1.5 s.
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
      c.send({ cmd: "pingreq" });
      expect((await c.next()).cmd).toBe("pingresp");
    }
    expect(c.closed).toBe(false);
    const start = Date.now();
    expect(await c.closesWithin(3000)).toBe(true);
    expect(Date.now() - start).toBeGreaterThanOrEqual(1000);
  });

  test("TestMQTTDontSetPinger: keep alive 0 means no timeout and no server pings", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "noka", keepalive: 0 });
    await c.expectNothing(300);
    expect(c.closed).toBe(false);
    c.end();
  });

  test("TestMQTTMalformedFixedHeaderFlagsCauseDisconnect: bad fixed-header flags close the connection", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "badflags" });
    c.sendRaw([0xc1, 0x00]); // PINGREQ with a reserved flag set
    expect(await c.closesWithin(2000)).toBe(true);
  });

  test("TestMQTTMalformedRemainingLengthCausesDisconnect: a 5-byte remaining length closes the connection", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "badlen" });
    c.sendRaw([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(await c.closesWithin(2000)).toBe(true);
  });

  test("TestMQTTIncompleteConnectMaxPayloadViolationDisconnects: a CONNECT larger than max_payload is refused before it is read", async () => {
    const small = await startMqtt({ server: { maxPayload: 1024 } });
    try {
      const c = await RawMqtt.open(small.port);
      c.sendRaw(Buffer.concat([Buffer.from([0x10, 0x81, 0x08]), Buffer.alloc(1024, 0x41)]));
      expect(await c.closesWithin(2000)).toBe(true);
    } finally {
      await small.stop();
    }
  });

  test("TestMQTTAuthTimeout: a client that never sends CONNECT is closed after the auth timeout", async () => {
    const quick = await startMqtt({ mqtt: { authorization: { timeout: 0.3 } } });
    try {
      const c = await RawMqtt.open(quick.port);
      expect(await c.closesWithin(2000)).toBe(true);
    } finally {
      await quick.stop();
    }
  });

  test("DISCONNECT closes the connection cleanly", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "bye" });
    c.send({ cmd: "disconnect" });
    expect(await c.closesWithin(2000)).toBe(true);
  });

  test("a websocket upgrade on the MQTT port is refused", async () => {
    const c = await RawMqtt.open(t.port);
    c.sendRaw(Buffer.from("GET /mqtt HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect(await c.closesWithin(2000)).toBe(true);
  });

  test("MQTT clients count toward max_connections with the NATS clients", async () => {
    const small = await startMqtt({ server: { maxConnections: 2 } });
    try {
      const a = await RawMqtt.connected(small.port, { clientId: "a" });
      const nc = await connect({ servers: small.server.clientURL });
      const refused = await RawMqtt.open(small.port);
      expect(await refused.closesWithin(2000)).toBe(true);
      a.end();
      await a.whenClosed;
      await new Promise((r) => setTimeout(r, 50));
      const b = await RawMqtt.connected(small.port, { clientId: "b" });
      b.end();
      await nc.close();
    } finally {
      await small.stop();
    }
  });
});
