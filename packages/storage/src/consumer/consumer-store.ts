import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../clock.js";
import { StoreError, storeError } from "../errors.js";
import { checkSeqArg } from "../store-core.js";
import { checksum64 } from "../file/checksum.js";
import { defaultFsOps, syncDir, type FsOps } from "../file/fs-ops.js";
import type { ConsumerState, ConsumerStore, ConsumerStoreConfig, StorageType } from "../types.js";
import { decodeConsumerState, encodeConsumerState } from "./state-codec.js";

const emptyState = (): ConsumerState => ({
  delivered: { consumer: 0, stream: 0 },
  ackFloor: { consumer: 0, stream: 0 },
  pending: new Map(),
  redelivered: new Map(),
});

function copyState(s: ConsumerState): ConsumerState {
  return {
    delivered: { ...s.delivered },
    ackFloor: { ...s.ackFloor },
    pending: new Map([...s.pending].map(([k, v]) => [k, { ...v }])),
    redelivered: new Map(s.redelivered),
  };
}

/**
 * Delivery and acknowledgement bookkeeping of one consumer (Go's consumer store logic).
 * Subclasses decide where the state lives; `changed()` is called after every mutation.
 */
abstract class ConsumerStateStore implements ConsumerStore {
  protected st = emptyState();
  protected closed = false;

  constructor(
    protected cfg: ConsumerStoreConfig,
    protected readonly clock: Clock,
    private readonly onClose: (c: ConsumerStore) => void,
  ) {}

  abstract type(): StorageType;
  protected abstract changed(): void;
  abstract flush(): Promise<void>;

  private checkOpen(): void {
    if (this.closed) throw storeError("StoreClosed");
  }

  setStarting(sseq: number): void {
    this.checkOpen();
    checkSeqArg(sseq);
    this.st.delivered.stream = sseq;
    this.st.ackFloor.stream = sseq;
    this.changed();
  }

  updateStarting(sseq: number): void {
    this.checkOpen();
    checkSeqArg(sseq);
    if (sseq > this.st.delivered.stream) {
      this.st.delivered.stream = sseq;
      if (this.cfg.ack_policy === "none") this.st.ackFloor.stream = sseq;
    }
    this.changed();
  }

  reset(sseq: number): void {
    this.checkOpen();
    checkSeqArg(sseq);
    this.st = emptyState();
    this.setStarting(sseq);
  }

  hasState(): boolean {
    return this.st.delivered.consumer !== 0 || this.st.delivered.stream !== 0;
  }

  /** Records delivery `dc` of stream message `sseq` as consumer sequence `dseq` at `ts` (ns). */
  updateDelivered(dseq: number, sseq: number, dc: number, ts: bigint): void {
    this.checkOpen();
    checkSeqArg(dseq);
    checkSeqArg(sseq);
    checkSeqArg(dc, "delivery count");
    if (dc !== 1 && this.cfg.ack_policy === "none") throw storeError("NoAckPolicy");
    if (dseq <= this.st.ackFloor.consumer) return;
    const st = this.st;
    if (this.cfg.ack_policy !== "none") {
      if (sseq <= st.delivered.stream) {
        const p = st.pending.get(sseq);
        if (p) p.timestamp = ts;
      } else {
        st.pending.set(sseq, { sequence: dseq, timestamp: ts });
      }
      if (dseq > st.delivered.consumer) st.delivered.consumer = dseq;
      if (sseq > st.delivered.stream) st.delivered.stream = sseq;
      if (dc > 1) {
        const maxDeliver = Number(this.cfg.max_deliver ?? 0);
        if (maxDeliver > 0 && dc > maxDeliver) st.pending.delete(sseq);
        if ((st.redelivered.get(sseq) ?? 0) < dc - 1) st.redelivered.set(sseq, dc - 1);
      }
    } else {
      if (dseq > st.delivered.consumer) {
        st.delivered.consumer = dseq;
        st.ackFloor.consumer = dseq;
      }
      if (sseq > st.delivered.stream) {
        st.delivered.stream = sseq;
        st.ackFloor.stream = sseq;
      }
    }
    this.changed();
  }

  /** Records an acknowledgement; throws MsgNotFound when `sseq` is not pending. */
  updateAcks(dseq: number, sseq: number): void {
    this.checkOpen();
    checkSeqArg(dseq);
    checkSeqArg(sseq);
    if (this.cfg.ack_policy === "none") throw storeError("NoAckPolicy");
    const st = this.st;
    if (st.redelivered.delete(sseq)) this.changed();
    if (dseq <= st.ackFloor.consumer) return;
    if (!st.pending.has(sseq)) throw storeError("MsgNotFound");
    if (this.cfg.ack_policy === "all") {
      st.ackFloor.consumer = dseq;
      st.ackFloor.stream = sseq;
      for (const seq of [...st.pending.keys()]) {
        if (seq <= sseq) {
          st.pending.delete(seq);
          st.redelivered.delete(seq);
        }
      }
      this.changed();
      return;
    }
    const p = st.pending.get(sseq)!;
    st.pending.delete(sseq);
    if (dseq > p.sequence && p.sequence > 0) dseq = p.sequence;
    if (st.pending.size === 0) {
      st.ackFloor.consumer = st.delivered.consumer;
      st.ackFloor.stream = st.delivered.stream;
    } else if (dseq === st.ackFloor.consumer + 1) {
      st.ackFloor.consumer = dseq;
      st.ackFloor.stream = sseq;
      if (st.delivered.consumer > dseq) {
        for (let ss = sseq + 1; ss <= st.delivered.stream; ss++) {
          const next = st.pending.get(ss);
          if (next) {
            if (next.sequence > 0) {
              st.ackFloor.consumer = next.sequence - 1;
              st.ackFloor.stream = ss - 1;
            }
            break;
          }
        }
      }
    }
    this.changed();
  }

