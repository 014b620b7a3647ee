import { appendHeader, getHeader, removeHeader } from "@nats-ts/wire";
import { apiErrors, type JsErrorEntry } from "../errors/index.js";
import type { StreamConfigJson } from "./config.js";
import * as H from "./headers.js";
import { JS_API_LEVEL } from "./metadata.js";

/** Go's streamDefaultMaxAtomicBatchSize: messages in one batch. */
export const MAX_BATCH_SIZE = 1000;
/** Go's streamDefaultMaxAtomicBatchInflightPerStream / ...Total. */
const MAX_INFLIGHT_PER_STREAM = 50;
const MAX_INFLIGHT_TOTAL = 1000;
/** Go's streamDefaultMaxBatchTimeout: a batch with no new message for this long is abandoned. */
const BATCH_TIMEOUT_MS = 10_000;
/** Go's limit on a batch id's length. */
const MAX_BATCH_ID_LEN = 64;

/** Batches in flight in this process, across streams (Go's globalInflightAtomicBatches). */
let inflightTotal = 0;

/** One staged message of a batch. */
export interface StagedMsg {
  subject: string;
  hdr: Buffer;
  payload: Buffer;
}

/** Why a batch was abandoned (Go's BatchAbandonReason). */
export type AbandonReason = "timeout" | "large" | "incomplete" | "unsupported";

/** A refusal: the Go error and its replacements. */
export interface BatchRefusal {
  entry: JsErrorEntry;
  args?: Record<string, string | number>;
}

/** What a batch needs from its stream. */
export interface BatchHost {
  readonly config: StreamConfigJson;
  /** The stream's last sequence and message count now. */
  state(): { lastSeq: number; msgs: number };
  /** The last sequence stored on `subject` (0: none). */
  lastSeqOf(subject: string): number;
  /** The subject a message is stored under (the stream's input transform). */
  mapSubject(subject: string): string;
  /** Whether `msgId` is within the stream's duplicate window. */
  isDuplicate(msgId: string): boolean;
  respondError(reply: string | undefined, refusal: BatchRefusal): void;
  /** The empty reply that tells a publisher a staged message was taken. */
  respondStaged(reply: string | undefined): void;
  /** Stores every message in order; only the last one answers, with the batch in its PubAck. */
  apply(msgs: StagedMsg[], reply: string | undefined, batch: { id: string; count: number }): void;
  /** Go's stream batch abandoned advisory. */
  abandoned(batchId: string, reason: AbandonReason): void;
}

interface Batch {
  msgs: StagedMsg[];
  timer: NodeJS.Timeout;
}

/**
 * Atomic batch publish of one stream (Go's processJetStreamAtomicBatchMsg for a single
 * server): messages carrying `Nats-Batch-Id` and `Nats-Batch-Sequence` are staged until the one
 * with `Nats-Batch-Commit: 1` (or `eob`, an end marker that is not stored) arrives; then the
 * whole batch is checked against the stream as it is and stored in one go, or refused as a whole.
 * Nothing else is stored in between because the commit runs in one event-loop turn.
 *
 * @example
 * const batches = new AtomicBatches(stream);
 * if (batchId !== undefined) return batches.handle(batchId, subject, reply, hdr, payload);
 */
export class AtomicBatches {
  private readonly batches = new Map<string, Batch>();

  constructor(private readonly host: BatchHost) {}

