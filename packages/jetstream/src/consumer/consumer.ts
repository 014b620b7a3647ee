import type { Subscription } from "@nats-ts/core";
import { isStoreError, type Clock, type StoreMsg } from "@nats-ts/storage";
import { subjectMatches } from "@nats-ts/wire";
import { AckState } from "./ack-state.js";
import { ADVISORY, ADVISORY_TYPE, typedEvent, type AdvisoryKind } from "./advisories.js";
import {
  DEFAULT_EPHEMERAL_INACTIVITY,
  filtersOf,
  isDurable,
  isPush,
  type ConsumerConfigJson,
} from "./config.js";
import type { ConsumerHost } from "../stream/consumer-host.js";
import { addHeader, hasInterest, idleHeartbeatHeader, publishStatus } from "./outbound.js";
import { PullRequests } from "./pull-requests.js";
import { watchDeliverSubject, type InterestListener } from "./deliver-interest.js";
import { PIN_ID, pendingStatus, plainStatus, type PickContext, type PullQueue, type WaitingRequest } from "./pull-queue.js";
import { FlowWindow, RateLimiter } from "./push-flow.js";
import { parseRfc3339, rfc3339Nano } from "../util/time.js";
import { startingSequence } from "./start-position.js";
import { parseAckReply, parseAckTail, parseGoDuration } from "./ack-reply.js";

/** What a consumer needs from the manager that owns it. */
export interface ConsumerEnv {
  host: ConsumerHost;
  clock: Clock;
  /** Stream sequences this consumer no longer needs (interest / workqueue retention). */
  released(consumer: Consumer, seqs: number[]): void;
  /** The consumer removed itself (inactivity). */
  expired(consumer: Consumer): void;
  /** Its state changed and should be written (durable state). */
  dirty(consumer: Consumer): void;
  /** Reports a problem that was contained (a handler that failed). */
  warn(msg: string): void;
}

const MSG_SIZE = "Nats-Msg-Size";
/** Messages sent per turn of the event loop before yielding to I/O. */
const PUMP_BUDGET = 512;

/**
 * One consumer at run time: reads the stream through the host's store, delivers to pull
 * requests or a deliver subject, and applies acknowledgements. The bookkeeping lives in the
 * pure AckState and PullQueue; this class adds subscriptions, timers and publishing.
 */
export class Consumer implements InterestListener {
  readonly acks: AckState;
  /** The pull side; undefined for push consumers. */
  readonly pull: PullRequests | undefined;
  private flow: FlowWindow | undefined;
  private rate: RateLimiter | undefined;
  private filters: string[];
  private filtered: boolean;
  /** Cached count of messages still to deliver (Go npc). */
  private npc = 0;
  /** Deliver-last-per-subject start: the sequences to send first, then resume after. */
  private lss: { seqs: number[]; resume: number } | undefined;
  active = true;
  private inactiveSince = 0n;
  closed = false;
  private pumpScheduled = false;
  private subs: Subscription[] = [];
  private pendingTimer: unknown;
  private pendingTimerAt = 0n;
  private hbTimer: unknown;
  private deleteTimer: unknown;
  private pauseTimer: unknown;
  private delayTimer: unknown;
  /** Stops the notifications about subscribers to a push consumer's deliver subject. */
  private unwatchInterest: (() => void) | undefined;
  private sampleFreq = 0;
  /** Replaying at the original pace (replay_policy original) until past `replayEnd`. */
  private replay = false;
  private replayEnd = 0;
  private replayTs = 0n;
  /** The wait before the next replayed message is over. */
  private replayDue = false;
  /** When the last message or heartbeat went to a push consumer's deliver subject. */
  private lastSent = 0n;
  lastDelivered = 0n;
  lastAcked = 0n;
  /** `$JS.ACK.<stream>.<consumer>.`, the start of every ack reply subject. */
  private readonly ackPrefix: string;

