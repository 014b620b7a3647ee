import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Account, InternalClient, Logger } from "@nats-ts/core";
import { subjectsCollide } from "@nats-ts/wire";
import { ApiError, apiErrors } from "../errors/index.js";
import { checkStreamConfig, checkStreamUpdate, type StreamConfigContext, type StreamConfigJson } from "../stream/config.js";
import type { ConsumerManagerFactory } from "../stream/consumer-host.js";
import type { SnapshotMsg } from "../stream/snapshot-codec.js";
import { openStreamStore, type SyncSettings } from "../stream/store-factory.js";
import { Stream } from "../stream/stream.js";
import { nowNs } from "../util/time.js";
import type { AccountLimits } from "./limits.js";

/** Server-wide JetStream settings an account works within. */
export interface JetStreamHost {
  readonly storeDir: string;
  readonly maxMemory: number;
  readonly maxStore: number;
  readonly domain?: string;
  readonly sync: SyncSettings;
  readonly duplicatesLimit: number;
  readonly log: Logger;
  readonly consumerFactory?: ConsumerManagerFactory;
  readonly maxPending: number;
  readonly maxPayload: number;
  /** Bytes used by every account, by storage type. */
  totalUsage(): { memory: number; storage: number };
  /** Bytes reserved (max_bytes of streams) by every account, by storage type. */
  totalReserved(): { memory: number; storage: number };
  /** Sends a stream action advisory (create/delete/modify). */
  streamAdvisory(account: string, stream: string, action: "create" | "delete" | "modify"): void;
  /** Sends an advisory of `type` on `subject` in the account (id, timestamp and domain added). */
  advisory(account: string, subject: string, type: string, fields: Record<string, unknown>): void;
  /** A stream was created, restored, recovered or deleted: mirrors and sources of every account look again. */
  streamsChanged(): void;
}

const META_FILE = "meta.json";

interface StreamMeta {
  config: StreamConfigJson;
  created: string;
}

/**
 * JetStream state of one account (Go's jsAccount): its streams, limits and API counters.
 * Streams live under `<store_dir>/<account>/streams/<name>/`.
 */
export class JsAccount {
  readonly streams = new Map<string, Stream>();
  apiTotal = 0;
  apiErrors = 0;
  /** Serializes stream mutations (create/update/delete) like Go's per-stream inflight guard. */
  private mutations: Promise<unknown> = Promise.resolve();

  constructor(
    readonly account: Account,
    readonly client: InternalClient,
    readonly limits: AccountLimits,
    private readonly host: JetStreamHost,
  ) {}

  get name(): string {
    return this.account.name;
  }

  get domain(): string | undefined {
    return this.host.domain;
  }

  private get dir(): string {
    return join(this.host.storeDir, this.account.name, "streams");
  }

  /** Publishes an advisory in this account when someone listens (Go's publishAdvisory). */
  advisory(subject: string, type: string, fields: Record<string, unknown>): void {
    this.host.advisory(this.name, subject, type, fields);
  }

