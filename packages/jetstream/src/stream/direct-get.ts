import type { InternalClient } from "@nats-ts/core";
import type { StoreMsg, StreamStore } from "@nats-ts/storage";
import { appendHeader, getHeader } from "@nats-ts/wire";
import { MSG_GET_REQUEST, toMsgGetRequest, type MsgGetRequest } from "../api/msg-api.js";
import { checkFields, parseJson } from "../util/json-decode.js";
import { rfc3339Nano } from "../util/time.js";
import { JS_REQUIRED_API_LEVEL } from "./headers.js";
import { JS_API_LEVEL } from "./metadata.js";

const EMPTY = Buffer.alloc(0);
/** Go's cap on multi_last results. */
const MAX_MULTI_RESULTS = 1024;

/** Answers `$JS.API.DIRECT.GET.<stream>[.<subject>]` for a stream with allow_direct (Go's processDirectGet*). */
export class DirectGet {
  constructor(
    private readonly streamName: () => string,
    private readonly store: StreamStore,
    private readonly client: InternalClient,
    private readonly maxPending: number,
  ) {}

  private status(reply: string, code: number, text: string, extra = ""): void {
    this.client.publish(reply, EMPTY, undefined, Buffer.from(`NATS/1.0 ${code} ${text}\r\n${extra}\r\n`));
  }

  /** Runs a request; a store error (a bad filter subject, a closed store) answers 404 instead of escaping. */
  guard(reply: string | undefined, fn: () => void): void {
    try {
      fn();
    } catch {
      if (reply) this.status(reply, 404, "Message Not Found");
    }
  }

  private tooNew(hdr: Buffer): boolean {
    const level = getHeader(hdr, JS_REQUIRED_API_LEVEL);
    return level !== undefined && !(/^\d+$/.test(level) && Number(level) <= JS_API_LEVEL);
  }

  private decode(payload: Buffer): MsgGetRequest | undefined {
    try {
      return toMsgGetRequest(checkFields(parseJson(payload), MSG_GET_REQUEST, "JSApiMsgGetRequest", false));
    } catch {
      return undefined;
    }
  }

  /** `$JS.API.DIRECT.GET.<stream>` with a JSON request. */
  request(reply: string | undefined, hdr: Buffer, payload: Buffer): void {
    if (reply === undefined || reply === "") return;
    if (hdr.length > 0 && this.tooNew(hdr)) return this.status(reply, 412, "Required Api Level");
    if (payload.length === 0) return this.status(reply, 408, "Empty Request");
    const req = this.decode(payload);
    if (req === undefined) return this.status(reply, 408, "Malformed Request");
    const hasStart = req.start_time !== undefined;
    if (req.seq === 0 && req.last_by_subj === "" && req.next_by_subj === "" && req.multi_last.length === 0 && !hasStart) {
      return this.status(reply, 408, "Empty Request");
    }
    if (
      (req.seq > 0 && req.last_by_subj !== "") ||
      (req.seq > 0 && hasStart) ||
      (hasStart && req.last_by_subj !== "") ||
      (req.last_by_subj !== "" && req.next_by_subj !== "") ||
      (req.last_by_subj !== "" && req.batch > 0) ||
      (req.last_by_subj !== "" && req.multi_last.length > 0) ||
      (req.next_by_subj !== "" && req.multi_last.length > 0) ||
      (req.up_to_seq > 0 && req.up_to_time !== undefined)
    ) {
      return this.status(reply, 408, "Bad Request");
    }
    this.serve(req, reply);
  }

  /** `$JS.API.DIRECT.GET.<stream>.<subject>`: the last message on `key` (the subject part). */
  lastBySubject(key: string, reply: string | undefined, hdr: Buffer, payload: Buffer): void {
    if (reply === undefined || reply === "") return;
    if (hdr.length > 0 && this.tooNew(hdr)) return this.status(reply, 412, "Required Api Level");
    let req: MsgGetRequest | undefined = this.decode(EMPTY);
    if (payload.length > 0) {
      req = this.decode(payload);
      if (req === undefined) return this.status(reply, 408, "Malformed Request");
    }
    if (key === "" || req === undefined) return this.status(reply, 408, "Bad Request");
    if (
      req.last_by_subj !== "" ||
      req.next_by_subj !== "" ||
      req.multi_last.length > 0 ||
      req.seq !== 0 ||
      req.batch !== 0 ||
      req.start_time !== undefined ||
      req.up_to_seq !== 0 ||
      req.up_to_time !== undefined
    ) {
      return this.status(reply, 408, "Bad Request");
    }
    req.last_by_subj = key;
    this.serve(req, reply);
  }

