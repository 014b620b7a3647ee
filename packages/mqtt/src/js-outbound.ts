import { randomBytes } from "node:crypto";
import type { InternalClient, Logger, Subscription } from "@nats-ts/core";
import { JsApiError, type JsApi } from "./js-api.js";
import { publishedQos, publishedRetained } from "./nats-headers.js";
import { nextPacketId, type OutgoingMessage, type QosOutbound, type SessionOutput } from "./outbound.js";
import { MQTT_STREAMS } from "./streams.js";
import { natsSubjectToMqttTopic, needsParentLevelSubject } from "./topic.js";

/** The JetStream consumer config stored in a session record (Go's ConsumerConfig JSON). */
export interface ConsumerConfigRecord {
  durable_name: string;
  deliver_subject: string;
  ack_policy: "explicit";
  /** "new" when this server creates it; a server's copy may say otherwise. */
  deliver_policy: string;
  filter_subject: string;
  /** Nanoseconds. */
  ack_wait: number;
  max_ack_pending: number;
  mem_storage?: boolean;
  /** Nanoseconds. */
  inactive_threshold?: number;
}

export interface JsOutboundSettings {
  ackWaitMs: number;
  maxAckPending: number;
  memoryStorage: boolean;
  inactiveThresholdMs: number;
}

/** Go's mqttSubPrefix: deliver subjects of the per-subscription consumers. */
const SUB_PREFIX = "$MQTT.sub.";
const PUBREL_SUBJECT_PREFIX = "$MQTT.out.pubrel.";
const PUBREL_DELIVER_PREFIX = "$MQTT.deliver.pubrel.";
const PUBREL_DURABLE_PREFIX = "$MQTT_PUBREL_";
/** Go's mqttMultiLevelSidSuffix: the key of the extra "foo" subscription that "foo/#" needs. */
const PARENT_LEVEL_SUFFIX = " fwc";
/** Go's mqttMaxAckTotalLimit: the sum of a session's consumers' max_ack_pending. */
const MAX_ACK_TOTAL = 0xffff;
const PUBREL_HEADER = "Nmqtt-PubRel";
const PUBREL_NEEDLE = Buffer.from(`${PUBREL_HEADER}:`);

/** A delivery waiting for the client's acknowledgement, and the consumer ack subject to answer. */
interface Pending {
  durable: string;
  sseq: number;
  ackSubject: string;
}

/** What a subscription's consumer delivers to: its granted QoS, the $-topic rule and its MQTT 5.0 options. */
export interface Target {
  qos: 1 | 2;
  reserved: boolean;
  /** Drops the session's own messages (no-local): its origin token. */
  noLocal?: Buffer;
  retainAsPublished?: boolean;
  subscriptionId?: number;
}

/** Go's nuid-like random token for consumer and deliver subject names. */
function uniqueToken(): string {
  return randomBytes(16).toString("base64url").replace(/[-_]/g, "x").slice(0, 22);
}

/** The stream sequence, delivery count and store time (ms) of a `$JS.ACK.` reply subject (v1 or v2 form). */
export function ackReplyInfo(subject: string): { sseq: number; dc: number; storedAt: number } {
  const t = subject.split(".");
  const at = t.length === 9 ? 4 : t.length >= 11 ? 6 : -1;
  if (at < 0) return { sseq: 0, dc: 0, storedAt: 0 };
  const num = (s: string | undefined) => {
    const n = Number(s);
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  };
  // Nanoseconds since 1970 are beyond 2^53: milliseconds only need the leading digits.
  const ns = Number(t[at + 3]);
  return { dc: num(t[at]), sseq: num(t[at + 1]), storedAt: Number.isFinite(ns) && ns > 0 ? Math.floor(ns / 1e6) : 0 };
}

/** Whether a header block names `origin` as the publishing session (no-local). */
export function fromOrigin(headers: Buffer, origin: Buffer): boolean {
  return headers.length > 0 && headers.indexOf(origin) >= 0;
}

