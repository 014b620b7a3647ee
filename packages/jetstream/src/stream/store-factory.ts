import { FileStore, MemStore, type StoreOptions, type StreamStore, type StreamStoreConfig } from "@nats-ts/storage";
import type { StreamConfigJson } from "./config.js";

/** How file-backed streams make writes durable (the `sync_interval` of the jetstream block). */
export interface SyncSettings {
  /** "always": fsync before the PubAck (default). "interval": fsync every `intervalNs`. */
  mode: "always" | "interval";
  intervalNs: number;
}

/** The limits the store enforces, taken from the stream config. */
export function storeConfigOf(cfg: StreamConfigJson): StreamStoreConfig {
  return {
    name: cfg.name,
    max_msgs: cfg.max_msgs,
    max_bytes: cfg.max_bytes,
    max_age: cfg.max_age,
    max_msgs_per_subject: cfg.max_msgs_per_subject,
    discard: cfg.discard,
    discard_new_per_subject: cfg.discard_new_per_subject ?? false,
    first_seq: cfg.first_seq ?? 0,
    allow_msg_ttl: cfg.allow_msg_ttl,
  };
}

/** Opens (or recovers) the store of a stream: a FileStore in `dir`, or a MemStore. */
export async function openStreamStore(cfg: StreamConfigJson, dir: string, sync: SyncSettings, opts: StoreOptions = {}): Promise<StreamStore> {
  if (cfg.storage === "memory") return new MemStore(storeConfigOf(cfg), opts);
  return FileStore.open(
    {
      ...storeConfigOf(cfg),
      dir,
      sync: sync.mode,
      sync_interval: sync.intervalNs,
      compression: cfg.compression === "s2" ? "s2" : "none",
    },
    opts,
  );
}