  constructor(
    private readonly env: ConsumerEnv,
    readonly name: string,
    public cfg: ConsumerConfigJson,
    readonly created: bigint,
  ) {
    const host = env.host;
    this.filters = filtersOf(cfg);
    this.filtered = this.computeFiltered();
    this.acks = new AckState(this.ackSettings(), 1);
    if (!isPush(cfg)) this.pull = new PullRequests(this, env.clock);
    this.ackPrefix = `$JS.ACK.${host.streamName}.${name}.`;
    this.applyRuntimeSettings();
  }

  get isPush(): boolean {
    return isPush(this.cfg);
  }

  get isDurable(): boolean {
    return isDurable(this.cfg);
  }

  /** The waiting pull requests; undefined for push consumers. */
  get queue(): PullQueue | undefined {
    return this.pull?.queue;
  }

  get host(): ConsumerHost {
    return this.env.host;
  }

  now(): bigint {
    return this.env.clock.now();
  }

  /** Picks the first stream sequence to deliver (Go selectStartingSeqNo). */
  selectStart(): void {
    const { sseq, lastPerSubject } = startingSequence(this.host.store, this.cfg, this.filters, this.host.config.max_msgs_per_subject ?? 0);
    this.lss = lastPerSubject;
    this.acks.sseq = sseq;
    this.acks.dseq = 1;
    this.acks.adflr = 0;
    this.acks.asflr = sseq - 1;
  }

  /** Subscribes for acks and flow control and starts delivering. */
  start(): void {
    const c = this.host.client;
    if (this.cfg.replay_policy === "original") {
      this.replay = true;
      this.replayEnd = this.host.store.fastState().lastSeq;
    }
    this.subs.push(
      c.subscribe(`${this.ackPrefix}>`, (subject, reply, hdr, msg) => {
        // an ack must never break the connection that delivered it
        try {
          this.onAck(subject, reply, hdr, msg);
        } catch (e) {
          this.env.warn(`consumer ${this.host.streamName} > ${this.name}: ack on ${subject} failed: ${String(e)}`);
        }
      }),
    );
    if (this.isPush) {
      this.subs.push(c.subscribe(`$JS.FC.${this.host.streamName}.${this.name}.*`, (subject) => this.onFlowControlReply(subject)));
    }
    this.npc = this.computeNumPending();
    this.restartPendingTimer();
    this.resetHeartbeat();
    this.updatePauseTimer(false);
    this.watchInterest();
    this.checkInterest();
    this.armInactivity();
    this.signal();
  }

  // ---- configuration ---------------------------------------------------------------------

  private ackSettings() {
    const cfg = this.cfg;
    return {
      ackPolicy: cfg.ack_policy,
      ackWait: cfg.ack_wait ?? 0,
      backoff: cfg.backoff ?? [],
      maxDeliver: Math.max(cfg.max_deliver ?? 0, 0),
      maxAckPending: cfg.ack_policy === "none" ? 0 : Math.max(cfg.max_ack_pending ?? 0, 0),
    };
  }

  private applyRuntimeSettings(): void {
    const cfg = this.cfg;
    this.flow = this.isPush && cfg.flow_control ? (this.flow ?? new FlowWindow()) : undefined;
    this.rate = cfg.rate_limit_bps ? new RateLimiter(cfg.rate_limit_bps, this.now()) : undefined;
    const sf = cfg.sample_freq ? Number.parseInt(cfg.sample_freq, 10) : 0;
    this.sampleFreq = Number.isFinite(sf) ? sf : 0;
    if (!this.isDurable && !(cfg.inactive_threshold && cfg.inactive_threshold > 0)) cfg.inactive_threshold = DEFAULT_EPHEMERAL_INACTIVITY;
  }

