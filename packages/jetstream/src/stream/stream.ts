import type { InternalClient, Logger, Subscription } from "@nats-ts/core";
import { isStoreError, type StoreMsg, type StreamStore } from "@nats-ts/storage";
import { appendHeader, getHeader, isValidPublishSubject, removeHeader, removeHeadersWithPrefix } from "@nats-ts/wire";
import { ApiError, apiErrors, type JsErrorEntry } from "../errors/index.js";
import { nowNs, rfc3339Nano } from "../util/time.js";
import type { StreamConfigJson } from "./config.js";
import type { ConsumerHost, ConsumerManagerFactory, ConsumerManagerLike } from "./consumer-host.js";
import { DedupeWindow } from "./dedupe.js";
import { DirectGet } from "./direct-get.js";
import { applyIncrement, checkIncrement } from "./counter.js";
import { deleteMarkerHeaders, deliberateStore, ExpiryWatch } from "./delete-markers.js";
import * as H from "./headers.js";
import { storeConfigOf } from "./store-factory.js";
import { AtomicBatches, type BatchHost } from "./atomic-batch.js";
import { ConsumerLink } from "./consumer-link.js";
import { sourceIndexName, type StreamSourceJson } from "./mirror-config.js";
import { lastSourcedSeqs, sourceHeaderValue, StreamLink, type LinkTarget, type StreamSourceInfoJson } from "./source-link.js";
import { SubjectTransform } from "./subject-transform.js";

/** What a stream needs from its account and server. */
export interface StreamContext {
  client: InternalClient;
  accountName: string;
  domain?: string;
  log: Logger;
  /** Directory of the stream's consumers' state (file streams only). */
  consumerDir?: string;
  consumerFactory?: ConsumerManagerFactory;
  /** The account's max_ack_pending limit (-1 = none). */
  maxAckPending?: number;
  /** The server's max_payload (a counter's new body must fit). */
  maxPayload: number;
  /** Byte budget of one direct get batch when the request sets none (the server's max_pending). */
  maxPending: number;
  /** Told every change of the stored bytes (for the account's usage). */
  onBytes?(storage: "file" | "memory", delta: number): void;
  /** Whether storing `bytes` more is refused: server storage used up, or the account's limit. */
  wouldExceedAccountLimits(storage: "file" | "memory", bytes: number): "server" | "account" | undefined;
  /** Another stream of the account (the origin of a mirror or source). */
  lookupStream?(name: string): Stream | undefined;
  /** Publishes an advisory in the account (id, timestamp and domain added). */
  advisory?(subject: string, type: string, fields: Record<string, unknown>): void;
}

/** The batch a stored message belongs to; its last message's PubAck names it. */
interface BatchAck {
  id: string;
  count: number;
}

/** A mirror or source: read in-process from a stream of the account, or through a consumer. */
type Link = StreamLink | ConsumerLink;

const EMPTY = Buffer.alloc(0);
const MAX_HEADER_SIZE = 0xffff;
/** The queue group of every direct get responder (Go's dgetGroup). */
const DIRECT_GET_GROUP = "_sys_";
/** A mirror starts serving its origin's direct gets once fewer messages than this remain (Go's dgetCaughtUpThresh). */
const MIRROR_DIRECT_CAUGHT_UP = 10;

/**
 * A stream: its config, its store, the subscription that feeds it, de-duplication and the
 * publish checks of Go's processJetStreamMsg. Consumers attach through the ConsumerHost side.
 */
export class Stream implements ConsumerHost, LinkTarget {
  readonly client: InternalClient;
  readonly accountName: string;
  readonly domain?: string;
  /** The store as consumers use it (their removals never leave delete markers). */
  readonly store: StreamStore;
  consumers: ConsumerManagerLike | undefined;
  private readonly expiry: ExpiryWatch;
  private cfg: StreamConfigJson;
  private readonly subs: Subscription[] = [];
  /** Direct get responders for the origin of a mirror with mirror_direct. */
  private readonly mirrorDirectSubs: Subscription[] = [];
  private readonly storedListeners = new Set<(seq: number, subject: string) => void>();
  private readonly purgeListeners = new Set<() => void>();
  private readonly dedupe: DedupeWindow;
  private inputTransform: SubjectTransform | undefined;
  private republishTransform: SubjectTransform | undefined;
  private pubAckPrefix = "";
  private lastMsgId = "";
  private closed = false;
  private dedupeTimer: NodeJS.Timeout | undefined;
  /** The mirror (alone) or the sources this stream copies from. */
  private links: Link[] = [];
  /** Mirrors and sources reading this stream. */
  private readonly readers = new Set<StreamLink>();
  private readonly batches: AtomicBatches;

