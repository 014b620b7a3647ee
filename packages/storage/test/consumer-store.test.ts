import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  decodeConsumerState,
  encodeConsumerState,
  FileStore,
  MemStore,
  StoreError,
  type ConsumerState,
  type ConsumerStore,
  type StreamStore,
} from "../src/index.js";
import { tempDir } from "./helpers.js";

const SEC = 1_000_000_000n;
const nowRounded = () => ((BigInt(Date.now()) * 1_000_000n + SEC / 2n) / SEC) * SEC;
const stores: StreamStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.stop();
});

const kinds: [string, () => Promise<{ store: StreamStore; reopen?: () => Promise<StreamStore> }>][] = [
  ["MemStore", async () => {
    const store = new MemStore();
    stores.push(store);
    return { store };
  }],
  ["FileStore", async () => {
    const dir = tempDir();
    const store = await FileStore.open({ dir, sync: "interval" });
    stores.push(store);
    return {
      store,
      reopen: async () => {
        await store.stop();
        const s = await FileStore.open({ dir, sync: "interval" });
        stores.push(s);
        return s;
      },
    };
  }],
];

describe.each(kinds)("%s consumer store", (kind, make) => {
  test(`${kind === "FileStore" ? "TestFileStoreConsumerDeliveredAndAckUpdates" : "consumer delivered and ack updates"}: floors follow explicit acks`, async () => {
    const { store, reopen } = await make();
    let o = store.consumerStore("o22", { ack_policy: "explicit" });
    let pending = 0;
    const delivered = (dseq: number, sseq: number) => {
      o.updateDelivered(dseq, sseq, 1, nowRounded());
      pending++;
      const st = o.state();
      expect(st.delivered).toEqual({ consumer: dseq, stream: sseq });
      expect(st.pending.size).toBe(pending);
    };
    const ack = (dseq: number, sseq: number, dflr: number, sflr: number) => {
      o.updateAcks(dseq, sseq);
      pending--;
      const st = o.state();
      expect(st.pending.size).toBe(pending);
      expect(st.ackFloor).toEqual({ consumer: dflr, stream: sflr });
    };
    delivered(1, 100);
    delivered(2, 110);
    delivered(3, 130);
    delivered(4, 150);
    delivered(5, 165);
    expect(() => o.updateAcks(3, 101)).toThrow(StoreError);
    expect(() => o.updateAcks(1, 1)).toThrow(StoreError);
    ack(1, 100, 1, 109);
    ack(3, 130, 1, 109);
    ack(2, 110, 3, 149);
    ack(5, 165, 3, 149);
    ack(4, 150, 5, 165);
    for (const [d, s] of [[6, 170], [7, 171], [8, 172], [9, 173], [10, 200]]) delivered(d, s);
    ack(7, 171, 5, 165);
    ack(8, 172, 5, 165);
    const state = o.state();
    if (reopen) {
      await o.stop();
      o = (await reopen()).consumerStore("o22", { ack_policy: "explicit" });
    }
    expect(o.state()).toEqual(state);
  });

  test(`${kind === "FileStore" ? "TestFileStoreConsumerRedeliveredLost" : "redelivery counts"}: redelivered counts persist and clear on ack`, async () => {
    const { store, reopen } = await make();
    let o: ConsumerStore = store.consumerStore("o22", { ack_policy: "explicit" });
    const ts = nowRounded();
    o.updateDelivered(1, 1, 1, ts);
    o.updateDelivered(2, 1, 2, ts);
    o.updateDelivered(3, 1, 3, ts);
    o.updateDelivered(4, 2, 1, ts);
    o.updateDelivered(5, 2, 2, ts);
    expect(o.state().redelivered).toEqual(new Map([[1, 2], [2, 1]]));
    await o.flush();
    if (reopen) o = (await reopen()).consumerStore("o22", { ack_policy: "explicit" });
    expect(o.state().redelivered).toEqual(new Map([[1, 2], [2, 1]]));
    o.updateAcks(3, 1);
    o.updateAcks(5, 2);
    expect(o.state().redelivered.size).toBe(0);
    expect(o.state().pending.size).toBe(0);
  });

  test("ack policy none and all", async () => {
    const { store } = await make();
    const none = store.consumerStore("n", { ack_policy: "none" });
    none.updateDelivered(1, 10, 1, 0n);
    expect(none.state().ackFloor).toEqual({ consumer: 1, stream: 10 });
    expect(() => none.updateDelivered(2, 11, 2, 0n)).toThrow(StoreError);
    expect(() => none.updateAcks(1, 10)).toThrow(StoreError);
    const all = store.consumerStore("a", { ack_policy: "all" });
    for (let i = 1; i <= 5; i++) all.updateDelivered(i, i * 10, 1, 0n);
    all.updateAcks(3, 30);
    expect(all.state().ackFloor).toEqual({ consumer: 3, stream: 30 });
    expect([...all.state().pending.keys()]).toEqual([40, 50]);
    expect(store.fastState().consumers).toBe(2);
  });

  test("update refuses old or inconsistent state; forceUpdate accepts older", async () => {
    const { store } = await make();
    const o = store.consumerStore("u", { ack_policy: "explicit" });
    const st: ConsumerState = { delivered: { consumer: 10, stream: 20 }, ackFloor: { consumer: 5, stream: 15 }, pending: new Map([[18, { sequence: 8, timestamp: 0n }]]), redelivered: new Map() };
    o.update(st);
    expect(o.state()).toEqual(st);
    const older = { ...st, delivered: { consumer: 9, stream: 19 }, pending: new Map() };
    expect(() => o.update(older)).toThrow(expect.objectContaining({ code: "StoreOldUpdate" }));
    o.forceUpdate(older);
    expect(o.state().delivered.consumer).toBe(9);
    expect(() => o.update({ ...st, ackFloor: { consumer: 11, stream: 15 } })).toThrow(expect.objectContaining({ code: "BadAckFloorConsumer" }));
    expect(() => o.update({ ...st, pending: new Map([[15, { sequence: 1, timestamp: 0n }]]) })).toThrow(expect.objectContaining({ code: "BadPendingEntry" }));
  });

  test("out-of-range sequences are refused before they reach the state, which stays savable", async () => {
    const { store } = await make();
    const o = store.consumerStore("bad", { ack_policy: "explicit" });
    o.updateDelivered(1, 1, 1, 1n);
    const before = o.state();
    for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1.5, 2 ** 53]) {
      for (const call of [
        () => o.setStarting(v),
        () => o.updateStarting(v),
        () => o.reset(v),
        () => o.updateDelivered(v, 2, 1, 1n),
        () => o.updateDelivered(2, v, 1, 1n),
        () => o.updateDelivered(2, 2, v, 1n),
        () => o.updateAcks(1, v),
        () => o.removeRedeliveredBelow(v),
        () => o.update({ ...before, delivered: { consumer: v, stream: 1 } }),
        () => o.forceUpdate({ ...before, redelivered: new Map([[1, v]]) }),
      ]) {
        expect(call).toThrow(expect.objectContaining({ code: "BadSequence" }));
      }
    }
    expect(o.state()).toEqual(before);
    const decoded = decodeConsumerState(o.encodedState());
    expect(decoded.delivered).toEqual(before.delivered);
    expect([...decoded.pending.keys()]).toEqual([...before.pending.keys()]);
    await o.flush();
  });
});

