import { getHeader } from "@nats-ts/wire";
import { parseDuration } from "@nats-ts/core";

/** JetStream message headers the stream reads on publish (Go's JS* header constants). */
export const JS_MSG_ID = "Nats-Msg-Id";
export const JS_EXPECTED_STREAM = "Nats-Expected-Stream";
export const JS_EXPECTED_LAST_SEQ = "Nats-Expected-Last-Sequence";
export const JS_EXPECTED_LAST_SUBJ_SEQ = "Nats-Expected-Last-Subject-Sequence";
export const JS_EXPECTED_LAST_SUBJ_SEQ_SUBJ = "Nats-Expected-Last-Subject-Sequence-Subject";
export const JS_EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id";
export const JS_MSG_ROLLUP = "Nats-Rollup";
export const JS_MSG_TTL = "Nats-TTL";
export const JS_MSG_INCR = "Nats-Incr";
export const JS_STREAM_SOURCE = "Nats-Stream-Source";
export const JS_SCHEDULE_PATTERN = "Nats-Schedule";
export const JS_MARKER_REASON = "Nats-Marker-Reason";
export const JS_REQUIRED_API_LEVEL = "Nats-Required-Api-Level";
export const CLIENT_INFO_HDR = "Nats-Request-Info";

/** Parses a decimal uint64 header like Go's parseInt64; -1 when malformed. */
export function parseUint(value: string | undefined): number {
  if (value === undefined || value === "" || !/^\d+$/.test(value)) return -1;
  return Number(value);
}

/** An unsigned header value, or undefined when absent (malformed counts as present with -1 -> no match). */
export function uintHeader(hdr: Uint8Array, key: string): number | undefined {
  const v = getHeader(hdr, key);
  return v === undefined ? undefined : parseUint(v);
}

/**
 * Go's parseMessageTTL: "never" -> -1, a Go duration (at least 1s) -> whole seconds, or plain
 * seconds. Throws on anything else.
 */
export function parseMessageTtl(value: string): number {
  if (value.toLowerCase() === "never") return -1;
  if (/[a-zµ]/i.test(value)) {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch {
      throw new Error("invalid per-message TTL");
    }
    if (ms < 1000) throw new Error("invalid per-message TTL");
    return Math.floor(ms / 1000);
  }
  const n = parseUint(value);
  if (n < 0) throw new Error("invalid per-message TTL");
  return n;
}

/** Atomic batch publish headers (Go's JSBatchId, JSBatchSeq, JSBatchCommit). */
export const JS_BATCH_ID = "Nats-Batch-Id";
export const JS_BATCH_SEQ = "Nats-Batch-Sequence";
export const JS_BATCH_COMMIT = "Nats-Batch-Commit";