  constructor(
    config: StreamConfigJson,
    private readonly raw: StreamStore,
    readonly created: bigint,
    private readonly ctx: StreamContext,
  ) {
    this.cfg = config;
    this.client = ctx.client;
    this.accountName = ctx.accountName;
    this.domain = ctx.domain;
    this.dedupe = new DedupeWindow(BigInt(config.duplicate_window ?? 0));
    this.expiry = new ExpiryWatch((subject) => setImmediate(() => this.leaveDeleteMarker(subject)));
    this.store = deliberateStore(raw, this.expiry);
    raw.registerStorageUpdates((msgs, bytes, seq, subject) => {
      ctx.onBytes?.(config.storage, bytes);
      if (msgs < 0 && this.links.length > 0) this.relink();
      this.expiry.update(raw, msgs, seq, subject);
    });
    this.applyConfig(config);
    this.batches = new AtomicBatches(this.batchHost());
    if (ctx.consumerFactory !== undefined) {
      this.consumers = ctx.consumerFactory(this, { storeDir: ctx.consumerDir, maxAckPending: ctx.maxAckPending });
    }
  }

  get streamName(): string {
    return this.cfg.name;
  }

  get config(): StreamConfigJson {
    return this.cfg;
  }

  onStored(listener: (seq: number, subject: string) => void): () => void {
    this.storedListeners.add(listener);
    return () => this.storedListeners.delete(listener);
  }

  /** Called after a purge (API or rollup-all) removed messages; consumers may need to move on. */
  onPurged(listener: () => void): () => void {
    this.purgeListeners.add(listener);
    return () => this.purgeListeners.delete(listener);
  }

  /** Starts taking messages published on the stream's subjects, and direct gets when allowed. */
  start(): void {
    this.startLinks();
    for (const subject of this.cfg.subjects ?? []) {
      this.subs.push(this.client.subscribe(subject, (subj, reply, hsize, msg) => this.inbound(subj, reply, hsize, msg)));
    }
    if (this.cfg.allow_direct) this.subscribeDirect(this.cfg.name, this.subs);
    this.serveMirrorDirectIfCaughtUp();
  }

  /**
   * Answers direct gets addressed to stream `name` from this stream's store. Every server-side
   * responder joins one queue group, so a mirror with mirror_direct shares its origin's load.
   */
  private subscribeDirect(name: string, into: Subscription[]): void {
    const dg = new DirectGet(() => this.cfg.name, this.store, this.client, this.ctx.maxPending);
    const apis = this.domain ? ["$JS.API", `$JS.${this.domain}.API`] : ["$JS.API"];
    for (const api of apis) {
      const prefix = `${api}.DIRECT.GET.${name}`;
      into.push(
        this.client.subscribe(prefix, (_s, reply, hsize, msg) => dg.guard(reply, () => dg.request(reply, msg.subarray(0, hsize), msg.subarray(hsize))), DIRECT_GET_GROUP),
      );
      into.push(
        this.client.subscribe(
          `${prefix}.>`,
          (subj, reply, hsize, msg) => dg.guard(reply, () => dg.lastBySubject(subj.slice(prefix.length + 1), reply, msg.subarray(0, hsize), msg.subarray(hsize))),
          DIRECT_GET_GROUP,
        ),
      );
    }
  }

  /** Go's subscribeToMirrorDirect: a mirror serves its origin's direct gets once nearly caught up. */
  private serveMirrorDirectIfCaughtUp(): void {
    const mirror = this.cfg.mirror;
    if (this.closed || mirror === undefined || !this.cfg.mirror_direct || this.mirrorDirectSubs.length > 0) return;
    const link = this.links[0];
    if (link === undefined || link.lag >= MIRROR_DIRECT_CAUGHT_UP) return;
    this.subscribeDirect(mirror.name, this.mirrorDirectSubs);
  }

  /** A link copied a batch from its origin (its lag may now be small). */
  linkProgressed(): void {
    this.serveMirrorDirectIfCaughtUp();
  }

