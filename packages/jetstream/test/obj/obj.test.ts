import { afterEach, describe, expect, test } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { Objm, type ObjectInfo, type ObjectStore } from "@nats-io/obj";
import { startJs, type JsTestServer } from "../helpers.js";

let t: JsTestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function readAll(rs: ReadableStream<Uint8Array> | null | undefined): Promise<Buffer> {
  if (!rs) throw new Error("no data");
  const parts: Uint8Array[] = [];
  const reader = rs.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return Buffer.concat(parts);
}

function streamOf(data: Uint8Array, chunk = 1024 * 1024): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(controller) {
      if (off >= data.length) return controller.close();
      controller.enqueue(data.subarray(off, off + chunk));
      off += chunk;
    },
  });
}

async function bucket(name: string): Promise<ObjectStore> {
  return new Objm(t!.nc).create(name);
}

describe("Object Store end to end", () => {
  test("50 MB object round trip with digest check", async () => {
    t = await startJs();
    const os = await bucket("big");
    const data = randomBytes(50 * 1024 * 1024);
    // most of this test's time is the client's own JavaScript SHA-256 over 50 MB, twice
    const info = await os.put({ name: "blob" }, streamOf(data));
    expect(info.size).toBe(data.length);
    // nats.js writes the digest as padded base64url
    const expected = `SHA-256=${createHash("sha256").update(data).digest("base64").replace(/\+/g, "-").replace(/\//g, "_")}`;
    expect(info.digest).toBe(expected);
    const r = await os.get("blob");
    expect(r).not.toBeNull();
    const back = await readAll(r!.data);
    expect(await r!.error).toBeFalsy();
    expect(back.length).toBe(data.length);
    expect(back.equals(data)).toBe(true);
  }, 120_000);

  test("empty and small objects, info, list, delete, status", async () => {
    t = await startJs();
    const os = await bucket("b");
    await os.putBlob({ name: "empty" }, new Uint8Array(0));
    await os.putBlob({ name: "small", description: "tiny", headers: undefined }, Buffer.from("hello"));
    expect(Buffer.from((await os.getBlob("small"))!).toString()).toBe("hello");
    expect((await os.getBlob("empty"))!.length).toBe(0);
    const infos = await os.list();
    expect(infos.map((i) => i.name).sort()).toEqual(["empty", "small"]);
    expect((await os.info("small"))?.description).toBe("tiny");
    await os.delete("empty");
    expect(await os.get("empty")).toBeNull();
    expect((await os.list()).map((i) => i.name)).toEqual(["small"]);
    const st = await os.status();
    expect(st.bucket).toBe("b");
    expect(st.sealed).toBe(false);
    expect(st.size).toBeGreaterThan(0);
  });

  test("watch sees puts and deletes", async () => {
    t = await startJs();
    const os = await bucket("w");
    await os.putBlob({ name: "before" }, Buffer.from("1"));
    const iter = await os.watch({ includeHistory: true });
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of iter) {
        if (e === null) continue;
        seen.push(`${e.name}:${e.deleted ? "del" : "put"}`);
        if (seen.length === 3) break;
      }
    })();
    await os.putBlob({ name: "after" }, Buffer.from("2"));
    await os.delete("before");
    await done;
    expect(seen).toEqual(["before:put", "after:put", "before:del"]);
  });

  test("links to objects and buckets, metadata update, seal", async () => {
    t = await startJs();
    const os = await bucket("l");
    const target = await os.putBlob({ name: "target" }, Buffer.from("payload"));
    await os.link("alias", target);
    expect(Buffer.from((await os.getBlob("alias"))!).toString()).toBe("payload");
    const other = await bucket("other");
    const bl = await os.linkStore("other-bucket", other);
    expect(bl.options?.link?.bucket).toBe("other");
    await os.update("target", { name: "renamed", description: "now described" });
    expect(await os.info("target")).toBeNull();
    const renamed = (await os.info("renamed")) as ObjectInfo;
    expect(renamed.description).toBe("now described");
    await os.seal();
    expect((await os.status()).sealed).toBe(true);
    await expect(os.putBlob({ name: "late" }, Buffer.from("x"))).rejects.toThrow();
  });
});
