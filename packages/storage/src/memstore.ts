import { randomFillSync } from "node:crypto";
import type { Body } from "./store-core.js";
import { StoreQueries } from "./store-queries.js";
import type { SubjectEntry } from "./subject-index.js";
import { MemConsumerStore } from "./consumer/consumer-store.js";
import type { ConsumerStore, ConsumerStoreConfig, StorageType, StoreOptions, StreamStoreConfig } from "./types.js";

/**
 * In-memory StreamStore (Go's memStore): same semantics as FileStore, nothing persisted.
 *
 * @example
 * const store = new MemStore({ max_msgs_per_subject: 1 });
 * await store.storeMsg("kv.a", null, Buffer.from("1"));
 * store.loadLastMsg("kv.a").msg; // <Buffer 31>
 */
export class MemStore extends StoreQueries {
  private bodies = new Map<number, Body>();

  constructor(cfg: StreamStoreConfig = {}, opts: StoreOptions = {}) {
    super(cfg, opts);
  }

  type(): StorageType {
    return "memory";
  }

  protected msgSize(subjectLen: number, hdrLen: number, msgLen: number): number {
    return subjectLen + hdrLen + msgLen + 16;
  }

  protected persistMsg(seq: number, _subject: SubjectEntry, hdr: Uint8Array, msg: Uint8Array): void {
    // Copy so callers may reuse their buffers, as Go's memStore does.
    const buf = Buffer.allocUnsafe(hdr.length + msg.length);
    buf.set(hdr, 0);
    buf.set(msg, hdr.length);
    this.bodies.set(seq, { hdr: buf.subarray(0, hdr.length), msg: buf.subarray(hdr.length) });
  }

  protected readBody(seq: number): Body {
    return this.bodies.get(seq)!;
  }

  protected released(seq: number): void {
    this.bodies.delete(seq);
  }

  protected persistRemove(seq: number, secure: boolean): void {
    const b = this.bodies.get(seq);
    if (secure && b) {
      randomFillSync(b.hdr);
      randomFillSync(b.msg);
    }
  }

  protected persistFloor(): void {}
  protected persistSkip(): void {}
  protected persistTruncate(): void {}

  protected durable(): Promise<void> {
    return Promise.resolve();
  }

  consumerStore(_name: string, cfg: ConsumerStoreConfig): ConsumerStore {
    this.checkOpen();
    const c = new MemConsumerStore(cfg, this.clock, (x) => this.consumers.delete(x));
    this.consumers.add(c);
    return c;
  }

  utilization(): { total: number; reported: number } {
    return { total: this.bytes, reported: this.bytes };
  }

  async stop(): Promise<void> {
    for (const c of [...this.consumers]) await c.stop();
    this.closed = true;
    this.stopTimers();
  }

  async delete(): Promise<void> {
    if (!this.closed) this.purge();
    this.bodies.clear();
    await this.stop();
  }
}