  private stopSubs(): void {
    for (const sub of this.subs) this.client.removeSub(sub);
    this.subs.length = 0;
    for (const sub of this.mirrorDirectSubs) this.client.removeSub(sub);
    this.mirrorDirectSubs.length = 0;
    for (const link of this.links) link.stop();
    this.links = [];
  }

  // ---- mirror and sources -------------------------------------------------------------------

  private startLinks(): void {
    const lookup = this.ctx.lookupStream;
    if (lookup === undefined || this.links.length > 0) return;
    const find = (name: string): Stream | undefined => {
      const s = lookup(name);
      return s === this ? undefined : s;
    };
    const link = (spec: StreamSourceJson, mirror: boolean, next: number): Link => {
      if (!spec.external) return new StreamLink(spec, find, this, next);
      const kind = mirror ? "mirror" : "source";
      const metadata: Record<string, string> = { [`_nats.${kind}.stream`]: this.cfg.name, [`_nats.${kind}.acc`]: this.accountName };
      if (this.domain) metadata[`_nats.${kind}.domain`] = this.domain;
      return new ConsumerLink(spec, mirror, this, { client: this.client, log: this.ctx.log, label: `${this.accountName} > ${this.cfg.name}`, metadata }, next);
    };
    if (this.cfg.mirror !== undefined) {
      const last = this.raw.fastState().lastSeq;
      this.links = [link(this.cfg.mirror, true, last > 0 ? last + 1 : 0)];
    } else {
      const sources = this.cfg.sources ?? [];
      const resumed = lastSourcedSeqs(this.raw, sources.map(sourceIndexName));
      this.links = sources.map((spec) => link(spec, false, (resumed.get(sourceIndexName(spec)) ?? -1) + 1));
    }
    for (const l of this.links) l.start();
  }

  addReader(link: StreamLink): () => void {
    this.readers.add(link);
    return () => this.readers.delete(link);
  }

  private readersNeed(seq: number): boolean {
    for (const r of this.readers) if (r.needs(seq)) return true;
    return false;
  }

  /** A mirror or source is done with `seq`: under interest or work queue retention it may go now. */
  copied(seq: number): void {
    if (this.closed || this.cfg.retention === "limits" || this.readersNeed(seq)) return;
    if ((this.consumers?.count ?? 0) > 0 && !(this.consumers?.interestDone?.(seq) ?? true)) return;
    this.deleteMsg(seq, false);
  }

  /** Looks for the origins again now (one was just created or recovered). */
  relink(): void {
    for (const link of this.links) link.attach();
  }

  /** Go's StreamInfo `mirror` and `sources`. */
  linkInfo(): { mirror?: StreamSourceInfoJson; sources?: StreamSourceInfoJson[] } {
    if (this.links.length === 0) return {};
    if (this.cfg.mirror !== undefined) return { mirror: this.links[0].info() };
    return { sources: this.links.map((l) => l.info()) };
  }

  /** Stores a message a mirror or source link copied from its origin; false: retry it later. */
  take(link: { readonly iname: string }, msg: StoreMsg, subject: string): boolean {
    if (this.closed) return false;
    if (this.cfg.sealed) return true;
    const payload = Buffer.from(msg.msg);
    if (this.cfg.mirror !== undefined) {
      // A mirror keeps the origin's sequences and timestamps.
      const last = this.raw.fastState().lastSeq;
      if (msg.seq <= last) return true;
      if (msg.seq > last + 1) this.raw.skipMsgs(last + 1, msg.seq - last - 1);
      const hdr = copiedHeaders(msg.hdr, false) ?? null;
      const pending = this.expiry.deliberate(() => this.raw.storeRawMsg(subject, hdr, payload, msg.seq, msg.ts));
      if (this.raw.fastState().lastSeq !== msg.seq) {
        pending.catch((err: unknown) => this.ctx.log.warn(`Mirror '${this.accountName} > ${this.cfg.name}' skipped sequence ${msg.seq}: ${String(err)}`));
        this.raw.skipMsgs(msg.seq, 1);
        return true;
      }
      pending.then(
        () => {
          for (const l of this.storedListeners) l(msg.seq, subject);
        },
        (err: unknown) => this.storeFailed(undefined, err),
      );
      return true;
    }
    const base = copiedHeaders(msg.hdr, true) ?? Buffer.from("NATS/1.0\r\n\r\n");
    const hdr = appendHeader(base, H.JS_STREAM_SOURCE, sourceHeaderValue(link.iname, msg.seq, msg.subject));
    // Sourced messages are de-duplicated by their Nats-Msg-Id within this stream's window.
    const window = this.cfg.duplicate_window ?? 0;
    const msgId = (window > 0 && msg.hdr.length > 0 ? getHeader(msg.hdr, H.JS_MSG_ID) : undefined) ?? "";
    if (msgId !== "" && this.dedupe.check(msgId, nowNs()) > 0) return true;
    const before = this.raw.fastState().lastSeq;
    this.store_(subject, undefined, hdr, payload, 0, msgId, "");
    // A full discard-new stream refuses it: stop here and retry once messages are removed.
    return this.cfg.discard !== "new" || this.raw.fastState().lastSeq !== before;
  }

