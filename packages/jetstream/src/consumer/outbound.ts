import type { InternalClient } from "@nats-ts/core";

/**
 * Delivers a message to whoever subscribed to `route` while presenting it with `subject`,
 * the way Go hands consumer deliveries to an inbox yet shows the stream subject to the client.
 * Queue groups get one member, picked at random. Returns false when nobody took it.
 */
export function deliverAs(client: InternalClient, route: string, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): boolean {
  const { psubs, qsubs } = client.account.sublist.match(route);
  let delivered = false;
  for (const sub of psubs) {
    if (sub.closed) continue;
    if (sub.sink.deliver(sub, subject, reply, headerSize, msg)) {
      delivered = true;
      countDelivery(sub);
    }
  }
  for (const group of qsubs) {
    const n = group.length;
    const first = (Math.random() * n) | 0;
    for (let k = 0; k < n; k++) {
      const sub = group[(first + k) % n];
      if (sub.closed) continue;
      if (sub.sink.deliver(sub, subject, reply, headerSize, msg)) {
        delivered = true;
        countDelivery(sub);
        break;
      }
    }
  }
  return delivered;
}

function countDelivery(sub: { delivered: number; max: number; sink: { removeSub(s: never): void } }): void {
  sub.delivered++;
  if (sub.max > 0 && sub.delivered >= sub.max) sub.sink.removeSub(sub as never);
}

export function hasInterest(client: InternalClient, subject: string): boolean {
  const { psubs, qsubs } = client.account.sublist.match(subject);
  return psubs.length > 0 || qsubs.length > 0;
}

const CRLF = "\r\n";

/** Adds `key: value` to an encoded header block (creating one when empty). */
export function addHeader(hdr: Uint8Array, key: string, value: string): Buffer {
  if (hdr.length === 0) return Buffer.from(`NATS/1.0${CRLF}${key}: ${value}${CRLF}${CRLF}`);
  const base = Buffer.from(hdr.buffer, hdr.byteOffset, hdr.length - 2);
  return Buffer.concat([base, Buffer.from(`${key}: ${value}${CRLF}${CRLF}`)]);
}
