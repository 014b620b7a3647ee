import { describe, expect, test } from "vitest";
import { FrameCounter, pubFrame, repeatFrame } from "../src/protocol.js";

const msg = (/** @type {number} */ size) => `MSG bench.x 1 ${size}\r\n${"y".repeat(size)}\r\n`;

/**
 * Feeds `stream` in pieces cut at `cuts` and returns what the counter saw.
 * @param {string} stream
 * @param {number[]} cuts
 */
function feedSplit(stream, cuts) {
  /** @type {string[]} */
  const lines = [];
  const counter = new FrameCounter((l) => lines.push(l));
  const buf = Buffer.from(stream);
  let total = 0;
  let from = 0;
  for (const to of [...cuts, buf.length]) {
    total += counter.feed(buf.subarray(from, to));
    from = to;
  }
  return { msgs: counter.msgs, total, lines };
}

describe("FrameCounter", () => {
  const stream = `INFO {"a":1}\r\n${msg(5).repeat(3)}PING\r\n${msg(5).repeat(2)}PONG\r\n${msg(5)}`;

  test("counts MSG frames and reports control lines, whole or split at any byte", () => {
    const whole = feedSplit(stream, []);
    expect(whole).toEqual({ msgs: 6, total: 6, lines: ['INFO {"a":1}', "PING", "PONG"] });
    for (let cut = 1; cut < stream.length; cut++) expect(feedSplit(stream, [cut])).toEqual(whole);
    for (let cut = 1; cut + 7 < stream.length; cut++) expect(feedSplit(stream, [cut, cut + 3, cut + 7])).toEqual(whole);
  });

  test("handles payloads that contain CRLF and the letter M", () => {
    const payload = "M\r\nMSG\r\n";
    const s = `MSG a 1 ${payload.length}\r\n${payload}\r\n`.repeat(4);
    for (let cut = 0; cut < s.length; cut++) expect(feedSplit(s, [cut]).msgs).toBe(4);
  });

  test("throws when MSG frames change length instead of miscounting", () => {
    const counter = new FrameCounter(() => {});
    expect(() => counter.feed(Buffer.from(msg(5) + msg(6)))).toThrow(/lost sync/);
  });
});

test("pubFrame and repeatFrame build exact PUB frames", () => {
  expect(pubFrame("a.b", 3).toString()).toBe("PUB a.b 3\r\nxxx\r\n");
  expect(pubFrame("a", 1, "r").toString()).toBe("PUB a r 1\r\nx\r\n");
  const { buffer, frames } = repeatFrame(pubFrame("a", 1), 100);
  expect(frames).toBe(9);
  expect(buffer.toString()).toBe("PUB a 1\r\nx\r\n".repeat(9));
});
