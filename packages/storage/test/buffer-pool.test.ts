import { afterEach, describe, expect, test, vi } from "vitest";
import { BufferPool } from "../src/file/buffer-pool.js";
import { checksumAt } from "../src/file/checksum.js";
import { FileStore } from "../src/index.js";
import { tempDir } from "./helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("BufferPool: block buffers reused across blocks and stores", () => {
  test("a buffer given back is handed out again for the same size, and only for it", () => {
    const pool = new BufferPool(1 << 20, 1000);
    const a = pool.take(4096);
    expect(a.length).toBe(4096);
    a[0] = 42;
    expect(pool.give(a, 4096)).toBe(true);
    expect(pool.idleBytes).toBe(4096);
    const other = pool.take(8192);
    expect(other.buffer).not.toBe(a.buffer);
    const again = pool.take(4096);
    expect(again.buffer).toBe(a.buffer);
    expect(again[0]).toBe(42);
    expect(pool.idleBytes).toBe(0);
  });

  test("a shortened view (a sealed block's bytes) comes back as the whole buffer", () => {
    const pool = new BufferPool(1 << 20, 1000);
    const a = pool.take(4096);
    expect(pool.give(a.subarray(0, 100), 4096)).toBe(true);
    expect(pool.take(4096).length).toBe(4096);
  });

  test("buffers it did not hand out, views past the start and a full pool are refused", () => {
    const pool = new BufferPool(8192, 1000);
    expect(pool.give(Buffer.alloc(4096), 4096)).toBe(false);
    const a = pool.take(4096);
    expect(pool.give(a.subarray(16), 4096)).toBe(false);
    const b = pool.take(4096);
    const c = pool.take(4096);
    expect(pool.give(a, 4096)).toBe(true);
    expect(pool.give(b, 4096)).toBe(true);
    expect(pool.give(c, 4096)).toBe(false);
    expect(pool.idleBytes).toBe(8192);
  });

  test("pooled buffers stay hashable in place", () => {
    const pool = new BufferPool(1 << 20, 1000);
    const a = pool.take(4096);
    pool.give(a, 4096);
    const b = pool.take(4096);
    b.write("hello", 10);
    expect(checksumAt(b, 10, 5)).toBe(checksumAt(Buffer.from("hello"), 0, 5));
  });

  test("idle buffers are let go once the pool has been quiet for its idle time", () => {
    vi.useFakeTimers();
    const pool = new BufferPool(1 << 20, 1000);
    pool.give(pool.take(4096), 4096);
    vi.advanceTimersByTime(600);
    // Use in between postpones the release.
    pool.give(pool.take(4096), 4096);
    vi.advanceTimersByTime(600);
    expect(pool.idleBytes).toBe(4096);
    vi.advanceTimersByTime(500);
    expect(pool.idleBytes).toBe(0);
  });

  test("a store reopened after stop gets its buffers back and reads every message intact", async () => {
    const dir = tempDir();
    const cfg = { dir, sync: "interval" as const, block_size: 4096 };
    const a = await FileStore.open(cfg);
    for (let i = 0; i < 200; i++) await a.storeMsg(`s.${i % 7}`, null, Buffer.alloc(100, i));
    await a.stop();
    const b = await FileStore.open(cfg);
    // A second store writing meanwhile must not disturb b's blocks (buffers come from the pool).
    const other = await FileStore.open({ dir: tempDir(), sync: "interval", block_size: 4096 });
    for (let i = 0; i < 200; i++) await other.storeMsg("x", null, Buffer.alloc(100, 255 - (i % 256)));
    for (let i = 0; i < 200; i++) expect(b.loadMsg(i + 1).msg).toEqual(Buffer.alloc(100, i));
    await other.stop();
    await b.stop();
  });
});
