import { ApiError, apiErrors, toApiError } from "../errors/index.js";
import { parseRfc3339, rfc3339Nano } from "../util/time.js";
import type { StoreMsg } from "@nats-ts/storage";
import { decodeRequest, requireStream, type ApiRequest } from "./stream-api.js";
import type { FieldKind } from "../util/json-decode.js";

/** Fields of Go's JSApiMsgGetRequest (also used by direct get). */
export const MSG_GET_REQUEST: Record<string, FieldKind> = {
  seq: "uint",
  last_by_subj: "string",
  next_by_subj: "string",
  batch: "int",
  max_bytes: "int",
  start_time: "time",
  multi_last: "strings",
  up_to_seq: "uint",
  up_to_time: "time",
  no_hdr: "bool",
};

export interface MsgGetRequest {
  seq: number;
  last_by_subj: string;
  next_by_subj: string;
  batch: number;
  max_bytes: number;
  start_time?: bigint;
  multi_last: string[];
  up_to_seq: number;
  up_to_time?: bigint;
  no_hdr: boolean;
}

/** Normalizes a decoded get request; bad times count as invalid JSON like Go's time parsing. */
export function toMsgGetRequest(r: Record<string, unknown>): MsgGetRequest {
  const time = (k: string): bigint | undefined => {
    const v = r[k];
    if (typeof v !== "string") return undefined;
    const ns = parseRfc3339(v);
    if (ns === undefined) throw new Error(`parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
    return ns;
  };
  return {
    seq: (r.seq as number) ?? 0,
    last_by_subj: (r.last_by_subj as string) ?? "",
    next_by_subj: (r.next_by_subj as string) ?? "",
    batch: (r.batch as number) ?? 0,
    max_bytes: (r.max_bytes as number) ?? 0,
    start_time: time("start_time"),
    multi_last: (r.multi_last as string[]) ?? [],
    up_to_seq: (r.up_to_seq as number) ?? 0,
    up_to_time: time("up_to_time"),
    no_hdr: r.no_hdr === true,
  };
}

function isEmpty(payload: Buffer): boolean {
  return payload.toString().trim().length === 0;
}

/** $JS.API.STREAM.MSG.GET.<stream> */
export function msgGet(req: ApiRequest): Record<string, unknown> {
  if (isEmpty(req.payload)) throw new ApiError(apiErrors.JSBadRequestErr);
  const raw = decodeRequest(req.payload, MSG_GET_REQUEST, "JSApiMsgGetRequest");
  let r: MsgGetRequest;
  try {
    r = toMsgGetRequest(raw);
  } catch (e) {
    throw new ApiError(apiErrors.JSInvalidJSONErr, { err: e as Error });
  }
  if (r.batch > 0 || r.max_bytes > 0) throw new ApiError(apiErrors.JSBadRequestErr);
  const hasStart = r.start_time !== undefined;
  if (
    (r.seq > 0 && r.last_by_subj !== "") ||
    (r.seq === 0 && r.last_by_subj === "" && r.next_by_subj === "" && !hasStart) ||
    (r.seq > 0 && hasStart) ||
    (hasStart && r.last_by_subj !== "") ||
    (r.last_by_subj !== "" && r.next_by_subj !== "")
  ) {
    throw new ApiError(apiErrors.JSBadRequestErr);
  }
  const stream = requireStream(req.jsa, req.tokens[5]);
  const store = stream.store;
  // A start time past the last message (or an empty stream) finds nothing, as in Go.
  const seq = hasStart ? store.getSeqFromTime(r.start_time!) || store.fastState().lastSeq + 1 : r.seq;
  let sm: StoreMsg;
  try {
    if (seq > 0 && r.next_by_subj === "") sm = store.loadMsg(seq);
    else if (r.next_by_subj !== "") sm = store.loadNextMsg(r.next_by_subj, /[*>]/.test(r.next_by_subj), seq).msg;
    else sm = store.loadLastMsg(r.last_by_subj);
  } catch {
    throw new ApiError(apiErrors.JSNoMessageFoundErr);
  }
  const message: Record<string, unknown> = { subject: sm.subject, seq: sm.seq };
  if (!r.no_hdr && sm.hdr.length > 0) message.hdrs = Buffer.from(sm.hdr).toString("base64");
  if (sm.msg.length > 0) message.data = Buffer.from(sm.msg).toString("base64");
  message.time = rfc3339Nano(sm.ts);
  return { message };
}

const MSG_DELETE_REQUEST: Record<string, FieldKind> = { seq: "uint", no_erase: "bool" };

/** $JS.API.STREAM.MSG.DELETE.<stream> */
export function msgDelete(req: ApiRequest): Record<string, unknown> {
  const text = req.payload.toString().trim();
  if (text === "" || text === "{}") throw new ApiError(apiErrors.JSBadRequestErr);
  const r = decodeRequest(req.payload, MSG_DELETE_REQUEST, "JSApiMsgDeleteRequest");
  const stream = requireStream(req.jsa, req.tokens[5]);
  if (stream.config.sealed) throw new ApiError(apiErrors.JSStreamSealedErr);
  if (stream.config.deny_delete) throw new ApiError(apiErrors.JSStreamMsgDeleteFailedF, { err: "message delete not permitted" });
  const seq = (r.seq as number) ?? 0;
  let removed: boolean;
  try {
    removed = stream.deleteMsg(seq, r.no_erase !== true);
  } catch (e) {
    throw toApiError(e, apiErrors.JSStreamMsgDeleteFailedF);
  }
  if (!removed) throw new ApiError(apiErrors.JSSequenceNotFoundErrF, { seq });
  return { success: true };
}
