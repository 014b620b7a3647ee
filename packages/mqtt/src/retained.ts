import { isReservedWildcardSubject, needsParentLevelSubject } from "./topic.js";
import { subjectMatches } from "@nats-ts/wire";

/** A retained message: the last message published with the RETAIN flag on a topic. */
export interface RetainedMessage {
  topic: string;
  subject: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
}

/**
 * One account's retained messages, keyed by NATS subject: a copy of what `$MQTT_rmsgs` holds,
 * kept in step with it by {@link RetainedFeed}. This server's own writes show here at once and
 * again when the stream hands them back; while one of them is on its way, what others wrote on
 * that subject before it is stale and left out, so the subject ends up as the stream has it.
 */
export class RetainedMessages {
  private readonly bySubject = new Map<string, RetainedMessage>();
  /** This server's writes per subject that the stream has not handed back yet. */
  private readonly unconfirmed = new Map<string, number>();

  /**
   * Stores the message, or clears the topic's retained message when the payload is empty
   * (MQTT-3.3.1-10). `stored`: it is also on its way into the stream, whose copy comes back.
   */
  set(msg: RetainedMessage, stored = false): void {
    this.apply(msg);
    if (stored) this.unconfirmed.set(msg.subject, (this.unconfirmed.get(msg.subject) ?? 0) + 1);
  }

  /**
   * A message of the stream: `local` when this server wrote it (already applied by {@link set}),
   * or `lost` when the stream never got it. Others' messages apply unless a local write is newer.
   */
  fromStream(msg: RetainedMessage, local: boolean): void {
    const waiting = this.unconfirmed.get(msg.subject) ?? 0;
    if (local) {
      if (waiting <= 1) this.unconfirmed.delete(msg.subject);
      else this.unconfirmed.set(msg.subject, waiting - 1);
      return;
    }
    if (waiting === 0) this.apply(msg);
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
