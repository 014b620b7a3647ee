import type { Account, InternalClient, Subscription } from "@nats-ts/core";
import { publishedQos } from "./nats-headers.js";
import { isReservedWildcardSubject, natsSubjectToMqttTopic, needsParentLevelSubject } from "./topic.js";

export type QoS = 0 | 1 | 2;

/** A message on its way to an MQTT client. */
export interface OutgoingMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Packet identifier, for QoS 1 and 2. */
  messageId?: number;
}

/** Where a session sends its messages while a client is connected. */
export interface SessionOutput {
  sendPublish(msg: OutgoingMessage): void;
  /** Second step of a QoS 2 delivery, after the client's PUBREC. */
  sendPubrel(messageId: number): void;
}

/** One SUBSCRIBE filter of a session, with the NATS subscriptions that serve it. */
export interface SessionSubscription {
  filter: string;
  subject: string;
  qos: QoS;
  subs: Subscription[];
}

interface Pending {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  sent: boolean;
  /** When it was last sent (ms). */
  sentAt: number;
  /** A QoS 2 message the client acknowledged with PUBREC: only the PUBREL/PUBCOMP exchange remains. */
  received: boolean;
}

/** How many QoS 1 and 2 messages wait for a client (offline or at max_ack_pending) before the oldest are dropped. */
const BACKLOG_LIMIT = 65_536;

/**
 * An MQTT session (Go's mqttSession): the client id's subscriptions and the QoS 1 and 2 messages not
 * yet acknowledged. A persistent session (clean session 0) outlives its connections: its NATS
 * subscriptions stay, QoS 1 and 2 messages queue while the client is away and unacknowledged ones
 * are sent again, with DUP, when it returns (MQTT-4.4.0-1). State lives in memory for now.
 */
export class Session {
  readonly subscriptions = new Map<string, SessionSubscription>();
  /**
   * Packet identifiers of QoS 2 PUBLISHes received from the client and not yet released by
   * PUBREL: a re-sent PUBLISH with one of them is not published again (exactly once, also across
   * reconnects of a persistent session).
   */
  readonly qos2Incoming = new Set<number>();
  /** QoS 1 and 2 messages sent and not yet acknowledged (PUBACK / PUBCOMP), by packet identifier. */
  private readonly inflight = new Map<number, Pending>();
  /** QoS 1 and 2 messages not sent yet: the client is away or max_ack_pending is reached. */
  private backlog: Pending[] = [];
  private lastPid = 0;
  private output: SessionOutput | undefined;

  constructor(
    readonly clientId: string,
    readonly account: Account,
    public clean: boolean,
    private readonly client: InternalClient,
    private readonly maxAckPending: number,
    /** How long a sent QoS 1/2 message waits for its acknowledgement before it is sent again (Go's ack_wait). */
    private readonly ackWait: number,
  ) {}

  /** The internal NATS client the session publishes and subscribes with. */
  get publisher(): InternalClient {
    return this.client;
  }

  get connected(): boolean {
    return this.output !== undefined;
  }

  get pendingCount(): number {
    return this.inflight.size + this.backlog.length;
  }

  /**
   * Adds (or replaces, MQTT-3.8.4-3) a filter's subscription. `foo/#` also listens on `foo`,
   * since `#` matches the parent level too (MQTT-4.7.1-2).
   */
  subscribe(filter: string, subject: string, qos: QoS): SessionSubscription {
    this.unsubscribe(filter);
    const entry: SessionSubscription = { filter, subject, qos, subs: [] };
    const reserved = isReservedWildcardSubject(subject);
    const handler = (subj: string, _reply: string | undefined, headerSize: number, msg: Buffer) =>
      this.deliver(entry, reserved, subj, headerSize, msg);
    entry.subs.push(this.client.subscribe(subject, handler));
    if (needsParentLevelSubject(subject)) entry.subs.push(this.client.subscribe(subject.slice(0, -2), handler));
    this.subscriptions.set(filter, entry);
    return entry;
  }

  unsubscribe(filter: string): boolean {
    const entry = this.subscriptions.get(filter);
    if (entry === undefined) return false;
    for (const sub of entry.subs) this.client.removeSub(sub);
    this.subscriptions.delete(filter);
    return true;
  }

  /** Queues or sends a message to the client, at QoS `min(published, granted)` (MQTT-3.8.4-6). */
  send(topic: string, payload: Buffer, qos: QoS, retain: boolean): void {
    if (qos === 0) {
      this.output?.sendPublish({ topic, payload, qos: 0, retain, dup: false });
      return;
    }
    const p: Pending = { topic, payload, qos, retain, sent: false, sentAt: 0, received: false };
    if (this.output !== undefined && this.inflight.size < this.maxAckPending) {
      this.transmit(p);
      return;
    }
    if (this.backlog.length >= BACKLOG_LIMIT) this.backlog.shift();
    this.backlog.push(p);
  }

