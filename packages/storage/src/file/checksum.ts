import xxhash from "xxhash-wasm";

type Hasher = (data: Uint8Array, seed?: bigint) => bigint;
let h64: Hasher | undefined;
let loading: Promise<void> | undefined;

/** Loads the xxhash64 WebAssembly module once per process. */
export function initChecksum(): Promise<void> {
  loading ??= xxhash().then((api) => {
    h64 = api.h64Raw;
  });
  return loading;
}

/** xxhash64 of `data`; initChecksum() must have resolved first (FileStore.open does it). */
export function checksum64(data: Uint8Array): bigint {
  return h64!(data);
}
