// A tiny WebAssembly module that checksums a run of records in one call. Calling xxhash-wasm's
// xxh64 once per record from JavaScript costs more than hashing a small record (the call, the
// 64-bit result boxed as a BigInt, copying it into the record); this module loops over the
// records inside WebAssembly, calling the same xxh64 of the same memory, and stores each hash
// at its record's end. Its text form:
//
//   (module
//     (import "x" "mem" (memory 1))
//     (import "x" "h" (func $h (param i32 i32 i64) (result i64)))   ;; xxhash-wasm's xxh64
//     (func (export "seal") (param $off i32) (param $end i32) (param $min i32) (result i32) (local $len i32)
//       (block $done
//         (loop $next
//           (br_if $done (i32.ge_u (local.get $off) (local.get $end)))
//           (local.set $len (i32.load align=1 (local.get $off)))
//           (br_if $done (i32.lt_u (local.get $len) (local.get $min)))
//           (br_if $done (i32.gt_u (local.get $len) (i32.sub (local.get $end) (local.get $off))))
//           (i64.store align=1 (i32.sub (i32.add (local.get $off) (local.get $len)) (i32.const 8))
//             (call $h (local.get $off) (i32.sub (local.get $len) (i32.const 8)) (i64.const 0)))
//           (local.set $off (i32.add (local.get $off) (local.get $len)))
//           (br $next)))
//       (local.get $off)))
//
// "seal" returns where it stopped: `end`, or the offset of a length that is not a record's
// (below `min` or past `end`).

const I32 = 0x7f;
const I64 = 0x7e;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32.const immediates), for the non-negative constants used here. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if (n === 0 && (byte & 0x40) === 0) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
const str = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

/** The module's bytes. */
export function sealModuleBytes(): Uint8Array {
  const off = 0;
  const end = 1;
  const min = 2;
  const len = 3;
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const i32 = (v: number) => [0x41, ...sleb(v)];
  const body = [
    ...vec([[1, I32]]), // one local: $len
    0x02, 0x40, // block $done
    0x03, 0x40, // loop $next
    ...get(off), ...get(end), 0x4f, 0x0d, 1, // br_if $done (off >= end)
    ...get(off), 0x28, 0, 0, ...set(len), // len = i32.load align=1
    ...get(len), ...get(min), 0x49, 0x0d, 1, // br_if $done (len < min)
    ...get(len), ...get(end), ...get(off), 0x6b, 0x4b, 0x0d, 1, // br_if $done (len > end - off)
    ...get(off), ...get(len), 0x6a, ...i32(8), 0x6b, // address of the checksum
    ...get(off), ...get(len), ...i32(8), 0x6b, 0x42, 0, 0x10, 0, // call $h(off, len - 8, 0)
    0x37, 0, 0, // i64.store align=1
    ...get(off), ...get(len), 0x6a, ...set(off), // off += len
    0x0c, 0, // br $next
    0x0b, 0x0b, // end loop, end block
    ...get(off),
    0x0b, // end func
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([
      [0x60, ...vec([[I32], [I32], [I64]]), ...vec([[I64]])],
      [0x60, ...vec([[I32], [I32], [I32]]), ...vec([[I32]])],
    ])),
    ...section(2, vec([
      [...str("x"), ...str("mem"), 0x02, 0x00, 0x01],
      [...str("x"), ...str("h"), 0x00, 0],
    ])),
    ...section(3, vec([[1]])),
    ...section(7, vec([[...str("seal"), 0x00, 1]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}
