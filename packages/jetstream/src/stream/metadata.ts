import { GO_COMPAT_VERSION } from "@nats-ts/core";
import type { StreamConfigJson } from "./config.js";

/** The JetStream API level this server implements (Go's JSApiLevel for the features we have). */
export const JS_API_LEVEL = 1;

const REQUIRED_LEVEL = "_nats.req.level";
const SERVER_VERSION = "_nats.ver";
const SERVER_LEVEL = "_nats.level";

/** Go's setStaticStreamMetadata: records the API level the config needs; drops dynamic keys. */
export function setStaticStreamMetadata(cfg: Partial<StreamConfigJson>): void {
  const md = { ...(cfg.metadata ?? {}) };
  delete md[SERVER_VERSION];
  delete md[SERVER_LEVEL];
  let level = 0;
  if (cfg.allow_msg_ttl || (cfg.subject_delete_marker_ttl ?? 0) > 0) level = Math.max(level, 1);
  if (cfg.allow_msg_counter || cfg.allow_atomic || cfg.allow_msg_schedules || cfg.persist_mode === "async") level = Math.max(level, 2);
  if (cfg.allow_batched) level = Math.max(level, 4);
  md[REQUIRED_LEVEL] = String(level);
  cfg.metadata = md;
}

/** Go's setDynamicStreamMetadata: a copy of the config with the server version and level added. */
export function withDynamicStreamMetadata(cfg: StreamConfigJson): StreamConfigJson {
  return { ...cfg, metadata: { ...(cfg.metadata ?? {}), [SERVER_VERSION]: GO_COMPAT_VERSION, [SERVER_LEVEL]: String(JS_API_LEVEL) } };
}