/** The packet identifier of a stored PUBREL (`Nmqtt-PubRel:<pi>`), 0 when absent. */
function pubrelPacketId(msg: Buffer, headerSize: number): number {
  if (headerSize === 0) return 0;
  const head = msg.subarray(0, headerSize);
  const at = head.indexOf(PUBREL_NEEDLE);
  if (at < 0) return 0;
  let pi = 0;
  for (let i = at + PUBREL_NEEDLE.length; i < head.length; i++) {
    const c = head[i]! - 48;
    if (c < 0 || c > 9) break;
    pi = pi * 10 + c;
  }
  return pi > 0xffff ? 0 : pi;
}

/**
 * QoS 1 and 2 deliveries of a persistent session, through JetStream as Go does them
 * (mqttProcessSub / processJSConsumer): each QoS 1/2 subscription has a durable consumer on
 * `$MQTT_msgs` that pushes to `$MQTT.sub.<token>`, so messages for an absent client wait in the
 * stream, also across restarts, and the consumer redelivers what the client did not acknowledge.
 * The packet identifier of each delivery maps to the consumer's ack subject. For QoS 2 the PUBREL
 * step is stored in `$MQTT_out` and delivered by a second consumer, so it survives too.
 */
export class JetStreamOutbound implements QosOutbound {
  /** The consumer of each subscription key (the subject, or "<parent> fwc"), saved in the session record. */
  readonly consumers = new Map<string, ConsumerConfigRecord>();
  pubRel: ConsumerConfigRecord | undefined;
  private readonly targets = new Map<string, Target>();
  private readonly pendingPublish = new Map<number, Pending>();
  private readonly pendingPubRel = new Map<number, Pending>();
  /** Packet identifier of each (consumer, stream sequence) in flight, so a redelivery reuses it. */
  private readonly byDelivery = new Map<string, Map<number, number>>();
  /** Subscriptions on the deliver subjects, while a client is attached. */
  private readonly deliveries = new Map<string, Subscription>();
  private lastPid = 0;
  private output: SessionOutput | undefined;
  private readonly pubRelSubject: string;
  /**
   * Restored after a restart: what was sent before is unknown, so the consumer's delivery count
   * says whether a message is a redelivery. Otherwise this session's own record of what it sent
   * does, since the consumer also counts attempts made while nobody was subscribed.
   */
  private readonly restoredHistory: boolean;
  private inflightLimit: number;
  /** Subscribe permissions of the connected client, checked for each subject a wildcard consumer delivers; undefined when it has none. */
  mayReceive: ((subject: string) => boolean) | undefined;

  constructor(
    private readonly api: JsApi,
    private readonly client: InternalClient,
    private readonly idHash: string,
    private readonly settings: JsOutboundSettings,
    private readonly log: Logger,
    restored?: { consumers?: Record<string, ConsumerConfigRecord>; pubRel?: ConsumerConfigRecord },
  ) {
    this.pubRelSubject = PUBREL_SUBJECT_PREFIX + idHash;
    for (const [sid, cc] of Object.entries(restored?.consumers ?? {})) this.consumers.set(sid, cc);
    this.pubRel = restored?.pubRel;
    this.restoredHistory = restored !== undefined;
    this.inflightLimit = settings.maxAckPending;
  }

  setInflightLimit(limit: number): void {
    this.inflightLimit = Math.min(this.settings.maxAckPending, limit);
  }

