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
  /** MQTT 5.0: the NATS header block the properties are read from. */
  headers?: Buffer;
  /** MQTT 5.0: the NATS reply subject (the response topic). */
  reply?: string;
  /** MQTT 5.0: the identifier of the subscription that matched. */
  subscriptionId?: number;
  /** MQTT 5.0: when the message entered the server (ms), for what is left of its expiry interval. */
  since?: number;
  /** The ack subject of the shared subscription consumer delivery it is, answered once the client acknowledged it. */
  ack?: string;
}

/** Answers JetStream consumer deliveries. */
export interface Acker {
  ack(ackSubject: string): void;
  /** Gives the delivery back, for now or after `delayMs`. */
  nak(ackSubject: string, delayMs?: number): void;
  /** Says the delivery is still being worked on, so its ack wait starts again. */
  progress(ackSubject: string): void;
}

/** Where a session sends its messages while a client is connected. */
export interface SessionOutput {
  /** False when the message was not sent (larger than the client's maximum packet size, or expired). */
  sendPublish(msg: OutgoingMessage): boolean;
  /** Second step of a QoS 2 delivery, after the client's PUBREC. */
  sendPubrel(messageId: number): void;
}

/**
 * How a session's QoS 1 and 2 deliveries are tracked until the client acknowledges them: in
 * memory for clean sessions, through JetStream consumers for persistent ones.
 */
export interface QosOutbound {
  /**
   * Sends (or queues) a message that did not come from the session's own consumers (retained
   * messages, clean sessions, shared subscription deliveries). False when a shared subscription
   * delivery (with `ack`) cannot be taken now: the caller gives it back.
   */
  send(msg: OutgoingMessage & { qos: 1 | 2 }): boolean;
  /** MQTT 5.0 receive maximum: QoS 1/2 messages the connected client takes in flight. */
  setInflightLimit(limit: number): void;
  /** The ack subjects of the shared subscription deliveries the client has not acknowledged yet. */
  unackedShared(): string[];
  /** PUBACK from the client. */
  puback(messageId: number): void;
  /** PUBREC from the client: the PUBREL step starts (it may have to be stored first). */
  pubrec(messageId: number): Promise<void> | undefined;
  /** PUBCOMP from the client. */
  pubcomp(messageId: number): void;
  attach(output: SessionOutput): void;
  detach(output: SessionOutput): void;
  /** The session is over: its state goes, in memory and in JetStream. */
  destroy(): void;
  /** The server stops: in-memory state goes, what JetStream keeps stays for the next start. */
  unload(): void;
}

/**
 * The next free packet identifier after `last` (1..65535, never 0), or 0 when all are taken. The
 * counter only moves forward, so a just-freed identifier is not reused within a burst (MQTT-2.3.1-4).
 */
export function nextPacketId(last: number, inUse: (pi: number) => boolean): number {
  let next = last;
  for (let n = 0; n < 0xffff; n++) {
    next = next === 0xffff ? 1 : next + 1;
    if (!inUse(next)) return next;
  }
  return 0;
}
