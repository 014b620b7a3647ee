import { crc32c } from "@node-rs/crc32";

/**
 * The checksum of a Snappy/S2 data chunk: CRC-32C of the decoded bytes, rotated and offset
 * ("masked") as the framing format requires, so that a checksum of checksums stays distinct.
 */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}
