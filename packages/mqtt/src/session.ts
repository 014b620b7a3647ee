import type { Account, InternalClient, Subscription } from "@nats-ts/core";
import type { Will } from "./connect-request.js";
import { Deadline } from "./deadline.js";
import { ackReplyInfo, fromOrigin, type JetStreamOutbound } from "./js-outbound.js";
import { publishedQos, publishedRetained } from "./nats-headers.js";
import type { Acker, OutgoingMessage, QoS, QosOutbound, SessionOutput } from "./outbound.js";
import { MQTT_STREAMS } from "./streams.js";
import { isReservedWildcardSubject, natsSubjectToMqttTopic, needsParentLevelSubject } from "./topic.js";

export type { OutgoingMessage, QoS, SessionOutput } from "./outbound.js";

/** A member at its in-flight limit gives a shared delivery back for this long, for another member to take. */
const SHARED_RETRY_MS = 250;

/** MQTT 5.0 subscription options (all off for MQTT 3.1.1). */
export interface SubscriptionOptions {
  /** Do not deliver the session's own publications. */
  noLocal?: boolean;
  /** Keep the RETAIN flag the publisher set. */
  retainAsPublished?: boolean;
  /** Sent back with every message this subscription matches. */
  subscriptionId?: number;
  /** `$share/<group>/...`: one member of the group gets each message (a NATS queue group). */
  group?: string;
}

/** One SUBSCRIBE filter of a session, with the NATS subscriptions that serve it. */
export interface SessionSubscription {
  filter: string;
  subject: string;
  qos: QoS;
  options: SubscriptionOptions;
  subs: Subscription[];
  /** A shared subscription's group consumer delivers here (QoS 1/2 MQTT publications). */
  sharedDeliver?: string;
}

/**
 * An MQTT session (Go's mqttSession): the client id's subscriptions and its QoS 1 and 2
 * deliveries. Plain NATS subscriptions carry QoS 0 (and, for a clean session, everything); a
 * persistent session gets its QoS 1/2 messages from JetStream consumers, so they wait for an
 * absent client and survive restarts. Shared subscriptions are NATS queue subscriptions.
 */
export class Session {
  readonly subscriptions = new Map<string, SessionSubscription>();
  /** MQTT 5.0: how long the session outlives its connection (ms); 0 = it ends with it. */
  expiryMs = Number.POSITIVE_INFINITY;
  /** Ends a detached session once its expiry interval has passed. */
  private expiry: Deadline | undefined;
  /** The protocol level of the connected client: MQTT 5.0 deliveries carry properties. */
  protocolVersion = 4;
  /** Subscribe permissions of the client, for subjects reached through wildcards; undefined when it has none. */
  mayReceive: ((subject: string) => boolean) | undefined;
  /** Some subscription has no-local set: the session's publications carry its origin. */
  hasNoLocal = false;
  /** An MQTT 5.0 will waiting for its delay interval (cancelled when the client returns). */
  private pendingWill: { deadline: Deadline; will: Will; publish: () => void } | undefined;
  /** Answers shared subscription consumer deliveries. */
  acker: Acker | undefined;
  /**
   * How often the shared deliveries the connected client holds unacknowledged are reported in
   * progress (half the consumers' ack wait), so their group's consumer does not hand them to
   * another member meanwhile; 0: never.
   */
  sharedProgressMs = 0;
  private progressTimer: NodeJS.Timeout | undefined;
  /** Called when a delayed will went out, so the stored session forgets it. */
  onWillPublished: (() => void) | undefined;
  private output: SessionOutput | undefined;
  private lastSubject = "";
  private lastTopic = "";
  private readonly originNeedle: Buffer;