  /**
   * Sets up (or drops, for QoS 0) the consumers that serve a subscription on `subject`. An existing
   * consumer is kept; with `recreate` (a session restored after a restart) it is created again,
   * which JetStream answers with the existing one, so one lost with a memory store comes back.
   */
  async subscribe(subject: string, qos: 0 | 1 | 2, target: Omit<Target, "qos">, recreate: boolean): Promise<void> {
    const keys: [string, string][] = [[subject, subject]];
    if (needsParentLevelSubject(subject)) {
      const parent = subject.slice(0, -2);
      keys.push([parent + PARENT_LEVEL_SUFFIX, parent]);
    }
    if (qos === 2) await this.ensurePubRelConsumer(recreate);
    const created: string[] = [];
    try {
      for (const [sid, subj] of keys) {
        if (qos === 0) {
          this.dropConsumer(sid);
          continue;
        }
        let cc = this.consumers.get(sid);
        if (cc === undefined || recreate) {
          cc = await this.createConsumer(subj, cc);
          if (!this.consumers.has(sid)) created.push(sid);
          this.consumers.set(sid, cc);
        }
        this.targets.set(cc.durable_name, { ...target, qos });
        if (this.output !== undefined) this.listen(cc.deliver_subject, cc.durable_name);
      }
    } catch (e) {
      for (const sid of created) this.dropConsumer(sid);
      throw e;
    }
  }

  /** Creates every consumer of the session again (JetStream answers with the existing one). */
  async recreateConsumers(): Promise<void> {
    if (this.pubRel !== undefined) await this.ensurePubRelConsumer(true);
    for (const [sid, cc] of [...this.consumers]) {
      const now = await this.createConsumer(cc.filter_subject.slice(MQTT_STREAMS.messages.subject.length), cc);
      if (this.consumers.get(sid) === cc) this.consumers.set(sid, now);
    }
  }

  /** Removes the consumers of a subscription and forgets their deliveries in flight. */
  unsubscribe(subject: string): void {
    this.dropConsumer(subject);
    if (needsParentLevelSubject(subject)) this.dropConsumer(subject.slice(0, -2) + PARENT_LEVEL_SUFFIX);
  }

  /**
   * Retained messages come from no consumer: they get a packet identifier and no redelivery (as
   * Go). Shared subscription deliveries are acknowledged to the group's consumer.
   */
  send(msg: OutgoingMessage & { qos: 1 | 2 }): boolean {
    const output = this.output;
    if (output === undefined || this.pendingPublish.size >= this.inflightLimit) return msg.ack === undefined;
    const pi = this.bumpPid();
    if (pi === 0) return msg.ack === undefined;
    this.pendingPublish.set(pi, { durable: "", sseq: pi, ackSubject: msg.ack ?? "" });
    msg.messageId = pi;
    if (!output.sendPublish(msg)) this.puback(pi);
    return true;
  }

  puback(messageId: number): void {
    this.api.ack(this.untrackPublish(messageId));
  }

  unackedShared(): string[] {
    const out: string[] = [];
    for (const p of this.pendingPublish.values()) if (p.durable === "" && p.ackSubject !== "") out.push(p.ackSubject);
    return out;
  }

  /** Stores the PUBREL in `$MQTT_out` before the PUBLISH is acknowledged, so neither step is lost. */
  pubrec(messageId: number): Promise<void> | undefined {
    if (!this.pendingPublish.has(messageId) || this.pubRel === undefined) return undefined;
    this.pendingPubRel.set(messageId, { durable: this.pubRel.durable_name, sseq: 0, ackSubject: "" });
    const ackSubject = this.untrackPublish(messageId);
    const headers = Buffer.from(`NATS/1.0\r\n${PUBREL_HEADER}:${messageId}\r\n\r\n`);
    return this.api.store(this.pubRelSubject, Buffer.alloc(0), headers).then(() => this.api.ack(ackSubject));
  }

  pubcomp(messageId: number): void {
    const p = this.pendingPubRel.get(messageId);
    if (p === undefined) return;
    this.pendingPubRel.delete(messageId);
    this.byDelivery.get(p.durable)?.delete(p.sseq);
    this.api.ack(p.ackSubject);
  }

