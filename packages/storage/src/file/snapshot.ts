import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { StoreError } from "../errors.js";
import { checksum64 } from "./checksum.js";

// Snapshot archive: "NTSSNAP1", then per file [u16 name length][name][u64 size][bytes], then
// an xxhash64 of everything before it. Names are relative paths inside the store directory.
const MAGIC = Buffer.from("NTSSNAP1");

function listFiles(root: string, dir = root, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) listFiles(root, full, out);
    else if (!name.endsWith(".tmp") && !(dir === root && name === "LOCK")) out.push(relative(root, full));
  }
  return out.sort();
}

/** Packs every file of a (flushed) store directory into one checksummed buffer. */
export function packDirectory(root: string): Buffer {
  const parts: Buffer[] = [MAGIC];
  for (const rel of listFiles(root)) {
    const name = Buffer.from(rel.split(sep).join("/"), "utf8");
    const data = readFileSync(join(root, rel));
    const head = Buffer.allocUnsafe(2 + name.length + 8);
    head.writeUInt16LE(name.length, 0);
    name.copy(head, 2);
    head.writeBigUInt64LE(BigInt(data.length), 2 + name.length);
    parts.push(head, data);
  }
  const body = Buffer.concat(parts);
  const sum = Buffer.allocUnsafe(8);
  sum.writeBigUInt64LE(checksum64(body));
  return Buffer.concat([body, sum]);
}

/** Unpacks a snapshot into an empty (or missing) directory; rejects damaged or hostile archives. */
export function unpackDirectory(data: Uint8Array, root: string): void {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const bad = (why: string) => new StoreError("CorruptStreamState", why);
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw bad("not a snapshot");
  const end = buf.length - 8;
  if (buf.readBigUInt64LE(end) !== checksum64(buf.subarray(0, end))) throw bad("snapshot checksum mismatch");
  if (existsSync(root) && readdirSync(root).length > 0) throw new StoreError("BadConfig", `restore target ${root} is not empty`);
  const files: [string, Buffer][] = [];
  let off = MAGIC.length;
  while (off < end) {
    if (off + 2 > end) throw bad("truncated entry");
    const nameLen = buf.readUInt16LE(off);
    if (off + 2 + nameLen + 8 > end) throw bad("truncated entry");
    const name = buf.toString("utf8", off + 2, off + 2 + nameLen);
    const size = Number(buf.readBigUInt64LE(off + 2 + nameLen));
    off += 2 + nameLen + 8;
    if (off + size > end) throw bad("truncated entry");
    const path = normalize(name);
    if (path.startsWith("..") || path.startsWith(sep) || path.includes(`..${sep}`)) throw bad(`unsafe path ${name}`);
    files.push([path, buf.subarray(off, off + size)]);
    off += size;
  }
  for (const [path, bytes] of files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), bytes);
  }
}