  constructor(
    readonly clientId: string,
    readonly account: Account,
    /** The session ends with its connection (clean session 1, or an MQTT 5.0 expiry of 0). */
    public clean: boolean,
    private readonly client: InternalClient,
    readonly outbound: QosOutbound,
    /** The JetStream side of a persistent session (the same object as `outbound`). */
    readonly jetstream: JetStreamOutbound | undefined,
    /** Marks this session's publications (`Nmqtt-Origin`), for no-local subscriptions. */
    readonly origin: string,
  ) {
    this.originNeedle = Buffer.from(`Nmqtt-Origin: ${origin}\r\n`);
  }

  /** The internal NATS client the session publishes and subscribes with. */
  get publisher(): InternalClient {
    return this.client;
  }

  get connected(): boolean {
    return this.output !== undefined;
  }

  /**
   * Adds (or updates, MQTT-3.8.4-3) a filter's subscription. `foo/#` also listens on `foo`,
   * since `#` matches the parent level too (MQTT-4.7.1-2). For a persistent session the
   * consumers are set up before this resolves; on failure the filter is removed again.
   * Returns whether the filter was new (for MQTT 5.0 retain handling 1).
   */
  subscribe(filter: string, subject: string, qos: QoS, options: SubscriptionOptions = {}, recreate = false): { created: boolean; ready?: Promise<void> } {
    let entry = this.subscriptions.get(filter);
    const created = entry === undefined;
    if (entry === undefined) {
      entry = { filter, subject, qos, options, subs: [] };
      this.subscriptions.set(filter, entry);
      if (this.output !== undefined) this.listen(entry);
    }
    entry.qos = qos;
    entry.options = options;
    this.noteOptions();
    // Shared subscriptions are served by their queue subscription alone.
    if (this.jetstream === undefined || options.group !== undefined) return { created };
    const done = entry;
    const target = {
      reserved: isReservedWildcardSubject(subject),
      noLocal: options.noLocal ? this.originNeedle : undefined,
      retainAsPublished: options.retainAsPublished,
      subscriptionId: options.subscriptionId,
    };
    const ready = this.jetstream.subscribe(subject, qos, target, recreate).catch((e: unknown) => {
      if (this.subscriptions.get(filter) === done) this.removeEntry(done);
      throw e;
    });
    return { created, ready };
  }

  unsubscribe(filter: string): boolean {
    const entry = this.subscriptions.get(filter);
    if (entry === undefined) return false;
    this.removeEntry(entry);
    if (entry.options.group === undefined) this.jetstream?.unsubscribe(entry.subject);
    return true;
  }

  /**
   * The group consumer of a shared subscription exists: QoS 1/2 MQTT publications come from it
   * (see shared-subscriptions.ts) while a client is attached.
   */
  bindShared(filter: string, deliverSubject: string): void {
    const entry = this.subscriptions.get(filter);
    if (entry === undefined || entry.options.group === undefined || entry.sharedDeliver === deliverSubject) return;
    entry.sharedDeliver = deliverSubject;
    if (this.output !== undefined && entry.subs.length > 0) entry.subs.push(this.listenShared(entry));
  }

  /** Sends a message to the connected client, at QoS `min(published, granted)` (MQTT-3.8.4-6). */
  send(msg: OutgoingMessage): boolean {
    if (msg.qos === 0) {
      this.output?.sendPublish(msg);
      return true;
    }
    return this.outbound.send(msg as OutgoingMessage & { qos: 1 | 2 });
  }

  acknowledge(messageId: number): void {
    this.outbound.puback(messageId);
  }

  received(messageId: number): Promise<void> | undefined {
    return this.outbound.pubrec(messageId);
  }

  completed(messageId: number): void {
    this.outbound.pubcomp(messageId);
  }

  /**
   * MQTT 5.0 will delay: the will goes out after its delay interval, or when the session ends if
   * sooner, and not at all if the client comes back first (MQTT-3.1.3-9).
   */
  delayWill(will: Will, publish: () => void, at = Date.now() + will.delayMs): void {
    this.cancelWill();
    const deadline = new Deadline(at, () => {
      this.pendingWill = undefined;
      publish();
      this.onWillPublished?.();
    });
    this.pendingWill = { deadline, will, publish };
  }

