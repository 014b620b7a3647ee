import { connect, headers as natsHeaders } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { eventually, RawMqtt, RestartableServer, type MqttTestServer } from "./helpers.js";
import { completeQos2, expectPub, flush, publish, sub } from "./raw-steps.js";
import { decodeRetainedRecord, encodeRetained, getMessage, headerValues } from "../src/streams.js";
import { JsApi } from "../src/js-api.js";

// Ports of mqtt_test.go's tests of the retained messages stream.

let server: RestartableServer;
let s: MqttTestServer;
beforeEach(async () => {
  server = new RestartableServer();
  s = await server.restart();
});
afterEach(() => server.dispose());

/** Go's legacy retained record: JSON with the payload in base64, stored without headers. */
const legacy = (subject: string, topic: string, msg: string) => JSON.stringify({ origin: "test", subject, topic, msg: Buffer.from(msg).toString("base64"), flags: 1 });

async function subscriber(filter: string): Promise<RawMqtt> {
  const c = await RawMqtt.connected(s.port, { clientId: "" });
  await sub(c, [[filter, 0]], [0]);
  return c;
}

/** The retained messages a new subscription on `filter` gets, as "topic=payload". */
async function retainedOn(filter: string): Promise<string[]> {
  const c = await subscriber(filter);
  const out: string[] = [];
  c.send({ cmd: "pingreq" });
  for (let p = await c.next(); p.cmd !== "pingresp"; p = await c.next()) {
    const m = p as { topic: string; payload: Buffer; retain: boolean };
    expect(m.retain).toBe(true);
    out.push(`${m.topic}=${m.payload.toString()}`);
  }
  c.end();
  return out.sort();
}

