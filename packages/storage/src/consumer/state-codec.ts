import { StoreError } from "../errors.js";
import type { ConsumerState } from "../types.js";

// Go's consumer state encoding (encodeConsumerState / decodeConsumerState, version 2): a
// 2-byte header then uvarints, pending entries relative to the ack floors and delivery times
// in whole seconds relative to an encode-time base. Byte-compatible so replicated consumer
// snapshots can cross between implementations.
const MAGIC = 22;
const VERSION = 2;
const NS_PER_SEC = 1_000_000_000n;

class Writer {
  private buf = Buffer.allocUnsafe(64);
  private n = 0;

  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }

  byte(v: number): void {
    this.ensure(1);
    this.buf[this.n++] = v;
  }

  uvarint(v: number | bigint): void {
    let x = BigInt(v);
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.n++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.n++] = Number(x);
  }

  varint(v: bigint): void {
    this.uvarint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }

  done(): Buffer {
    return this.buf.subarray(0, this.n);
  }
}

class Reader {
  private i: number;
  constructor(private readonly buf: Uint8Array, start: number) {
    this.i = start;
  }

  uvarint(): bigint {
    let x = 0n;
    let shift = 0n;
    for (let k = 0; k < 10; k++) {
      if (this.i >= this.buf.length) throw new StoreError("CorruptState");
      const b = this.buf[this.i++];
      x |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return x;
      shift += 7n;
    }
    throw new StoreError("CorruptState");
  }

  /** A uvarint added to `base` modulo 2^64, as Go decodes floor-relative sequences. */
  relSeq(base: number): number {
    const v = BigInt.asUintN(64, this.uvarint() + BigInt(base));
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new StoreError("CorruptState");
    return Number(v);
  }

  seq(): number {
    const v = this.uvarint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new StoreError("CorruptState");
    return Number(v);
  }

  varint(): bigint {
    const u = this.uvarint();
    return u & 1n ? -((u + 1n) >> 1n) : u >> 1n;
  }
}

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
