import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { parseFlags } from "../src/flags.js";
import { buildOptions } from "../src/options.js";

const dir = mkdtempSync(join(tmpdir(), "nats-ts-opts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("command line and config file options", () => {
  test("TLS flags build the tls options and override the conf's tls block", () => {
    const conf = join(dir, "tls.conf");
    writeFileSync(conf, `tls { cert_file: "conf-cert.pem", key_file: "conf-key.pem", timeout: 3 }\n`);
    const { options } = buildOptions(parseFlags(["-c", conf, "--tlscert", "flag-cert.pem", "--tlsverify", "--tlscacert", "ca.pem"]));
    expect(options.tls).toEqual({ certFile: "flag-cert.pem", keyFile: "conf-key.pem", caFile: "ca.pem", timeout: 3, verify: true });
    expect(buildOptions(parseFlags(["--tls", "--tlscert", "c.pem", "--tlskey", "k.pem"])).options.tls).toEqual({ certFile: "c.pem", keyFile: "k.pem" });
    // File flags alone do not turn TLS on (Go needs --tls or --tlsverify).
    expect(buildOptions(parseFlags(["--tlscert", "c.pem"])).options.tls).toBeUndefined();
  });

  test("flags win over the config file on every (re)load, as in Go's reload of boolean flags", () => {
    const conf = join(dir, "debug.conf");
    writeFileSync(conf, `debug: false\ntrace: false\nauthorization { user: conf, password: conf }\n`);
    const cl = parseFlags(["-c", conf, "-D", "--user", "flag"]);
    const { options } = buildOptions(cl);
    expect(options.debug).toBe(true);
    expect(options.trace).toBe(false);
    expect(options.authorization).toEqual({ user: "flag", password: "conf" });
  });
});
