// Variables: the Go server's opts_test.go variable/env tests, checked at the
// conf level (the options layer only copies `port` out of the parsed map), and
// the scoping and environment rules around them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { ConfError, type ConfMap, confKeyUsedAsVariable, loadConfFile, parseConf } from "../../src/conf/index.js";

const dir = mkdtempSync(join(tmpdir(), "nats-conf-vars-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfError);
    return (err as ConfError).reason;
  }
  throw new Error("expected a ConfError");
}

describe("variables in opts_test.go", () => {
  test("TestVarReferencesVar: a chain of file variables", () => {
    const conf = parseConf("\n\t\tA: 7890\n\t\tB: $A\n\t\tC: $B\n\t\tport: $C\n\t", { env: {} });
    expect(conf.port).toBe(7890);
  });

  test("TestVarReferencesEnvVar: file variables ending at an environment variable", () => {
    const text = "\n\t\tA: $_TEST_ENV_NATS_PORT_\n\t\tB: $A\n\t\tC: $B\n\t\tport: $C\n\t";
    expect(parseConf(text, { env: { _TEST_ENV_NATS_PORT_: "7890" } }).port).toBe(7890);
  });

  test("TestVarReferencesSelf: a variable cannot reference itself", () => {
    expect(reasonOf(() => parseConf("A: $A", { env: {} }))).toContain(
      "variable reference for 'A' on line 1 can not be found",
    );
  });

  test("TestEnvVarReferencesVar: an environment value cannot see file variables", () => {
    const text = "\n\t\tP: 8080\n\t\tport: $_TEST_ENV_NATS_PORT_\n\t";
    expect(reasonOf(() => parseConf(text, { env: { _TEST_ENV_NATS_PORT_: "$P" } }))).toContain(
      "variable reference for 'P' on line 1 can not be found",
    );
  });

  test("TestEnvVarReferencesEnvVar: environment values can reference environment variables", () => {
    const env = { _TEST_ENV_A_: "$_TEST_ENV_B_", _TEST_ENV_B_: "$_TEST_ENV_C_", _TEST_ENV_C_: "7890" };
    expect(parseConf("\n\t\tport: $_TEST_ENV_A_\n\t", { env }).port).toBe(7890);
  });

  test("TestEnvVarReferencesSelf: an environment variable referencing itself is a cycle", () => {
    const reason = reasonOf(() => parseConf("\n\t\tTEST: $_TEST_ENV_\n\t", { env: { _TEST_ENV_: "$_TEST_ENV_" } }));
    expect(reason).toContain("variable reference cycle");
    expect(reason).toBe(
      "variable reference for '_TEST_ENV_' on line 2 could not be parsed: " +
        "variable reference for '_TEST_ENV_' on line 1 could not be parsed: variable reference cycle for '_TEST_ENV_'",
    );
  });

  test("TestEnvVarReferencesSelfCycle: a cycle through three environment variables", () => {
    const env = { _TEST_ENV_A_: "$_TEST_ENV_B_", _TEST_ENV_B_: "$_TEST_ENV_C_", _TEST_ENV_C_: "$_TEST_ENV_A_" };
    expect(reasonOf(() => parseConf("\n\t\tTEST: $_TEST_ENV_A_\n\t", { env }))).toContain("variable reference cycle");
  });

  test("TestEnvVarInclude: an environment value cannot include a file", () => {
    expect(reasonOf(() => parseConf("\n\t\tTEST: $_TEST_ENV_A_\n\t", { env: { _TEST_ENV_A_: "include x" } }))).toContain(
      "Expected a top-level value to end with a new line, comment or EOF",
    );
  });

  test("TestEnvVarFromIncludedFile: an included file's variable resolved from the environment", () => {
    writeFileSync(join(dir, "port.conf"), "\n\t\tTEST_PORT: $_TEST_ENV_PORT_A_\n\t");
    const main = join(dir, "conf-main");
    writeFileSync(main, '\n\t\tinclude "./port.conf"\n\t\tport: $TEST_PORT\n\t');
    const env = { _TEST_ENV_PORT_A_: "$_TEST_ENV_PORT_B_", _TEST_ENV_PORT_B_: "7890" };
    expect(loadConfFile(main, { env }).port).toBe(7890);
  });
});

