import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { describe, test } from "vitest";
import { RawMqtt, startMqtt } from "./helpers.js";
import { expectPub, flush, sub } from "./raw-steps.js";

describe("Go mqtt_test.go: JetStream and MQTT subscribers", () => {
  test("TestMQTTJetStreamRepublishAndQoS0Subscribers: a stream's republished message reaches a QoS 0 MQTT subscriber once", async () => {
    const t = await startMqtt();
    const nc = await connect({ servers: t.server.clientURL });
    try {
      await (await jetstreamManager(nc)).streams.add({ name: "TEST", subjects: ["foo"], republish: { src: "foo", dest: "mqtt.foo" } });
      const c = await RawMqtt.connected(t.port, { clientId: "" });
      await sub(c, [["mqtt/foo", 0]], [0]);
      await flush(c);
      await jetstream(nc).publish("foo", "HELLO WORLD");
      await expectPub(c, "mqtt/foo", 0, "HELLO WORLD");
      await c.expectNothing(150);
      c.end();
    } finally {
      await nc.close();
      await t.stop();
    }
  });
});
