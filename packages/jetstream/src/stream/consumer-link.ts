import { randomBytes } from "node:crypto";
import type { InternalClient, Logger, Subscription } from "@nats-ts/core";
import type { StoreMsg } from "@nats-ts/storage";
import { getHeader } from "@nats-ts/wire";
import { ApiError, apiErrors } from "../errors/index.js";
import { nowNs } from "../util/time.js";
import { sourceIndexName, type StreamSourceJson } from "./mirror-config.js";
import type { LinkTarget, StreamSourceInfoJson } from "./source-link.js";
import { SubjectTransform } from "./subject-transform.js";

/** What a consumer link needs from its stream. */
export interface ConsumerLinkEnv {
  client: InternalClient;
  log: Logger;
  /** `<account> > <stream>`, for log lines. */
  label: string;
  /** Go's `_nats.mirror.*` / `_nats.source.*` metadata of the consumer it creates. */
  metadata: Record<string, string>;
}

/** Go's sourceHealthHB: the consumer's idle heartbeat. */
const HEARTBEAT_NS = 1_000_000_000;
/** Go's sourceHealthCheckInterval: silence this long means the consumer is gone. */
const HEALTH_CHECK_MS = 10_000;
/** How long a consumer create request may go unanswered before it is sent again. */
const CREATE_WAIT_MS = 10_000;
/** Go's sourceConsumerRetryThreshold, and the most a retry waits after repeated failures. */
const RETRY_MS = 2_000;
const RETRY_MAX_MS = 30_000;
/** Go's consumer AckWait for mirrors and sources. */
const ACK_WAIT_NS = 22 * 3600 * 1_000_000_000;
const CONTROL_PREFIX = "NATS/1.0 100 ";
const API_PREFIX = "$JS.API";

/** A message as the origin's consumer delivered it. */
interface Delivery {
  subject: string;
  reply: string;
  hdr: Buffer;
  msg: Buffer;
}

/** The parts of an ack reply `$JS.ACK.[<domain>.<acc hash>.]<stream>.<consumer>.<dc>.<sseq>.<dseq>.<ts>.<pending>`. */
interface AckInfo {
  consumer: string;
  dc: number;
  sseq: number;
  dseq: number;
  ts: bigint;
  pending: number;
}

function ackInfo(reply: string): AckInfo | undefined {
  const t = reply.split(".");
  let at: number;
  if (t.length === 9) at = 3;
  else if (t.length >= 11) at = 5;
  else return undefined;
  if (t[0] !== "$JS" || t[1] !== "ACK") return undefined;
  const num = (s: string): number => (/^\d+$/.test(s) ? Number(s) : -1);
  const info = { consumer: t[at], dc: num(t[at + 1]), sseq: num(t[at + 2]), dseq: num(t[at + 3]), ts: 0n, pending: num(t[at + 5]) };
  if (info.dc < 0 || info.sseq < 0 || info.dseq < 0 || !/^\d+$/.test(t[at + 4])) return undefined;
  info.ts = BigInt(t[at + 4]);
  return info;
}

/** Go's syncSubject: `<prefix>.<8 random base62 characters>`. */
function syncSubject(prefix: string): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let out = `${prefix}.`;
  for (const b of randomBytes(8)) out += alphabet[b % 62];
  return out;
}

/**
 * A mirror or source of a stream in another account or JetStream domain (`external` set): like
 * Go, it creates a push consumer on the origin through the origin's API prefix (a flow
 * controlled, heart-beating, ack-none "direct" consumer starting after the last copied message)
 * and stores what arrives on its deliver subject. It sets the consumer up again when the
 * delivery sequence shows a gap, a heartbeat says messages were missed, or the consumer falls
 * silent.
 *
 * @example
 * const link = new ConsumerLink(cfg.mirror, true, stream, env, lastSeq + 1);
 * link.start();
 */