describe("variable scoping", () => {
  test("a variable must be defined before it is used", () => {
    expect(reasonOf(() => parseConf("a = $b\nb = 1", { env: {} }))).toBe(
      "variable reference for 'b' on line 1 can not be found",
    );
  });

  test("inner maps see enclosing maps' variables, siblings do not", () => {
    const conf = parseConf("x = 1\nm { y = 2; n { a = $x, b = $y } }", { env: {} });
    expect(conf.m).toEqual({ y: 2, n: { a: 1, b: 2 } });
    expect(reasonOf(() => parseConf("m { y = 2 }\nb = $y", { env: {} }))).toContain("'y' on line 2 can not be found");
  });

  test("arrays are not scopes: variables come from the maps around them", () => {
    expect(parseConf("p = 1\nlist = [ $p, { q = $p } ]", { env: {} }).list).toEqual([1, { q: 1 }]);
  });

  test("a map variable is substituted whole", () => {
    const conf = parseConf("USERS = [ { user: a } ]\nauthorization { users = $USERS }", { env: {} });
    expect(conf.authorization).toEqual({ users: [{ user: "a" }] });
  });

  test("file variables shadow the environment", () => {
    expect(parseConf("HOME = here\nx = $HOME", { env: { HOME: "/root" } }).x).toBe("here");
  });

  test("environment values are typed like config values", () => {
    const env = { N: "1k", F: "0.5", B: "off", M: "{ a: 1 }", L: "[1, 2 ]", S: "hello world", E: "" };
    const conf = parseConf("n=$N\nf=$F\nb=$B\nm=$M\nl=$L\ne=$E", { env });
    expect(conf).toEqual({ n: 1000, f: 0.5, b: false, m: { a: 1 }, l: [1, 2], e: "" });
    expect(reasonOf(() => parseConf("s=$S", { env }))).toBe(
      "variable reference for 'S' on line 1 could not be parsed: " +
        "Expected a top-level value to end with a new line, comment or EOF, but got 'w' instead.",
    );
  });

  describe("process.env is the default environment", () => {
    const name = "__NATS_TS_CONF_TEST_VAR__";
    afterEach(() => {
      delete process.env[name];
    });
    test("read when no env option is given", () => {
      process.env[name] = "4222";
      expect(parseConf(`port: $${name}`).port).toBe(4222);
      expect(reasonOf(() => parseConf(`port: $${name}`, { env: {} }))).toContain("can not be found");
    });
  });

  test("variables defined by an include are visible after it", () => {
    const sub = join(dir, "scoped");
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, "vars.conf"), "LIMIT = 64MB\n");
    writeFileSync(join(sub, "main.conf"), "include vars.conf\njetstream { max_mem = $LIMIT }\n");
    const conf = loadConfFile(join(sub, "main.conf"), { env: {} });
    expect((conf.jetstream as ConfMap).max_mem).toBe(64 * 1024 * 1024);
  });
});

describe("keys used as variables", () => {
  test("are flagged where they are defined, so they are not reported as unknown fields", () => {
    const conf = parseConf("A = 7890\nB = 1\nm { C = 2, x = $C }\nport = $A", { env: {} });
    expect(confKeyUsedAsVariable(conf, "A")).toBe(true);
    expect(confKeyUsedAsVariable(conf, "B")).toBe(false);
    expect(confKeyUsedAsVariable(conf, "port")).toBe(false);
    expect(confKeyUsedAsVariable(conf.m as ConfMap, "C")).toBe(true);
    expect(Object.keys(conf)).toEqual(["A", "B", "m", "port"]);
  });

  test("the flag follows a key merged in by an include", () => {
    const sub = join(dir, "used");
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, "vars.conf"), "P = 1\nQ = $P\nR = 2\n");
    writeFileSync(join(sub, "main.conf"), "include vars.conf\nport = $R\n");
    const conf = loadConfFile(join(sub, "main.conf"), { env: {} });
    expect(["P", "Q", "R"].map((k) => confKeyUsedAsVariable(conf, k))).toEqual([true, false, true]);
  });
});