  /** Applies an updated config (already validated) to the running stream and its store. */
  update(config: StreamConfigJson): void {
    const resubscribe =
      JSON.stringify(config.subjects) !== JSON.stringify(this.cfg.subjects) ||
      config.allow_direct !== this.cfg.allow_direct ||
      config.mirror_direct !== this.cfg.mirror_direct ||
      JSON.stringify(config.sources) !== JSON.stringify(this.cfg.sources) ||
      JSON.stringify(config.mirror) !== JSON.stringify(this.cfg.mirror);
    this.applyConfig(config);
    if (!config.allow_atomic) this.batches.clear();
    this.expiry.deliberate(() => this.raw.updateConfig(storeConfigOf(config)));
    this.dedupe.prune(nowNs());
    if (this.dedupeTimer !== undefined) {
      clearTimeout(this.dedupeTimer);
      this.dedupeTimer = undefined;
      this.scheduleDedupePrune();
    }
    if (resubscribe && !this.closed) {
      this.stopSubs();
      this.start();
    }
  }

  private applyConfig(config: StreamConfigJson): void {
    this.cfg = config;
    this.dedupe.setWindow(config.duplicate_window ?? 0);
    this.inputTransform = config.subject_transform ? SubjectTransform.create(config.subject_transform.src, config.subject_transform.dest) : undefined;
    this.republishTransform = config.republish ? SubjectTransform.create(config.republish.src, config.republish.dest) : undefined;
    const domain = this.domain !== undefined && this.domain !== "" ? `,"domain":${JSON.stringify(this.domain)}` : "";
    this.pubAckPrefix = `{"stream":${JSON.stringify(config.name)}${domain},"seq":`;
  }

  /** Go's subject delete marker: expiry took the last message of `subject`. */
  private leaveDeleteMarker(subject: string): void {
    const ttl = this.cfg.subject_delete_marker_ttl ?? 0;
    if (this.closed || ttl <= 0 || (this.raw.subjectsTotals(subject).get(subject) ?? 0) > 0) return;
    this.processMessage(subject, undefined, deleteMarkerHeaders(ttl), EMPTY);
  }

  /** Message ids currently remembered for de-duplication. */
  get numMsgIds(): number {
    return this.dedupe.size;
  }

  private rememberMsgId(id: string, seq: number): void {
    this.dedupe.remember(id, seq, nowNs());
    this.scheduleDedupePrune();
  }

  /** Forgets expired ids even when no new ones arrive (Go's purgeMsgIds timer). */
  private scheduleDedupePrune(): void {
    if (this.dedupeTimer !== undefined || this.closed) return;
    const ms = Math.max(Math.ceil((this.cfg.duplicate_window ?? 0) / 1e6), 10);
    this.dedupeTimer = setTimeout(() => {
      this.dedupeTimer = undefined;
      this.dedupe.prune(nowNs());
      if (this.dedupe.size > 0) this.scheduleDedupePrune();
    }, ms);
    this.dedupeTimer.unref();
  }

  /** Rebuilds the duplicate window from messages stored within it (after recovery). */
  rebuildDedupe(): void {
    if ((this.cfg.subject_delete_marker_ttl ?? 0) > 0) this.expiry.rebuild(this.raw);
    const window = BigInt(this.cfg.duplicate_window ?? 0);
    if (window <= 0n) return;
    const now = nowNs();
    let seq = this.store.getSeqFromTime(now - window);
    const last = this.store.fastState().lastSeq;
    for (; seq > 0 && seq <= last; seq++) {
      let sm: StoreMsg;
      try {
        sm = this.store.loadMsg(seq);
      } catch {
        continue;
      }
      if (sm.hdr.length === 0) continue;
      const id = getHeader(sm.hdr, H.JS_MSG_ID);
      if (id !== undefined && id !== "") {
        this.dedupe.remember(id, sm.seq, sm.ts);
        this.lastMsgId = id;
        this.scheduleDedupePrune();
      }
    }
  }

