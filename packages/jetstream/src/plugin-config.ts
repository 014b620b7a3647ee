import { tmpdir, totalmem } from "node:os";
import { statfsSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseDuration, parseSize } from "@nats-ts/core";
import type { SyncSettings } from "./stream/store-factory.js";

/** The `jetstream {}` block resolved to what the plugin runs with. */
export interface JetStreamSettings {
  storeDir: string;
  /** True when no store_dir was configured and the temp dir is used (Go warns about it). */
  tempStoreDir: boolean;
  maxMemory: number;
  maxStore: number;
  domain?: string;
  sync: SyncSettings;
  /** Server-wide limit on duplicate windows (jetstream.limits.duplicate_window), ns; 0 = none. */
  duplicatesLimit: number;
}

/** Go's JetStreamMaxMemDefault when system memory is unknown. */
const MAX_MEM_DEFAULT = 1024 * 1024 * 1024;
const GO_STORE_DIR = "jetstream";

function size(block: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = block[k];
    if (v !== undefined) return parseSize(v as string | number);
  }
  return undefined;
}

/** Reads the jetstream conf block (Go's key names and units). */
export function resolveJetStreamSettings(block: Record<string, unknown>): JetStreamSettings {
  const configured = (block.store_dir ?? block.storedir ?? block.store) as string | undefined;
  const storeDir = configured ? join(configured, GO_STORE_DIR) : join(tmpdir(), "nats", GO_STORE_DIR);
  const maxMemory = size(block, "max_memory_store", "max_mem_store", "max_mem", "max_memory") ?? (Math.floor((totalmem() / 4) * 3) || MAX_MEM_DEFAULT);
  let maxStore = size(block, "max_file_store", "max_file", "max_store", "max_storage");
  if (maxStore === undefined || maxStore <= 0) maxStore = diskAvailable(configured ?? tmpdir());
  const syncValue = block.sync_interval ?? block.sync;
  let sync: SyncSettings = { mode: "always", intervalNs: 0 };
  if (typeof syncValue === "string" && syncValue.toLowerCase() !== "always") {
    sync = { mode: "interval", intervalNs: parseDuration(syncValue) * 1e6 };
  } else if (typeof syncValue === "number") {
    sync = { mode: "interval", intervalNs: parseDuration(syncValue) * 1e6 };
  }
  const limits = (block.limits ?? {}) as Record<string, unknown>;
  const dupes = limits.duplicate_window;
  const domain = typeof block.domain === "string" && block.domain !== "" ? block.domain : undefined;
  return {
    storeDir,
    tempStoreDir: !configured,
    maxMemory,
    maxStore,
    domain,
    sync,
    duplicatesLimit: dupes === undefined ? 0 : parseDuration(dupes as string | number) * 1e6,
  };
}

/** Bytes free on the file system holding `dir` or its nearest existing parent (Go's diskAvailable); 1 TB when unknown. */
function diskAvailable(dir: string): number {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const s = statfsSync(d);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(d) === d) return 1024 ** 4;
    }
  }
}
