import xxhash from "xxhash-wasm";

// Loaded once per process when the package is imported, so every user of checksum64 (block
// files, consumer state files beside a memory stream) can hash synchronously from the start.
const { h64Raw } = await xxhash();

/** xxhash64 of `data`. */
export function checksum64(data: Uint8Array): bigint {
  return h64Raw(data);
}