describe("Go mqtt_test.go: retained messages in $MQTT_rmsgs", () => {
  test("TestMQTTDecodeRetainedMessage: the headers form and Go's legacy JSON record both come back after a restart; clearing removes both", async () => {
    const pub = await RawMqtt.connected(s.port, { clientId: "" });
    await publish(pub, 0, "foo/1", 0, "msg1", true);
    await flush(pub);
    pub.end();
    const nc = await connect({ servers: s.server.clientURL });
    await jetstream(nc).publish("$MQTT.rmsgs.foo.2", legacy("foo.2", "foo/2", "msg2"));
    await nc.close();
    s = await server.restart();
    expect(await retainedOn("foo/+")).toEqual(["foo/1=msg1", "foo/2=msg2"]);
    const clear = await RawMqtt.connected(s.port, { clientId: "" });
    await publish(clear, 0, "foo/1", 0, "", true);
    await publish(clear, 0, "foo/2", 0, "", true);
    await flush(clear);
    clear.end();
    expect(await retainedOn("foo/+")).toEqual([]);
  });

  test("TestMQTTRetainedMessageWithDelSubjectIsNotRestored: a stored record whose subject has DEL (0x7f) is skipped at restart", async () => {
    const pub = await RawMqtt.connected(s.port, { clientId: "" });
    await publish(pub, 0, "foo/ok", 0, "ok", true);
    await flush(pub);
    pub.end();
    const nc = await connect({ servers: s.server.clientURL });
    await jetstream(nc).publish("$MQTT.rmsgs.foo.\x7fbad", legacy("foo.\x7fbad", "foo/\x7fbad", "bad"));
    await nc.close();
    s = await server.restart();
    const c = await subscriber("foo/+");
    await expectPub(c, "foo/ok", 0, "ok", false, true);
    await c.expectNothing(100);
    c.end();
  });

  test("TestMQTTRetainedNoMsgBodyCorruption: updates from another server, coming in continuously, are served intact", async () => {
    const pub = await RawMqtt.connected(s.port, { clientId: "pub" });
    await publish(pub, 0, "foo/bar", 0, "retained 1", true);
    await flush(pub);
    expect(await retainedOn("foo/#")).toEqual(["foo/bar=retained 1"]);
    await publish(pub, 0, "foo/bar", 0, "retained 2", true);
    await flush(pub);
    expect(await retainedOn("foo/#")).toEqual(["foo/bar=retained 2"]);
    // As another server of a cluster would store it.
    const nc = await connect({ servers: s.server.clientURL });
    const h = natsHeaders();
    h.set("Nmqtt-ROrigin", "XXXXXXXX");
    h.set("Nmqtt-RTopic", "foo/bar");
    h.set("Nmqtt-RFlags", "1");
    let flowing = true;
    const flow = (async () => {
      while (flowing) {
        nc.publish("$MQTT.rmsgs.foo.bar", "retained 3", { headers: h });
        await nc.flush();
      }
    })();
    await eventually(async () => JSON.stringify(await retainedOn("foo/#")) === JSON.stringify(["foo/bar=retained 3"]));
    for (let i = 0; i < 20; i++) expect(await retainedOn("foo/#")).toEqual(["foo/bar=retained 3"]);
    flowing = false;
    await flow;
    await nc.close();
    pub.end();
  });

  test("TestMQTTRetainedMsgRemovedFromMapIfNotInStream: a retained message deleted from the stream by a NATS client is no longer served", async () => {
    const pub = await RawMqtt.connected(s.port, { clientId: "pub" });
    await publish(pub, 0, "foo", 0, "msg1", true);
    await flush(pub);
    expect(await retainedOn("foo")).toEqual(["foo=msg1"]);
    await publish(pub, 0, "foo", 0, "msg2", true);
    await flush(pub);
    expect(await retainedOn("foo")).toEqual(["foo=msg2"]);
    const nc = await connect({ servers: s.server.clientURL });
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage("$MQTT_rmsgs", { last_by_subj: "$MQTT.rmsgs.foo" });
    expect(await jsm.streams.deleteMessage("$MQTT_rmsgs", stored!.seq)).toBe(true);
    await eventually(async () => (await retainedOn("foo")).length === 0);
    // A purge of the stream clears what is left.
    await publish(pub, 0, "bar", 0, "msg3", true);
    await flush(pub);
    expect(await retainedOn("bar")).toEqual(["bar=msg3"]);
    await jsm.streams.purge("$MQTT_rmsgs");
    await eventually(async () => (await retainedOn("#")).length === 0);
    await nc.close();
    pub.end();
  });

  test("TestMQTTRetainedMsgMigration: retained messages all on the old $MQTT.rmsgs subject move to one subject each", async () => {
    const nc = await connect({ servers: s.server.clientURL });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "$MQTT_rmsgs", subjects: ["$MQTT.rmsgs"] });
    const js = jetstream(nc);
    const N = 100;
    for (let i = 0; i < N; i++) await js.publish("$MQTT.rmsgs", JSON.stringify({ origin: "b5IQZNtG", subject: `test${i}`, topic: `test${i}`, msg: "YmFy", flags: 1 }));
    let si = await jsm.streams.info("$MQTT_rmsgs", { subjects_filter: "$MQTT.>" });
    expect(si.state.num_subjects).toBe(1);
    expect(si.state.subjects?.["$MQTT.rmsgs"]).toBe(N);
    // The first MQTT client makes the migration happen.
    const c = await subscriber("+");
    const topics = new Set<string>();
    for (let i = 0; i < N; i++) {
      const p = (await c.next()) as { topic: string; payload: Buffer; retain: boolean };
      expect(p.payload.toString()).toBe("bar");
      expect(p.retain).toBe(true);
      topics.add(p.topic);
    }
    expect(topics.size).toBe(N);
    c.end();
    si = await jsm.streams.info("$MQTT_rmsgs", { subjects_filter: "$MQTT.>" });
    expect(si.state.num_subjects).toBe(N);
    expect(si.state.subjects?.["$MQTT.rmsgs"] ?? 0).toBe(0);
    for (let i = 0; i < N; i++) expect(si.state.subjects?.[`$MQTT.rmsgs.test${i}`]).toBe(1);
    expect(si.config).toMatchObject({ subjects: ["$MQTT.rmsgs.>"], max_msgs_per_subject: 1 });
    await nc.close();
  });
});

describe("Go mqtt_test.go: retained messages and new subscriptions", () => {
  test("TestMQTTSubRetainedRace: a retained message just stored reaches a new subscription of every filter form at every QoS, also next to a '#' subscription", async () => {
    // Looked at from inside the server: a NATS client's inbox traffic would reach the '#' subscriber.
    const api = new JsApi(s.server.createInternalClient("CLIENT", s.server.globalAccount), 2000);
    const pubTopic = "/bar";
    const stored = async (present: boolean) => eventually(async () => ((await getMessage(api, "$MQTT_rmsgs", { last_by_subj: "$MQTT.rmsgs./.bar" }))?.data.length ?? 0) > 0 === present);
    for (const existingTopLevel of [false, true]) {
      for (const subTopic of ["#", "/bar", "/+", "/#"]) {
        for (const qos of [0, 1, 2] as const) {
          const name = `${existingTopLevel ? "existing" : "new"} top level, ${subTopic}, QoS ${qos}`;
          const pub = await RawMqtt.connected(s.port, { clientId: "" });
          const c = await RawMqtt.connected(s.port, { clientId: "" });
          if (existingTopLevel) {
            await sub(c, [["#", 0]], [0]);
            await publish(pub, 2, pubTopic, 1, "testmsg", true);
            await expectPub(c, pubTopic, 0, "testmsg");
          } else {
            await publish(pub, qos, pubTopic, 1, "testmsg", true);
          }
          await stored(true);
          await sub(c, [[subTopic, qos]], [qos]).catch((e: unknown) => {
            throw new Error(`${name}: ${(e as Error).message}`);
          });
          const pi = await expectPub(c, pubTopic, qos, "testmsg", false, true);
          if (qos === 1) c.send({ cmd: "puback", messageId: pi });
          if (qos === 2) await completeQos2(c, pi);
          await c.expectNothing(50).catch((e: unknown) => {
            throw new Error(`${name}: ${(e as Error).message}`);
          });
          c.end();
          // Cleared for the next case.
          await publish(pub, 0, pubTopic, 0, "", true);
          await stored(false);
          pub.end();
        }
      }
    }
    api.close();
  });
});