  handle(batchId: string, subject: string, reply: string | undefined, hdr: Buffer, payload: Buffer): void {
    const refuse = (entry: JsErrorEntry, args?: Record<string, string | number>): void => this.host.respondError(reply, { entry, args });
    if (!this.host.config.allow_atomic) return refuse(apiErrors.JSAtomicPublishDisabledErr);
    if (batchId.length > MAX_BATCH_ID_LEN) return refuse(apiErrors.JSAtomicPublishInvalidBatchIDErr);
    const seqText = getHeader(hdr, H.JS_BATCH_SEQ);
    const batchSeq = seqText !== undefined && /^\d+$/.test(seqText) ? Number(seqText) : 0;
    if (batchSeq <= 0) return refuse(apiErrors.JSAtomicPublishMissingSeqErr);
    const commitValue = getHeader(hdr, H.JS_BATCH_COMMIT);
    const commit = commitValue !== undefined;
    const eob = commitValue === "eob";
    // The end-of-batch marker does not count toward the size.
    const size = eob ? batchSeq - 1 : batchSeq;

    let batch = this.batches.get(batchId);
    if (batch === undefined) {
      if (batchSeq !== 1) {
        if (size > MAX_BATCH_SIZE) return refuse(apiErrors.JSAtomicPublishTooLargeBatchErrF, { size: MAX_BATCH_SIZE });
        return refuse(apiErrors.JSAtomicPublishIncompleteBatchErr);
      }
      if (this.batches.size + 1 > MAX_INFLIGHT_PER_STREAM || inflightTotal + 1 > MAX_INFLIGHT_TOTAL) {
        return refuse(apiErrors.JSAtomicPublishTooManyInflight);
      }
      batch = { msgs: [], timer: this.timer(batchId) };
      this.batches.set(batchId, batch);
      inflightTotal++;
    } else {
      batch.timer.refresh();
    }
    if (commit && !eob && commitValue !== "1") {
      this.drop(batchId);
      return refuse(apiErrors.JSAtomicPublishInvalidBatchCommitErr);
    }
    // A batch needing a newer server is refused; otherwise the header is not stored.
    const level = getHeader(hdr, H.JS_REQUIRED_API_LEVEL);
    if (level !== undefined && level !== "") {
      if (!/^\d+$/.test(level) || Number(level) > JS_API_LEVEL) {
        this.abandon(batchId, "unsupported");
        return refuse(apiErrors.JSRequiredApiLevelErr);
      }
      hdr = removeHeader(hdr, H.JS_REQUIRED_API_LEVEL) ?? Buffer.alloc(0);
    }
    if (batchSeq !== batch.msgs.length + 1 || (batchSeq === 1 && eob)) {
      this.abandon(batchId, "incomplete");
      return refuse(apiErrors.JSAtomicPublishIncompleteBatchErr);
    }
    if (size > MAX_BATCH_SIZE) {
      this.abandon(batchId, "large");
      return refuse(apiErrors.JSAtomicPublishTooLargeBatchErrF, { size: MAX_BATCH_SIZE });
    }
    if (!commit) {
      // Staged messages outlive the read buffer they arrived in.
      batch.msgs.push({ subject, hdr: Buffer.from(hdr), payload: Buffer.from(payload) });
      return this.host.respondStaged(reply);
    }
    const msgs = batch.msgs;
    if (!eob) msgs.push({ subject, hdr, payload });
    else {
      const last = msgs[msgs.length - 1];
      last.hdr = appendHeader(last.hdr, H.JS_BATCH_COMMIT, "1");
    }
    this.drop(batchId);
    const refusal = this.check(msgs);
    if (refusal !== undefined) return this.host.respondError(reply, refusal);
    this.host.apply(msgs, reply, { id: batchId, count: msgs.length });
  }

  /** Abandons every batch in flight (the stream stops, or atomic publish was turned off). */
  clear(): void {
    for (const id of [...this.batches.keys()]) this.drop(id);
  }

  private timer(batchId: string): NodeJS.Timeout {
    const t = setTimeout(() => this.abandon(batchId, "timeout"), BATCH_TIMEOUT_MS);
    t.unref();
    return t;
  }

  private drop(batchId: string): void {
    const b = this.batches.get(batchId);
    if (b === undefined) return;
    clearTimeout(b.timer);
    this.batches.delete(batchId);
    inflightTotal--;
  }

  private abandon(batchId: string, reason: AbandonReason): void {
    this.drop(batchId);
    this.host.abandoned(batchId, reason);
  }