  /** Applies an allowed config update in place (Go updateConfig). */
  update(next: ConsumerConfigJson): void {
    const old = this.cfg;
    this.cfg = next;
    this.acks.settings = this.ackSettings();
    this.applyRuntimeSettings();
    if ((old.deliver_subject ?? "") !== (next.deliver_subject ?? "") && this.acks.pending.size > 0) this.acks.forceExpireAll();
    const newFilters = filtersOf(next);
    if (newFilters.join("\u0000") !== this.filters.join("\u0000")) {
      this.filters = newFilters;
      this.filtered = this.computeFiltered();
      this.npc = this.computeNumPending();
    }
    if (this.queue) this.queue.policy = next.priority_policy ?? "none";
    if ((old.ack_wait ?? 0) !== (next.ack_wait ?? 0)) this.restartPendingTimer();
    if ((old.inactive_threshold ?? 0) !== (next.inactive_threshold ?? 0)) this.armInactivity();
    if ((old.pause_until ?? "") !== (next.pause_until ?? "")) this.updatePauseTimer(true);
    if ((old.deliver_subject ?? "") !== (next.deliver_subject ?? "")) this.watchInterest();
    this.checkInterest();
    this.env.dirty(this);
    this.signal();
  }

  private computeFiltered(): boolean {
    if (this.filters.length === 0) return false;
    const subjects = this.host.config.subjects ?? [];
    if (subjects.length !== this.filters.length) return true;
    const set = new Set(this.filters);
    return !subjects.every((s) => set.has(s));
  }

  /** Does this consumer see messages on `subject`? */
  matches(subject: string): boolean {
    if (this.filters.length === 0) return true;
    for (const f of this.filters) if (subjectMatches(f, subject)) return true;
    return false;
  }

  // ---- state ----------------------------------------------------------------------------

  get paused(): boolean {
    return this.pauseUntilNs() > this.now();
  }

  pauseUntilNs(): bigint {
    return this.cfg.pause_until ? (parseRfc3339(this.cfg.pause_until) ?? 0n) : 0n;
  }

  /** Exact count of messages not yet delivered (Go numPending). */
  computeNumPending(): number {
    const store = this.host.store;
    const start = this.lss ? this.lss.resume + 1 : this.acks.sseq;
    let total = this.lss ? this.lss.seqs.length : 0;
    try {
      if (this.filters.length === 0) total += store.numPending(start, ">", false).total;
      else for (const f of this.filters) total += store.numPending(start, f, false).total;
    } catch {
      // a closed store reports nothing pending
    }
    return total;
  }

  numPending(): number {
    this.npc = this.computeNumPending();
    return this.npc;
  }

  /** A message was stored in the stream. */
  onStored(_seq: number, subject: string): void {
    if (this.closed || !this.matches(subject)) return;
    this.npc++;
    this.signal();
  }

  /** The stream dropped messages below `firstSeq` (or some above it: `exists` says which remain). */
  purged(firstSeq: number, exists: (seq: number) => boolean): void {
    if (this.lss && firstSeq > this.lss.resume) this.lss = undefined;
    this.acks.purgedBelow(firstSeq, exists);
    this.npc = this.computeNumPending();
    this.env.dirty(this);
    this.signal();
  }

  /** Interest retention: does this consumer still need message `sseq` on `subject`? */
  needsAck(sseq: number, subject: () => string): boolean {
    if (this.filtered && !this.matches(subject())) return false;
    return this.acks.needsAck(sseq);
  }

  // ---- delivery -------------------------------------------------------------------------