  private headersFor(sm: StoreMsg, batch?: { pending: number; last: number }): Buffer {
    const name = this.streamName();
    const ts = rfc3339Nano(sm.ts);
    let h: Buffer = sm.hdr.length > 0 ? Buffer.from(sm.hdr) : Buffer.from("NATS/1.0\r\n\r\n");
    h = appendHeader(h, "Nats-Stream", name);
    h = appendHeader(h, "Nats-Subject", sm.subject);
    h = appendHeader(h, "Nats-Sequence", String(sm.seq));
    h = appendHeader(h, "Nats-Time-Stamp", ts);
    if (batch !== undefined) {
      h = appendHeader(h, "Nats-Num-Pending", String(batch.pending));
      h = appendHeader(h, "Nats-Last-Sequence", String(batch.last));
    }
    return h;
  }

  private send(reply: string, sm: StoreMsg, hdr: Buffer | undefined): void {
    this.client.publish(reply, Buffer.from(sm.msg.buffer, sm.msg.byteOffset, sm.msg.length), undefined, hdr);
  }

  private serve(req: MsgGetRequest, reply: string): void {
    if (req.multi_last.length > 0) return this.multi(req, reply);
    const store = this.store;
    let seq = req.start_time !== undefined ? store.getSeqFromTime(req.start_time) || store.fastState().lastSeq + 1 : req.seq;
    const wc = /[*>]/.test(req.next_by_subj);
    const isBatch = req.batch > 0;
    const batch = isBatch ? req.batch : 1;
    let pending = 0;
    let validThrough = 0;
    if (isBatch) {
      const np = store.numPending(seq, req.next_by_subj, false);
      pending = np.total;
      validThrough = np.validThrough;
    }
    const maxBytes = req.max_bytes > 0 ? req.max_bytes : this.maxPending;
    let sent = 0;
    let lastSeq = 0;
    for (let i = 0; i < batch; i++) {
      let sm: StoreMsg;
      try {
        if (seq > 0 && req.next_by_subj === "") {
          if (i === 0 && !isBatch) sm = store.loadMsg(seq);
          else {
            const r = store.loadNextMsg(">", true, seq);
            sm = r.msg;
            seq = r.seq;
          }
          seq++;
        } else if (req.next_by_subj !== "") {
          const r = store.loadNextMsg(req.next_by_subj, wc, seq);
          sm = r.msg;
          seq = r.seq + 1;
        } else {
          sm = store.loadLastMsg(req.last_by_subj);
        }
      } catch {
        if (batch > 1 && i > 0) break;
        return this.status(reply, 404, "Message Not Found");
      }
      let hdr: Buffer | undefined;
      if (!req.no_hdr) {
        if (isBatch) {
          if (pending > 0) pending--;
          hdr = this.headersFor(sm, { pending, last: lastSeq });
        } else hdr = this.headersFor(sm);
      }
      lastSeq = sm.seq;
      this.send(reply, sm, hdr);
      sent += sm.subject.length + sm.hdr.length + sm.msg.length;
      if (sent >= maxBytes) break;
    }
    if (isBatch) {
      if (store.fastState().lastSeq > validThrough) pending = store.numPending(seq, req.next_by_subj, false).total;
      this.status(reply, 204, "EOB", `Nats-Num-Pending: ${pending}\r\nNats-Last-Sequence: ${lastSeq}\r\n`);
    }
  }

  private multi(req: MsgGetRequest, reply: string): void {
    const store = this.store;
    const state = store.fastState();
    let upTo = req.up_to_seq;
    if (req.up_to_time !== undefined) {
      upTo = store.getSeqFromTime(req.up_to_time);
      if (upTo <= state.firstSeq) return this.status(reply, 404, "No Results");
      upTo--;
    }
    if (upTo === 0) upTo = state.lastSeq;
    let seqs: number[];
    try {
      seqs = store.multiLastSeqs(req.multi_last, upTo, MAX_MULTI_RESULTS);
    } catch {
      return this.status(reply, 413, "Too Many Results");
    }
    seqs = seqs.filter((s) => s >= req.seq);
    if (seqs.length === 0) return this.status(reply, 404, "No Results");
    const maxBytes = req.max_bytes > 0 ? req.max_bytes : this.maxPending;
    let sentBytes = 0;
    let sent = 0;
    let lastSeq = 0;
    let pending = seqs.length;
    for (const seq of seqs) {
      let sm: StoreMsg;
      try {
        sm = store.loadMsg(seq);
      } catch {
        continue;
      }
      pending--;
      this.send(reply, sm, this.headersFor(sm, { pending, last: lastSeq }));
      lastSeq = sm.seq;
      sentBytes += sm.subject.length + sm.hdr.length + sm.msg.length;
      sent++;
      if (sentBytes >= maxBytes || (req.batch > 0 && sent >= req.batch)) break;
    }
    this.status(reply, 204, "EOB", `Nats-Num-Pending: ${pending}\r\nNats-Last-Sequence: ${lastSeq}\r\nNats-UpTo-Sequence: ${upTo}\r\n`);
  }
}