  /**
   * A client takes the session: deliveries resume, and what it did not acknowledge is asked
   * again from the consumers right away (MQTT-4.4.0-1) rather than after ack_wait.
   */
  attach(output: SessionOutput): void {
    this.output = output;
    if (this.pubRel !== undefined) this.listenPubRel();
    for (const cc of this.consumers.values()) if (this.targets.has(cc.durable_name)) this.listen(cc.deliver_subject, cc.durable_name);
    for (const p of this.pendingPubRel.values()) this.api.nak(p.ackSubject);
    // Taken over from a connection that was not detached: what was not from its consumers goes.
    this.dropUnowned();
    for (const p of this.pendingPublish.values()) this.api.nak(p.ackSubject);
  }

  /** The client is gone: the consumers lose their subscriber and keep the messages. */
  detach(output: SessionOutput): void {
    if (this.output !== output) return;
    this.output = undefined;
    this.dropUnowned();
    for (const sub of this.deliveries.values()) this.client.removeSub(sub);
    this.deliveries.clear();
    // A push consumer notices a lost subscriber late (at its next delivery, which then counts as
    // sent and waits ack_wait, also across a restart); an info request makes it look now.
    const look = (stream: string, durable: string) => this.api.request(`CONSUMER.INFO.${stream}.${durable}`, undefined).catch(() => undefined);
    for (const cc of this.consumers.values()) void look(MQTT_STREAMS.messages.name, cc.durable_name);
    if (this.pubRel !== undefined) void look(MQTT_STREAMS.out.name, this.pubRel.durable_name);
  }

  unload(): void {
    this.output = undefined;
    for (const sub of this.deliveries.values()) this.client.removeSub(sub);
    this.deliveries.clear();
  }

  /**
   * Deliveries not from the session's consumers are not sent again to it: retained ones are
   * done with, shared subscription ones go back to their group's consumer for another member.
   */
  private dropUnowned(): void {
    for (const [pi, p] of this.pendingPublish) {
      if (p.durable !== "") continue;
      this.pendingPublish.delete(pi);
      this.api.nak(p.ackSubject);
    }
  }

  /** The session ends: its consumers are deleted (their messages go, under interest retention). */
  destroy(): void {
    this.dropUnowned();
    this.unload();
    for (const sid of [...this.consumers.keys()]) this.dropConsumer(sid);
    if (this.pubRel !== undefined) this.deleteConsumer(MQTT_STREAMS.out.name, this.pubRel.durable_name);
    this.pubRel = undefined;
    this.pendingPublish.clear();
    this.pendingPubRel.clear();
    this.byDelivery.clear();
  }

  private config(filterSubject: string, durable: string, deliverSubject: string): ConsumerConfigRecord {
    const s = this.settings;
    const cc: ConsumerConfigRecord = {
      durable_name: durable,
      deliver_subject: deliverSubject,
      ack_policy: "explicit",
      deliver_policy: "new",
      filter_subject: filterSubject,
      ack_wait: s.ackWaitMs * 1e6,
      max_ack_pending: s.maxAckPending,
    };
    if (s.memoryStorage) cc.mem_storage = true;
    if (s.inactiveThresholdMs > 0) cc.inactive_threshold = s.inactiveThresholdMs * 1e6;
    return cc;
  }

  private totalMaxAckPending(): number {
    let total = this.pubRel?.max_ack_pending ?? 0;
    for (const cc of this.consumers.values()) total += cc.max_ack_pending;
    return total;
  }

  private async createConsumer(subject: string, existing: ConsumerConfigRecord | undefined): Promise<ConsumerConfigRecord> {
    let cc = existing;
    if (cc === undefined) {
      const after = this.totalMaxAckPending() + this.settings.maxAckPending;
      if (after > MAX_ACK_TOTAL) {
        throw new Error(`max_ack_pending for all consumers would be ${after} which exceeds the limit of ${MAX_ACK_TOTAL}`);
      }
      const token = uniqueToken();
      cc = this.config(MQTT_STREAMS.messages.subject + subject, `${this.idHash}_${token}`, SUB_PREFIX + token);
    }
    return this.createDurable(MQTT_STREAMS.messages.name, cc, existing !== undefined);
  }

