import type { InternalClient } from "@nats-ts/core";
import type { AckState } from "./ack-state.js";

export function hasInterest(client: InternalClient, subject: string): boolean {
  const { psubs, qsubs } = client.account.sublist.match(subject);
  return psubs.length > 0 || qsubs.length > 0;
}

const CRLF = "\r\n";

/** Publishes a status message (headers only, empty body) such as `NATS/1.0 404 No Messages`. */
export function publishStatus(client: InternalClient, subject: string, header: string): void {
  client.publish(subject, Buffer.alloc(0), undefined, Buffer.from(header));
}

/**
 * The idle heartbeat a consumer sends: with the last delivered consumer and stream sequences,
 * and for a push consumer stalled on flow control, the reply subject it waits on.
 */
export function idleHeartbeatHeader(acks: AckState, stalledOn = ""): string {
  let h = `NATS/1.0 100 Idle Heartbeat${CRLF}Nats-Last-Consumer: ${acks.dseq - 1}${CRLF}Nats-Last-Stream: ${acks.sseq - 1}${CRLF}`;
  if (stalledOn !== "") h += `Nats-Consumer-Stalled: ${stalledOn}${CRLF}`;
  return h + CRLF;
}

/** Adds `key: value` to an encoded header block (creating one when empty). */
export function addHeader(hdr: Uint8Array, key: string, value: string): Buffer {
  if (hdr.length === 0) return Buffer.from(`NATS/1.0${CRLF}${key}: ${value}${CRLF}${CRLF}`);
  const base = Buffer.from(hdr.buffer, hdr.byteOffset, hdr.length - 2);
  return Buffer.concat([base, Buffer.from(`${key}: ${value}${CRLF}${CRLF}`)]);
}
