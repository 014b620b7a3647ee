import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Kvm } from "@nats-io/kv";
import { startJs, type JsTestServer } from "../helpers.js";

describe("Key-Value with @nats-io/kv", () => {
  let t: JsTestServer;
  let kvm: Kvm;
  beforeAll(async () => {
    t = await startJs();
    kvm = new Kvm(t.nc);
  });
  afterAll(async () => {
    await t.stop();
  });

  test("TestKeyValueBasics: put, get, update, delete, history, keys", async () => {
    const kv = await kvm.create("TEST", { history: 5 });
    expect(await kv.put("name", "derek")).toBe(1);
    const e = await kv.get("name");
    expect(e?.string()).toBe("derek");
    expect(e?.revision).toBe(1);
    expect(await kv.update("name", "ivan", 1)).toBe(2);
    await expect(kv.update("name", "x", 1)).rejects.toThrow(/wrong last sequence: 2/);
    await expect(kv.create("name", "y")).rejects.toThrow();
    await kv.delete("name");
    expect(await kv.get("name")).toMatchObject({ operation: "DEL" });
    expect(await kv.create("name", "back")).toBe(4);
    const st = await kv.status();
    expect(st.history).toBe(5);
    expect(st.values).toBe(4);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    expect(keys).toEqual(["name"]);
    const hist: string[] = [];
    for await (const h of await kv.history({ key: "name" })) hist.push(h.operation);
    expect(hist).toEqual(["PUT", "PUT", "DEL", "PUT"]);
  });
});
