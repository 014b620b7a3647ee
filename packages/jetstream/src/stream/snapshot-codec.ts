import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { StreamStore } from "@nats-ts/storage";
import type { StreamConfigJson } from "./config.js";

/** First bytes of a nats-ts stream snapshot (after inflating). */
const MAGIC = Buffer.from("NTSSNAP1");
const REC_MSG = 1;
const REC_END = 0;

/** What a snapshot carries besides messages. */
export interface SnapshotMeta {
  config: StreamConfigJson;
  firstSeq: number;
  lastSeq: number;
}

/**
 * Encodes every message of a stream as one compressed byte string: magic, JSON meta, then
 * records (seq, ts, subject, headers, payload) and an end record. The format is nats-ts'
 * own; snapshots restore into nats-ts (the Go server's tar/s2 layout is not produced).
 */
export function encodeSnapshot(config: StreamConfigJson, store: StreamStore): Buffer {
  const st = store.fastState();
  const meta = Buffer.from(JSON.stringify({ config, firstSeq: st.firstSeq, lastSeq: st.lastSeq } satisfies SnapshotMeta));
  const parts: Buffer[] = [MAGIC, u32(meta.length), meta];
  for (let seq = st.firstSeq; seq > 0 && seq <= st.lastSeq; seq++) {
    let sm;
    try {
      sm = store.loadMsg(seq);
    } catch {
      continue;
    }
    const subject = Buffer.from(sm.subject);
    const head = Buffer.alloc(1 + 8 + 8 + 2 + 4 + 4);
    head.writeUInt8(REC_MSG, 0);
    head.writeBigUInt64BE(BigInt(sm.seq), 1);
    head.writeBigInt64BE(sm.ts, 9);
    head.writeUInt16BE(subject.length, 17);
    head.writeUInt32BE(sm.hdr.length, 19);
    head.writeUInt32BE(sm.msg.length, 23);
    parts.push(head, subject, Buffer.from(sm.hdr), Buffer.from(sm.msg));
  }
  parts.push(Buffer.from([REC_END]));
  return deflateRawSync(Buffer.concat(parts));
}

export interface SnapshotMsg {
  seq: number;
  ts: bigint;
  subject: string;
  hdr: Buffer;
  msg: Buffer;
}

/** Decodes a snapshot; throws on anything malformed (never yields partial garbage as data). */
export function decodeSnapshot(data: Buffer): { meta: SnapshotMeta; msgs: SnapshotMsg[] } {
  let raw: Buffer;
  try {
    raw = inflateRawSync(data);
  } catch {
    throw new Error("snapshot data is corrupt");
  }
  if (raw.length < MAGIC.length + 4 || !raw.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error("unexpected content");
  let off = MAGIC.length;
  const need = (n: number) => {
    if (off + n > raw.length) throw new Error("snapshot data is truncated");
  };
  need(4);
  const metaLen = raw.readUInt32BE(off);
  off += 4;
  need(metaLen);
  const meta = JSON.parse(raw.subarray(off, off + metaLen).toString()) as SnapshotMeta;
  off += metaLen;
  const msgs: SnapshotMsg[] = [];
  for (;;) {
    need(1);
    const type = raw.readUInt8(off);
    if (type === REC_END) break;
    if (type !== REC_MSG) throw new Error("unexpected content");
    need(27);
    const seq = Number(raw.readBigUInt64BE(off + 1));
    const ts = raw.readBigInt64BE(off + 9);
    const sl = raw.readUInt16BE(off + 17);
    const hl = raw.readUInt32BE(off + 19);
    const ml = raw.readUInt32BE(off + 23);
    off += 27;
    need(sl + hl + ml);
    const subject = raw.subarray(off, off + sl).toString();
    const hdr = Buffer.from(raw.subarray(off + sl, off + sl + hl));
    const msg = Buffer.from(raw.subarray(off + sl + hl, off + sl + hl + ml));
    off += sl + hl + ml;
    msgs.push({ seq, ts, subject, hdr, msg });
  }
  return { meta, msgs };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
