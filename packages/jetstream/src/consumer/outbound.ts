import type { InternalClient } from "@nats-ts/core";

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
