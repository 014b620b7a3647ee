import { describe, expect, test } from "vitest";
import { StoreError } from "../src/index.js";
import { TtlWheel } from "../src/ttl-wheel.js";

const SEC = 1_000_000_000n;
const now = BigInt(Date.now()) * 1_000_000n;

describe("TtlWheel (Go's thw hash wheel)", () => {
  test("TestHashWheelBasics: add and remove", () => {
    const hw = new TtlWheel();
    const expires = now + 5n * SEC;
    hw.add(1, expires);
    expect(hw.count).toBe(1);
    expect(() => hw.remove(999, expires)).toThrow(StoreError);
    expect(hw.count).toBe(1);
    hw.remove(1, expires);
    expect(hw.count).toBe(0);
    expect(() => hw.remove(1, expires)).toThrow(StoreError);
    expect(hw.count).toBe(0);
  });

  test("TestHashWheelUpdate: update moves the deadline", () => {
    const hw = new TtlWheel();
    const oldExpires = now + 5n * SEC;
    const newExpires = now + 10n * SEC;
    hw.add(1, oldExpires);
    hw.update(1, oldExpires, newExpires);
    expect(hw.count).toBe(1);
    expect(() => hw.remove(1, oldExpires)).toThrow(StoreError);
    hw.remove(1, newExpires);
    expect(hw.count).toBe(0);
  });

  test("TestHashWheelExpiration: only due tasks expire", () => {
    const hw = new TtlWheel();
    const seqs = new Map([[1, now - SEC], [2, now + SEC], [3, now + 10n * SEC], [4, now + 60n * SEC]]);
    for (const [seq, e] of seqs) hw.add(seq, e);
    const expired = new Set<number>();
    hw.expireTasks(now, (seq) => {
      expired.add(seq);
      return true;
    });
    expect([...expired]).toEqual([1]);
    expect(hw.count).toBe(3);
  });

  test("TestHashWheelManualExpiration: refused expirations stay and come back", () => {
    const hw = new TtlWheel();
    for (let seq = 1; seq <= 4; seq++) hw.add(seq, now);
    const expired = new Map<number, number>();
    for (let i = 0; i <= 1; i++) {
      hw.expireTasks(now, (seq) => {
        expired.set(seq, (expired.get(seq) ?? 0) + 1);
        return false;
      });
      expect(expired.size).toBe(4);
      for (let seq = 1; seq <= 4; seq++) expect(expired.get(seq)).toBe(1 + i);
      expect(hw.count).toBe(4);
    }
    for (let i = 0; i <= 1; i++) {
      hw.expireTasks(now, (seq) => {
        expired.set(seq, (expired.get(seq) ?? 0) + 1);
        return seq % 2 === 0;
      });
      expect([expired.get(1), expired.get(2), expired.get(3), expired.get(4)]).toEqual([3 + i, 3, 3 + i, 3]);
      expect(hw.count).toBe(2);
    }
    hw.remove(1, now);
    hw.remove(3, now);
    expect(hw.count).toBe(0);
  });

  test("TestHashWheelExpirationLargerThanWheel: deadlines a lap apart both expire", () => {
    const hw = new TtlWheel();
    hw.add(1, 0n);
    hw.add(2, SEC);
    const expired = new Set<number>();
    hw.expireTasks(SEC * 4095n, (seq) => {
      expired.add(seq);
      return true;
    });
    expect(expired.size).toBe(2);
    expect(hw.count).toBe(0);
  });

  test("TestHashWheelNextExpiration: earliest deadline before a bound", () => {
    const hw = new TtlWheel();
    hw.add(1, now + 5n * SEC);
    hw.add(2, now + 3n * SEC);
    hw.add(3, now + 10n * SEC);
    expect(hw.nextExpiration(now + 6n * SEC)).toBe(now + 3n * SEC);
    expect(new TtlWheel().nextExpiration(now + SEC)).toBeUndefined();
  });

  test("TestHashWheelStress: many adds, updates and removes", () => {
    const hw = new TtlWheel();
    const n = 100_000;
    for (let seq = 0; seq < n; seq++) hw.add(seq, now + BigInt(seq) * SEC);
    for (let seq = 0; seq < n; seq += 2) hw.update(seq, now + BigInt(seq) * SEC, now + BigInt(seq + n) * SEC);
    for (let seq = 1; seq < n; seq += 2) hw.remove(seq, now + BigInt(seq) * SEC);
    expect(hw.count).toBe(n / 2);
  });

  test("TestHashWheelEncodeDecode: round trip keeps every task", () => {
    const hw = new TtlWheel();
    for (let seq = 0; seq < 20_000; seq++) hw.add(seq, now + BigInt(seq) * SEC);
    const b = hw.encode(12345);
    expect(b.length).toBeGreaterThan(17);
    const nhw = new TtlWheel();
    expect(nhw.decode(b)).toBe(12345);
    expect(nhw.count).toBe(hw.count);
    expect(nhw.nextExpiration(1n << 62n)).toBe(hw.nextExpiration(1n << 62n));
    const all = (w: TtlWheel) => {
      const got: [number, bigint][] = [];
      w.expireTasks(1n << 62n, (seq, e) => {
        got.push([seq, e]);
        return true;
      });
      return got.sort((a, b) => a[0] - b[0]);
    };
    expect(all(nhw)).toEqual(all(hw));
  });

  test("TestHashWheelDecodeRejectsMalformed: short, unknown version and truncated input", () => {
    const header = (count: number) => {
      const b = Buffer.alloc(17);
      b[0] = 1;
      b.writeBigUInt64LE(BigInt(count), 1);
      return b;
    };
    const bad = header(0);
    bad[0] = 2;
    const truncatedSeq = Buffer.concat([header(1), Buffer.from([0xf2, 0xc0, 0x01])]);
    for (const buf of [Buffer.alloc(16), bad, header(1), truncatedSeq]) {
      expect(() => new TtlWheel().decode(buf)).toThrow(expect.objectContaining({ code: "CorruptState" }));
    }
  });
});