  private batchHost(): BatchHost {
    const stream = this;
    return {
      get config() {
        return stream.cfg;
      },
      state: () => {
        const st = this.raw.fastState();
        return { lastSeq: st.lastSeq, msgs: st.msgs };
      },
      lastSeqOf: (subject) => {
        try {
          return this.store.loadLastMsg(subject).seq;
        } catch {
          return 0;
        }
      },
      mapSubject: (subject) => this.inputTransform?.match(subject) ?? subject,
      isDuplicate: (msgId) => this.dedupe.check(msgId, nowNs()) > 0,
      respondError: (reply, refusal) => this.respondError(reply, refusal.entry, refusal.args),
      respondStaged: (reply) => {
        if (reply !== undefined && reply !== "" && !this.cfg.no_ack) this.client.publish(reply, EMPTY);
      },
      apply: (msgs, reply, batch) => {
        for (let i = 0; i < msgs.length; i++) {
          const m = msgs[i];
          this.processMessage(m.subject, i === msgs.length - 1 ? reply : undefined, m.hdr, m.payload, batch);
        }
      },
      abandoned: (batchId, reason) =>
        this.ctx.advisory?.(`$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.${this.cfg.name}`, "io.nats.jetstream.advisory.v1.stream_batch_abandoned", {
          stream: this.cfg.name,
          batch: batchId,
          reason,
        }),
    };
  }

  // ---- publish path ---------------------------------------------------------------------------

  private inbound(subject: string, reply: string | undefined, headerSize: number, msg: Buffer): void {
    if (this.closed) return;
    // The buffer may be a view into a connection's read buffer: copy what outlives this call.
    const copy = Buffer.from(msg);
    const hdr = headerSize > 0 ? copy.subarray(0, headerSize) : EMPTY;
    const payload = copy.subarray(headerSize);
    try {
      this.processMessage(subject, reply, hdr, payload);
    } catch (e) {
      // Internal handlers must not throw into the publisher's delivery.
      this.ctx.log.error(`JetStream failed to process a msg on stream '${this.accountName} > ${this.cfg.name}': ${String(e)}`);
      this.respondError(reply, apiErrors.JSStreamStoreFailedF, { err: e instanceof Error ? e.message : String(e) });
    }
  }

  private respondError(reply: string | undefined, entry: JsErrorEntry, replacements?: Record<string, string | number>): void {
    if (reply === undefined || reply === "" || this.cfg.no_ack) return;
    const err = new ApiError(entry, replacements).toJSON();
    this.client.publish(reply, Buffer.from(JSON.stringify({ error: err, stream: this.cfg.name, seq: 0 })));
  }

  private respondAck(reply: string | undefined, seq: number, duplicate = false, counterValue?: string, batch?: BatchAck): void {
    if (reply === undefined || reply === "" || this.cfg.no_ack) return;
    let tail = duplicate ? ',"duplicate": true}' : counterValue !== undefined ? `,"val":${JSON.stringify(counterValue)}}` : "}";
    if (batch !== undefined) tail = `${tail.slice(0, -1)},"batch":${JSON.stringify(batch.id)},"count":${batch.count}}`;
    this.client.publish(reply, Buffer.from(`${this.pubAckPrefix}${seq}${tail}`));
  }

