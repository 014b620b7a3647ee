import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import xxhash from "xxhash-wasm";
import { sealModuleBytes } from "./seal-wasm.js";

// Loaded once per process when the package is imported, so every user of checksum64 (block
// files, consumer state files beside a memory stream) can hash synchronously from the start.
const { h64Raw } = await xxhash();

interface InPlaceExports {
  mem: { buffer: ArrayBuffer; grow(pages: number): number };
  xxh64(ptr: number, len: number, seed: bigint): bigint;
}

interface SealExports {
  seal(off: number, end: number, min: number): number;
}

// The WebAssembly API of Node, typed here because the package compiles without DOM types.
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

/**
 * xxhash-wasm copies every input into its WebAssembly memory before hashing it. Block buffers
 * that live in such a memory themselves can be hashed where they are, which saves a copy, a
 * view and a BigInt per record, and runs of records can be sealed in one call (seal-wasm.ts).
 * The package ships its module as a file (for workerd); when it cannot be found or the two
 * modules do not hash like h64Raw, buffers are ordinary and hashed by copy.
 */
const modules = loadInPlaceModules();

function loadInPlaceModules(): { hash: object; seal: object } | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve("xxhash-wasm");
    const hash = new Module(readFileSync(join(dirname(entry), "..", "workerd", "xxhash.wasm")));
    const seal = new Module(sealModuleBytes());
    const probe = new Instance(hash).exports as unknown as InPlaceExports;
    const sealer = new Instance(seal, { x: { mem: probe.mem, h: probe.xxh64 } }).exports as unknown as SealExports;
    // Two runs (u32 length, text, 8-byte checksum of what precedes it): 48 bytes, then 20.
    const mem = Buffer.from(probe.mem.buffer);
    const text = Buffer.from("nats-ts storage checksum probe 01234567");
    mem.writeUInt32LE(48, 0);
    text.copy(mem, 4);
    mem.writeUInt32LE(20, 48);
    text.copy(mem, 52, 0, 8);
    if (sealer.seal(0, 68, 12) !== 68) return undefined;
    const first = BigInt.asUintN(64, probe.xxh64(0, 40, 0n));
    const ok = first === h64Raw(mem.subarray(0, 40)) && mem.readBigUInt64LE(40) === first && mem.readBigUInt64LE(60) === h64Raw(mem.subarray(48, 60));
    return ok ? { hash, seal } : undefined;
  } catch {
    return undefined;
  }
}

/** What can run over a memory handed out by allocHashable, by its ArrayBuffer. */
interface InPlace {
  hash(ptr: number, len: number, seed: bigint): bigint;
  /** Checksums a run of records in one call (seal-wasm.ts). */
  seal(off: number, end: number, min: number): number;
}
const inPlace = new WeakMap<ArrayBufferLike, InPlace>();

/** True when buffers from allocHashable are hashed and sealed in place (checked by tests). */
export const hashesInPlace = modules !== undefined;

/**
 * A buffer of `size` bytes whose ranges checksumAt and sealRuns hash without copying (a
 * WebAssembly memory of its own, never grown again, so views of it stay valid).
 */
export function allocHashable(size: number): Buffer {
  if (!modules) return Buffer.allocUnsafe(size);
  const { mem, xxh64 } = new Instance(modules.hash).exports as unknown as InPlaceExports;
  const have = mem.buffer.byteLength;
  if (have < size) mem.grow(Math.ceil((size - have) / 65536));
  const { seal } = new Instance(modules.seal, { x: { mem, h: xxh64 } }).exports as unknown as SealExports;
  inPlace.set(mem.buffer, { hash: xxh64, seal });
  return Buffer.from(mem.buffer, 0, size);
}

/** What runs over the memory of `buf`, remembered for the last view asked about. */
function inPlaceOf(buf: Uint8Array): InPlace | undefined {
  // Records are sealed one after another in the same buffer; the view is compared, not its
  // .buffer (a slow runtime call).
  if (buf !== lastView) {
    lastView = buf;
    lastInPlace = inPlace.get(buf.buffer);
  }
  return lastInPlace;
}

let lastView: Uint8Array | undefined;
let lastInPlace: InPlace | undefined;

/** xxhash64 of buf[off, off + len); the value's low 64 bits are the checksum (sign may differ). */
export function checksumAt(buf: Uint8Array, off: number, len: number): bigint {
  const fns = inPlaceOf(buf);
  return fns !== undefined ? fns.hash(buf.byteOffset + off, len, 0n) : h64Raw(buf.subarray(off, off + len));
}

/**
 * Checksums every run in buf[from, to): runs start with their u32 little-endian length
 * (at least `minLen`) and end with the 8-byte xxhash64 of everything before it, written here.
 * Returns where it stopped: `to`, or the offset of a length that does not fit.
 */
export function sealRuns(buf: Buffer, from: number, to: number, minLen: number): number {
  const fns = inPlaceOf(buf);
  if (fns !== undefined) return fns.seal(buf.byteOffset + from, buf.byteOffset + to, minLen) - buf.byteOffset;
  let off = from;
  while (off < to) {
    const len = buf.readUInt32LE(off);
    if (len < minLen || len > to - off) break;
    buf.writeBigInt64LE(BigInt.asIntN(64, h64Raw(buf.subarray(off, off + len - 8))), off + len - 8);
    off += len;
  }
  return off;
}

/** xxhash64 of `data`, unsigned. */
export function checksum64(data: Uint8Array): bigint {
  return h64Raw(data);
}