  /** The will waiting for its delay, and when it goes out (ms since 1970), for the session record. */
  get delayedWill(): { will: Will; at: number } | undefined {
    const w = this.pendingWill;
    return w === undefined ? undefined : { will: w.will, at: w.deadline.at };
  }

  /** When the detached session ends (ms since 1970); undefined while connected or when it never does. */
  get expiresAt(): number | undefined {
    return this.expiry?.at;
  }

  /** Starts the expiry interval of a session its client left: `end` runs when it is over. */
  startExpiry(end: () => void): void {
    this.cancelExpiry();
    if (Number.isFinite(this.expiryMs)) this.expiry = new Deadline(Date.now() + this.expiryMs, end);
  }

  /** The client is back: the session no longer expires, and its delayed will is dropped. */
  resume(): void {
    this.cancelExpiry();
    this.cancelWill();
  }

  private cancelExpiry(): void {
    this.expiry?.cancel();
    this.expiry = undefined;
  }

  private cancelWill(): (() => void) | undefined {
    const w = this.pendingWill;
    if (w === undefined) return undefined;
    w.deadline.cancel();
    this.pendingWill = undefined;
    return w.publish;
  }

  private noteOptions(): void {
    let noLocal = false;
    for (const e of this.subscriptions.values()) noLocal ||= e.options.noLocal === true;
    this.hasNoLocal = noLocal;
  }

  attach(output: SessionOutput): void {
    this.resume();
    this.output = output;
    for (const entry of this.subscriptions.values()) this.listen(entry);
    this.outbound.attach(output);
  }

  /** The client went away; a persistent session keeps its subscriptions and messages. */
  detach(output: SessionOutput): void {
    if (this.output !== output) return;
    this.output = undefined;
    this.stopProgress();
    for (const entry of this.subscriptions.values()) this.unlisten(entry);
    this.outbound.detach(output);
  }

  /** Removes every subscription and forgets every message (the session is over). */
  destroy(): void {
    this.stopProgress();
    this.cancelExpiry();
    this.cancelWill()?.();
    this.output = undefined;
    this.outbound.destroy();
    this.subscriptions.clear();
    this.client.close();
  }

  /** The server stops: the session lets go of its subscriptions; what JetStream keeps stays. */
  unload(): void {
    this.stopProgress();
    this.resume();
    this.output = undefined;
    this.outbound.unload();
    this.subscriptions.clear();
    this.client.close();
  }

  private removeEntry(entry: SessionSubscription): void {
    this.unlisten(entry);
    this.subscriptions.delete(entry.filter);
    this.noteOptions();
  }

  /**
   * The plain NATS subscriptions of a filter, held only while a client is attached (as Go's are
   * the client's own): a broad filter such as `#` would otherwise also match the consumers'
   * deliver subjects and keep them busy delivering to nobody.
   */
  private listen(entry: SessionSubscription): void {
    if (entry.subs.length > 0) return;
    const reserved = isReservedWildcardSubject(entry.subject);
    const handler = (subj: string, reply: string | undefined, headerSize: number, msg: Buffer) => this.deliver(entry, reserved, subj, reply, headerSize, msg);
    entry.subs.push(this.client.subscribe(entry.subject, handler, entry.options.group));
    if (needsParentLevelSubject(entry.subject)) entry.subs.push(this.client.subscribe(entry.subject.slice(0, -2), handler, entry.options.group));
    if (entry.sharedDeliver !== undefined) entry.subs.push(this.listenShared(entry));
  }

