import type { ConsumerState } from "@nats-ts/storage";
import type { AckPolicy } from "./config.js";

/** A delivered, unacknowledged message: its first consumer sequence and last delivery time (ns). */
export interface PendingAck {
  dseq: number;
  ts: bigint;
}

export interface AckSettings {
  ackPolicy: AckPolicy;
  /** Nanoseconds. */
  ackWait: number;
  /** Nanoseconds per redelivery attempt; overrides ackWait. */
  backoff: number[];
  /** 0 = unlimited. */
  maxDeliver: number;
  /** 0 = unlimited. */
  maxAckPending: number;
}

/** Something the runtime must announce: Go's MAX_DELIVERIES advisory. */
export interface MaxDeliveriesEvent {
  sseq: number;
  deliveries: number;
}

/** Small slack so bursts due at about the same time expire in one pass (Go's ackWaitDelay). */
const ACK_WAIT_SLACK = 1_000_000;

/**
 * Pure acknowledgement bookkeeping of one consumer: next sequences, ack floors, the pending
 * map, delivery counts, the redelivery queue and ack-wait/backoff deadlines. Time comes in as
 * arguments; nothing here touches timers, the network or disk.
 *
 * @example
 * const acks = new AckState({ ackPolicy: "explicit", ackWait: 30e9, backoff: [], maxDeliver: 0, maxAckPending: 1000 }, 1);
 * const dseq = acks.recordDelivery(1, now);
 * acks.ack(1, dseq); // floors move to 1/1
 */
export class AckState {
  /** Next stream sequence to look at (Go o.sseq). */
  sseq: number;
  /** Next consumer delivery sequence (Go o.dseq). */
  dseq = 1;
  /** Ack floor, consumer side (Go o.adflr). */
  adflr = 0;
  /** Ack floor, stream side (Go o.asflr). */
  asflr: number;
  readonly pending = new Map<number, PendingAck>();
  /** Redelivery counts by stream sequence: deliveries beyond the first (Go o.rdc). */
  readonly rdc = new Map<number, number>();
  private rdq: number[] = [];
  private readonly rdqSet = new Set<number>();
  readonly events: MaxDeliveriesEvent[] = [];

  constructor(
    public settings: AckSettings,
    startSeq: number,
  ) {
    this.sseq = startSeq;
    this.asflr = startSeq - 1;
  }

  get numAckPending(): number {
    return this.pending.size;
  }

  get numRedelivered(): number {
    return this.rdc.size;
  }

  get atMaxAckPending(): boolean {
    return this.settings.maxAckPending > 0 && this.pending.size >= this.settings.maxAckPending;
  }

  hasRedeliveries(): boolean {
    return this.rdq.length > 0;
  }

  onRedeliveryQueue(sseq: number): boolean {
    return this.rdqSet.has(sseq);
  }

  /** Deliveries so far of `sseq` counting the first one (Go deliveryCount). */
  deliveryCount(sseq: number): number {
    const dc = this.rdc.get(sseq) ?? 0;
    return dc >= 1 ? dc : 1;
  }

  /**
   * Records that `sseq` went out at `now`; returns its consumer
   * sequence. Redeliveries keep their original consumer sequence in the pending map.
   */
  recordDelivery(sseq: number, now: bigint): number {
    const dseq = this.dseq++;
    if (this.settings.ackPolicy === "none") {
      this.adflr = dseq;
      this.asflr = sseq;
      return dseq;
    }
    const p = this.pending.get(sseq);
    if (p) p.ts = now;
    else this.pending.set(sseq, { dseq, ts: now });
    return dseq;
  }

  /** How long from a fresh delivery of `sseq` until its ack wait runs out, ns. */
  deadlineFor(sseq: number): number {
    const bo = this.settings.backoff;
    if (bo.length > 0) {
      const bi = Math.min(Math.max(this.rdc.get(sseq) ?? 0, 0), bo.length - 1);
      return bo[bi] + ACK_WAIT_SLACK;
    }
    return this.settings.ackWait + ACK_WAIT_SLACK;
  }

  /**
   * Positive ack (also +TERM). Returns the stream sequences this ack released, for interest
   * and workqueue retention; empty when the ack was stale or out of range.
   */
  ack(sseq: number, dseq: number): number[] {
    if (sseq >= this.sseq) return [];
    switch (this.settings.ackPolicy) {
      case "explicit": {
        const p = this.pending.get(sseq);
        const released: number[] = [];
        if (p) {
          this.pending.delete(sseq);
          this.moveAckFloor(p.dseq, sseq);
          released.push(sseq);
        }
        this.rdc.delete(sseq);
        this.removeFromRedeliveryQueue(sseq);
        return released;
      }
      case "all": {
        if (dseq <= this.adflr || sseq <= this.asflr) return [];
        const released: number[] = [];
        this.adflr = dseq;
        this.asflr = sseq;
        for (const seq of [...this.pending.keys()]) {
          if (seq > sseq) continue;
          released.push(seq);
          this.pending.delete(seq);
          this.rdc.delete(seq);
          this.removeFromRedeliveryQueue(seq);
        }
        if (!released.includes(sseq)) released.push(sseq);
        return released.sort((a, b) => a - b);
      }
      default:
        return [];
    }
  }