  /**
   * Go's checkMsgHeadersPreClusteredProposal over the whole batch, against the stream as it is
   * before the batch: whatever would refuse one message refuses the batch before anything is
   * stored.
   */
  private check(msgs: StagedMsg[]): BatchRefusal | undefined {
    const cfg = this.host.config;
    const state = this.host.state();
    const refuse = (entry: JsErrorEntry, args?: Record<string, string | number>): BatchRefusal => ({ entry, args });
    if (cfg.sealed) return refuse(apiErrors.JSStreamSealedErr);
    if (cfg.discard === "new" && (cfg.max_msgs ?? -1) > 0 && state.msgs + msgs.length > cfg.max_msgs) {
      return refuse(apiErrors.JSStreamStoreFailedF, { err: "maximum messages exceeded" });
    }
    const ids = new Set<string>();
    const written = new Set<string>();
    const maxMsgSize = cfg.max_msg_size ?? -1;
    for (let i = 0; i < msgs.length; i++) {
      const { hdr, payload } = msgs[i];
      const subject = this.host.mapSubject(msgs[i].subject);
      if (maxMsgSize >= 0 && (hdr.length > maxMsgSize || payload.length > maxMsgSize - hdr.length)) {
        return refuse(apiErrors.JSStreamMessageExceedsMaximumErr);
      }
      if (hdr.length > 0xffff) return refuse(apiErrors.JSStreamHeaderExceedsMaximumErr);
      if (getHeader(hdr, H.JS_EXPECTED_LAST_MSG_ID) !== undefined) {
        return refuse(apiErrors.JSAtomicPublishUnsupportedHeaderBatchErr, { header: H.JS_EXPECTED_LAST_MSG_ID });
      }
      if (cfg.allow_msg_counter && getHeader(hdr, H.JS_MSG_INCR) === undefined) return refuse(apiErrors.JSMessageIncrMissingErr);
      const expectedStream = getHeader(hdr, H.JS_EXPECTED_STREAM);
      if (expectedStream !== undefined && expectedStream !== "" && expectedStream !== cfg.name) return refuse(apiErrors.JSStreamNotMatchErr);
      const ttl = getHeader(hdr, H.JS_MSG_TTL);
      if (ttl !== undefined) {
        let value: number;
        try {
          value = H.parseMessageTtl(ttl);
        } catch {
          return refuse(apiErrors.JSMessageTTLInvalidErr);
        }
        if (!cfg.allow_msg_ttl && value !== 0) return refuse(apiErrors.JSMessageTTLDisabledErr);
      }
      const msgId = getHeader(hdr, H.JS_MSG_ID) ?? "";
      if (msgId !== "") {
        if (ids.has(msgId) || this.host.isDuplicate(msgId)) return refuse(apiErrors.JSAtomicPublishContainsDuplicateMessageErr);
        ids.add(msgId);
      }
      const lastSeq = H.uintHeader(hdr, H.JS_EXPECTED_LAST_SEQ);
      if (lastSeq !== undefined) {
        // Only the first message may say what the stream's last sequence is.
        if (i > 0) return refuse(apiErrors.JSStreamWrongLastSequenceConstantErr);
        if (lastSeq !== state.lastSeq) return refuse(apiErrors.JSStreamWrongLastSequenceErrF, { seq: state.lastSeq });
      }
      const subjSeq = H.uintHeader(hdr, H.JS_EXPECTED_LAST_SUBJ_SEQ);
      const subjOverride = getHeader(hdr, H.JS_EXPECTED_LAST_SUBJ_SEQ_SUBJ) ?? "";
      if (subjSeq !== undefined) {
        const seqSubject = subjOverride !== "" ? subjOverride : subject;
        // A subject this batch already wrote to has no knowable last sequence yet.
        if (written.has(seqSubject)) return refuse(apiErrors.JSStreamWrongLastSequenceConstantErr);
        const found = this.host.lastSeqOf(seqSubject);
        if (found !== subjSeq) return refuse(apiErrors.JSStreamWrongLastSequenceErrF, { seq: found });
      } else if (subjOverride !== "") {
        return refuse(apiErrors.JSStreamExpectedLastSeqPerSubjectInvalid);
      }
      if (getHeader(hdr, H.JS_STREAM_SOURCE) !== undefined) return refuse(apiErrors.JSMessageSourceHdrNotAllowedErr);
      const rollup = getHeader(hdr, H.JS_MSG_ROLLUP) ?? "";
      if (rollup !== "") {
        if (!cfg.allow_rollup_hdrs || cfg.deny_purge) return refuse(apiErrors.JSStreamRollupFailedF, { err: "rollup not permitted" });
        if (rollup !== "sub" && rollup !== "all") return refuse(apiErrors.JSStreamRollupFailedF, { err: `rollup value invalid: ${JSON.stringify(rollup)}` });
      }
      written.add(subject);
    }
    return undefined;
  }
}
