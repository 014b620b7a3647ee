import { isReservedWildcardSubject, needsParentLevelSubject } from "./topic.js";
import { subjectMatches } from "@nats-ts/wire";

/** A retained message: the last message published with the RETAIN flag on a topic. */
export interface RetainedMessage {
  topic: string;
  subject: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  /** Its sequence in `$MQTT_rmsgs`, once known. */
  seq?: number;
}

/**
 * One account's retained messages, keyed by NATS subject: a copy of what `$MQTT_rmsgs` holds,
 * kept in step with it by {@link RetainedFeed} and ordered by stream sequence. This server's own
 * writes show here at once; until their PubAck says where the stream put them, what the stream
 * hands over for that subject is held back, and applied then only if it is newer.
 */
export class RetainedMessages {
  private readonly bySubject = new Map<string, RetainedMessage>();
  /** The latest local write of each subject that has no PubAck yet. */
  private readonly pending = new Map<string, RetainedMessage>();
  /** The newest stream message of a subject seen while a local write was pending. */
  private readonly held = new Map<string, RetainedMessage>();

  /**
   * Stores the message, or clears the topic's retained message when the payload is empty
   * (MQTT-3.3.1-10). `stored`: it is on its way into the stream; {@link confirmed} follows.
   */
  set(msg: RetainedMessage, stored = false): void {
    this.apply(msg);
    if (stored) this.pending.set(msg.subject, msg);
  }

  /** A local write's PubAck: its stream sequence, or undefined when the stream did not take it. */
  confirmed(msg: RetainedMessage, seq: number | undefined): void {
    if (seq !== undefined) msg.seq = seq;
    if (this.pending.get(msg.subject) !== msg) return; // a later local write is still pending
    this.pending.delete(msg.subject);
    const later = this.held.get(msg.subject);
    this.held.delete(msg.subject);
    if (later !== undefined && (later.seq ?? 0) > (seq ?? 0)) this.apply(later);
  }

  /** A message of the stream (`seq` set), this server's or another's: applied when newer than what is here. */
  fromStream(msg: RetainedMessage): void {
    const seq = msg.seq ?? 0;
    if (this.pending.has(msg.subject)) {
      if ((this.held.get(msg.subject)?.seq ?? 0) < seq) this.held.set(msg.subject, msg);
      return;
    }
    if ((this.bySubject.get(msg.subject)?.seq ?? 0) >= seq) return;
    this.apply(msg);
  }

  /**
   * The stream as read again after messages were deleted from it or purged (not through MQTT):
   * subjects it no longer has go, unless written since `snapshotSeq` (its last sequence when
   * the read began) or by a local write still pending.
   */
  resync(stored: RetainedMessage[], snapshotSeq: number): void {
    const present = new Set(stored.map((m) => m.subject));
    for (const [subject, m] of this.bySubject) {
      if (!present.has(subject) && !this.pending.has(subject) && (m.seq ?? 0) <= snapshotSeq) this.bySubject.delete(subject);
    }
    for (const m of stored) this.fromStream(m);
  }

  get size(): number {
    return this.bySubject.size;
  }

  /** The retained messages a new subscription on `filterSubject` receives (MQTT-3.3.1-6). */
  matching(filterSubject: string): RetainedMessage[] {
    const reserved = isReservedWildcardSubject(filterSubject);
    // "foo/#" matches "foo" too (MQTT-4.7.1-2).
    const parent = needsParentLevelSubject(filterSubject) ? filterSubject.slice(0, -2) : undefined;
    const out: RetainedMessage[] = [];
    for (const m of this.bySubject.values()) {
      if (reserved && m.subject.startsWith("$")) continue;
      if (subjectMatches(filterSubject, m.subject) || (parent !== undefined && subjectMatches(parent, m.subject))) out.push(m);
    }
    return out;
  }

  private apply(msg: RetainedMessage): void {
    if (msg.payload.length === 0) this.bySubject.delete(msg.subject);
    else this.bySubject.set(msg.subject, msg);
  }
}
