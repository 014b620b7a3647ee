import { nextPacketId, type Acker, type OutgoingMessage, type QosOutbound, type SessionOutput } from "./outbound.js";

interface Pending {
  msg: OutgoingMessage & { qos: 1 | 2 };
  sent: boolean;
  /** When it was last sent (ms). */
  sentAt: number;
  /** A QoS 2 message the client acknowledged with PUBREC: only the PUBREL/PUBCOMP exchange remains. */
  received: boolean;
}

/** How many QoS 1 and 2 messages wait at max_ack_pending before the oldest are dropped. */
const BACKLOG_LIMIT = 65_536;

/**
 * QoS 1 and 2 deliveries of a clean session, tracked in memory: the session ends with its
 * connection, so nothing needs to outlive the process. Messages past max_ack_pending wait in a
 * backlog; unacknowledged ones are sent again with DUP every ack_wait (as Go's consumer would).
 */
export class MemoryOutbound implements QosOutbound {
  /** Sent and not yet acknowledged (PUBACK / PUBCOMP), by packet identifier. */
  private readonly inflight = new Map<number, Pending>();
  private backlog: Pending[] = [];
  private lastPid = 0;
  private output: SessionOutput | undefined;
  private redeliveryTimer: NodeJS.Timeout | undefined;
  private limit: number;

  constructor(
    private readonly maxAckPending: number,
    private readonly ackWait: number,
    /** Answers the shared subscription deliveries among the messages. */
    private readonly acker?: Acker,
  ) {
    this.limit = maxAckPending;
  }

  setInflightLimit(limit: number): void {
    this.limit = Math.min(this.maxAckPending, limit);
  }

  send(msg: OutgoingMessage & { qos: 1 | 2 }): boolean {
    const p: Pending = { msg, sent: false, sentAt: 0, received: false };
    if (this.output !== undefined && this.inflight.size < this.limit && this.transmit(p)) return true;
    // A shared subscription delivery is not kept waiting here: another member may take it.
    if (msg.ack !== undefined) return false;
    if (this.backlog.length >= BACKLOG_LIMIT) this.backlog.shift();
    this.backlog.push(p);
    return true;
  }

  puback(messageId: number): void {
    const p = this.inflight.get(messageId);
    if (p === undefined) return;
    this.inflight.delete(messageId);
    this.settle(p);
    this.drainBacklog();
  }

  pubrec(messageId: number): undefined {
    const p = this.inflight.get(messageId);
    if (p === undefined || p.msg.qos !== 2) return undefined;
    // The client has the message: the group's consumer is done with it.
    this.settle(p);
    p.received = true;
    this.output?.sendPubrel(messageId);
    return undefined;
  }

  unackedShared(): string[] {
    const out: string[] = [];
    for (const p of this.inflight.values()) if (p.msg.ack !== undefined) out.push(p.msg.ack);
    return out;
  }

  pubcomp(messageId: number): void {
    this.puback(messageId);
  }

  attach(output: SessionOutput): void {
    this.output = output;
    this.drainBacklog();
  }

  detach(output: SessionOutput): void {
    if (this.output !== output) return;
    this.output = undefined;
    this.disarm();
  }

  destroy(): void {
    this.output = undefined;
    this.disarm();
    // Shared subscription deliveries not acknowledged go to another member of the group.
    for (const p of this.inflight.values()) if (p.msg.ack !== undefined) this.acker?.nak(p.msg.ack);
    this.inflight.clear();
    this.backlog = [];
  }

  unload(): void {
    this.destroy();
  }

  private settle(p: Pending): void {
    if (p.msg.ack === undefined) return;
    this.acker?.ack(p.msg.ack);
    p.msg.ack = undefined;
  }

  private transmit(p: Pending): boolean {
    const messageId = nextPacketId(this.lastPid, (pi) => this.inflight.has(pi));
    if (messageId === 0) return false;
    this.lastPid = messageId;
    p.msg.messageId = messageId;
    p.sent = true;
    p.sentAt = Date.now();
    // Not sent (too large for the client, expired): done with, as if acknowledged.
    if (!this.output!.sendPublish(p.msg)) {
      this.settle(p);
      return true;
    }
    this.inflight.set(messageId, p);
    this.arm();
    return true;
  }

  /** One timer per session: set while the client is connected and has messages in flight. */
  private arm(): void {
    if (this.redeliveryTimer !== undefined || this.output === undefined || this.inflight.size === 0 || this.ackWait <= 0) return;
    this.redeliveryTimer = setTimeout(() => {
      this.redeliveryTimer = undefined;
      this.redeliverExpired();
    }, this.ackWait);
  }

  private disarm(): void {
    if (this.redeliveryTimer !== undefined) clearTimeout(this.redeliveryTimer);
    this.redeliveryTimer = undefined;
  }

  private redeliverExpired(): void {
    const output = this.output;
    if (output === undefined) return;
    const due = Date.now() - this.ackWait;
    for (const [messageId, p] of this.inflight) {
      if (p.sentAt > due) continue;
      p.sentAt = Date.now();
      if (p.received) output.sendPubrel(messageId);
      else if (!output.sendPublish({ ...p.msg, dup: true })) {
        this.inflight.delete(messageId);
        this.settle(p);
      }
    }
    this.arm();
  }

  private drainBacklog(): void {
    let i = 0;
    while (this.output !== undefined && i < this.backlog.length && this.inflight.size < this.limit && this.transmit(this.backlog[i]!)) i++;
    if (i > 0) this.backlog = this.backlog.slice(i);
  }
}