  /**
   * Go's processJetStreamMsg for a standalone server. Messages of an atomic batch are staged
   * first; `batch` is set when a committed batch is being stored.
   */
  processMessage(subject: string, reply: string | undefined, hdrIn: Buffer, payload: Buffer, batch?: BatchAck): void {
    const cfg = this.cfg;
    if (batch === undefined && hdrIn.length > 0) {
      const batchId = getHeader(hdrIn, H.JS_BATCH_ID);
      if (batchId !== undefined && batchId !== "") return this.batches.handle(batchId, subject, reply, hdrIn, payload);
    }
    if (this.inputTransform !== undefined) subject = this.inputTransform.match(subject) ?? subject;
    if (cfg.sealed) return this.respondError(reply, apiErrors.JSStreamSealedErr);
    let hdr = hdrIn;
    let msgId = "";
    let rollup = "";
    if (hdr.length > 0 && getHeader(hdr, H.CLIENT_INFO_HDR) !== undefined) {
      hdr = removeHeader(hdr, H.CLIENT_INFO_HDR) ?? EMPTY;
    }
    const incr = checkIncrement(hdr, payload, cfg.allow_msg_counter === true);
    if (typeof incr === "object") return this.respondError(reply, incr);
    if (hdr.length > 0) {
      const expectedStream = getHeader(hdr, H.JS_EXPECTED_STREAM);
      if (expectedStream !== undefined && expectedStream !== "" && expectedStream !== cfg.name) {
        return this.respondError(reply, apiErrors.JSStreamNotMatchErr);
      }
      const ttlHeader = getHeader(hdr, H.JS_MSG_TTL);
      if (ttlHeader !== undefined && !cfg.allow_msg_ttl && ttlValue(ttlHeader) !== 0) {
        return this.respondError(reply, apiErrors.JSMessageTTLDisabledErr);
      }
      const lastSubjSeq = H.uintHeader(hdr, H.JS_EXPECTED_LAST_SUBJ_SEQ);
      const lastSubjSeqSubject = getHeader(hdr, H.JS_EXPECTED_LAST_SUBJ_SEQ_SUBJ);
      if (lastSubjSeq !== undefined) {
        const seqSubject = lastSubjSeqSubject !== undefined && lastSubjSeqSubject !== "" ? lastSubjSeqSubject : subject;
        let found = 0;
        try {
          found = this.store.loadLastMsg(seqSubject).seq;
        } catch {
          found = 0;
        }
        if (found !== lastSubjSeq) return this.respondError(reply, apiErrors.JSStreamWrongLastSequenceErrF, { seq: found });
      } else if (lastSubjSeqSubject !== undefined && lastSubjSeqSubject !== "") {
        return this.respondError(reply, apiErrors.JSStreamExpectedLastSeqPerSubjectInvalid);
      }
      const lastSeq = H.uintHeader(hdr, H.JS_EXPECTED_LAST_SEQ);
      if (lastSeq !== undefined) {
        const current = this.raw.fastState().lastSeq;
        if (lastSeq !== current) return this.respondError(reply, apiErrors.JSStreamWrongLastSequenceErrF, { seq: current });
      }
      if (getHeader(hdr, H.JS_STREAM_SOURCE) !== undefined) {
        return this.respondError(reply, apiErrors.JSMessageSourceHdrNotAllowedErr);
      }
      msgId = getHeader(hdr, H.JS_MSG_ID) ?? "";
      if (msgId !== "" && cfg.mirror === undefined) {
        const dup = this.dedupe.check(msgId, nowNs());
        if (dup > 0) return this.respondAck(reply, dup, true);
      }
      const expectedLastId = getHeader(hdr, H.JS_EXPECTED_LAST_MSG_ID);
      if (expectedLastId !== undefined && expectedLastId !== "" && expectedLastId !== this.lastMsgId) {
        return this.respondError(reply, apiErrors.JSStreamWrongLastMsgIDErrF, { id: this.lastMsgId });
      }
      rollup = getHeader(hdr, H.JS_MSG_ROLLUP) ?? "";
      if (rollup !== "") {
        if (!cfg.allow_rollup_hdrs || cfg.deny_purge) {
          return this.respondError(reply, apiErrors.JSStreamRollupFailedF, { err: "rollup not permitted" });
        }
        if (rollup !== "sub" && rollup !== "all") {
          return this.respondError(reply, apiErrors.JSStreamRollupFailedF, { err: `rollup value invalid: ${JSON.stringify(rollup)}` });
        }
      }
    }
    let counterValue: string | undefined;
    if (cfg.allow_msg_counter) {
      if (incr === undefined) return this.respondError(reply, apiErrors.JSMessageIncrMissingErr);
      const applied = applyIncrement(this.raw, subject, incr);
      if ("errCode" in applied) return this.respondError(reply, applied);
      payload = applied.body;
      counterValue = applied.value;
      if (hdr.length + payload.length > this.ctx.maxPayload) return this.respondError(reply, apiErrors.JSStreamMessageExceedsMaximumErr);
    }
    const maxMsgSize = cfg.max_msg_size ?? -1;
    if (maxMsgSize >= 0 && (hdr.length > maxMsgSize || payload.length > maxMsgSize - hdr.length)) {
      return this.respondError(reply, apiErrors.JSStreamMessageExceedsMaximumErr);
    }
    if (hdr.length > MAX_HEADER_SIZE) return this.respondError(reply, apiErrors.JSStreamHeaderExceedsMaximumErr);

    if (cfg.retention === "interest" && (this.consumers === undefined || this.consumers.count === 0) && this.readers.size === 0) {
      const seq = this.store.skipMsg(0);
      this.lastMsgId = msgId;
      if (msgId !== "") this.rememberMsgId(msgId, seq);
      return this.respondAck(reply, seq, false, undefined, batch);
    }
    const exceeded = this.ctx.wouldExceedAccountLimits(cfg.storage, accountedSize(this.raw, subject, hdr, payload));
    if (exceeded !== undefined) {
      return this.respondError(reply, exceeded === "server" ? apiErrors.JSInsufficientResourcesErr : apiErrors.JSAccountResourcesExceededErr);
    }
    let ttl = 0;
    const ttlHeader = hdr.length > 0 ? getHeader(hdr, H.JS_MSG_TTL) : undefined;
    if (ttlHeader !== undefined) {
      try {
        ttl = H.parseMessageTtl(ttlHeader);
      } catch {
        return this.respondError(reply, apiErrors.JSMessageTTLInvalidErr);
      }
      const markerTtl = Math.floor((cfg.subject_delete_marker_ttl ?? 0) / 1e9);
      if (ttl > 0 && markerTtl > 0 && cfg.max_msgs_per_subject !== 1 && ttl < markerTtl) {
        ttl = markerTtl;
        hdr = appendHeader(removeHeader(hdr, H.JS_MSG_TTL), H.JS_MSG_TTL, String(ttl));
      }
    }
    this.store_(subject, reply, hdr, payload, ttl, msgId, rollup, counterValue, batch);
  }

