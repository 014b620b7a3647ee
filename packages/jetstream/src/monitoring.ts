import type { JsAccount } from "./account/js-account.js";
import { streamInfoJson } from "./stream/info.js";

/**
 * JetStream's figures in the shapes of Go's /jsz (JSInfo, JetStreamStats, AccountDetail), for
 * @nats-ts/monitor. Kept structural so this package does not depend on the monitor package.
 */
export interface JetStreamSettingsView {
  readonly maxMemory: number;
  readonly maxStore: number;
  readonly storeDir: string;
  readonly domain?: string;
  readonly sync: { mode: "always" | "interval"; intervalNs: number };
}

export function jszConfig(s: JetStreamSettingsView): Record<string, unknown> {
  return {
    max_memory: s.maxMemory,
    max_storage: s.maxStore,
    store_dir: s.storeDir,
    sync_interval: s.sync.mode === "always" ? 0 : s.sync.intervalNs,
    sync_always: s.sync.mode === "always",
    ...(s.domain !== undefined ? { domain: s.domain } : {}),
  };
}

export function jszStats(accounts: readonly JsAccount[]): {
  memory: number;
  storage: number;
  reserved_memory: number;
  reserved_storage: number;
  accounts: number;
  ha_assets: number;
  api: { total: number; errors: number };
} {
  let memory = 0;
  let storage = 0;
  let reservedMemory = 0;
  let reservedStorage = 0;
  let total = 0;
  let errors = 0;
  for (const jsa of accounts) {
    const used = jsa.usage();
    const reserved = jsa.reserved();
    memory += used.memory;
    storage += used.storage;
    reservedMemory += reserved.memory;
    reservedStorage += reserved.storage;
    total += jsa.apiTotal;
    errors += jsa.apiErrors;
  }
  return {
    memory,
    storage,
    reserved_memory: reservedMemory,
    reserved_storage: reservedStorage,
    accounts: accounts.length,
    ha_assets: 0,
    api: { total, errors },
  };
}

export function jszAccounts(accounts: readonly JsAccount[], serverName: string): Record<string, unknown>[] {
  return accounts.map((jsa) => ({
    name: jsa.name,
    stats: jszStats([jsa]),
    streams: jsa.sortedStreams().map((stream) => ({
      ...streamInfoJson(stream, serverName).info,
      name: stream.streamName,
      consumers: stream.consumers?.infos(0, Number.MAX_SAFE_INTEGER) ?? [],
    })),
  }));
}
