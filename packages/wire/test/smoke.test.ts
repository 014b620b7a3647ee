import { describe, expect, test } from "vitest";
import { clientOps } from "./recorder.js";

describe("smoke", () => {
  test("pub", () => {
    expect(clientOps("CONNECT {}\r\nPUB foo 5\r\nhello\r\nHPUB foo r 4 6\r\nabcdef\r\nSUB foo q 1\r\nUNSUB 1 5\r\nPING\r\nPONG\r\n")).toEqual([
      ["CONNECT", "{}"], ["PUB", "foo", undefined, "hello"], ["HPUB", "foo", "r", 4, "abcdef"], ["SUB", "foo", "q", "1"], ["UNSUB", "1", 5], ["PING"], ["PONG"],
    ]);
  });
});