describe("Go mqtt_test.go: retained record decoding", () => {
  const hdr = (lines: string) => `NATS/1.0\r\n${lines}`;

  test("TestMQTTSliceHeadersAndDecodeRetainedMessage: header lines, flags with the removal marker, bad flags, the topic from the subject", () => {
    const cases: [string, string, (string | undefined)[]][] = [
      ["one key and some random", hdr("key1:val1\r\nsomeotherkey:someval\r\n"), ["val1", undefined, undefined]],
      ["two keys", hdr("key2:val2\r\nthisisnotkey1:someval\r\nkey1:val1\r\n"), ["val1", "val2", undefined]],
      ["three keys", hdr("key2:val2\r\nkey3:val3\r\nkey1:val1\r\n"), ["val1", "val2", "val3"]],
      ["space before value", hdr("somekey:someval\r\nkey2:  val2withspacebefore\r\n"), [undefined, "val2withspacebefore", undefined]],
      ["space between key and colon sign", hdr("key1:val1\r\nkey2 :val2\r\nkey3  :  val3\r\n"), ["val1", "val2", "val3"]],
      ["no hdr line", "key1:val1\r\n", [undefined, undefined, undefined]],
      ["key length 0", hdr("key1:val1\r\n:val2\r\nkey3:val3\r\n"), ["val1", undefined, "val3"]],
      ["key is only spaces", hdr("key1:val1\r\nkey2:val2\r\n     :val3\r\n"), ["val1", "val2", undefined]],
      ["value no crlf", hdr("key1:val1\r\nkey2:val2"), ["val1", undefined, undefined]],
    ];
    for (const [name, block, expected] of cases) {
      const v = headerValues(block);
      expect([v.get("key1"), v.get("key2"), v.get("key3")], name).toEqual(expected);
    }
    // A removal marker before the flags; a removal has no payload.
    const removal = decodeRetainedRecord("$MQTT.rmsgs.bar.x", hdr("Nmqtt-RFlags:-1\r\n\r\n"), Buffer.alloc(0));
    expect(removal?.msg).toMatchObject({ subject: "bar.x", topic: "bar/x", qos: 0 });
    expect(removal?.msg.payload.length).toBe(0);
    for (const flags of ["bad", "-ad", "-15", "-7"]) expect(decodeRetainedRecord("$MQTT.rmsgs.bar.x", hdr(`Nmqtt-RFlags:${flags}\r\n\r\n`), Buffer.from("msg")), flags).toBeUndefined();
    // Spaces before a value; the topic follows the subject the record is stored under.
    const { headers, payload } = encodeRetained({ topic: "foo/x", subject: "foo.x", payload: Buffer.from("msg1"), qos: 0 }, "Origin");
    const spaced = headers.toString().replace("Nmqtt-ROrigin:", "Nmqtt-ROrigin:  ");
    expect(decodeRetainedRecord("$MQTT.rmsgs.foo.x", spaced, payload)).toEqual({ msg: { topic: "foo/x", subject: "foo.x", payload: Buffer.from("msg1"), qos: 0 }, origin: "Origin" });
    expect(decodeRetainedRecord("$MQTT.rmsgs.bar.x", headers.toString(), payload)?.msg).toMatchObject({ topic: "bar/x", subject: "bar.x" });
  });
});

describe("Go mqtt_test.go: retained messages and reject_qos2_publish", () => {
  test("TestMQTTQoS2RetainedReject: after a restart with reject_qos2_publish, a QoS 2 retained message is not sent, a QoS 1 one is", async () => {
    const pub = await RawMqtt.connected(s.port, { clientId: "" });
    await publish(pub, 2, "foo", 1, "qos2 failed", true);
    await publish(pub, 1, "bar", 2, "qos1 retained", true);
    await flush(pub);
    pub.end();
    s = await server.restart({ rejectQos2Publish: true });
    const c = await RawMqtt.connected(s.port, { clientId: "" });
    await sub(c, [["bar/#", 2]], [2]);
    const pi = await expectPub(c, "bar", 1, "qos1 retained", false, true);
    c.send({ cmd: "puback", messageId: pi });
    await sub(c, [["foo/#", 2]], [2]);
    await c.expectNothing(200);
    c.end();
  });
});
