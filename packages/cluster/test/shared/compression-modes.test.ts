import { describe, expect, test } from "vitest";
import {
  DEFAULT_RTT_THRESHOLDS,
  compressionModeForInfo,
  needsCompression,
  negotiateCompression,
  selectCompressionMode,
  selectS2AutoMode,
  thresholdsProblem,
  updatedAutoLevel,
} from "../../src/shared/compression/index.js";

describe("compression negotiation (Go's server.go rules)", () => {
  test("only modes other than off and not supported negotiate", () => {
    expect(["", "off", "not supported"].map(needsCompression)).toEqual([false, false, false]);
    expect(["accept", "s2_auto", "s2_uncompressed", "s2_fast", "s2_better", "s2_best"].every(needsCompression)).toBe(true);
  });

  test.each([
    // [local, remote announced, selected]
    ["s2_fast", undefined, "not supported"],
    ["s2_fast", "", "not supported"],
    ["accept", "not supported", "not supported"],
    ["s2_best", "off", "off"],
    ["accept", "accept", "off"],
    ["s2_better", "accept", "s2_better"],
    ["s2_auto", "accept", "s2_auto"],
    ["accept", "s2_auto", "s2_fast"],
    ["accept", "s2_best", "s2_best"],
    ["accept", "s2_uncompressed", "s2_uncompressed"],
    ["s2_fast", "s2_best", "s2_fast"],
    ["s2_auto", "s2_fast", "s2_auto"],
  ])("local %s, peer %s -> %s", (local, remote, expected) => {
    expect(selectCompressionMode(local, remote)).toBe(expected);
  });

  test("an unknown announced mode is Go's error", () => {
    expect(() => selectCompressionMode("s2_fast", "gzip")).toThrow(`unsupported route compression mode "gzip"`);
  });

  test.each([
    [0, DEFAULT_RTT_THRESHOLDS, "s2_uncompressed"],
    [10, DEFAULT_RTT_THRESHOLDS, "s2_uncompressed"],
    [10.5, DEFAULT_RTT_THRESHOLDS, "s2_fast"],
    [50, DEFAULT_RTT_THRESHOLDS, "s2_fast"],
    [75, DEFAULT_RTT_THRESHOLDS, "s2_better"],
    [101, DEFAULT_RTT_THRESHOLDS, "s2_best"],
    // Zeros disable levels: [0, 0, 20] means better up to 20 ms, best above.
    [5, [0, 0, 20], "s2_better"],
    [25, [0, 0, 20], "s2_best"],
    // Fewer than 3 thresholds: above them, the last level listed.
    [50, [10, 20], "s2_fast"],
    [15, [10, 20], "s2_fast"],
    [5, [0, 10, 0, 20], "s2_fast"],
    [15, [0, 10, 0, 20], "s2_best"],
  ])("s2_auto at %d ms with %j -> %s", (rtt, thresholds, expected) => {
    expect(selectS2AutoMode(rtt, thresholds)).toBe(expected);
  });

  test("negotiation resolves s2_auto by RTT; INFO announces s2_auto when configured so", () => {
    const auto = { mode: "s2_auto", rttThresholds: DEFAULT_RTT_THRESHOLDS };
    expect(negotiateCompression(auto, "s2_fast", 1)).toBe("s2_uncompressed");
    expect(negotiateCompression(auto, "s2_fast", 60)).toBe("s2_better");
    expect(negotiateCompression(auto, undefined, 60)).toBe("not supported");
    expect(compressionModeForInfo(auto, "s2_better")).toBe("s2_auto");
    expect(compressionModeForInfo({ mode: "accept", rttThresholds: [] }, "s2_best")).toBe("s2_best");
  });

  test("an s2_auto connection changes level when the RTT crosses a threshold, others never", () => {
    const auto = { mode: "s2_auto", rttThresholds: [10, 20, 30] };
    expect(updatedAutoLevel(auto, "s2_uncompressed", 5)).toBeUndefined();
    expect(updatedAutoLevel(auto, "s2_uncompressed", 15)).toBe("s2_fast");
    expect(updatedAutoLevel(auto, "s2_fast", 35)).toBe("s2_best");
    expect(updatedAutoLevel(auto, "off", 35)).toBeUndefined();
    expect(updatedAutoLevel({ mode: "s2_fast", rttThresholds: [] }, "s2_fast", 35)).toBeUndefined();
  });

  test("threshold lists are checked with Go's words", () => {
    expect(thresholdsProblem("s2_auto", [5, 10, 2])).toBe("RTT threshold values [5ms 10ms 2ms] should be in ascending order");
    expect(thresholdsProblem("s2_auto", [5, 10, 20, 40, 60])).toBe(`compression mode "s2_auto" should have no more than 4 RTT thresholds: [5ms 10ms 20ms 40ms 60ms]`);
    expect(thresholdsProblem("s2_auto", [0, 0, 0, 0])).toBe(`compression mode "s2_auto" requires at least one RTT threshold`);
    expect(thresholdsProblem("s2_auto", [0])).toBe(`compression mode "s2_auto" requires at least one RTT threshold`);
    expect(thresholdsProblem("s2_auto", [0, 10, 0, 20])).toBeUndefined();
    expect(thresholdsProblem("s2_auto", [-10, 5, 10])).toBeUndefined();
  });
});
