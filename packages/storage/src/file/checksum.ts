import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import xxhash from "xxhash-wasm";

// Loaded once per process when the package is imported, so every user of checksum64 (block
// files, consumer state files beside a memory stream) can hash synchronously from the start.
const { h64Raw } = await xxhash();

interface InPlaceExports {
  mem: { buffer: ArrayBuffer; grow(pages: number): number };
  xxh64(ptr: number, len: number, seed: bigint): bigint;
}

// The WebAssembly API of Node, typed here because the package compiles without DOM types.
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

/**
 * xxhash-wasm copies every input into its WebAssembly memory before hashing it. Block buffers
 * that live in such a memory themselves can be hashed where they are, which saves a copy, a
 * view and a BigInt per record. The package ships its module as a file (for workerd); when it
 * cannot be found or does not behave like h64Raw, buffers are ordinary and hashed by copy.
 */
const wasmModule = loadInPlaceModule();

function loadInPlaceModule(): object | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve("xxhash-wasm");
    const m = new Module(readFileSync(join(dirname(entry), "..", "workerd", "xxhash.wasm")));
    const probe = new Instance(m).exports as unknown as InPlaceExports;
    const sample = Buffer.from("nats-ts storage checksum probe 0123456789");
    new Uint8Array(probe.mem.buffer).set(sample, 0);
    return BigInt.asUintN(64, probe.xxh64(0, sample.length, 0n)) === h64Raw(sample) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** Hash functions of the memories handed out by allocHashable, by their ArrayBuffer. */
const inPlace = new WeakMap<ArrayBufferLike, (ptr: number, len: number, seed: bigint) => bigint>();

/** True when buffers from allocHashable are hashed in place (reported by benchmarks). */
export const hashesInPlace = wasmModule !== undefined;

/**
 * A buffer of `size` bytes whose ranges checksumAt hashes without copying (a WebAssembly
 * memory of its own, never grown again, so views of it stay valid).
 */
export function allocHashable(size: number): Buffer {
  if (!wasmModule) return Buffer.allocUnsafe(size);
  const { mem, xxh64 } = new Instance(wasmModule).exports as unknown as InPlaceExports;
  const have = mem.buffer.byteLength;
  if (have < size) mem.grow(Math.ceil((size - have) / 65536));
  inPlace.set(mem.buffer, xxh64);
  return Buffer.from(mem.buffer, 0, size);
}

/** xxhash64 of buf[off, off + len); the value's low 64 bits are the checksum (sign may differ). */
export function checksumAt(buf: Uint8Array, off: number, len: number): bigint {
  // Records are sealed one after another in the same buffer: remember the last lookup, by the
  // view itself (its .buffer getter is a slow runtime call).
  if (buf !== lastView) {
    lastView = buf;
    lastHash = inPlace.get(buf.buffer);
  }
  return lastHash !== undefined ? lastHash(buf.byteOffset + off, len, 0n) : h64Raw(buf.subarray(off, off + len));
}

let lastView: Uint8Array | undefined;
let lastHash: ((ptr: number, len: number, seed: bigint) => bigint) | undefined;

/** xxhash64 of `data`, unsigned. */
export function checksum64(data: Uint8Array): bigint {
  return h64Raw(data);
}
