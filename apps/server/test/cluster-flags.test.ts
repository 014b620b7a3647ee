import { describe, expect, test } from "vitest";
import { optionsFromConf, parseConf } from "@nats-ts/core";
import { applyClusterFlags, FlagError, parseFlags } from "../src/flags.js";

describe("cluster flags (Go's --cluster, --routes, --cluster_name ...)", () => {
  test("flags alone make a cluster {} block", () => {
    const cl = parseFlags([
      "--cluster", "nats://127.0.0.1:-1",
      "--routes", "nats://127.0.0.1:6222, nats://127.0.0.1:6223",
      "--cluster_name", "east",
      "--cluster_advertise", "10.0.0.1:6222",
      "--no_advertise",
      "--connect_retries", "5",
    ]);
    expect(applyClusterFlags({}, cl.cluster)).toEqual({
      cluster: {
        host: "127.0.0.1",
        port: -1,
        routes: ["nats://127.0.0.1:6222", "nats://127.0.0.1:6223"],
        name: "east",
        advertise: "10.0.0.1:6222",
        no_advertise: true,
        connect_retries: 5,
      },
    });
    expect(parseFlags(["--cluster_listen", "nats://0.0.0.0:6222"]).cluster).toEqual({ listen: "nats://0.0.0.0:6222" });
  });

  test("flags override the conf's cluster block and keep the rest of it (and the other blocks)", () => {
    const { options } = optionsFromConf(
      parseConf(`
        cluster {
          Listen: "127.0.0.1:4244"
          name: conf
          authorization { user: ruser, password: rpwd, timeout: 2 }
          routes: ["nats://127.0.0.1:9999"]
        }
        websocket { port: -1, no_tls: true }
      `),
    );
    const blocks = applyClusterFlags(options.blocks as Record<string, unknown>, parseFlags(["--cluster", "nats://u:p@127.0.0.1:5555", "--cluster_name", "flag"]).cluster);
    expect(blocks.websocket).toEqual({ port: -1, no_tls: true });
    expect(blocks.cluster).toEqual({
      host: "127.0.0.1",
      port: 5555,
      name: "flag",
      authorization: { timeout: 2, user: "u", password: "p" },
      routes: ["nats://127.0.0.1:9999"],
    });
    // A --cluster URL without credentials clears the conf's route user (Go's overrideCluster).
    const cleared = applyClusterFlags(options.blocks as Record<string, unknown>, parseFlags(["--cluster", "nats://127.0.0.1:5555"]).cluster);
    expect((cleared.cluster as Record<string, unknown>).authorization).toEqual({ timeout: 2 });
    // No cluster flag: blocks untouched.
    expect(applyClusterFlags(options.blocks as Record<string, unknown>, undefined)).toBe(options.blocks);
  });

  test("bad cluster flag values are refused in Go's words", () => {
    expect(() => applyClusterFlags({}, parseFlags(["--cluster", "nats://u@127.0.0.1:5555"]).cluster)).toThrow("expected cluster password to be set");
    expect(() => applyClusterFlags({}, parseFlags(["--cluster", "nats://127.0.0.1"]).cluster)).toThrow(FlagError);
    expect(() => parseFlags(["--connect_retries", "x"])).toThrow('invalid value "x" for flag -connect_retries: parse error');
  });
});
