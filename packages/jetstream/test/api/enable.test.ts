import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { NatsServer, optionsFromConf, parseConf } from "@nats-ts/core";
import { jetstreamPlugin, type JetStreamPlugin } from "../../src/index.js";
import { resolveJetStreamSettings } from "../../src/plugin-config.js";

describe("enabling JetStream", () => {
  test("TestJetStreamBasicNilConfig: no settings give Go's dynamic defaults", () => {
    const s = resolveJetStreamSettings({});
    expect(s.storeDir).toBe(join(tmpdir(), "nats", "jetstream"));
    expect(s.tempStoreDir).toBe(true);
    expect(s.maxMemory).toBe(Math.floor((totalmem() / 4) * 3));
    expect(s.maxStore).toBeGreaterThan(0);
    expect(s.sync).toEqual({ mode: "always", intervalNs: 0 });
  });

  test("store_dir gets a jetstream folder, sizes take units, sync_interval a duration", () => {
    const s = resolveJetStreamSettings({ store_dir: "/data", max_mem: "1G", max_file: "10G", sync_interval: "2m", limits: { duplicate_window: "1m" } });
    expect(s).toMatchObject({ storeDir: "/data/jetstream", maxMemory: 1024 ** 3, maxStore: 10 * 1024 ** 3, duplicatesLimit: 60e9 });
    expect(s.sync).toEqual({ mode: "interval", intervalNs: 120e9 });
  });

  test("TestJetStreamServerDomainConfig", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nats-ts-js-dom-"));
    const { options } = optionsFromConf(parseConf(`listen: 127.0.0.1:-1\njetstream: {domain: "HUB", store_dir: ${JSON.stringify(dir)}}`));
    const server = new NatsServer(options, { plugins: [jetstreamPlugin()] });
    await server.start();
    try {
      const js = server.plugin<JetStreamPlugin>("jetstream")!;
      expect(js.enabled).toBe(true);
      expect(js.domain).toBe("HUB");
      expect(existsSync(join(dir, "jetstream"))).toBe(true);
    } finally {
      await server.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a domain with JetStream disabled leaves JetStream off", async () => {
    const { options } = optionsFromConf(parseConf(`listen: 127.0.0.1:-1\njetstream: {domain: "HUB", enabled: false}`));
    const server = new NatsServer(options, { plugins: [jetstreamPlugin()] });
    await server.start();
    try {
      expect(server.plugin<JetStreamPlugin>("jetstream")!.enabled).toBe(false);
    } finally {
      await server.shutdown();
    }
  });
});
