import type { ConsumerConfigJson } from "./config.js";
import type { Consumer } from "./consumer.js";
import { rfc3339Nano } from "../util/time.js";
import { GO_COMPAT_VERSION } from "@nats-ts/core";
import { JS_API_LEVEL } from "../stream/metadata.js";

/** The config as Go marshals it: zero values omitted (omitempty), policies always present. */
export function configForResponse(cfg: ConsumerConfigJson): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (v === undefined || v === "" || v === false || v === 0) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (k === "priority_policy" && v === "none") continue;
    out[k] = v;
  }
  out.deliver_policy = cfg.deliver_policy;
  out.ack_policy = cfg.ack_policy;
  out.replay_policy = cfg.replay_policy;
  out.num_replicas = cfg.num_replicas ?? 0;
  out.metadata = { ...(cfg.metadata ?? {}), "_nats.ver": GO_COMPAT_VERSION, "_nats.level": String(JS_API_LEVEL) };
  return out;
}

/** Go's ConsumerInfo for `c` at `now` (ns). */
export function consumerInfo(c: Consumer, streamName: string, now: bigint): Record<string, unknown> {
  const a = c.acks;
  const info: Record<string, unknown> = {
    stream_name: streamName,
    name: c.name,
    created: rfc3339Nano(c.created),
    config: configForResponse(c.cfg),
    delivered: seqInfo(a.dseq - 1, a.sseq - 1, c.lastDelivered),
    ack_floor: seqInfo(a.adflr, a.asflr, c.lastAcked),
    num_ack_pending: a.numAckPending,
    num_redelivered: c.cfg.max_deliver === 1 ? 0 : a.numRedelivered,
    num_waiting: c.numWaiting(),
    num_pending: c.numPending(),
    ts: rfc3339Nano(now),
  };
  if (c.isPush) {
    // interest is polled; look now so push_bound is exact, as Go's notifications make it
    c.checkInterest();
    if (c.active) info.push_bound = true;
  }
  const until = c.pauseUntilNs();
  if (until > now) {
    info.paused = true;
    info.pause_remaining = Number(until - now);
  }
  const groups = c.cfg.priority_groups ?? [];
  if (groups.length > 0) {
    const q = c.queue;
    info.priority_groups = [
      {
        group: groups[0],
        pinned_client_id: q?.pinId || undefined,
        pinned_ts: rfc3339Nano(q && q.pinId ? q.pinnedAt : 0n),
      },
    ];
  }
  return info;
}

function seqInfo(consumer: number, stream: number, last: bigint): Record<string, unknown> {
  const s: Record<string, unknown> = { consumer_seq: consumer, stream_seq: stream };
  if (last > 0n) s.last_active = rfc3339Nano(last);
  return s;
}
