import type { StreamStore } from "@nats-ts/storage";
import { getHeader } from "@nats-ts/wire";
import { apiErrors, type JsErrorEntry } from "../errors/index.js";
import * as H from "./headers.js";

/** Headers that cannot go with a counter increment (Go rejects them as an invalid increment). */
const INCOMPATIBLE = [H.JS_MSG_ROLLUP, H.JS_EXPECTED_STREAM, H.JS_EXPECTED_LAST_MSG_ID, H.JS_EXPECTED_LAST_SUBJ_SEQ_SUBJ];
const PRESENT_INCOMPATIBLE = [H.JS_EXPECTED_LAST_SEQ, H.JS_EXPECTED_LAST_SUBJ_SEQ];

/**
 * Go's getMessageIncr plus the checks on a `Nats-Incr` publish. Returns the increment, undefined
 * when the header is absent, or the error to answer with.
 */
export function checkIncrement(hdr: Buffer, payload: Buffer, allowCounter: boolean): bigint | undefined | JsErrorEntry {
  if (hdr.length === 0) return undefined;
  const value = getHeader(hdr, H.JS_MSG_INCR);
  if (value === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(value)) return apiErrors.JSMessageIncrInvalidErr;
  if (!allowCounter) return apiErrors.JSMessageIncrDisabledErr;
  if (payload.length > 0) return apiErrors.JSMessageIncrPayloadErr;
  if (INCOMPATIBLE.some((k) => (getHeader(hdr, k) ?? "") !== "")) return apiErrors.JSMessageIncrInvalidErr;
  if (PRESENT_INCOMPATIBLE.some((k) => getHeader(hdr, k) !== undefined)) return apiErrors.JSMessageIncrInvalidErr;
  return BigInt(value);
}

/** Applies an increment to the subject's current total: the new `{"val":"N"}` body, or an error. */
export function applyIncrement(store: StreamStore, subject: string, incr: bigint): { body: Buffer; value: string } | JsErrorEntry {
  let total = 0n;
  let last;
  try {
    last = store.loadLastMsg(subject);
  } catch {
    last = undefined;
  }
  if (last !== undefined) {
    try {
      const parsed = JSON.parse(Buffer.from(last.msg).toString()) as { val?: unknown };
      total = typeof parsed.val === "string" && /^[+-]?\d+$/.test(parsed.val) ? BigInt(parsed.val) : 0n;
    } catch {
      return apiErrors.JSMessageCounterBrokenErr;
    }
  }
  const value = (total + incr).toString();
  return { body: Buffer.from(`{"val":${JSON.stringify(value)}}`), value };
}
