import { confFail as fail, formatGoDuration, goTypeName, isConfMap as isMap, parseDuration, type ConfMap, type ConfValue } from "@nats-ts/core";
import { compressionFromConf } from "../conf.js";
import { CompressionMode, DEFAULT_RTT_THRESHOLDS, type CompressionOptions } from "./modes.js";

const THRESHOLD_KEYS = ["rtt_thresholds", "thresholds", "rtts", "rtt"];

/** Go's `%v` of a []time.Duration: `[5ms 10ms 2ms]`. */
function goDurations(ms: readonly number[]): string {
  return `[${ms.map((v) => formatGoDuration(v)).join(" ")}]`;
}

/**
 * Reads a `compression` setting with its s2_auto RTT thresholds (Go's parseCompression and
 * validateAndNormalizeCompressionOption): a boolean, a mode name or `{ mode, rtt_thresholds }`.
 * `onMode` is what `true`/`on` mean and also the default when no mode is given (leaf nodes:
 * s2_auto; routes: s2_fast when enabled, "accept" by default). Bad thresholds fail with Go's words.
 *
 * @example
 * compressionOptionsFromConf(block, "compression", { mode: "s2_auto", rtt_thresholds: ["5ms", "20ms"] }, "s2_auto", "s2_auto");
 * // { mode: "s2_auto", rttThresholds: [5, 20] }
 */
export function compressionOptionsFromConf(m: ConfMap, k: string, v: ConfValue, onMode: string, defaultMode: string): CompressionOptions {
  const mode = compressionFromConf(m, k, v, onMode) || defaultMode;
  const given: number[] = [];
  if (isMap(v)) {
    for (const [ck, cv] of Object.entries(v)) {
      if (!THRESHOLD_KEYS.includes(ck.toLowerCase())) continue;
      // Go's parseCompression reads a list of duration strings and panics into these words otherwise.
      if (!Array.isArray(cv)) fail(v, ck, `interface conversion: interface {} is ${goTypeName(cv)}, not []interface {}`);
      for (const item of cv as ConfValue[]) {
        if (typeof item !== "string") fail(v, ck, `interface conversion: interface {} is ${goTypeName(item)}, not string`);
        try {
          given.push(parseDuration(item as string));
        } catch (e) {
          fail(v, ck, (e as Error).message);
        }
      }
    }
  }
  if (mode !== CompressionMode.S2Auto) return { mode, rttThresholds: [] };
  const problem = thresholdsProblem(mode, given);
  if (problem !== undefined) fail(m, k, problem);
  return { mode, rttThresholds: given.length === 0 ? DEFAULT_RTT_THRESHOLDS : normaliseThresholds(given) };
}

/** Negative thresholds count as 0 (level unused); trailing zeros are dropped. */
function normaliseThresholds(given: readonly number[]): number[] {
  const rtts = given.map((n) => Math.max(0, n));
  while (rtts.length > 0 && rtts[rtts.length - 1] === 0) rtts.pop();
  return rtts;
}

/** Go's errors for a bad s2_auto threshold list; undefined when it is fine (an empty list means the defaults). */
export function thresholdsProblem(mode: string, given: readonly number[]): string | undefined {
  if (given.length === 0) return undefined;
  const seen: number[] = [];
  for (const raw of given) {
    const n = Math.max(0, raw);
    // A 0 anywhere disables that level; other values must not go down.
    if (n !== 0 && seen.some((prev) => n < prev)) return `RTT threshold values ${goDurations(given)} should be in ascending order`;
    seen.push(n);
  }
  const rtts = normaliseThresholds(given);
  if (rtts.length > 4) return `compression mode ${JSON.stringify(mode)} should have no more than 4 RTT thresholds: ${goDurations(given)}`;
  if (rtts.length === 0) return `compression mode ${JSON.stringify(mode)} requires at least one RTT threshold`;
  return undefined;
}