  /** The member's queue subscription on its group consumer's deliver subject. */
  private listenShared(entry: SessionSubscription): Subscription {
    const reserved = isReservedWildcardSubject(entry.subject);
    const prefix = MQTT_STREAMS.messages.subject.length;
    return this.client.subscribe(
      entry.sharedDeliver!,
      (subject, reply, headerSize, msg) => {
        if (reply === undefined || subject.length <= prefix) return;
        const acker = this.acker;
        if (this.output === undefined) return acker?.nak(reply);
        const out = this.outgoing(entry, reserved, subject.slice(prefix), undefined, headerSize, msg);
        if (out === undefined || out.qos === 0) {
          if (out !== undefined) this.send(out);
          return acker?.ack(reply);
        }
        const { dc, storedAt } = ackReplyInfo(reply);
        out.ack = reply;
        out.dup = dc > 1;
        out.since = storedAt;
        if (!this.send(out)) acker?.nak(reply, SHARED_RETRY_MS);
        else this.reportProgress();
      },
      entry.options.group,
    );
  }

  private unlisten(entry: SessionSubscription): void {
    for (const sub of entry.subs) this.client.removeSub(sub);
    entry.subs = [];
  }

  private deliver(entry: SessionSubscription, reserved: boolean, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): void {
    // Nothing waits on plain subscriptions for an absent client: QoS 0 is dropped and a persistent
    // session's QoS 1/2 messages wait in JetStream.
    if (this.output === undefined) return;
    const published = publishedQos(msg, headerSize) ?? 0;
    // An MQTT QoS 1/2 message for a QoS 1/2 subscription of a persistent session comes from its
    // consumer; for a shared subscription, from its group's consumer.
    if (published > 0 && (entry.sharedDeliver !== undefined || (this.jetstream !== undefined && entry.qos > 0 && entry.options.group === undefined))) return;
    const out = this.outgoing(entry, reserved, subject, reply, headerSize, msg);
    if (out !== undefined) this.send(out);
  }

  /** The PUBLISH a NATS message becomes for this subscription; undefined when it is not for the client. */
  private outgoing(entry: SessionSubscription, reserved: boolean, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): OutgoingMessage | undefined {
    // Wildcards at the first level do not match topics starting with '$' (MQTT-4.7.2-1).
    if (reserved && subject.charCodeAt(0) === 0x24) return undefined;
    if (this.mayReceive !== undefined && !this.mayReceive(subject)) return undefined;
    const options = entry.options;
    if (options.noLocal === true && fromOrigin(msg.subarray(0, headerSize), this.originNeedle)) return undefined;
    const published = publishedQos(msg, headerSize) ?? 0;
    const qos = (published < entry.qos ? published : entry.qos) as QoS;
    const body = headerSize === 0 ? msg : msg.subarray(headerSize);
    const out: OutgoingMessage = {
      topic: this.topicFor(subject),
      // QoS 0 is encoded right away; anything kept for later must not share the sender's buffer.
      payload: qos === 0 ? body : Buffer.from(body),
      qos,
      retain: options.retainAsPublished === true && publishedRetained(msg, headerSize),
      dup: false,
    };
    if (this.protocolVersion === 5) {
      out.headers = qos === 0 ? msg.subarray(0, headerSize) : Buffer.from(msg.subarray(0, headerSize));
      out.reply = reply;
      out.subscriptionId = options.subscriptionId;
      out.since = Date.now();
    }
    return out;
  }

  /** While the client holds shared deliveries unacknowledged, they are reported in progress every `sharedProgressMs`. */
  private reportProgress(): void {
    if (this.progressTimer !== undefined || this.sharedProgressMs <= 0) return;
    this.progressTimer = setInterval(() => {
      const held = this.output === undefined ? [] : this.outbound.unackedShared();
      if (held.length === 0) return this.stopProgress();
      for (const subject of held) this.acker?.progress(subject);
    }, this.sharedProgressMs);
    this.progressTimer.unref();
  }

  private stopProgress(): void {
    if (this.progressTimer !== undefined) clearInterval(this.progressTimer);
    this.progressTimer = undefined;
  }

  /** Streams of messages mostly repeat a subject: remember the last conversion. */
  private topicFor(subject: string): string {
    if (subject !== this.lastSubject) {
      this.lastSubject = subject;
      this.lastTopic = natsSubjectToMqttTopic(subject);
    }
    return this.lastTopic;
  }
}
