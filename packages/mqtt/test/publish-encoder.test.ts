import { generate } from "mqtt-packet";
import { expect, test } from "vitest";
import { encodePublish } from "../src/publish-encoder.js";

test("encodePublish writes the same bytes as mqtt-packet", () => {
  const cases = [
    { topic: "a/b", payload: Buffer.from("x"), qos: 0 as const, retain: false, dup: false },
    { topic: "ünï/cødé", payload: Buffer.alloc(0), qos: 1 as const, retain: true, dup: true, messageId: 65535 },
    { topic: "t", payload: Buffer.alloc(200, 1), qos: 2 as const, retain: false, dup: false, messageId: 1 },
    { topic: "big", payload: Buffer.alloc(2_100_000, 7), qos: 1 as const, retain: false, dup: false, messageId: 9 },
  ];
  for (const c of cases) {
    expect(encodePublish(c.topic, c.payload, c.qos, c.retain, c.dup, c.messageId).equals(generate({ cmd: "publish", ...c })), c.topic).toBe(true);
  }
  expect(() => encodePublish("x".repeat(70_000), Buffer.alloc(0), 0, false, false)).toThrow();
});
