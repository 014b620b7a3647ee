import { StoreError } from "../errors.js";
import { VarintReader as Reader, VarintWriter as Writer } from "../varint.js";
import type { ConsumerState } from "../types.js";

// Go's consumer state encoding (encodeConsumerState / decodeConsumerState, version 2): a
// 2-byte header then uvarints, pending entries relative to the ack floors and delivery times
// in whole seconds relative to an encode-time base. Byte-compatible so replicated consumer
// snapshots can cross between implementations.
const MAGIC = 22;
const VERSION = 2;
const NS_PER_SEC = 1_000_000_000n;

/** Encodes consumer state exactly as Go's encodeConsumerState does. `nowNs` sets the time base. */
export function encodeConsumerState(state: ConsumerState, nowNs: bigint): Buffer {
  const w = new Writer();
  w.byte(MAGIC);
  w.byte(VERSION);
  w.uvarint(state.ackFloor.consumer);
  w.uvarint(state.ackFloor.stream);
  w.uvarint(state.delivered.consumer);
  w.uvarint(state.delivered.stream);
  w.uvarint(state.pending.size);
  const asflr = state.ackFloor.stream;
  const adflr = state.ackFloor.consumer;
  if (state.pending.size > 0) {
    const mints = (nowNs + NS_PER_SEC / 2n) / NS_PER_SEC;
    w.varint(mints);
    for (const [sseq, p] of state.pending) {
      // Offsets below the floors wrap around as Go's uint64 arithmetic does.
      w.uvarint(BigInt.asUintN(64, BigInt(sseq - asflr)));
      w.uvarint(BigInt.asUintN(64, BigInt(p.sequence - adflr)));
      w.varint(mints - p.timestamp / NS_PER_SEC);
    }
  }
  w.uvarint(state.redelivered.size);
  for (const [sseq, dc] of state.redelivered) {
    w.uvarint(BigInt.asUintN(64, BigInt(sseq - asflr)));
    w.uvarint(dc);
  }
  return Buffer.from(w.done());
}

/** Decodes Go's consumer state encoding (versions 1 and 2); throws CorruptState on bad input. */
export function decodeConsumerState(buf: Uint8Array): ConsumerState {
  if (buf.length < 2 || buf[0] !== MAGIC || (buf[1] !== 1 && buf[1] !== 2)) throw new StoreError("CorruptState");
  const version = buf[1];
  const r = new Reader(buf, 2);
  const state: ConsumerState = {
    ackFloor: { consumer: r.seq(), stream: r.seq() },
    delivered: { consumer: r.seq(), stream: r.seq() },
    pending: new Map(),
    redelivered: new Map(),
  };
  if (version === 1) {
    if (state.ackFloor.consumer > 1) state.delivered.consumer += state.ackFloor.consumer - 1;
    if (state.ackFloor.stream > 1) state.delivered.stream += state.ackFloor.stream - 1;
  }
  const numPending = r.seq();
  if (numPending > 0) {
    const mints = r.varint();
    for (let i = 0; i < numPending; i++) {
      const sseq = r.relSeq(state.ackFloor.stream);
      const dseq = version === 2 ? r.relSeq(state.ackFloor.consumer) : 0;
      const ts = r.varint();
      if (sseq === 0) throw new StoreError("CorruptState");
      state.pending.set(sseq, { sequence: dseq, timestamp: (version === 1 ? ts + mints : mints - ts) * NS_PER_SEC });
    }
  }
  const numRedelivered = r.seq();
  for (let i = 0; i < numRedelivered; i++) {
    const sseq = r.relSeq(state.ackFloor.stream);
    state.redelivered.set(sseq, r.seq());
  }
  return state;
}
