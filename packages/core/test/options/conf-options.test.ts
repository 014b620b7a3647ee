import { describe, expect, test } from "vitest";
import { ConfError, NatsServer, optionsFromConf, parseConf, resolveOptions } from "../../src/index.js";

describe("conf file to server options", () => {
  test("core keys map to options with Go's units", () => {
    const conf = parseConf(
      `
      listen: "127.0.0.1:-1"
      server_name: edge-1
      server_tags: ["region:eu", "tier:1"]
      http: "127.0.0.1:-1"
      max_connections: 100
      max_subs: 10
      max_payload: 2MB
      max_pending: 32MB
      max_control_line: 2KB
      ping_interval: "30s"
      ping_max: 3
      write_deadline: "5s"
      lame_duck_duration: "1m"
      lame_duck_grace_period: 2
      debug: true
      trace: false
      logtime: false
      pid_file: "/tmp/x.pid"
      ports_file_dir: "/tmp"
      authorization { user: alice, password: "pw", timeout: 1.5 }
      no_auth_user: alice
      jetstream { store_dir: "/tmp/js", max_mem: 1G }
      `,
      { file: "server.conf" },
    );
    const { options, warnings } = optionsFromConf(conf);
    expect(warnings).toEqual([]);
    const opts = resolveOptions(options);
    expect(opts).toMatchObject({
      host: "127.0.0.1",
      port: -1,
      serverName: "edge-1",
      serverTags: ["region:eu", "tier:1"],
      httpHost: "127.0.0.1",
      httpPort: -1,
      maxConnections: 100,
      maxSubscriptions: 10,
      maxPayload: 2 * 1024 * 1024,
      maxPending: 32 * 1024 * 1024,
      maxControlLine: 2048,
      pingInterval: 30_000,
      pingMax: 3,
      writeDeadline: 5_000,
      lameDuckDuration: 60_000,
      lameDuckGracePeriod: 2_000,
      debug: true,
      trace: false,
      logtime: false,
      pidFile: "/tmp/x.pid",
      portsFileDir: "/tmp",
      authorization: { user: "alice", password: "pw", timeout: 1.5 },
      noAuthUser: "alice",
      jetstream: { store_dir: "/tmp/js", max_mem: 1_000_000_000 }, // Go: G = 10^9, GB = 2^30
    });
  });

  test("keys are case-insensitive like Go's", () => {
    const { options } = optionsFromConf(parseConf("PORT: 4333\nMax_Payload: 100"));
    expect(options).toMatchObject({ port: 4333, maxPayload: 100 });
  });

  test("a wrong type fails with file, line and column", () => {
    const conf = parseConf("port: 4222\nmax_payload: \"lots\"\n", { file: "bad.conf" });
    expect(() => optionsFromConf(conf)).toThrow(ConfError);
    expect(() => optionsFromConf(conf)).toThrow(/^bad\.conf:2:1: .*max_payload/);
  });

  test("unknown top-level keys are reported with their position", () => {
    const { warnings } = optionsFromConf(parseConf("port: 1\nbogus_key: 3\n", { file: "x.conf" }));
    expect(warnings).toEqual(['x.conf:2:1: unknown field "bogus_key"']);
  });

  test("blocks owned by other packages are kept for them, and the server warns it ignores them", async () => {
    const { options } = optionsFromConf(parseConf("cluster { port: -1 }\nwebsocket { port: -1, no_tls: true }"));
    expect(options.blocks).toEqual({ cluster: { port: -1 }, websocket: { port: -1, no_tls: true } });
    const lines: string[] = [];
    const { createLogger } = await import("../../src/index.js");
    const server = new NatsServer({ ...options, host: "127.0.0.1", port: 0 }, { logger: createLogger({ write: (l) => lines.push(l) }) });
    await server.start();
    await server.shutdown();
    expect(lines.filter((l) => l.includes("[WRN]"))).toHaveLength(2);
    expect(lines.some((l) => l.includes('"cluster" block'))).toBe(true);
  });

  test("invalid option values are rejected with readable errors", () => {
    expect(() => resolveOptions({ port: 70000 })).toThrow(/invalid option port/);
    expect(() => resolveOptions({ authorization: { token: "a", user: "b" } })).toThrow(/token and a user/);
  });
});
