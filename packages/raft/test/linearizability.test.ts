import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkKvHistory, isLinearizable, registerModel, type KvOperation } from "../src/sim/linearizability.js";

const put = (key: string, value: string, call: number, ret: number): KvOperation => ({ key, call, ret, input: { kind: "put", value } });
const get = (key: string, output: string | null, call: number, ret: number): KvOperation => ({ key, call, ret, input: { kind: "get" }, output });

describe("linearizability checker", () => {
  test("sequential history that matches the model passes", () => {
    expect(checkKvHistory([put("k", "1", 0, 1), get("k", "1", 2, 3), put("k", "2", 4, 5), get("k", "2", 6, 7)])).toEqual([]);
  });

  test("a stale read after a completed write fails", () => {
    expect(checkKvHistory([put("k", "1", 0, 1), put("k", "2", 2, 3), get("k", "1", 4, 5)])).toEqual(["k"]);
  });

  test("concurrent operations may take effect in either order", () => {
    expect(checkKvHistory([put("k", "1", 0, 10), get("k", "1", 1, 2), get("k", null, 3, 4)])).toEqual(["k"]);
    expect(checkKvHistory([put("k", "1", 0, 10), get("k", null, 1, 2), get("k", "1", 3, 4)])).toEqual([]);
  });

  test("an unacknowledged write may or may not have happened, but not both ways", () => {
    const pending = put("k", "x", 0, Infinity);
    expect(checkKvHistory([pending, get("k", "x", 5, 6)])).toEqual([]);
    expect(checkKvHistory([pending, get("k", null, 5, 6)])).toEqual([]);
    expect(checkKvHistory([pending, get("k", "x", 5, 6), get("k", null, 7, 8)])).toEqual(["k"]);
  });

  test("keys are checked independently", () => {
    expect(checkKvHistory([put("a", "1", 0, 1), get("b", "1", 2, 3)])).toEqual(["b"]);
  });

  test("any history produced by a sequential register is linearizable", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant("get"), fc.string({ minLength: 1, maxLength: 2 })), { maxLength: 40 }), (ops) => {
        let state: string | null = null;
        const history = ops.map((op, i) => {
          if (op === "get") return { call: i * 2, ret: i * 2 + 1, input: { kind: "get" as const }, output: state };
          state = op;
          return { call: i * 2, ret: i * 2 + 1, input: { kind: "put" as const, value: op } };
        });
        expect(isLinearizable(registerModel, history)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
