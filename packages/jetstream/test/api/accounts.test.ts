import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { NatsServer } from "@nats-ts/core";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { jetstreamPlugin } from "../../src/index.js";

describe("JetStream per account", () => {
  test("configured accounts: only those with jetstream get it, with their own limits and streams", async () => {
    const storeDir = mkdtempSync(join(tmpdir(), "nats-ts-js-acc-"));
    const server = new NatsServer(
      {
        host: "127.0.0.1",
        port: 0,
        jetstream: { store_dir: storeDir },
        accounts: {
          A: { users: [{ user: "a", password: "a" }], jetstream: { max_streams: 1, max_file: "1M" } },
          C: { users: [{ user: "c", password: "c" }], jetstream: true },
          B: { users: [{ user: "b", password: "b" }] },
        },
      },
      { plugins: [jetstreamPlugin()] },
    );
    await server.start();
    try {
      const ncA = await connect({ servers: server.clientURL, user: "a", pass: "a" });
      const ncB = await connect({ servers: server.clientURL, user: "b", pass: "b" });
      const ncC = await connect({ servers: server.clientURL, user: "c", pass: "c" });
      const jsmA = await jetstreamManager(ncA, { checkAPI: false });
      const ai = await jsmA.getAccountInfo();
      expect(ai.limits).toMatchObject({ max_streams: 1, max_storage: 1024 * 1024 });
      await jsmA.streams.add({ name: "S", subjects: ["s"] });
      await expect(jsmA.streams.add({ name: "S2", subjects: ["s2"] })).rejects.toThrow("maximum number of streams reached");
      // Account C has its own, unlimited JetStream: the same stream name and subject are free there.
      const jsmC = await jetstreamManager(ncC, { checkAPI: false });
      await jsmC.streams.add({ name: "S", subjects: ["s"] });
      expect((await jsmC.getAccountInfo()).limits.max_streams).toBe(-1);
      // B has no JetStream: nobody answers its API.
      await expect(ncB.request("$JS.API.INFO", "", { timeout: 500 })).rejects.toThrow();
      await Promise.all([ncA.close(), ncB.close(), ncC.close()]);
    } finally {
      await server.shutdown();
      rmSync(storeDir, { recursive: true, force: true });
    }
  });
});
