import { describe, expect, test } from "vitest";
import { AckState, type AckSettings } from "../../src/consumer/ack-state.js";

const S = 1_000_000_000;
const T0 = 1_000_000_000_000n;
const sec = (n: number) => BigInt(n * S);

function explicit(over: Partial<AckSettings> = {}): AckState {
  return new AckState({ ackPolicy: "explicit", ackWait: 30 * S, backoff: [], maxDeliver: 0, maxAckPending: 0, ...over }, 1);
}

/** Delivers stream sequences in order as the runtime would, returning their consumer sequences. */
function deliver(a: AckState, seqs: number[], now = T0): number[] {
  return seqs.map((s) => {
    a.sseq = s + 1;
    return a.recordDelivery(s, now);
  });
}

describe("AckState", () => {
  test("explicit acks move the floor only past contiguous acks", () => {
    const a = explicit();
    deliver(a, [1, 2, 3]);
    expect(a.numAckPending).toBe(3);
    expect(a.ack(2, 2)).toEqual([2]);
    expect([a.adflr, a.asflr]).toEqual([0, 0]);
    expect(a.ack(1, 1)).toEqual([1]);
    expect([a.adflr, a.asflr]).toEqual([2, 2]);
    a.ack(3, 3);
    expect([a.adflr, a.asflr]).toEqual([3, 3]);
    expect(a.numAckPending).toBe(0);
  });

  test("ack of a sequence not yet delivered is ignored", () => {
    const a = explicit();
    deliver(a, [1]);
    expect(a.ack(5, 5)).toEqual([]);
    expect(a.numAckPending).toBe(1);
  });

  test("ack all releases everything at or below the acked sequence", () => {
    const a = explicit({ ackPolicy: "all" });
    deliver(a, [1, 2, 3, 4]);
    expect(a.ack(3, 3)).toEqual([1, 2, 3]);
    expect([a.adflr, a.asflr]).toEqual([3, 3]);
    expect([...a.pending.keys()]).toEqual([4]);
    expect(a.ack(2, 2)).toEqual([]);
  });

  test("ack none moves the floors on delivery and keeps nothing pending", () => {
    const a = explicit({ ackPolicy: "none" });
    deliver(a, [1, 2]);
    expect(a.numAckPending).toBe(0);
    expect([a.adflr, a.asflr]).toEqual([2, 2]);
  });

  test("ack wait expiry queues redelivery with increasing delivery counts", () => {
    const a = explicit({ ackWait: 1 * S });
    deliver(a, [1, 2]);
    const early = a.checkPending(T0 + sec(0.5), 1);
    expect(early.expired).toEqual([]);
    expect(early.nextCheckNs).toBeGreaterThan(0);
    const r = a.checkPending(T0 + sec(1), 1);
    expect(r.expired).toEqual([1, 2]);
    expect(a.nextRedelivery()).toEqual({ sseq: 1, dc: 2 });
    expect(a.deliveryCount(1)).toBe(1);
    const d = a.recordDelivery(1, T0 + sec(1));
    expect(a.pending.get(1)!.dseq).toBe(1);
    expect(d).toBe(3);
    expect(a.nextRedelivery()).toEqual({ sseq: 2, dc: 2 });
    expect(a.numRedelivered).toBe(2);
  });

  test("max_deliver stops redelivery and reports the advisory once", () => {
    const a = explicit({ ackWait: 1 * S, maxDeliver: 2 });
    deliver(a, [1]);
    a.checkPending(T0 + sec(1), 1);
    expect(a.nextRedelivery()).toEqual({ sseq: 1, dc: 2 });
    a.recordDelivery(1, T0 + sec(1));
    expect(a.checkPending(T0 + sec(2), 1).expired).toEqual([1]);
    expect(a.nextRedelivery()).toBeUndefined();
    expect(a.events).toEqual([{ sseq: 1, deliveries: 2 }]);
    expect(a.numAckPending).toBe(0);
    expect(a.asflr).toBe(1);
  });

  test("backoff schedule decides each redelivery deadline", () => {
    const a = explicit({ ackWait: 1 * S, backoff: [1 * S, 5 * S] });
    deliver(a, [1]);
    expect(a.checkPending(T0 + sec(1), 1).expired).toEqual([1]);
    a.nextRedelivery();
    a.recordDelivery(1, T0 + sec(1));
    // second delivery uses backoff[1] = 5s
    expect(a.checkPending(T0 + sec(4), 1).expired).toEqual([]);
    expect(a.checkPending(T0 + sec(6), 1).expired).toEqual([1]);
  });

  test("nak with delay postpones redelivery by the delay", () => {
    const a = explicit({ ackWait: 30 * S });
    const [d] = deliver(a, [1]);
    expect(a.nak(1, d, T0, 2 * S)).toBe(true);
    expect(a.checkPending(T0 + sec(1), 1).expired).toEqual([]);
    expect(a.checkPending(T0 + sec(2), 1).expired).toEqual([1]);
  });

  test("nak without delay queues immediately; stale nak is ignored", () => {
    const a = explicit();
    const [d] = deliver(a, [1]);
    expect(a.nak(1, d + 5, T0)).toBe(false);
    expect(a.nak(1, d, T0)).toBe(true);
    expect(a.hasRedeliveries()).toBe(true);
    expect(a.nextRedelivery()).toEqual({ sseq: 1, dc: 2 });
  });

  test("progress restarts the ack wait", () => {
    const a = explicit({ ackWait: 2 * S });
    deliver(a, [1]);
    a.progress(1, T0 + sec(1.5));
    expect(a.checkPending(T0 + sec(2.5), 1).expired).toEqual([]);
    expect(a.checkPending(T0 + sec(3.6), 1).expired).toEqual([1]);
  });

  test("messages gone from the stream leave pending and lift the floor", () => {
    const a = explicit();
    deliver(a, [1, 2, 3]);
    a.checkPending(T0 + sec(1), 3);
    expect([...a.pending.keys()]).toEqual([3]);
    expect(a.asflr).toBe(2);
  });

  test("interest: needsAck follows floors and pending", () => {
    const a = explicit();
    deliver(a, [1, 2]);
    a.ack(1, 1);
    expect(a.needsAck(1)).toBe(false);
    expect(a.needsAck(2)).toBe(true);
    expect(a.needsAck(10)).toBe(true);
  });

  test("snapshot and restore round trip", () => {
    const a = explicit({ ackWait: 1 * S });
    deliver(a, [1, 2, 3]);
    a.ack(2, 2);
    a.checkPending(T0 + sec(1), 1);
    a.nextRedelivery();
    const b = explicit({ ackWait: 1 * S });
    b.restore(a.snapshot());
    expect(b.snapshot()).toEqual(a.snapshot());
    expect(b.sseq).toBe(4);
    expect(b.dseq).toBe(4);
  });
});
