import fc from "fast-check";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { decodeConsumerState, FileStore, StoreError } from "../src/index.js";
import { scanRecords } from "../src/file/scan.js";
import { tempDir } from "./helpers.js";

test("scanRecords never throws and never visits a record outside the buffer", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const { validEnd, damaged } = scanRecords(buf, (off, len) => {
        expect(off + len).toBeLessThanOrEqual(buf.length);
      });
      expect(validEnd).toBeLessThanOrEqual(buf.length);
      for (const d of damaged) expect(d.end).toBeLessThanOrEqual(buf.length);
    }),
    { numRuns: 300 },
  );
});

test("decodeConsumerState rejects arbitrary bytes with StoreError only", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeConsumerState(Buffer.concat([Buffer.from([22, 2]), Buffer.from(bytes)]));
      } catch (e) {
        expect(e).toBeInstanceOf(StoreError);
      }
    }),
    { numRuns: 500 },
  );
});

test("a store opens over arbitrary block files and serves nothing from them", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 3 }), async (files) => {
      const dir = tempDir();
      const s0 = await FileStore.open({ dir, sync: "interval" });
      await s0.stop();
      files.forEach((bytes, i) => writeFileSync(join(dir, "msgs", `${i + 2}.blk`), bytes));
      const s = await FileStore.open({ dir, sync: "interval" });
      try {
        expect(s.state().msgs).toBe(0);
        const { seq } = await s.storeMsg("ok", null, Buffer.from("fine"));
        expect(Buffer.from(s.loadMsg(seq).msg).toString()).toBe("fine");
      } finally {
        await s.stop();
      }
    }),
    { numRuns: 40 },
  );
});