  /** PUBACK (QoS 1) or PUBCOMP (QoS 2): frees the packet identifier and lets the next queued message go. */
  acknowledge(messageId: number): void {
    if (!this.inflight.delete(messageId)) return;
    this.drainBacklog();
  }

  /** PUBREC for a QoS 2 delivery: the client has the message; answer with PUBREL. */
  received(messageId: number): void {
    const p = this.inflight.get(messageId);
    if (p === undefined || p.qos !== 2) return;
    p.received = true;
    this.output?.sendPubrel(messageId);
  }

  /** A client took the session: re-send what it did not acknowledge (with DUP), then the backlog. */
  attach(output: SessionOutput): void {
    this.output = output;
    for (const [messageId, p] of this.inflight) {
      if (p.received) {
        output.sendPubrel(messageId);
        continue;
      }
      output.sendPublish({ topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: p.sent, messageId });
      p.sent = true;
      p.sentAt = Date.now();
    }
    this.drainBacklog();
    this.armRedelivery();
  }

  /** The client went away; a persistent session keeps its subscriptions and messages. */
  detach(output: SessionOutput): void {
    if (this.output !== output) return;
    this.output = undefined;
    this.disarmRedelivery();
  }

  /** Removes every subscription and forgets every message (the session is over). */
  destroy(): void {
    this.output = undefined;
    this.disarmRedelivery();
    this.subscriptions.clear();
    this.inflight.clear();
    this.qos2Incoming.clear();
    this.backlog = [];
    this.client.close();
  }

  private deliver(entry: SessionSubscription, reserved: boolean, subject: string, headerSize: number, msg: Buffer): void {
    // Wildcards at the first level do not match topics starting with '$' (MQTT-4.7.2-1).
    if (reserved && subject.charCodeAt(0) === 0x24) return;
    if (!this.clean || this.output !== undefined) {
      const published = publishedQos(msg, headerSize) ?? 0;
      const qos = (published < entry.qos ? published : entry.qos) as QoS;
      if (qos === 0 && this.output === undefined) return;
      const body = headerSize === 0 ? msg : msg.subarray(headerSize);
      // QoS 0 is encoded right away; anything kept for later must not share the sender's buffer.
      this.send(this.topicFor(subject), qos === 0 ? body : Buffer.from(body), qos, false);
    }
  }

  private lastSubject = "";
  private lastTopic = "";

  /** Streams of messages mostly repeat a subject: remember the last conversion. */
  private topicFor(subject: string): string {
    if (subject !== this.lastSubject) {
      this.lastSubject = subject;
      this.lastTopic = natsSubjectToMqttTopic(subject);
    }
    return this.lastTopic;
  }

  private transmit(p: Pending): void {
    const messageId = this.nextPid();
    this.inflight.set(messageId, p);
    p.sent = true;
    p.sentAt = Date.now();
    this.output!.sendPublish({ topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: false, messageId });
    this.armRedelivery();
  }

  private redeliveryTimer: NodeJS.Timeout | undefined;

  /** One timer per session: set while the client is connected and has messages in flight. */
  private armRedelivery(): void {
    if (this.redeliveryTimer !== undefined || this.output === undefined || this.inflight.size === 0 || this.ackWait <= 0) return;
    this.redeliveryTimer = setTimeout(() => {
      this.redeliveryTimer = undefined;
      this.redeliverExpired();
    }, this.ackWait);
  }

  private disarmRedelivery(): void {
    if (this.redeliveryTimer !== undefined) clearTimeout(this.redeliveryTimer);
    this.redeliveryTimer = undefined;
  }

  /** Sends again, with DUP, what waited ack_wait without acknowledgement (Go redelivers from its consumer). */
  private redeliverExpired(): void {
    const output = this.output;
    if (output === undefined) return;
    const due = Date.now() - this.ackWait;
    for (const [messageId, p] of this.inflight) {
      if (p.sentAt > due) continue;
      p.sentAt = Date.now();
      if (p.received) output.sendPubrel(messageId);
      else output.sendPublish({ topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, dup: true, messageId });
    }
    this.armRedelivery();
  }

  private drainBacklog(): void {
    let i = 0;
    while (this.output !== undefined && i < this.backlog.length && this.inflight.size < this.maxAckPending) this.transmit(this.backlog[i++]!);
    if (i > 0) this.backlog = this.backlog.slice(i);
  }

  /** The next free packet identifier (1..65535, never 0). */
  private nextPid(): number {
    for (let n = 0; n < 0xffff; n++) {
      this.lastPid = this.lastPid === 0xffff ? 1 : this.lastPid + 1;
      if (!this.inflight.has(this.lastPid)) return this.lastPid;
    }
    throw new Error("no free packet identifier");
  }
}
