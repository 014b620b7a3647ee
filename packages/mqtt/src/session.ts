import type { Account, InternalClient, Subscription } from "@nats-ts/core";
import type { JetStreamOutbound } from "./js-outbound.js";
import { publishedQos } from "./nats-headers.js";
import type { QoS, QosOutbound, SessionOutput } from "./outbound.js";
import { isReservedWildcardSubject, natsSubjectToMqttTopic, needsParentLevelSubject } from "./topic.js";

export type { OutgoingMessage, QoS, SessionOutput } from "./outbound.js";

/** One SUBSCRIBE filter of a session, with the NATS subscriptions that serve it. */
export interface SessionSubscription {
  filter: string;
  subject: string;
  qos: QoS;
  subs: Subscription[];
}

/**
 * An MQTT session (Go's mqttSession): the client id's subscriptions and its QoS 1 and 2
 * deliveries. Plain NATS subscriptions carry QoS 0 (and, for a clean session, everything); a
 * persistent session (clean session 0) gets its QoS 1/2 messages from JetStream consumers, so
 * they wait for an absent client and survive restarts.
 */
export class Session {
  readonly subscriptions = new Map<string, SessionSubscription>();
  private output: SessionOutput | undefined;
  private lastSubject = "";
  private lastTopic = "";

  constructor(
    readonly clientId: string,
    readonly account: Account,
    readonly clean: boolean,
    private readonly client: InternalClient,
    readonly outbound: QosOutbound,
    /** The JetStream side of a persistent session (the same object as `outbound`). */
    readonly jetstream: JetStreamOutbound | undefined,
  ) {}

  /** The internal NATS client the session publishes and subscribes with. */
  get publisher(): InternalClient {
    return this.client;
  }

  get connected(): boolean {
    return this.output !== undefined;
  }

  get pendingCount(): number {
    return this.outbound.pendingCount;
  }

  /**
   * Adds (or updates, MQTT-3.8.4-3) a filter's subscription. `foo/#` also listens on `foo`,
   * since `#` matches the parent level too (MQTT-4.7.1-2). For a persistent session the
   * consumers are set up before this resolves; on failure the filter is removed again.
   */
  subscribe(filter: string, subject: string, qos: QoS, recreate = false): Promise<void> | undefined {
    let entry = this.subscriptions.get(filter);
    if (entry === undefined) {
      const created: SessionSubscription = { filter, subject, qos, subs: [] };
      entry = created;
      const reserved = isReservedWildcardSubject(subject);
      const handler = (subj: string, _reply: string | undefined, headerSize: number, msg: Buffer) => this.deliver(created, reserved, subj, headerSize, msg);
      entry.subs.push(this.client.subscribe(subject, handler));
      if (needsParentLevelSubject(subject)) entry.subs.push(this.client.subscribe(subject.slice(0, -2), handler));
      this.subscriptions.set(filter, entry);
    }
    entry.qos = qos;
    if (this.jetstream === undefined) return undefined;
    const done = entry;
    return this.jetstream.subscribe(subject, qos, isReservedWildcardSubject(subject), recreate).catch((e: unknown) => {
      if (this.subscriptions.get(filter) === done) this.removeEntry(done);
      throw e;
    });
  }

  unsubscribe(filter: string): boolean {
    const entry = this.subscriptions.get(filter);
    if (entry === undefined) return false;
    this.removeEntry(entry);
    this.jetstream?.unsubscribe(entry.subject);
    return true;
  }

  /** Sends a message to the connected client, at QoS `min(published, granted)` (MQTT-3.8.4-6). */
  send(topic: string, payload: Buffer, qos: QoS, retain: boolean): void {
    if (qos === 0) this.output?.sendPublish({ topic, payload, qos: 0, retain, dup: false });
    else this.outbound.send(topic, payload, qos, retain);
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

  attach(output: SessionOutput): void {
    this.output = output;
    this.outbound.attach(output);
  }

  /** The client went away; a persistent session keeps its subscriptions and messages. */
  detach(output: SessionOutput): void {
    if (this.output !== output) return;
    this.output = undefined;
    this.outbound.detach(output);
  }

  /** Removes every subscription and forgets every message (the session is over). */
  destroy(): void {
    this.output = undefined;
    this.outbound.destroy();
    this.subscriptions.clear();
    this.client.close();
  }

  /** The server stops: the session lets go of its subscriptions; what JetStream keeps stays. */
  unload(): void {
    this.output = undefined;
    this.outbound.unload();
    this.subscriptions.clear();
    this.client.close();
  }

  private removeEntry(entry: SessionSubscription): void {
    for (const sub of entry.subs) this.client.removeSub(sub);
    this.subscriptions.delete(entry.filter);
  }

  private deliver(entry: SessionSubscription, reserved: boolean, subject: string, headerSize: number, msg: Buffer): void {
    // Nothing waits on plain subscriptions for an absent client: QoS 0 is dropped and a persistent
    // session's QoS 1/2 messages wait in JetStream.
    if (this.output === undefined) return;
    // Wildcards at the first level do not match topics starting with '$' (MQTT-4.7.2-1).
    if (reserved && subject.charCodeAt(0) === 0x24) return;
    const published = publishedQos(msg, headerSize) ?? 0;
    // An MQTT QoS 1/2 message for a QoS 1/2 subscription of a persistent session comes from its consumer.
    if (this.jetstream !== undefined && published > 0 && entry.qos > 0) return;
    const qos = (published < entry.qos ? published : entry.qos) as QoS;
    const body = headerSize === 0 ? msg : msg.subarray(headerSize);
    // QoS 0 is encoded right away; anything kept for later must not share the sender's buffer.
    this.send(this.topicFor(subject), qos === 0 ? body : Buffer.from(body), qos, false);
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