  /** Runs timer and immediate work so that a failure is reported instead of ending the process. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.env.warn(`consumer ${this.host.streamName} > ${this.name}: ${what} failed: ${String(e)}`);
    }
  }

  /** Schedules a delivery pass. */
  signal(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => this.guard("delivery", () => this.pump()));
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.closed) return;
    const now = this.now();
    if (this.pauseUntilNs() > now) {
      // paused: waiting pull requests still expire and get their heartbeats
      this.pull?.checkWaiting(false);
      return;
    }
    // One time stamp and one pick context serve the whole pass.
    const pick: PickContext = {
      now,
      numPending: 0,
      numAckPending: 0,
      hasInterest: (r) => hasInterest(this.host.client, r),
    };
    let budget = PUMP_BUDGET;
    let more = false;
    while (budget-- > 0) {
      more = this.deliverOne(pick);
      if (!more) break;
    }
    if (more) this.signal();
    else this.pull?.checkWaiting(false);
    this.pull?.flush();
  }

  /** Sends one message if possible; false when delivery must wait. */
  private deliverOne(pick: PickContext): boolean {
    if (this.isPush) {
      if (!this.active || this.flow?.stalled) return false;
    } else if (this.queue!.length === 0) {
      return false;
    }
    const next = this.nextMessage();
    if (next === undefined) {
      if (this.pull && !this.acks.atMaxAckPending) this.pull.checkWaiting(true);
      return false;
    }
    const { sm, dc, fromSkipList } = next;
    const now = pick.now;
    const ackReply = `${this.ackPrefix}${dc}.${sm.seq}.${this.acks.dseq}.${sm.ts}.${Math.max(this.npc - (dc === 1 ? 1 : 0), 0)}`;
    let hdr: Uint8Array = sm.hdr;
    let payload: Uint8Array = sm.msg;
    if (this.cfg.headers_only) {
      hdr = addHeader(hdr, MSG_SIZE, String(payload.length));
      payload = Buffer.alloc(0);
    }
    let size = sm.subject.length + ackReply.length + hdr.length + payload.length;
    let dsubj: string;
    let wr: WaitingRequest | undefined;
    if (this.isPush) {
      dsubj = this.cfg.deliver_subject!;
    } else {
      const q = this.queue!;
      pick.numPending = this.npc;
      pick.numAckPending = this.acks.numAckPending;
      wr = q.next(size, pick);
      this.pull!.afterPick();
      if (!wr) {
        this.putBack(sm.seq, dc, fromSkipList);
        return false;
      }
      dsubj = wr.reply;
      if (this.cfg.priority_policy === "pinned_client") {
        hdr = addHeader(hdr, PIN_ID, q.pinId);
        size = sm.subject.length + ackReply.length + hdr.length + payload.length;
      }
      if (wr.n > 0 && wr.hb > 0) wr.hbt = now + BigInt(wr.hb);
    }
    // replay_policy original: keep the gaps between the stored messages' times until caught up
    let delay = 0;
    if (this.replay) {
      if (this.replayTs > 0n && !this.replayDue) delay = Number(sm.ts - this.replayTs) / 1e6;
      if (delay <= 1) delay = 0;
    }
    if (delay === 0 && this.rate) delay = this.rate.reserve(size, now);
    if (delay > 0) {
      this.putBack(sm.seq, dc, fromSkipList, wr);
      this.delayTimer ??= this.env.clock.setTimer(() => {
        this.delayTimer = undefined;
        this.replayDue = true;
        this.signal();
      }, delay);
      return false;
    }
    if (this.replay) {
      this.replayTs = sm.ts;
      this.replayDue = false;
      if (this.acks.sseq > this.replayEnd) this.replay = false;
    }
    this.send(dsubj, sm, dc, ackReply, hdr, payload, size, now);
    if (wr && wr.n <= 0 && wr.b > 0) {
      publishStatus(this.host.client, dsubj, pendingStatus(409, "Batch Completed", wr.n, wr.b));
    }
    return true;
  }

  private send(dsubj: string, sm: StoreMsg, dc: number, ackReply: string, hdr: Uint8Array, payload: Uint8Array, size: number, now: bigint): void {
    const acks = this.acks;
    acks.recordDelivery(sm.seq, now);
    if (dc === 1 && this.npc > 0) this.npc--;
    this.lastDelivered = now;
    if (this.queue) this.queue.last = now;
    const body = hdr.length === 0 ? Buffer.from(payload.buffer, payload.byteOffset, payload.length) : Buffer.concat([hdr, payload]);
    // Core shows the stream subject to subscribers of the deliver subject, here and behind routes and leaf nodes.
    const delivered = this.host.client.deliverAs(dsubj, sm.subject, ackReply, hdr.length, body);
    if (this.cfg.ack_policy !== "none") {
      if (!delivered && this.isPush) {
        this.active = false;
        this.inactiveSince = now;
        acks.undoRedelivery(sm.seq, true);
      }
      this.ensurePendingTimer(acks.deadlineFor(sm.seq), now);
    } else if (this.host.config.retention && this.host.config.retention !== "limits") {
      this.env.released(this, [sm.seq]);
    }
    if (this.flow && this.flow.delivered(size)) this.sendFlowControl();
    this.resetHeartbeat(now);
    this.env.dirty(this);
  }

  /** Un-takes a message that could not be sent now. */
  private putBack(seq: number, dc: number, fromSkipList: boolean, wr?: WaitingRequest): void {
    if (wr) {
      wr.n++;
      wr.d--;
      if (!this.queue!.list().includes(wr)) this.queue!.add(wr);
    }
    if (fromSkipList) {
      // back to the front of the last-per-subject list; its resume point is unchanged
      if (this.lss) this.lss.seqs.unshift(seq);
      else this.lss = { seqs: [seq], resume: this.acks.sseq - 1 };
    } else if (dc === 1 && seq === this.acks.sseq - 1) {
      this.acks.sseq--;
    } else if (!this.acks.onRedeliveryQueue(seq)) {
      this.acks.undoRedelivery(seq, true);
    }
  }

  /** Next message to send: redeliveries first, then new ones (Go getNextMsg). */
  private nextMessage(): { sm: StoreMsg; dc: number; fromSkipList: boolean } | undefined {
    const acks = this.acks;
    const store = this.host.store;
    while (acks.hasRedeliveries()) {
      const r = acks.nextRedelivery();
      this.flushAckEvents();
      if (!r) break;
      try {
        return { sm: store.loadMsg(r.sseq), dc: r.dc, fromSkipList: false };
      } catch {
        // gone from the stream meanwhile: drop it like Go's implicit TERM
        acks.forget(r.sseq);
      }
    }
    if (acks.atMaxAckPending) return undefined;
    if (this.lss) {
      const seq = this.lss.seqs.shift()!;
      if (this.lss.seqs.length === 0) {
        acks.sseq = this.lss.resume;
        this.lss = undefined;
      } else {
        acks.sseq = seq;
      }
      acks.sseq++;
      try {
        return { sm: store.loadMsg(seq), dc: 1, fromSkipList: true };
      } catch {
        return this.nextMessage();
      }
    }
    try {
      const res =
        this.filters.length === 0
          ? store.loadNextMsg(">", true, acks.sseq)
          : this.filters.length === 1
            ? store.loadNextMsg(this.filters[0], true, acks.sseq)
            : store.loadNextMsgMulti(this.filters, acks.sseq);
      if (res.seq >= acks.sseq) acks.sseq = res.seq + 1;
      return { sm: res.msg, dc: 1, fromSkipList: false };
    } catch (e) {
      if (isStoreError(e, "StoreEOF") && e.skip !== undefined && e.skip >= acks.sseq) acks.sseq = e.skip + 1;
      return undefined;
    }
  }

  private sendFlowControl(): void {
    const rnd = Math.floor(Math.random() * 36 ** 4)
      .toString(36)
      .padStart(4, "0");
    const fcid = this.flow!.begin(`$JS.FC.${this.host.streamName}.${this.name}.${rnd}`);
    this.host.client.publish(this.cfg.deliver_subject!, Buffer.alloc(0), fcid, Buffer.from("NATS/1.0 100 FlowControl Request\r\n\r\n"));
  }

  private onFlowControlReply(subject: string): void {
    if (this.flow?.answered(subject)) this.signal();
  }

  /**
   * Idle heartbeats go out when nothing was sent for idle_heartbeat. Deliveries only stamp
   * `lastSent`; the one timer re-arms itself for the remaining time instead of being reset per
   * message.
   */
  private resetHeartbeat(now = this.now()): void {
    if (!this.isPush || !this.cfg.idle_heartbeat) return;
    this.lastSent = now;
    if (this.hbTimer === undefined) this.armHeartbeat(this.cfg.idle_heartbeat ?? 0);
  }

  private armHeartbeat(ns: number): void {
    const hb = this.cfg.idle_heartbeat ?? 0;
    if (!this.isPush || hb <= 0 || this.closed) return;
    this.hbTimer = this.env.clock.setTimer(() => {
      this.hbTimer = undefined;
      if (this.closed) return;
      const idle = Number(this.now() - this.lastSent);
      if (idle < hb) return this.armHeartbeat(hb - idle);
      if (this.active) this.host.client.publish(this.cfg.deliver_subject!, Buffer.alloc(0), undefined, Buffer.from(idleHeartbeatHeader(this.acks, this.flow?.fcid ?? "")));
      this.lastSent = this.now();
      this.armHeartbeat(hb);
    }, ns / 1e6);
  }

  // ---- pull requests ------------------------------------------------------------------

  /** A MSG.NEXT request (or +NXT) asking for messages on `reply`. */
  handleNext(reply: string, payload: string): void {
    if (this.closed) return;
    if (!this.pull) return publishStatus(this.host.client, reply, plainStatus(409, "Consumer is push based"));
    this.pull.handleNext(reply, payload);
  }

  numWaiting(): number {
    return this.pull?.numWaiting() ?? 0;
  }

  /** Drops the current pin (UNPIN request or pin timeout). */
  unpin(reason: string): void {
    this.pull?.unpin(reason);
  }

  // ---- acknowledgements -----------------------------------------------------------------

  private onAck(subject: string, reply: string | undefined, hdrSize: number, msg: Buffer): void {
    if (this.closed) return;
    const info = subject.startsWith(this.ackPrefix) ? parseAckTail(subject, this.ackPrefix.length) : parseAckReply(subject);
    if (!info) return;
    const { sseq, dseq, dc } = info;
    const body = msg.subarray(hdrSize).toString("latin1");
    const now = this.now();
    let replyToAck = true;
    if (body === "" || body === "+ACK" || body === "+OK") {
      replyToAck = this.applyAck(sseq, dseq, dc, true);
    } else if (body.startsWith("+NXT")) {
      this.applyAck(sseq, dseq, dc, true);
      if (reply) this.handleNext(reply, body.slice(4));
      replyToAck = false;
    } else if (body.startsWith("-NAK")) {
      this.applyNak(sseq, dseq, dc, body.slice(4).trim(), now);
    } else if (body === "+WPI") {
      if (this.acks.progress(sseq, now)) this.env.dirty(this);
    } else if (body.startsWith("+TERM")) {
      replyToAck = this.applyAck(sseq, dseq, dc, false);
      this.advisory("terminated", () => ({ consumer_seq: dseq, stream_seq: sseq, deliveries: dc, reason: body.slice(5).trim() || undefined }));
    }
    if (reply && replyToAck && sseq > 0) this.host.client.publish(reply, Buffer.alloc(0));
  }

  private applyAck(sseq: number, dseq: number, dc: number, sample: boolean): boolean {
    const acks = this.acks;
    if (this.cfg.ack_policy === "none") return false;
    if (sseq >= acks.sseq) return false;
    const wasBlocked = acks.atMaxAckPending;
    const p = acks.pending.get(sseq);
    if (sample && p && this.sampleFreq > 0 && Math.random() * 100 < this.sampleFreq) {
      const now = this.now();
      this.advisory("ackMetric", () => ({ consumer_seq: p.dseq, stream_seq: sseq, ack_time: Number(now - p.ts), deliveries: dc }));
    }
    const released = acks.ack(sseq, dseq);
    if (released.length > 0) {
      this.lastAcked = this.now();
      if (this.host.config.retention && this.host.config.retention !== "limits") this.env.released(this, released);
    }
    this.env.dirty(this);
    if (wasBlocked && !acks.atMaxAckPending) this.signal();
    return true;
  }

  private applyNak(sseq: number, dseq: number, dc: number, arg: string, now: bigint): void {
    if (!this.acks.pending.has(sseq) || dseq <= this.acks.adflr || dseq >= this.acks.dseq) return;
    this.advisory("naked", () => ({ consumer_seq: dseq, stream_seq: sseq, deliveries: dc }));
    let delay: number | undefined;
    if (arg.length > 0) {
      try {
        delay = arg[0] === "{" ? Number((JSON.parse(arg) as { delay?: number }).delay ?? 0) : parseGoDuration(arg);
        if (!Number.isFinite(delay)) delay = undefined;
      } catch {
        delay = undefined;
      }
    }
    this.acks.nak(sseq, dseq, now, delay);
    if (delay !== undefined) this.restartPendingTimer(10);
    this.env.dirty(this);
    this.signal();
  }

  private ensurePendingTimer(deadlineNs: number, now: bigint): void {
    // Deadlines only grow with time unless backoff shortens them: the armed timer usually holds.
    if (this.pendingTimer !== undefined && this.settingsFixedDeadline) return;
    const at = now + BigInt(Math.ceil(deadlineNs));
    if (this.pendingTimer !== undefined && this.pendingTimerAt <= at) return;
    this.armPendingTimer(deadlineNs);
  }

  /** True when every message waits the same ack_wait (no backoff), so earlier timers always fire first. */
  private get settingsFixedDeadline(): boolean {
    return this.acks.settings.backoff.length === 0;
  }

  private restartPendingTimer(delayMs?: number): void {
    if (this.acks.pending.size === 0 || this.cfg.ack_policy === "none") return;
    this.armPendingTimer(delayMs !== undefined ? delayMs * 1e6 : this.acks.deadlineFor(0));
  }

  private armPendingTimer(ns: number): void {
    if (this.pendingTimer !== undefined) this.env.clock.clearTimer(this.pendingTimer);
    this.pendingTimerAt = this.now() + BigInt(Math.ceil(ns));
    this.pendingTimer = this.env.clock.setTimer(() => this.guard("ack wait check", () => this.onPendingTimer()), ns / 1e6);
  }

  private onPendingTimer(): void {
    this.pendingTimer = undefined;
    if (this.closed) return;
    const first = this.host.store.fastState().firstSeq;
    const { expired, nextCheckNs } = this.acks.checkPending(this.now(), first);
    this.flushAckEvents();
    if (nextCheckNs !== undefined) this.armPendingTimer(nextCheckNs);
    if (expired.length > 0) this.signal();
    this.env.dirty(this);
  }

  private flushAckEvents(): void {
    const events = this.acks.events;
    if (events.length === 0) return;
    for (const e of events.splice(0)) {
      this.advisory("maxDeliveries", () => ({ stream_seq: e.sseq, deliveries: e.deliveries }));
    }
    if (this.acks.atMaxAckPending === false) this.signal();
  }

  // ---- interest, inactivity, pause --------------------------------------------------------

  /** Re-checks whether a push consumer's deliver subject has a subscriber. */
  checkInterest(): void {
    if (!this.isPush || this.closed) return;
    const interested = hasInterest(this.host.client, this.cfg.deliver_subject!);
    if (interested && !this.active) {
      this.active = true;
      this.signal();
    } else if (!interested && this.active) {
      this.active = false;
      this.inactiveSince = this.now();
    }
  }

  interestChanged(): void {
    this.guard("interest check", () => this.checkInterest());
  }

  private watchInterest(): void {
    this.unwatchInterest?.();
    this.unwatchInterest = undefined;
    if (this.isPush && !this.closed) this.unwatchInterest = watchDeliverSubject(this.host.client.account.sublist, this.cfg.deliver_subject!, this);
  }

  private inactivityThresholdNs(): number {
    return this.cfg.inactive_threshold ?? 0;
  }

  private armInactivity(): void {
    if (this.deleteTimer !== undefined) this.env.clock.clearTimer(this.deleteTimer);
    this.deleteTimer = undefined;
    const th = this.inactivityThresholdNs();
    if (th <= 0 || this.closed) return;
    if (this.queue && this.queue.last === 0n) this.queue.last = this.now();
    if (!this.active && this.inactiveSince === 0n) this.inactiveSince = this.now();
    this.deleteTimer = this.env.clock.setTimer(() => this.guard("inactivity check", () => this.checkInactive()), th / 1e6);
  }

  private checkInactive(): void {
    this.deleteTimer = undefined;
    if (this.closed) return;
    const th = BigInt(this.inactivityThresholdNs());
    const now = this.now();
    let idleSince: bigint | undefined;
    if (this.isPush) {
      this.checkInterest();
      if (!this.active) idleSince = this.inactiveSince;
    } else {
      this.pull!.checkWaiting(false);
      if (this.queue!.length === 0) idleSince = this.queue!.last;
    }
    if (idleSince !== undefined && now - idleSince >= th) {
      this.env.expired(this);
      return;
    }
    const wait = idleSince === undefined ? th : th - (now - idleSince);
    this.deleteTimer = this.env.clock.setTimer(() => this.guard("inactivity check", () => this.checkInactive()), Number(wait) / 1e6 + 1);
  }

  private updatePauseTimer(announce: boolean): void {
    if (this.pauseTimer !== undefined) this.env.clock.clearTimer(this.pauseTimer);
    this.pauseTimer = undefined;
    const until = this.pauseUntilNs();
    const now = this.now();
    if (announce) this.sendPauseAdvisory();
    if (until > now) this.armPauseEnd(until);
    else this.signal();
  }

  /** Resumes at `until`. Timers may fire a little early against the clock, so it checks. */
  private armPauseEnd(until: bigint): void {
    const wait = Number(until - this.now()) / 1e6;
    this.pauseTimer = this.env.clock.setTimer(() => {
      this.pauseTimer = undefined;
      if (this.closed) return;
      if (this.pauseUntilNs() !== until) return;
      if (this.now() < until) return this.armPauseEnd(until);
      this.sendPauseAdvisory();
      this.signal();
    }, Math.max(wait, 1));
  }

  sendPauseAdvisory(): void {
    const paused = this.paused;
    // like Go, the deadline is reported also once it has passed (zero time when none is set)
    this.advisory("pause", () => ({ paused, pause_until: this.cfg.pause_until ?? rfc3339Nano(0n) }));
  }

  /**
   * Publishes advisory `kind` about this consumer when someone listens (the body is built only
   * then): the common fields (type, id, timestamp, stream, consumer, domain) plus `fields()`.
   */
  advisory(kind: AdvisoryKind, fields: () => Record<string, unknown>): void {
    const c = this.host.client;
    const subject = `${ADVISORY[kind]}.${this.host.streamName}.${this.name}`;
    if (!hasInterest(c, subject)) return;
    const extra = fields();
    const body = {
      ...typedEvent(ADVISORY_TYPE[kind], this.now()),
      ...(extra.account !== undefined ? { account: extra.account } : {}),
      stream: this.host.streamName,
      consumer: this.name,
      ...extra,
      domain: this.host.domain || undefined,
    };
    c.publish(subject, Buffer.from(JSON.stringify(body)));
  }

  // ---- shutdown -------------------------------------------------------------------------

  /**
   * Stops timers and subscriptions. When the consumer is deleted, waiting pull requests get
   * `409 Consumer Deleted` (Go's releaseAnyPendingRequests); a plain stop tells them nothing.
   */
  stop(deleted = false): void {
    if (this.closed) return;
    this.pull?.stop(deleted);
    this.closed = true;
    const clock = this.env.clock;
    for (const t of [this.pendingTimer, this.hbTimer, this.deleteTimer, this.pauseTimer, this.delayTimer]) {
      if (t !== undefined) clock.clearTimer(t);
    }
    this.unwatchInterest?.();
    this.unwatchInterest = undefined;
    for (const s of this.subs) this.host.client.removeSub(s);
    this.subs = [];
  }
}
