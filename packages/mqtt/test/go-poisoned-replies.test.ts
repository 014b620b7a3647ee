import { NatsServer } from "@nats-ts/core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { JsApi } from "../src/js-api.js";
import { SessionStore } from "../src/session-store.js";
import { ensureMqttStreams, loadRetained, migrateRetainedStream } from "../src/streams.js";

// A server without JetStream, where a test responder answers the MQTT code's JetStream requests
// with forged bodies, as Go's mqttRunWithPoisonedReply injects them.

let server: NatsServer;
let answer: (subject: string) => string = () => "{}";
beforeAll(async () => {
  server = new NatsServer({ host: "127.0.0.1", port: 0, serverName: "poison" }, { plugins: [] });
  await server.start();
  const responder = server.createInternalClient("CLIENT", server.globalAccount);
  const reply = (subject: string, to: string | undefined) => {
    if (to !== undefined && to !== "") responder.publish(to, Buffer.from(answer(subject)));
  };
  responder.subscribe("$JS.API.>", reply);
  // Stores (publications waiting for a PubAck) of the MQTT streams.
  for (const s of ["$MQTT.sess.>", "$MQTT.rmsgs.>", "$MQTT.msgs.>"]) responder.subscribe(s, reply);
});
afterAll(() => server.shutdown());

const api = () => new JsApi(server.createInternalClient("CLIENT", server.globalAccount), 2000);
const NOT_FOUND = JSON.stringify({ error: { code: 404, err_code: 10059, description: "stream not found" } });

describe("Go mqtt_test.go: poisoned JetStream API replies", () => {
  test("TestMQTTJSAPIPoisonedRepliesDoNotCrash: null and {} bodies fail the request cleanly", async () => {
    const log = server.log;
    const cases: [string, (subject: string) => string, () => Promise<unknown>][] = [
      ["stream_lookup_null", () => "null", () => ensureMqttStreams(api(), 1)],
      ["stream_lookup_empty", () => "{}", () => ensureMqttStreams(api(), 1)],
      ["stream_create_empty", (s) => (s.includes(".INFO.") ? NOT_FOUND : "{}"), () => ensureMqttStreams(api(), 1)],
      [
        "stream_update_empty",
        (s) => (s.includes(".INFO.") ? JSON.stringify({ config: { name: "$MQTT_rmsgs", subjects: ["$MQTT.rmsgs"] }, state: { last_seq: 0 } }) : "{}"),
        () => migrateRetainedStream(api(), log),
      ],
      ["msg_load_null", () => "null", () => new SessionStore(api(), "poison", log).fetch("cid")],
      ["msg_load_empty", () => "{}", () => new SessionStore(api(), "poison", log).fetch("cid")],
      [
        "msg_load_next_for_empty",
        (s) => (s.includes(".INFO.") ? JSON.stringify({ config: { name: "$MQTT_rmsgs", subjects: ["$MQTT.rmsgs.>"] }, state: { last_seq: 3 } }) : "{}"),
        () => migrateRetainedStream(api(), log),
      ],
      ["pub_ack_empty", () => "{}", () => api().store("$MQTT.sess.abc", Buffer.from("{}"))],
    ];
    for (const [name, poison, run] of cases) {
      answer = poison;
      const outcome = await run().then(
        () => "resolved",
        (e: unknown) => e,
      );
      // Refused with a reason, not by tripping over the missing fields.
      expect(outcome, name).toBeInstanceOf(Error);
      expect(outcome, name).not.toBeInstanceOf(TypeError);
    }
  });

  test("TestMQTTLoadRetainedMessagesPoisonedReplyDoesNotCrash: a {} reply while loading retained messages is skipped, nothing is loaded", async () => {
    answer = () => "{}";
    expect(await loadRetained(api())).toEqual([]);
  });
});
