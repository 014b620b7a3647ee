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
 * One account's retained messages, keyed by NATS subject. Kept in memory for now; the Go server
 * keeps them in the `$MQTT_rmsgs` stream, which is where they will move.
 */
export class RetainedMessages {
  private readonly bySubject = new Map<string, RetainedMessage>();

  /** Stores the message, or clears the topic's retained message when the payload is empty (MQTT-3.3.1-10). */
  set(msg: RetainedMessage): void {
    if (msg.payload.length === 0) this.bySubject.delete(msg.subject);
    else this.bySubject.set(msg.subject, msg);
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
}