describe("consumer state encoding", () => {
  test("TestFileStoreConsumerEncodeDecodeRedelivered: redelivered survives encoding", () => {
    const state: ConsumerState = { delivered: { consumer: 100, stream: 100 }, ackFloor: { consumer: 50, stream: 50 }, pending: new Map(), redelivered: new Map([[122, 3], [144, 8]]) };
    expect(decodeConsumerState(encodeConsumerState(state, 0n))).toEqual(state);
  });

  test("TestFileStoreConsumerEncodeDecodePendingBelowStreamAckFloor: pending below the floor wraps like Go", () => {
    const now = nowRounded() - 10n * SEC;
    const state: ConsumerState = {
      delivered: { consumer: 1192, stream: 10185 },
      ackFloor: { consumer: 1189, stream: 10815 },
      pending: new Map([[10782, { sequence: 1190, timestamp: now }], [10810, { sequence: 1191, timestamp: now + SEC }], [10815, { sequence: 1192, timestamp: now + 2n * SEC }]]),
      redelivered: new Map(),
    };
    expect(decodeConsumerState(encodeConsumerState(state, BigInt(Date.now()) * 1_000_000n))).toEqual(state);
  });

  test("TestFileStoreBadConsumerState: decodes Go's bytes", () => {
    const bs = Buffer.from("\x16\x02\x01\x01\x03\x02\x01\x98\xf4\x8a\x8a\f\x01\x03\x86\xfa\n\x01\x00\x01", "latin1");
    const cs = decodeConsumerState(bs);
    expect(cs.ackFloor).toEqual({ consumer: 1, stream: 1 });
    expect(cs.delivered).toEqual({ consumer: 3, stream: 2 });
    expect(cs.pending.size).toBe(1);
    expect(cs.redelivered).toEqual(new Map([[1, 1]]));
  });

  test("truncated or garbage encodings are rejected, never crash", () => {
    const good = encodeConsumerState({ delivered: { consumer: 9, stream: 9 }, ackFloor: { consumer: 2, stream: 2 }, pending: new Map([[5, { sequence: 5, timestamp: SEC * 100n }]]), redelivered: new Map([[5, 2]]) }, SEC * 200n);
    for (let n = 0; n < good.length; n++) expect(() => decodeConsumerState(good.subarray(0, n))).toThrow(StoreError);
    expect(() => decodeConsumerState(Buffer.from([22, 9, 1]))).toThrow(StoreError);
  });

  test("damaged consumer state file is detected on open", async () => {
    const dir = tempDir();
    const fs = await FileStore.open({ dir, sync: "interval" });
    stores.push(fs);
    const o = fs.consumerStore("dur", { ack_policy: "explicit" });
    o.updateDelivered(1, 1, 1, 0n);
    await o.stop();
    const file = join(dir, "obs", "dur", "o.dat");
    const buf = readFileSync(file);
    buf[3] ^= 0x40;
    writeFileSync(file, buf);
    expect(() => fs.consumerStore("dur", { ack_policy: "explicit" })).toThrow(expect.objectContaining({ code: "CorruptState" }));
    expect(readdirSync(join(dir, "obs"))).toEqual(["dur"]);
  });
});
