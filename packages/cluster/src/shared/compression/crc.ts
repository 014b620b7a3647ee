import { crc32c } from "@node-rs/crc32";

/**
 * The checksum of a Snappy/S2 data chunk: CRC-32C of the decoded bytes, rotated and offset
 * ("masked") as the framing format requires, so that a checksum of checksums stays distinct.
 * The bytes may come in pieces (the CRC is carried from one to the next, nothing is joined).
 */
export function maskedCrc32c(data: Uint8Array | readonly Uint8Array[]): number {
  let c = 0;
  if (data instanceof Uint8Array) c = crc32c(data);
  else for (const piece of data) c = crc32c(piece, c);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}