  private store_(
    subject: string,
    reply: string | undefined,
    hdr: Buffer,
    payload: Buffer,
    ttl: number,
    msgId: string,
    rollup: string,
    counterValue?: string,
    batch?: BatchAck,
  ): void {
    const republish = this.republishTransform?.match(subject);
    const republishTo = republish !== undefined && isValidPublishSubject(republish) ? republish : undefined;
    let subjectLastSeq = 0;
    if (republishTo !== undefined) {
      try {
        subjectLastSeq = this.store.loadLastMsg(subject).seq;
      } catch {
        subjectLastSeq = 0;
      }
    }
    const before = this.raw.fastState().lastSeq;
    // Limits may drop older messages inside storeMsg: deliberate removals, not expiries.
    const pending = this.expiry.deliberate(() => this.raw.storeMsg(subject, hdr.length > 0 ? hdr : null, payload, ttl));
    const seq = this.raw.fastState().lastSeq;
    if (seq === before) {
      // Rejected synchronously (limits, discard new, closed store): report the store's reason.
      pending.catch((err: unknown) => this.storeFailed(reply, err));
      return;
    }
    this.lastMsgId = msgId;
    this.expiry.noteStored(seq, hdr);
    if (msgId !== "") this.rememberMsgId(msgId, seq);
    if (rollup === "sub") {
      if (this.store.purgeEx(subject, 0, 1) > 0) this.notifyPurged();
    }
    else if (rollup === "all") {
      this.purge({ keep: 1 });
    }
    if (this.cfg.retention === "interest" && !this.readersNeed(seq) && this.consumers?.interestDone?.(seq)) {
      // No consumer wants it: Go skips such messages; the sequence stays used.
      this.store.removeMsg(seq);
      pending.then(() => this.respondAck(reply, seq, false, undefined, batch), (err: unknown) => this.storeFailed(reply, err));
      return;
    }
    pending.then(
      ({ ts }) => {
        if (republishTo !== undefined) this.republish(republishTo, subject, hdr, payload, seq, ts, subjectLastSeq);
        this.respondAck(reply, seq, false, counterValue, batch);
        for (const l of this.storedListeners) l(seq, subject);
      },
      (err: unknown) => this.storeFailed(reply, err),
    );
  }

  private storeFailed(reply: string | undefined, err: unknown): void {
    if (isStoreError(err, "StoreClosed")) return;
    if (!isStoreError(err) || !["MaxMsgs", "MaxBytes", "MaxMsgsPerSubject", "MsgTooLarge"].includes(err.code)) {
      this.ctx.log.error(`JetStream failed to store a msg on stream '${this.accountName} > ${this.cfg.name}': ${String(err)}`);
      return;
    }
    this.respondError(reply, apiErrors.JSStreamStoreFailedF, { err: err.message });
  }

