import { recordIsValid } from "./record.js";

export interface DamagedRange {
  start: number;
  end: number;
}

/**
 * Walks the records of a block image, calling `visit` for each undamaged one. Damaged bytes
 * (failed checksum, impossible header, torn tail) are skipped by searching forward for the next
 * valid record and reported as ranges, in order with the visits; nothing in them is ever
 * visited.
 */
export function scanRecords(
  buf: Buffer,
  visit: (off: number, len: number) => void,
  onDamage?: (range: DamagedRange) => void,
): { validEnd: number; damaged: DamagedRange[] } {
  const end = buf.length;
  const damaged: DamagedRange[] = [];
  let off = 0;
  let validEnd = 0;
  while (off < end) {
    if (recordIsValid(buf, off, end)) {
      const len = buf.readUInt32LE(off);
      visit(off, len);
      off += len;
      validEnd = off;
      continue;
    }
    const start = off;
    let next = off + 1;
    while (next < end && !recordIsValid(buf, next, end)) next++;
    const range = { start, end: next };
    damaged.push(range);
    onDamage?.(range);
    off = next;
  }
  return { validEnd, damaged };
}