  removeRedeliveredBelow(seq: number): void {
    checkSeqArg(seq);
    if (seq === 0) return;
    let removed = false;
    for (const s of [...this.st.redelivered.keys()]) {
      if (s < seq) {
        this.st.redelivered.delete(s);
        removed = true;
      }
    }
    if (removed) this.changed();
  }

  getConfig(): ConsumerStoreConfig {
    return { ...this.cfg };
  }

  updateConfig(cfg: ConsumerStoreConfig): void {
    this.cfg = { ...cfg };
    this.changed();
  }

  /** Replaces the state with a newer one (replication); older updates are refused. */
  update(state: ConsumerState): void {
    this.replace(state, false);
  }

  /** Replaces the state even when it is older than the current one. */
  forceUpdate(state: ConsumerState): void {
    this.replace(state, true);
  }

  private replace(state: ConsumerState, force: boolean): void {
    this.checkOpen();
    // Every number must be encodable, or the state could never be saved again.
    for (const v of [state.delivered.consumer, state.delivered.stream, state.ackFloor.consumer, state.ackFloor.stream]) checkSeqArg(v);
    for (const [seq, p] of state.pending) {
      checkSeqArg(seq);
      checkSeqArg(p.sequence);
    }
    for (const [seq, count] of state.redelivered) {
      checkSeqArg(seq);
      checkSeqArg(count, "redelivery count");
    }
    if (state.ackFloor.consumer > state.delivered.consumer) throw storeError("BadAckFloorConsumer");
    if (state.ackFloor.stream > state.delivered.stream) throw storeError("BadAckFloorStream");
    for (const seq of state.pending.keys()) {
      if (seq <= state.ackFloor.stream || seq > state.delivered.stream) throw storeError("BadPendingEntry", `[${seq}]`);
    }
    if (!force && (state.delivered.consumer < this.st.delivered.consumer || state.ackFloor.stream < this.st.ackFloor.stream)) {
      throw storeError("StoreOldUpdate");
    }
    this.st = copyState(state);
    this.changed();
  }

  state(): ConsumerState {
    return copyState(this.st);
  }

  /** Go's encoded consumer state (see encodeConsumerState). */
  encodedState(): Buffer {
    return encodeConsumerState(this.st, this.clock.now());
  }

  async stop(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.onClose(this);
    }
  }

  async delete(): Promise<void> {
    await this.stop();
  }
}

/** Consumer state kept in memory (Go's consumerMemStore). */
export class MemConsumerStore extends ConsumerStateStore {
  type(): StorageType {
    return "memory";
  }
  protected changed(): void {}
  async flush(): Promise<void> {}
}

/**
 * Consumer state persisted in `<stream dir>/obs/<name>/`: the Go encoding plus an xxhash64
 * trailer, replaced atomically (temp file, fsync, rename). Mutations are coalesced: at most one
 * write per event-loop turn; `flush()` waits for it.
 */
export class FileConsumerStore extends ConsumerStateStore {
  private readonly stateFile: string;
  private scheduled?: Promise<void>;
  private writeError?: StoreError;

  constructor(
    private readonly dir: string,
    cfg: ConsumerStoreConfig,
    clock: Clock,
    onClose: (c: ConsumerStore) => void,
    private readonly fs: FsOps = defaultFsOps,
  ) {
    super(cfg, clock, onClose);
    this.stateFile = join(dir, "o.dat");
    mkdirSync(dir, { recursive: true });
    const metaFile = join(dir, "meta.json");
    if (existsSync(this.stateFile)) this.st = FileConsumerStore.readState(this.stateFile);
    writeFileSync(metaFile, JSON.stringify(cfg));
  }

  private static readState(file: string): ConsumerState {
    const buf = readFileSync(file);
    if (buf.length < 10 || buf.readBigUInt64LE(buf.length - 8) !== checksum64(buf.subarray(0, buf.length - 8))) {
      throw new StoreError("CorruptState", `consumer state ${file} failed its checksum`);
    }
    return decodeConsumerState(buf.subarray(0, buf.length - 8));
  }

  type(): StorageType {
    return "file";
  }

  override hasState(): boolean {
    return super.hasState() || existsSync(this.stateFile);
  }

  protected changed(): void {
    this.scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.scheduled = undefined;
      try {
        this.writeNow();
        this.writeError = undefined;
      } catch (e) {
        // Kept for the next flush() to report; the in-memory state stays authoritative and
        // the next change retries the write.
        this.writeError = new StoreError("Io", (e as Error).message, undefined, { cause: e });
      }
    });
  }

  private writeNow(): void {
    const enc = this.encodedState();
    const out = Buffer.allocUnsafe(enc.length + 8);
    enc.copy(out, 0);
    out.writeBigUInt64LE(checksum64(enc), enc.length);
    const tmp = `${this.stateFile}.tmp`;
    const fd = this.fs.openSync(tmp, "w");
    try {
      this.fs.writeSync(fd, out, 0, out.length, 0);
      this.fs.fsyncSync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
    this.fs.renameSync(tmp, this.stateFile);
    syncDir(this.dir);
  }

  /** Resolves once the latest state is on disk; rejects with the last write error, if any. */
  async flush(): Promise<void> {
    if (this.scheduled) await this.scheduled;
    if (this.writeError) throw this.writeError;
  }

  override async delete(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