  /**
   * DURABLE.CREATE. For a consumer the session already had, a refusal (the server keeps it with a
   * config the record no longer matches) must not drop the subscription: the server's consumer
   * is adopted as it is.
   */
  private async createDurable(stream: string, cc: ConsumerConfigRecord, known: boolean): Promise<ConsumerConfigRecord> {
    try {
      await this.api.request(`CONSUMER.DURABLE.CREATE.${stream}.${cc.durable_name}`, { stream_name: stream, config: cc });
      return cc;
    } catch (e) {
      if (!known || !(e instanceof JsApiError)) throw e;
      const info = await this.api.request(`CONSUMER.INFO.${stream}.${cc.durable_name}`, undefined);
      const server = info.config as Partial<ConsumerConfigRecord> | undefined;
      if (typeof server?.deliver_subject !== "string" || typeof server.filter_subject !== "string") throw e;
      this.log.warn(`MQTT consumer ${stream} > ${cc.durable_name} kept as the server has it: ${e.message}`);
      const adopted: ConsumerConfigRecord = { ...cc, deliver_subject: server.deliver_subject, filter_subject: server.filter_subject };
      for (const k of ["deliver_policy", "ack_wait", "max_ack_pending", "mem_storage", "inactive_threshold"] as const) {
        if (server[k] !== undefined) (adopted as unknown as Record<string, unknown>)[k] = server[k];
      }
      return adopted;
    }
  }

  /** The consumer of the session's stored PUBRELs, which QoS 2 deliveries need (also those of shared subscriptions). */
  async ensurePubRelConsumer(recreate: boolean): Promise<void> {
    if (this.pubRel !== undefined && !recreate) return;
    const cc = this.pubRel ?? this.config(this.pubRelSubject, PUBREL_DURABLE_PREFIX + this.idHash, PUBREL_DELIVER_PREFIX + this.idHash);
    if (this.pubRel === undefined && this.totalMaxAckPending() + cc.max_ack_pending > MAX_ACK_TOTAL) {
      throw new Error(`max_ack_pending for all consumers would be ${this.totalMaxAckPending() + cc.max_ack_pending} which exceeds the limit of ${MAX_ACK_TOTAL}`);
    }
    this.pubRel = await this.createDurable(MQTT_STREAMS.out.name, cc, this.pubRel !== undefined);
    if (this.output !== undefined) this.listenPubRel();
  }

  private dropConsumer(sid: string): void {
    const cc = this.consumers.get(sid);
    if (cc === undefined) return;
    this.consumers.delete(sid);
    this.targets.delete(cc.durable_name);
    const sub = this.deliveries.get(cc.deliver_subject);
    if (sub !== undefined) this.client.removeSub(sub);
    this.deliveries.delete(cc.deliver_subject);
    const inFlight = this.byDelivery.get(cc.durable_name);
    this.byDelivery.delete(cc.durable_name);
    if (inFlight !== undefined) for (const pi of inFlight.values()) this.pendingPublish.delete(pi);
    this.deleteConsumer(MQTT_STREAMS.messages.name, cc.durable_name);
  }

  private deleteConsumer(stream: string, durable: string): void {
    this.api.request(`CONSUMER.DELETE.${stream}.${durable}`, undefined).catch((e: unknown) => {
      this.log.debug(`MQTT consumer ${stream} > ${durable} not deleted: ${(e as Error).message}`);
    });
  }