  private republish(dest: string, subject: string, hdr: Buffer, payload: Buffer, seq: number, ts: bigint, lastSeq: number): void {
    const headersOnly = this.cfg.republish?.headers_only === true;
    let h: Buffer = hdr.length > 0 ? Buffer.from(hdr) : Buffer.from("NATS/1.0\r\n\r\n");
    h = appendHeader(h, "Nats-Stream", this.cfg.name);
    h = appendHeader(h, "Nats-Subject", subject);
    h = appendHeader(h, "Nats-Sequence", String(seq));
    h = appendHeader(h, "Nats-Time-Stamp", rfc3339Nano(ts));
    h = appendHeader(h, "Nats-Last-Sequence", String(lastSeq));
    if (headersOnly) h = appendHeader(h, "Nats-Msg-Size", String(payload.length));
    this.client.publish(dest, headersOnly ? EMPTY : payload, undefined, h);
  }

  private notifyPurged(): void {
    for (const l of this.purgeListeners) l();
  }

  // ---- operations used by the API -----------------------------------------------------------

  /** Purges messages (Go's mset.purge); returns how many were removed. */
  purge(req: { filter?: string; seq?: number; keep?: number }): number {
    const all = !req.filter || req.filter === ">";
    let purged: number;
    if (all && !req.seq && req.keep) {
      // Keep the last N messages of the whole stream (Go's PurgeEx for an empty filter); the
      // store's purgeEx would keep N per subject here.
      const st = this.store.fastState();
      purged = req.keep >= st.msgs ? 0 : this.store.compact(st.lastSeq - req.keep + 1);
    } else if (req.filter || req.seq || req.keep) purged = this.store.purgeEx(req.filter ?? "", req.seq ?? 0, req.keep ?? 0);
    else purged = this.store.purge();
    if (!req.filter && !req.seq && !req.keep) this.lastMsgId = "";
    this.notifyPurged();
    return purged;
  }

  /** Removes one message; false when there was no such message. */
  deleteMsg(seq: number, erase: boolean): boolean {
    try {
      return erase ? this.store.eraseMsg(seq) : this.store.removeMsg(seq);
    } catch (e) {
      if (isStoreError(e, "MsgNotFound") || isStoreError(e, "StoreEOF")) return false;
      throw e;
    }
  }

  /** Stops taking messages and closes the store and consumers, keeping data on disk. */
  async stop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.dedupeTimer !== undefined) clearTimeout(this.dedupeTimer);
    this.raw.registerStorageUpdates(undefined);
    this.batches.clear();
    this.stopSubs();
    await this.consumers?.stop();
    await this.store.stop();
  }

  /** Stops and removes everything the stream stored. */
  async delete(): Promise<void> {
    this.closed = true;
    if (this.dedupeTimer !== undefined) clearTimeout(this.dedupeTimer);
    this.raw.registerStorageUpdates(undefined);
    this.batches.clear();
    this.stopSubs();
    await this.consumers?.delete();
    await this.store.delete();
  }
}

/**
 * The headers a mirror or source stores for an origin message, as Go ingests them: expected-*
 * checks and batch headers are the origin's business, and a source replaces an earlier
 * Nats-Stream-Source (daisy chains). Undefined when none remain.
 */
function copiedHeaders(hdr: Uint8Array, sourced: boolean): Buffer | undefined {
  if (hdr.length === 0) return undefined;
  let out: Buffer | undefined = Buffer.from(hdr);
  if (sourced) out = removeHeader(out, H.JS_STREAM_SOURCE);
  if (out !== undefined) out = removeHeadersWithPrefix(out, "Nats-Expected-");
  if (out !== undefined) out = removeHeadersWithPrefix(out, "Nats-Batch-");
  return out;
}

/** The bytes a message will count for in its store (Go's fileStoreMsgSize / memStoreMsgSize). */
function accountedSize(store: StreamStore, subject: string, hdr: Buffer, payload: Buffer): number {
  const raw = Buffer.byteLength(subject) + hdr.length + payload.length;
  return store.type() === "file" ? raw + 30 : raw + 16;
}

/** A TTL for the "disabled" check: unparsable counts as none (Go then reports it as invalid). */
function ttlValue(header: string): number {
  try {
    return H.parseMessageTtl(header);
  } catch {
    return 0;
  }
}