export class ConsumerLink {
  readonly iname: string;
  private readonly api: string;
  private readonly deliverPrefix: string;
  private readonly transforms: { filter: string; transform?: SubjectTransform }[];
  /** The consumer messages are accepted from ("" while none is set up). */
  private cname = "";
  /** Last delivery and origin sequences taken. */
  private dseq = 0;
  private sseq: number;
  private pendingLag = 0;
  private lastActive = 0n;
  private lastSeen = 0;
  private fails = 0;
  private err: object | undefined;
  private setupInProgress = false;
  private createRequest: { subject: string; reply: string; body: Buffer } | undefined;
  private stopped = false;
  private deliverSub: Subscription | undefined;
  private replySub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private health: NodeJS.Timeout | undefined;
  private readonly queue: Delivery[] = [];
  private draining = false;

  /** `next` is the first origin sequence still to copy (0: from the configured start). */
  constructor(
    readonly spec: StreamSourceJson,
    private readonly mirror: boolean,
    private readonly target: LinkTarget,
    private readonly env: ConsumerLinkEnv,
    next: number,
  ) {
    this.iname = sourceIndexName(spec);
    this.sseq = next > 0 ? next - 1 : 0;
    this.api = spec.external?.api || API_PREFIX;
    this.deliverPrefix = spec.external?.deliver ?? "";
    const trs = spec.subject_transforms ?? [];
    this.transforms = trs.map((t) => ({ filter: t.src || ">", transform: t.dest ? SubjectTransform.create(t.src || ">", t.dest) : undefined }));
  }

  /** Origin messages not copied yet, as the origin's consumer last reported. */
  get lag(): number {
    return this.pendingLag;
  }