  private listen(deliverSubject: string, durable: string): void {
    if (this.deliveries.has(deliverSubject)) return;
    const prefixLength = MQTT_STREAMS.messages.subject.length;
    const sub = this.client.subscribe(deliverSubject, (subject, reply, headerSize, msg) => {
      const output = this.output;
      const target = this.targets.get(durable);
      if (reply === undefined || output === undefined || target === undefined || subject.length <= prefixLength) return;
      const published = publishedQos(msg, headerSize) ?? 0;
      const qos = published < target.qos ? published : target.qos;
      if (qos === 0) return;
      const subj = subject.slice(prefixLength);
      const headers = msg.subarray(0, headerSize);
      // MQTT-4.7.2-1, a wildcard consumer may reach subjects a deny clause forbids, and no-local: drop those.
      if ((target.reserved && subj.charCodeAt(0) === 0x24) || (this.mayReceive !== undefined && !this.mayReceive(subj)) || (target.noLocal !== undefined && fromOrigin(headers, target.noLocal))) {
        this.api.ack(reply);
        return;
      }
      const { pi, dup, storedAt } = this.trackPublish(durable, reply);
      if (pi === 0) return; // at max_ack_pending: the consumer sends it again after ack_wait
      const retain = target.retainAsPublished === true && publishedRetained(msg, headerSize);
      const out: OutgoingMessage = { topic: natsSubjectToMqttTopic(subj), payload: msg.subarray(headerSize), qos, retain, dup, messageId: pi, headers, subscriptionId: target.subscriptionId, since: storedAt };
      // Not sent (too large for the client, or expired): done with, as if acknowledged.
      if (!output.sendPublish(out)) this.puback(pi);
    });
    this.deliveries.set(deliverSubject, sub);
  }

  private listenPubRel(): void {
    const cc = this.pubRel!;
    if (this.deliveries.has(cc.deliver_subject)) return;
    const sub = this.client.subscribe(cc.deliver_subject, (_subject, reply, headerSize, msg) => {
      const pi = pubrelPacketId(msg, headerSize);
      if (reply === undefined || pi === 0 || this.output === undefined) return;
      const { sseq } = ackReplyInfo(reply);
      this.pendingPubRel.set(pi, { durable: cc.durable_name, sseq, ackSubject: reply });
      this.deliveryMap(cc.durable_name).set(sseq, pi);
      this.output.sendPubrel(pi);
    });
    this.deliveries.set(cc.deliver_subject, sub);
  }

  private deliveryMap(durable: string): Map<number, number> {
    let m = this.byDelivery.get(durable);
    if (m === undefined) {
      m = new Map();
      this.byDelivery.set(durable, m);
    }
    return m;
  }

  /** The packet identifier for a (re)delivery, and whether it is a redelivery (Go's trackPublish). */
  private trackPublish(durable: string, ackSubject: string): { pi: number; dup: boolean; storedAt: number } {
    const { sseq, dc, storedAt } = ackReplyInfo(ackSubject);
    const seqs = this.deliveryMap(durable);
    let pi = seqs.get(sseq) ?? 0;
    const sentBefore = pi !== 0;
    if (pi !== 0) {
      // Its PUBREC came already: the PUBREL step owns the identifier now.
      if (this.pendingPubRel.has(pi)) return { pi: 0, dup: false, storedAt };
    } else {
      if (this.pendingPublish.size >= this.inflightLimit) return { pi: 0, dup: false, storedAt };
      pi = this.bumpPid();
      if (pi === 0) return { pi: 0, dup: false, storedAt };
      seqs.set(sseq, pi);
    }
    this.pendingPublish.set(pi, { durable, sseq, ackSubject });
    return { pi, dup: sentBefore || (this.restoredHistory && dc > 1), storedAt };
  }

  private untrackPublish(pi: number): string {
    const p = this.pendingPublish.get(pi);
    if (p === undefined) return "";
    this.pendingPublish.delete(pi);
    if (p.durable !== "") this.byDelivery.get(p.durable)?.delete(p.sseq);
    return p.ackSubject;
  }

  private bumpPid(): number {
    const pi = nextPacketId(this.lastPid, (n) => this.pendingPublish.has(n) || this.pendingPubRel.has(n));
    if (pi !== 0) this.lastPid = pi;
    return pi;
  }
}