  /** Runs `fn` after every earlier mutation of this account finished. */
  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.mutations.then(fn, fn);
    this.mutations = next.catch(() => undefined);
    return next;
  }

  lookup(name: string): Stream | undefined {
    return this.streams.get(name);
  }

  /** Streams sorted by name (Go sorts names and lists). */
  sortedStreams(): Stream[] {
    return [...this.streams.values()].sort((a, b) => (a.streamName < b.streamName ? -1 : a.streamName > b.streamName ? 1 : 0));
  }

  configContext(): StreamConfigContext {
    return {
      lookup: (name) => this.streams.get(name)?.config,
      maxBytesLimits: (storage) => ({
        required: this.limits.max_bytes_required,
        limit: storage === "memory" ? this.limits.memory_max_stream_bytes : this.limits.storage_max_stream_bytes,
      }),
      duplicatesLimit: this.host.duplicatesLimit,
    };
  }

  /** Bytes stored by this account, kept up to date from the stores' update callbacks. */
  private readonly used = { memory: 0, storage: 0 };

  /** Bytes stored by this account, by storage type. */
  usage(): { memory: number; storage: number } {
    return { ...this.used };
  }

  private countBytes(storage: "file" | "memory", delta: number): void {
    if (storage === "memory") this.used.memory += delta;
    else this.used.storage += delta;
  }

  /** max_bytes reserved by this account's streams (other than `except`), by storage type. */
  reserved(except?: string): { memory: number; storage: number } {
    let memory = 0;
    let storage = 0;
    for (const s of this.streams.values()) {
      if (s.streamName === except || s.config.max_bytes <= 0) continue;
      if (s.config.storage === "memory") memory += s.config.max_bytes;
      else storage += s.config.max_bytes;
    }
    return { memory, storage };
  }

  consumerCount(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.consumers?.count ?? 0;
    return n;
  }

  /**
   * Go's js.limitsExceeded (the server's storage is used up: "server") and
   * jsa.wouldExceedLimits (this message would pass the account's limit: "account").
   */
  wouldExceedLimits(storage: "file" | "memory", bytes: number): "server" | "account" | undefined {
    const total = this.host.totalUsage();
    const serverMax = storage === "memory" ? this.host.maxMemory : this.host.maxStore;
    if (serverMax > 0 && (storage === "memory" ? total.memory : total.storage) > serverMax) return "server";
    const accountMax = storage === "memory" ? this.limits.max_memory : this.limits.max_storage;
    if (accountMax < 0) return undefined;
    return (storage === "memory" ? this.used.memory : this.used.storage) + bytes > accountMax ? "account" : undefined;
  }

  /** Go's checkAllLimits for a new or updated stream config. */
  private checkLimits(cfg: StreamConfigJson, isNew: boolean): void {
    if (isNew && this.limits.max_streams > 0 && this.streams.size >= this.limits.max_streams) {
      throw new ApiError(apiErrors.JSMaximumStreamsLimitErr);
    }
    const maxBytes = Math.max(cfg.max_bytes, 0);
    if (maxBytes === 0) return;
    const mine = this.reserved(cfg.name);
    const memory = cfg.storage === "memory";
    const accountMax = memory ? this.limits.max_memory : this.limits.max_storage;
    if (accountMax >= 0 && (memory ? mine.memory : mine.storage) + maxBytes > accountMax) {
      throw new ApiError(memory ? apiErrors.JSMemoryResourcesExceededErr : apiErrors.JSStorageResourcesExceededErr);
    }
    const all = this.host.totalReserved();
    const serverMax = memory ? this.host.maxMemory : this.host.maxStore;
    const ownReservation = this.streams.get(cfg.name)?.config.max_bytes ?? 0;
    if (serverMax > 0 && (memory ? all.memory : all.storage) - Math.max(ownReservation, 0) + maxBytes > serverMax) {
      throw new ApiError(memory ? apiErrors.JSMemoryResourcesExceededErr : apiErrors.JSStorageResourcesExceededErr);
    }
  }

  private subjectsOverlap(subjects: string[], self?: string): boolean {
    for (const s of this.streams.values()) {
      if (s.streamName === self) continue;
      for (const a of s.config.subjects ?? []) for (const b of subjects) if (subjectsCollide(a, b)) return true;
    }
    return false;
  }

  /** Go's addStream: creates a stream, or returns the existing one when the config is identical. */
  async createStream(input: Partial<StreamConfigJson>, pedantic: boolean): Promise<{ stream: Stream; created: boolean }> {
    const cfg = checkStreamConfig(input, this.configContext(), pedantic);
    if (cfg.num_replicas > 1) throw new ApiError(apiErrors.JSStreamReplicasNotSupportedErr);
    const existing = this.streams.get(cfg.name);
    if (existing !== undefined) {
      if (sameConfig(cfg, existing.config)) return { stream: existing, created: false };
      throw new ApiError(apiErrors.JSStreamNameExistErr);
    }
    this.checkLimits(cfg, true);
    if (this.subjectsOverlap(cfg.subjects ?? [])) throw new ApiError(apiErrors.JSStreamSubjectOverlapErr);
    const created = nowNs();
    const stream = await this.openStream(cfg, created);
    try {
      await this.writeMeta(cfg, created);
    } catch (e) {
      await stream.delete();
      throw e;
    }
    this.streams.set(cfg.name, stream);
    stream.start();
    this.host.streamsChanged();
    this.host.streamAdvisory(this.name, cfg.name, "create");
    return { stream, created: true };
  }

  /** Creates a stream from a snapshot's messages (Go's RestoreStream). */
  async restoreStream(input: Partial<StreamConfigJson>, msgs: SnapshotMsg[], lastSeq: number): Promise<Stream> {
    const cfg = checkStreamConfig(input, this.configContext(), false);
    if (this.streams.has(cfg.name)) throw new ApiError(apiErrors.JSStreamNameExistRestoreFailedErr);
    this.checkLimits(cfg, true);
    if (this.subjectsOverlap(cfg.subjects ?? [])) throw new ApiError(apiErrors.JSStreamSubjectOverlapErr);
    const created = nowNs();
    const stream = await this.openStream(cfg, created);
    try {
      const store = stream.store;
      for (const m of msgs) {
        const next = store.fastState().lastSeq + 1;
        if (m.seq > next) store.skipMsgs(next, m.seq - next);
        await store.storeRawMsg(m.subject, m.hdr.length > 0 ? m.hdr : null, m.msg, m.seq, m.ts);
      }
      const last = store.fastState().lastSeq;
      if (lastSeq > last) store.skipMsgs(last + 1, lastSeq - last);
      await store.flushAllPending();
    } catch (e) {
      const bytes = stream.store.fastState().bytes;
      await stream.delete();
      this.countBytes(stream.config.storage, -bytes);
      throw e;
    }
    await this.writeMeta(cfg, created);
    stream.rebuildDedupe();
    this.streams.set(cfg.name, stream);
    stream.start();
    this.host.streamsChanged();
    this.host.streamAdvisory(this.name, cfg.name, "create");
    return stream;
  }

  async updateStream(name: string, input: Partial<StreamConfigJson>, pedantic: boolean): Promise<Stream> {
    const stream = this.streams.get(name);
    if (stream === undefined) throw new ApiError(apiErrors.JSStreamNotFoundErr);
    const cfg = checkStreamUpdate(stream.config, input, this.configContext(), pedantic);
    this.checkLimits(cfg, false);
    if (this.subjectsOverlap(cfg.subjects ?? [], name)) throw new ApiError(apiErrors.JSStreamSubjectOverlapErr);
    stream.update(cfg);
    await this.writeMeta(cfg, stream.created);
    this.host.streamAdvisory(this.name, name, "modify");
    return stream;
  }

  async deleteStream(name: string): Promise<void> {
    const stream = this.streams.get(name);
    if (stream === undefined) throw new ApiError(apiErrors.JSStreamNotFoundErr);
    this.streams.delete(name);
    const bytes = stream.store.fastState().bytes;
    await stream.delete();
    this.countBytes(stream.config.storage, -bytes);
    await rm(join(this.dir, name), { recursive: true, force: true });
    this.host.streamsChanged();
    this.host.streamAdvisory(this.name, name, "delete");
  }

  private async openStream(cfg: StreamConfigJson, created: bigint): Promise<Stream> {
    const streamDir = join(this.dir, cfg.name);
    if (cfg.storage === "file") await mkdir(streamDir, { recursive: true });
    const store = await openStreamStore(cfg, join(streamDir, "msgs"), this.host.sync, {
      onWarning: (w) => this.host.log.warn(`Stream '${this.name} > ${cfg.name}' store: ${w.message}`),
    });
    const stream = new Stream(cfg, store, created, {
      client: this.client,
      accountName: this.name,
      domain: this.host.domain,
      log: this.host.log,
      consumerDir: cfg.storage === "file" ? join(streamDir, "obs") : undefined,
      consumerFactory: this.host.consumerFactory,
      maxPending: this.host.maxPending,
      maxPayload: this.host.maxPayload,
      maxAckPending: this.limits.max_ack_pending,
      wouldExceedAccountLimits: (storage, bytes) => this.wouldExceedLimits(storage, bytes),
      onBytes: (storage, delta) => this.countBytes(storage, delta),
      lookupStream: (name) => this.streams.get(name),
      advisory: (subject, type, fields) => this.advisory(subject, type, fields),
    });
    this.countBytes(cfg.storage, store.fastState().bytes);
    return stream;
  }

  /** Persists a file stream's config; memory streams, as in Go, do not outlive the server. */
  private async writeMeta(cfg: StreamConfigJson, created: bigint): Promise<void> {
    if (cfg.storage !== "file") return;
    const streamDir = join(this.dir, cfg.name);
    const meta: StreamMeta = { config: cfg, created: created.toString() };
    const tmp = join(streamDir, `${META_FILE}.tmp`);
    await writeFile(tmp, JSON.stringify(meta));
    await rename(tmp, join(streamDir, META_FILE));
  }

  /** Recovers every stream of this account from the store directory. */
  async recover(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const dirName of names.sort()) {
      let meta: StreamMeta;
      try {
        meta = JSON.parse(await readFile(join(this.dir, dirName, META_FILE), "utf8")) as StreamMeta;
      } catch (e) {
        this.host.log.warn(`  Error reading stream metafile for '${this.name} > ${dirName}': ${(e as Error).message}`);
        continue;
      }
      const started = Date.now();
      this.host.log.info(`  Starting restore for stream '${this.name} > ${meta.config.name}'`);
      try {
        const cfg = meta.config;
        if (cfg.num_replicas > 1) cfg.num_replicas = 1;
        const stream = await this.openStream(cfg, BigInt(meta.created));
        stream.rebuildDedupe();
        this.streams.set(cfg.name, stream);
        stream.start();
        const st = stream.store.fastState();
        this.host.log.info(`  Restored ${st.msgs.toLocaleString("en-US")} messages for stream '${this.name} > ${cfg.name}' in ${Date.now() - started}ms`);
      } catch (e) {
        this.host.log.warn(`  Error recreating stream '${this.name} > ${dirName}': ${(e as Error).message}`);
      }
    }
    this.host.streamsChanged();
  }

  /** Mirrors and sources waiting for a stream that now exists attach to it at once. */
  relinkAll(): void {
    for (const s of this.streams.values()) s.relink();
  }

  async stop(): Promise<void> {
    for (const s of this.streams.values()) await s.stop();
    this.streams.clear();
  }
}

/** Go compares configs ignoring the server-managed `_nats.*` metadata. */
function sameConfig(a: StreamConfigJson, b: StreamConfigJson): boolean {
  const strip = (c: StreamConfigJson): string => {
    const md = Object.fromEntries(Object.entries(c.metadata ?? {}).filter(([k]) => !k.startsWith("_nats.")));
    return JSON.stringify(canonical({ ...c, metadata: Object.keys(md).length > 0 ? md : undefined }));
  };
  return strip(a) === strip(b);
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}
