import type { Entry, EntryType, Membership, Message, SnapshotMeta } from "../core/types.js";

/** Thrown for any byte sequence that is not a valid encoding. */
export class CodecError extends Error {}

const MESSAGE_TYPES = ["vote", "voteResp", "append", "appendResp", "heartbeat", "heartbeatResp", "snapshot", "snapshotResp", "timeoutNow"] as const;
const ENTRY_TYPES: readonly EntryType[] = ["normal", "conf", "noop"];
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Growable little-endian byte writer. Integers are unsigned, at most 48 bits. */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
    return this;
  }

  u48(v: number): this {
    this.ensure(6);
    this.buf.writeUIntLE(v, this.pos, 6);
    this.pos += 6;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.u32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  str(s: string): this {
    return this.bytes(utf8.encode(s));
  }

  /** Appends bytes without a length prefix. */
  bytesRaw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** The bytes written so far (a view, valid until the next write). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Bounds-checked reader matching `Writer`. */
export class Reader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new CodecError(`truncated: need ${n} bytes at ${this.pos} of ${this.buf.length}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const v = (b[this.pos] | (b[this.pos + 1] << 8) | (b[this.pos + 2] << 16)) + b[this.pos + 3] * 0x1000000;
    this.pos += 4;
    return v;
  }

  u48(): number {
    const lo = this.u32();
    this.need(2);
    const hi = this.buf[this.pos] | (this.buf[this.pos + 1] << 8);
    this.pos += 2;
    return lo + hi * 0x100000000;
  }

  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  str(): string {
    try {
      return fromUtf8.decode(this.bytes());
    } catch (err) {
      if (err instanceof CodecError) throw err;
      throw new CodecError("invalid utf-8");
    }
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new CodecError(`invalid boolean ${v}`);
    return v === 1;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  end(): void {
    if (this.remaining !== 0) throw new CodecError(`${this.remaining} trailing bytes`);
  }
}

export function writeEntry(w: Writer, e: Entry): void {
  w.u48(e.term).u48(e.index).u8(ENTRY_TYPES.indexOf(e.type)).bytes(e.data);
}

export function readEntry(r: Reader): Entry {
  const term = r.u48();
  const index = r.u48();
  const t = r.u8();
  const type = ENTRY_TYPES[t];
  if (type === undefined) throw new CodecError(`unknown entry type ${t}`);
  return { term, index, type, data: r.bytes() };
}

function writeMembership(w: Writer, m: Membership): void {
  w.u32(m.voters.length);
  for (const v of m.voters) w.str(v);
  w.u32(m.observers.length);
  for (const o of m.observers) w.str(o);
}

function readMembership(r: Reader): Membership {
  const list = (): string[] => {
    const n = r.u32();
    if (n > r.remaining) throw new CodecError("membership list longer than the message");
    return Array.from({ length: n }, () => r.str());
  };
  return { voters: list(), observers: list() };
}

export function writeSnapshotMeta(w: Writer, meta: SnapshotMeta): void {
  w.u48(meta.index).u48(meta.term);
  writeMembership(w, meta.membership);
}

export function readSnapshotMeta(r: Reader): SnapshotMeta {
  const index = r.u48();
  const term = r.u48();
  return { index, term, membership: readMembership(r) };
}

/**
 * Encodes a message for the wire (binary, little-endian, integers up to 48 bits).
 *
 * @example
 * const bytes = encodeMessage({ type: "heartbeat", term: 3, from: "a", to: "b", commit: 10 });
 * decodeMessage(bytes); // the same message
 */
export function encodeMessage(m: Message): Buffer {
  const w = new Writer(m.type === "append" ? 64 + m.entries.reduce((n, e) => n + e.data.length + 20, 0) : 64);
  w.u8(MESSAGE_TYPES.indexOf(m.type)).u48(m.term).str(m.from).str(m.to);
  switch (m.type) {
    case "vote":
      w.u8(m.pre ? 1 : 0).u48(m.lastIndex).u48(m.lastTerm).u8(m.force ? 1 : 0);
      break;
    case "voteResp":
      w.u8(m.pre ? 1 : 0).u8(m.granted ? 1 : 0);
      break;
    case "append":
      w.u48(m.prevIndex).u48(m.prevTerm).u48(m.commit).u48(m.leaderLast).u32(m.entries.length);
      for (const e of m.entries) writeEntry(w, e);
      break;
    case "appendResp":
      w.u48(m.index).u8(m.reject ? 1 : 0).u48(m.hint);
      break;
    case "heartbeat":
      w.u48(m.commit);
      break;
    case "snapshot":
      writeSnapshotMeta(w, m.meta);
      w.u48(m.offset).u48(m.total).bytes(m.data).u8(m.done ? 1 : 0);
      break;
    case "snapshotResp":
      w.u48(m.index).u48(m.offset).u8(m.reject ? 1 : 0);
      break;
    case "heartbeatResp":
    case "timeoutNow":
      break;
  }
  return w.finish();
}

/** Decodes a message; throws CodecError on anything malformed. */
export function decodeMessage(buf: Uint8Array): Message {
  const r = new Reader(buf);
  const t = r.u8();
  const type = MESSAGE_TYPES[t];
  if (type === undefined) throw new CodecError(`unknown message type ${t}`);
  const term = r.u48();
  const from = r.str();
  const to = r.str();
  let m: Message;
  switch (type) {
    case "vote":
      m = { type, term, from, to, pre: r.bool(), lastIndex: r.u48(), lastTerm: r.u48(), force: r.bool() };
      break;
    case "voteResp":
      m = { type, term, from, to, pre: r.bool(), granted: r.bool() };
      break;
    case "append": {
      const prevIndex = r.u48();
      const prevTerm = r.u48();
      const commit = r.u48();
      const leaderLast = r.u48();
      const n = r.u32();
      if (n > r.remaining) throw new CodecError("entry count larger than the message");
      const entries: Entry[] = [];
      for (let i = 0; i < n; i++) entries.push(readEntry(r));
      m = { type, term, from, to, prevIndex, prevTerm, commit, leaderLast, entries };
      break;
    }
    case "appendResp":
      m = { type, term, from, to, index: r.u48(), reject: r.bool(), hint: r.u48() };
      break;
    case "heartbeat":
      m = { type, term, from, to, commit: r.u48() };
      break;
    case "snapshot":
      m = { type, term, from, to, meta: readSnapshotMeta(r), offset: r.u48(), total: r.u48(), data: r.bytes(), done: r.bool() };
      break;
    case "snapshotResp":
      m = { type, term, from, to, index: r.u48(), offset: r.u48(), reject: r.bool() };
      break;
    case "heartbeatResp":
    case "timeoutNow":
      m = { type, term, from, to };
      break;
  }
  r.end();
  return m;
}