  /**
   * -NAK: queue for redelivery now, or after `delayNs` (counted from now). Returns false for
   * stale or unknown deliveries.
   */
  nak(sseq: number, dseq: number, now: bigint, delayNs?: number): boolean {
    if (dseq <= this.adflr || dseq >= this.dseq) return false;
    const p = this.pending.get(sseq);
    if (!p) return false;
    if (delayNs !== undefined) {
      this.removeFromRedeliveryQueue(sseq);
      p.ts = now - BigInt(this.settings.ackWait) + BigInt(delayNs);
      return true;
    }
    if (!this.rdqSet.has(sseq)) this.addToRedeliveryQueue([sseq]);
    return true;
  }

  /** +WPI: restart the ack wait of a pending message. */
  progress(sseq: number, now: bigint): boolean {
    const p = this.pending.get(sseq);
    if (!p) return false;
    p.ts = now;
    return true;
  }

  /**
   * Ack-wait scan (Go checkPending): drops entries below the stream's first sequence, queues
   * expired ones for redelivery (or gives up on them at max_deliver) and says when to look
   * again (ns from now), or undefined when nothing is pending.
   */
  checkPending(now: bigint, streamFirstSeq: number): { expired: number[]; nextCheckNs: number | undefined } {
    const bo = this.settings.backoff;
    let next = bo.length > 0 ? bo[bo.length - 1] : this.settings.ackWait + ACK_WAIT_SLACK;
    const expired: number[] = [];
    for (const [seq, p] of this.pending) {
      if (seq < streamFirstSeq || seq <= this.asflr) {
        this.pending.delete(seq);
        this.rdc.delete(seq);
        this.removeFromRedeliveryQueue(seq);
        if (seq > this.asflr) this.asflr = seq;
        if (p.dseq > this.adflr) this.adflr = p.dseq;
        continue;
      }
      const elapsed = Number(now - p.ts);
      let deadline = this.settings.ackWait;
      if (bo.length > 0) {
        let dc = Math.max(this.rdc.get(seq) ?? 0, 0);
        let nbi = dc + 1;
        if (dc + 1 >= bo.length) {
          dc = bo.length - 1;
          nbi = dc;
        }
        deadline = bo[dc];
        if (bo[nbi] < next) next = bo[nbi];
      }
      if (elapsed >= deadline) {
        if (!this.rdqSet.has(seq) && !this.hasMaxDeliveries(seq)) expired.push(seq);
      } else if (deadline - elapsed < next) {
        next = deadline - elapsed;
      }
    }
    if (expired.length > 0) {
      expired.sort((a, b) => a - b);
      this.addToRedeliveryQueue(expired);
      const off = now - this.pending.get(expired[0])!.ts;
      for (const seq of expired) {
        const p = this.pending.get(seq);
        if (p) p.ts += off;
      }
    }
    if (this.pending.size === 0) {
      this.rdq = [];
      this.rdqSet.clear();
      this.adflr = this.dseq - 1;
      this.asflr = this.sseq - 1;
      return { expired, nextCheckNs: undefined };
    }
    return { expired, nextCheckNs: Math.max(next, 0) };
  }

  /**
   * Next message to redeliver with its new delivery count, skipping (and announcing) those
   * past max_deliver. Undefined when the queue is empty.
   */
  nextRedelivery(): { sseq: number; dc: number } | undefined {
    while (this.rdq.length > 0) {
      const seq = this.rdq.shift()!;
      this.rdqSet.delete(seq);
      const rd = (this.rdc.get(seq) ?? 0) + 1;
      this.rdc.set(seq, rd);
      const dc = rd + 1;
      const max = this.settings.maxDeliver;
      if (max > 0 && dc > max) {
        if (dc === max + 1) this.events.push({ sseq: seq, deliveries: dc - 1 });
        const p = this.pending.get(seq);
        if (p) {
          this.pending.delete(seq);
          this.moveAckFloor(p.dseq, seq);
        }
        continue;
      }
      return { sseq: seq, dc };
    }
    return undefined;
  }

  /** Undo the delivery count bump of a redelivery that could not be sent. */
  undoRedelivery(sseq: number, requeue: boolean): void {
    const rd = (this.rdc.get(sseq) ?? 0) - 1;
    if (rd <= 0) this.rdc.delete(sseq);
    else this.rdc.set(sseq, rd);
    if (requeue && !this.rdqSet.has(sseq)) {
      this.rdq.unshift(sseq);
      this.rdqSet.add(sseq);
    }
  }

