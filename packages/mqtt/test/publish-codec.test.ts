import { generate } from "mqtt-packet";
import { expect, test } from "vitest";
import { decodePublish, encodePublish, HAS_PROPERTIES } from "../src/publish-codec.js";

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

test("decodePublish reads what mqtt-packet writes, and refuses truncated packets", () => {
  const cases = [
    { topic: "a/b", payload: Buffer.from("x"), qos: 0 as const, retain: false, dup: false },
    { topic: "ünï/cødé", payload: Buffer.alloc(0), qos: 1 as const, retain: true, dup: true, messageId: 65535 },
    { topic: "big", payload: Buffer.alloc(20_000, 7), qos: 2 as const, retain: false, dup: false, messageId: 9 },
  ];
  for (const c of cases) {
    const bytes = generate({ cmd: "publish", ...c });
    let bodyStart = 2;
    while (bytes[bodyStart - 1]! & 0x80) bodyStart++;
    expect(decodePublish(bytes, bodyStart)).toEqual({ cmd: "publish", ...c, messageId: c.qos > 0 ? c.messageId : undefined });
  }
  expect(decodePublish(Buffer.from([0x36, 0]), 2)).toBe("Packet must not have both QoS bits set to 1");
  expect(decodePublish(Buffer.from([0x30, 1, 0]), 2)).toBe("Cannot parse topic");
  expect(decodePublish(Buffer.from([0x30, 3, 0, 5, 0x61]), 2)).toBe("Cannot parse topic");
  expect(decodePublish(Buffer.from([0x32, 4, 0, 1, 0x61, 0]), 2)).toBe("Cannot parse messageId");
});

test("MQTT 5.0: PUBLISH without properties is coded here (an empty property length), with properties it is left to mqtt-packet", () => {
  const c = { topic: "a/b", payload: Buffer.from("x"), qos: 1 as const, retain: false, dup: false, messageId: 7 };
  const bytes = generate({ cmd: "publish", ...c }, { protocolVersion: 5 });
  expect(encodePublish(c.topic, c.payload, c.qos, c.retain, c.dup, c.messageId, true).equals(bytes)).toBe(true);
  expect(decodePublish(bytes, 2, true)).toEqual({ cmd: "publish", ...c });
  const withProps = generate({ cmd: "publish", ...c, properties: { contentType: "text/plain" } }, { protocolVersion: 5 });
  expect(decodePublish(withProps, 2, true)).toBe(HAS_PROPERTIES);
  expect(decodePublish(Buffer.from([0x32, 5, 0, 1, 0x61, 0, 1]), 2, true)).toBe("Cannot parse properties length");
});
