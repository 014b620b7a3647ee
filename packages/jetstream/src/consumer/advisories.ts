import { randomBytes } from "node:crypto";
import { rfc3339Nano } from "../util/time.js";

/** Subjects and JSON bodies of the consumer advisories and metrics Go publishes. */
export const ADVISORY = {
  created: "$JS.EVENT.ADVISORY.CONSUMER.CREATED",
  deleted: "$JS.EVENT.ADVISORY.CONSUMER.DELETED",
  maxDeliveries: "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES",
  naked: "$JS.EVENT.ADVISORY.CONSUMER.MSG_NAKED",
  terminated: "$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED",
  pause: "$JS.EVENT.ADVISORY.CONSUMER.PAUSE",
  pinned: "$JS.EVENT.ADVISORY.CONSUMER.PINNED",
  unpinned: "$JS.EVENT.ADVISORY.CONSUMER.UNPINNED",
  ackMetric: "$JS.EVENT.METRIC.CONSUMER.ACK",
} as const;

export type AdvisoryKind = keyof typeof ADVISORY;

/** The event `type` of each advisory kind. */
export const ADVISORY_TYPE: Record<AdvisoryKind, string> = {
  created: "io.nats.jetstream.advisory.v1.consumer_action",
  deleted: "io.nats.jetstream.advisory.v1.consumer_action",
  pause: "io.nats.jetstream.advisory.v1.consumer_pause",
  ackMetric: "io.nats.jetstream.metric.v1.consumer_ack",
  maxDeliveries: "io.nats.jetstream.advisory.v1.max_deliver",
  naked: "io.nats.jetstream.advisory.v1.nak",
  terminated: "io.nats.jetstream.advisory.v1.terminated",
  pinned: "io.nats.jetstream.advisory.v1.consumer_group_pinned",
  unpinned: "io.nats.jetstream.advisory.v1.consumer_group_unpinned",
};

/** A NUID-like 22 character id for event ids. */
export function eventId(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const bytes = randomBytes(22);
  let out = "";
  for (const b of bytes) out += alphabet[b % 62];
  return out;
}

/** The TypedEvent header every advisory starts with. */
export function typedEvent(type: string, nowNs: bigint): { type: string; id: string; timestamp: string } {
  return { type, id: eventId(), timestamp: rfc3339Nano(nowNs) };
}