  /** The message vanished from the stream: forget it as if acked (Go's TERM with "unacked limit"). */
  forget(sseq: number): boolean {
    const p = this.pending.get(sseq);
    this.removeFromRedeliveryQueue(sseq);
    if (!p) return false;
    this.pending.delete(sseq);
    this.rdc.delete(sseq);
    this.moveAckFloor(p.dseq, sseq);
    return true;
  }

  /** Queue every pending message for redelivery (deliver subject changed). */
  forceExpireAll(): void {
    const seqs = [...this.pending.keys()].filter((s) => !this.rdqSet.has(s)).sort((a, b) => a - b);
    this.addToRedeliveryQueue(seqs);
  }

  /** Interest retention: does this consumer still need `sseq` (Go needAck, leader path)? */
  needsAck(sseq: number): boolean {
    let need = false;
    if (this.settings.ackPolicy === "explicit") {
      if (sseq > this.asflr) need = sseq >= this.sseq || this.pending.has(sseq);
    } else {
      need = sseq > this.asflr;
    }
    return need || this.rdc.has(sseq);
  }

  /** The delivery state in the storage package's shape (Go's ConsumerState). */
  snapshot(): ConsumerState {
    const pending = new Map<number, { sequence: number; timestamp: bigint }>();
    for (const [sseq, p] of this.pending) pending.set(sseq, { sequence: p.dseq, timestamp: p.ts });
    return {
      delivered: { consumer: this.dseq - 1, stream: this.sseq - 1 },
      ackFloor: { consumer: this.adflr, stream: this.asflr },
      pending,
      redelivered: new Map(this.rdc),
    };
  }

  /** Restores a snapshot; pending messages will be redelivered once their ack wait runs out. */
  restore(s: ConsumerState): void {
    this.dseq = s.delivered.consumer + 1;
    this.sseq = s.delivered.stream + 1;
    this.adflr = s.ackFloor.consumer;
    this.asflr = s.ackFloor.stream;
    this.pending.clear();
    for (const [sseq, p] of s.pending) this.pending.set(sseq, { dseq: p.sequence, ts: p.timestamp });
    this.rdc.clear();
    for (const [sseq, n] of s.redelivered) this.rdc.set(sseq, n);
    this.rdq = [];
    this.rdqSet.clear();
  }

  /**
   * The stream dropped everything below `firstSeq` (purge, compaction): move past it and
   * forget pending messages that are gone (Go's consumer purge). `exists` tells whether a
   * pending message above the floor is still in the stream.
   */
  purgedBelow(firstSeq: number, exists: (seq: number) => boolean): void {
    if (this.sseq < firstSeq) this.sseq = firstSeq;
    if (this.asflr < firstSeq - 1) this.asflr = firstSeq - 1;
    for (const [seq, p] of this.pending) {
      if (seq > this.asflr && exists(seq)) continue;
      if (p.dseq > this.adflr) this.adflr = p.dseq;
      this.pending.delete(seq);
      this.rdc.delete(seq);
      this.removeFromRedeliveryQueue(seq);
    }
    if (this.adflr > this.dseq - 1) this.dseq = this.adflr + 1;
    if (this.pending.size === 0) {
      this.adflr = this.dseq - 1;
      this.asflr = this.sseq - 1;
    }
  }

  private hasMaxDeliveries(seq: number): boolean {
    const max = this.settings.maxDeliver;
    if (max <= 0) return false;
    const dc = this.deliveryCount(seq);
    if (dc < max) return false;
    if (dc === max) this.events.push({ sseq: seq, deliveries: dc });
    const p = this.pending.get(seq);
    if (p) {
      this.pending.delete(seq);
      this.moveAckFloor(p.dseq, seq);
    }
    this.rdc.set(seq, dc);
    return true;
  }

  private moveAckFloor(dseq: number, sseq: number): void {
    if (this.pending.size === 0) {
      this.adflr = this.dseq - 1;
      this.asflr = this.sseq - 1;
    } else if (dseq === this.adflr + 1) {
      this.adflr = dseq;
      this.asflr = sseq;
      // The floor stops just below the lowest message still pending.
      for (let ss = sseq + 1; ss < this.sseq; ss++) {
        const p = this.pending.get(ss);
        if (p) {
          this.adflr = p.dseq - 1;
          this.asflr = ss - 1;
          break;
        }
      }
    }
  }

  private addToRedeliveryQueue(seqs: number[]): void {
    for (const s of seqs) {
      if (this.rdqSet.has(s)) continue;
      this.rdq.push(s);
      this.rdqSet.add(s);
    }
  }

  private removeFromRedeliveryQueue(seq: number): void {
    if (!this.rdqSet.delete(seq)) return;
    const i = this.rdq.indexOf(seq);
    if (i >= 0) this.rdq.splice(i, 1);
  }
}