  start(): void {
    this.setup();
    this.health = setInterval(() => this.checkHealth(), HEALTH_CHECK_MS);
    this.health.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.health !== undefined) clearInterval(this.health);
    this.cancel();
  }

  /**
   * Streams came or went (or another account's API started answering): a link without a
   * consumer asks again at once instead of waiting for its retry or create timeout.
   */
  attach(): void {
    if (this.stopped || this.cname !== "") return;
    if (this.setupInProgress) {
      // The request may have found nobody: send it again (an identical create is answered alike).
      this.sendCreate();
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.setup();
  }

  info(): StreamSourceInfoJson {
    const out: StreamSourceInfoJson = {
      name: this.spec.name,
      lag: this.pendingLag,
      active: this.lastActive === 0n ? -1 : Number(nowNs() - this.lastActive),
    };
    if (this.spec.external) out.external = { api: this.spec.external.api ?? "", deliver: this.spec.external.deliver ?? "" };
    if (this.err !== undefined) out.error = this.err;
    if (this.spec.filter_subject) out.filter_subject = this.spec.filter_subject;
    if ((this.spec.subject_transforms ?? []).length > 0) {
      out.subject_transforms = this.spec.subject_transforms!.map((t) => ({ src: t.src ?? "", dest: t.dest ?? "" }));
    }
    return out;
  }

  // ---- consumer setup -----------------------------------------------------------------------

  private apiSubject(op: string): string {
    return `${this.api}.${op}`.replaceAll("..", ".");
  }

  /** Stops taking deliveries from the current consumer and asks the origin to delete it. */
  private cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const { client } = this.env;
    if (this.deliverSub !== undefined) client.removeSub(this.deliverSub);
    if (this.replySub !== undefined) client.removeSub(this.replySub);
    this.deliverSub = this.replySub = undefined;
    this.setupInProgress = false;
    this.createRequest = undefined;
    this.queue.length = 0;
    if (this.cname !== "") {
      const subject = this.apiSubject(`CONSUMER.DELETE.${this.spec.name}.${this.cname}`);
      // Best effort: the origin also drops it once its deliver subject loses interest.
      setImmediate(() => client.publish(subject, Buffer.alloc(0)));
    }
    this.cname = "";
  }

  private scheduleRetry(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.fails++;
    const delay = Math.min(RETRY_MS * this.fails, RETRY_MAX_MS) + Math.floor(Math.random() * 100);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.setup();
    }, delay);
    this.timer.unref();
  }

  /** Starts over from the message after the last one taken. */
  private retry(): void {
    this.cancel();
    this.scheduleRetry();
  }

  private consumerConfig(name: string, deliverSubject: string): { config: Record<string, unknown>; filter: string } {
    const config: Record<string, unknown> = {
      name,
      deliver_subject: deliverSubject,
      deliver_policy: "all",
      ack_policy: "none",
      ack_wait: ACK_WAIT_NS,
      max_deliver: 1,
      idle_heartbeat: HEARTBEAT_NS,
      flow_control: true,
      direct: true,
      inactive_threshold: HEALTH_CHECK_MS * 1_000_000,
      num_replicas: 1,
      metadata: this.env.metadata,
    };
    if (this.sseq > 0) {
      config.deliver_policy = "by_start_sequence";
      config.opt_start_seq = this.sseq + 1;
    } else if ((this.spec.opt_start_seq ?? 0) > 0) {
      config.deliver_policy = "by_start_sequence";
      config.opt_start_seq = this.spec.opt_start_seq;
    } else if (this.spec.opt_start_time !== undefined) {
      config.deliver_policy = "by_start_time";
      config.opt_start_time = this.spec.opt_start_time;
    }
    let filter = this.spec.filter_subject ?? "";
    const sources = this.transforms.map((t) => t.filter);
    if (filter === "" && sources.length === 1) filter = sources[0];
    if (filter !== "") config.filter_subject = filter;
    else if (sources.length > 1) config.filter_subjects = sources;
    return { config, filter };
  }

  private setup(): void {
    if (this.stopped) return;
    this.cancel();
    const { client } = this.env;
    const kind = this.mirror ? "M" : "S";
    const deliverSubject = this.deliverPrefix !== "" ? syncSubject(`${this.deliverPrefix}.${kind}`).replaceAll("..", ".") : syncSubject(`$JS.${kind}`);
    const name = syncSubject(this.mirror ? "JS_MIRROR" : "JS_SRC").replace(".", "_");
    const { config, filter } = this.consumerConfig(name, deliverSubject);
    // A single filter goes in the subject (Go's extended create), so exports can be scoped to it.
    const subject = this.apiSubject(
      filter !== "" ? `CONSUMER.CREATE.${this.spec.name}.${name}.${filter}` : `CONSUMER.CREATE.${this.spec.name}`,
    );
    const reply = syncSubject("$JSC.R");
    this.setupInProgress = true;
    this.replySub = client.subscribe(reply, (_s, _r, hsize, msg) => this.created(name, msg.subarray(hsize)));
    this.deliverSub = client.subscribe(deliverSubject, (subj, rep, hsize, msg) => this.enqueue(subj, rep ?? "", hsize, msg));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.env.log.warn(`JetStream ${this.mirror ? "mirror" : "source"} consumer create for '${this.env.label}' timed out, retrying`);
      this.retry();
    }, CREATE_WAIT_MS);
    this.timer.unref();
    this.createRequest = { subject, reply, body: Buffer.from(JSON.stringify({ stream_name: this.spec.name, config })) };
    this.sendCreate();
  }

  private sendCreate(): void {
    const req = this.createRequest;
    if (req === undefined) return;
    // Published on the next turn: the request may then cross a service import (it must not be
    // sent from inside another account's delivery).
    setImmediate(() => {
      if (this.createRequest === req && this.setupInProgress) this.env.client.publish(req.subject, req.body, req.reply);
    });
  }

  private created(name: string, payload: Buffer): void {
    if (!this.setupInProgress || this.stopped) return;
    if (this.replySub !== undefined) this.env.client.removeSub(this.replySub);
    this.replySub = undefined;
    this.setupInProgress = false;
    this.createRequest = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    let resp: { error?: Record<string, unknown>; name?: string; config?: unknown } | undefined;
    try {
      resp = JSON.parse(payload.toString()) as typeof resp;
    } catch {
      resp = undefined;
    }
    if (resp === undefined || resp.error !== undefined || resp.config === undefined) {
      const failed = this.mirror ? apiErrors.JSMirrorConsumerSetupFailedErrF : apiErrors.JSSourceConsumerSetupFailedErrF;
      this.err = resp?.error ?? new ApiError(failed, { err: "invalid consumer create response" }).toJSON();
      this.env.log.warn(`JetStream error response for create ${this.mirror ? "mirror" : "source"} consumer of '${this.env.label}': ${JSON.stringify(this.err)}`);
      this.retry();
      return;
    }
    this.err = undefined;
    this.fails = 0;
    this.cname = resp.name ?? name;
    this.dseq = 0;
    this.lastSeen = Date.now();
    this.lastActive = nowNs();
    // Deliveries that arrived before the response are now known to be ours.
    this.drainSoon();
  }

  private checkHealth(): void {
    if (this.stopped || this.setupInProgress || this.timer !== undefined) return;
    if (this.cname === "" || Date.now() - this.lastSeen > HEALTH_CHECK_MS) this.retry();
  }

  // ---- deliveries ---------------------------------------------------------------------------

  private enqueue(subject: string, reply: string, headerSize: number, msg: Buffer): void {
    // The buffer may be a view into a connection's read buffer.
    const copy = Buffer.from(msg);
    this.queue.push({ subject, reply, hdr: copy.subarray(0, headerSize), msg: copy.subarray(headerSize) });
    this.drainSoon();
  }

  /** Deliveries are handled on the next turn, outside the publisher's delivery. */
  private drainSoon(): void {
    if (this.draining || this.queue.length === 0 || this.cname === "") return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.cname !== "" && !this.stopped) {
      const d = this.queue.shift()!;
      if (!this.handle(d)) break;
    }
    this.target.linkProgressed();
  }

  /** Go's processInboundMirrorMsg / processInboundSourceMsg; false stops this round. */
  private handle(d: Delivery): boolean {
    if (d.msg.length === 0 && d.hdr.length > 0 && d.hdr.subarray(0, CONTROL_PREFIX.length).toString() === CONTROL_PREFIX) {
      return this.control(d);
    }
    const ack = ackInfo(d.reply);
    // Only the current consumer counts (on cross-account imports subscriptions can't tell them apart).
    if (ack === undefined || ack.consumer !== this.cname || ack.dc > 1) return true;
    this.lastSeen = Date.now();
    if (ack.sseq <= this.sseq) {
      if (ack.dseq === this.dseq + 1) this.dseq++;
      return true;
    }
    // A jump in origin sequences is fine (removed or filtered out there); a missed delivery is not.
    if (ack.dseq !== this.dseq + 1) {
      this.retry();
      return false;
    }
    const msg: StoreMsg = { subject: d.subject, hdr: d.hdr, msg: d.msg, seq: ack.sseq, ts: ack.ts };
    if (!this.target.take(this, msg, this.map(d.subject))) {
      // Full (discard new) or closed: start over from here later.
      this.retry();
      return false;
    }
    this.dseq = ack.dseq;
    this.sseq = ack.sseq;
    this.pendingLag = ack.pending;
    this.lastActive = nowNs();
    return true;
  }

  /** Flow control requests and idle heartbeats. */
  private control(d: Delivery): boolean {
    const { client } = this.env;
    this.lastSeen = Date.now();
    this.lastActive = nowNs();
    if (d.reply !== "") {
      const hdr = Buffer.from(`NATS/1.0\r\nNats-Last-Consumer: ${this.dseq}\r\nNats-Last-Stream: ${this.sseq}\r\n\r\n`);
      client.publish(d.reply, Buffer.alloc(0), undefined, hdr);
      return true;
    }
    const last = getHeader(d.hdr, "Nats-Last-Consumer");
    if (last !== undefined && /^\d+$/.test(last) && Number(last) > 0 && Number(last) !== this.dseq) {
      this.retry();
      return false;
    }
    const stalled = getHeader(d.hdr, "Nats-Consumer-Stalled");
    if (stalled !== undefined && stalled !== "") client.publish(stalled, Buffer.alloc(0));
    return true;
  }

  /** The subject to store under (the consumer already filtered). */
  private map(subject: string): string {
    for (const t of this.transforms) {
      const mapped = t.transform?.match(subject);
      if (mapped !== undefined) return mapped;
    }
    return subject;
  }
}
