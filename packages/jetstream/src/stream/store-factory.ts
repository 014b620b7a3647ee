import * as storage from "@nats-ts/storage";
import type { StreamStore, StreamStoreConfig } from "@nats-ts/storage";
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

type FileStoreOpener = { open(cfg: Record<string, unknown>, opts?: storage.StoreOptions): Promise<StreamStore> };

/** FileStore is exported by @nats-ts/storage once it lands; until then file streams fall back to memory. */
function fileStoreClass(): FileStoreOpener | undefined {
  return (storage as unknown as { FileStore?: FileStoreOpener }).FileStore;
}

export function fileStoreAvailable(): boolean {
  return fileStoreClass() !== undefined;
}

/** Opens (or recovers) the store of a stream. */
export async function openStreamStore(cfg: StreamConfigJson, dir: string, sync: SyncSettings, opts: storage.StoreOptions = {}): Promise<StreamStore> {
  const fileStore = fileStoreClass();
  if (cfg.storage === "memory" || fileStore === undefined) return new storage.MemStore(storeConfigOf(cfg), opts);
  return fileStore.open(
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
