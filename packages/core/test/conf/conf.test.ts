// Behaviour of the conf parser beyond the ported Go tests: value typing as Go
// types values, includes, error positions, key positions and the unit helpers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  ConfError,
  type ConfMap,
  type ConfValue,
  confPosition,
  loadConfFile,
  parseConf,
  parseDuration,
  parseSize,
} from "../../src/conf/index.js";

const dir = mkdtempSync(join(tmpdir(), "nats-conf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(relative: string, text: string): string {
  const path = join(dir, relative);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function failure(run: () => unknown): ConfError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfError);
    return err as ConfError;
  }
  throw new Error("expected a ConfError");
}

const value = (text: string): ConfValue => parseConf(`v = ${text}\n`, { env: {} }).v;

describe("values are typed as the Go server types them", () => {
  test("key separators: colon, equals, white space", () => {
    expect(parseConf("a: 1\nb = 2\nc 3\nd\t4", { env: {} })).toEqual({ a: 1, b: 2, c: 3, d: 4 });
  });

  test("k, m, g, t, p, e are powers of 1000; kb/ki/kib and the rest powers of 1024, any case", () => {
    expect([value("1k"), value("1K"), value("2m"), value("3G"), value("1t"), value("1p"), value("1e")]).toEqual([
      1e3, 1e3, 2e6, 3e9, 1e12, 1e15, 1e18,
    ]);
    expect([value("1kb"), value("1KiB"), value("2MB"), value("1gi"), value("1TB"), value("1Pi")]).toEqual([
      1024, 1024, 2 * 1024 ** 2, 1024 ** 3, 1024 ** 4, 1024 ** 5,
    ]);
    expect(value("-1GB")).toBe(-(1024 ** 3));
  });

  test("durations stay strings, except a bare `m` suffix, which is mega", () => {
    expect([value("2s"), value("500ms"), value("1h"), value('"500ms"'), value('"1m30s"')]).toEqual([
      "2s", "500ms", "1h", "500ms", "1m30s",
    ]);
    expect(value("1m")).toBe(1_000_000);
    // Unquoted, Go lexes `1m` as an integer and then chokes on the rest.
    expect(failure(() => value("1m30s")).reason).toBe(
      "Expected a top-level value to end with a new line, comment or EOF, but got '3' instead.",
    );
  });

  test("host:port, IPs, URLs and words that start with digits are strings", () => {
    expect(value("127.0.0.1:4222")).toBe("127.0.0.1:4222");
    expect(value("0.0.0.0")).toBe("0.0.0.0");
    expect(value("localhost:-1")).toBe("localhost:-1");
    expect(value("nats://user:pass@host:4222")).toBe("nats://user:pass@host:4222");
    expect(value("3xyz")).toBe("3xyz");
    expect(value("-1")).toBe(-1);
    expect(value("1.5")).toBe(1.5);
  });

  test("booleans in any case; quoted booleans are strings", () => {
    for (const word of ["true", "YES", "On"]) expect(value(word)).toBe(true);
    for (const word of ["false", "No", "OFF"]) expect(value(word)).toBe(false);
    expect(value('"true"')).toBe("true");
  });

  test("double-quoted escapes; single quotes are verbatim", () => {
    expect(value('"a\\tb\\nc\\"d\\\\e\\x41"')).toBe('a\tb\nc"d\\eA');
    expect(value("'a\\tb'")).toBe("a\\tb");
    expect(value('"\\xc3\\xa9"')).toBe("é");
  });

  test("a block string runs to a ')' alone on its line", () => {
    expect(parseConf("text (\n  line one\n  (nested) line\n)\nnext = 1\n", { env: {} })).toEqual({
      text: "\n  line one\n  (nested) line\n",
      next: 1,
    });
  });

  test("an array's last number needs a separator before ']' (Go lexes `1]` as text)", () => {
    expect(value("[1, 2 ]")).toEqual([1, 2]);
    expect(value("[\n1\n2\n]")).toEqual([1, 2]);
    expect(failure(() => value("[1, 2]")).reason).toBe(
      `Expected an array value terminator "," or an array terminator "]", but got '\0' instead.`,
    );
  });

  test("a key named __proto__ is an ordinary key", () => {
    const conf = parseConf("__proto__ { polluted = true }", { env: {} });
    expect(Object.keys(conf)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(conf)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("CRLF line endings", () => {
    const text = "port: 4222\r\ncluster {\r\n  routes = [\r\n    nats://a:6222\r\n  ]\r\n}\r\n";
    expect(parseConf(text, { env: {} })).toEqual({ port: 4222, cluster: { routes: ["nats://a:6222"] } });
  });

  test("deep nesting parses without recursion", () => {
    const depth = 20_000;
    let node = parseConf(`v = ${"[ ".repeat(depth)}1${" ]".repeat(depth)}`, { env: {} }).v;
    let levels = 0;
    while (Array.isArray(node)) {
      node = node[0];
      levels++;
    }
    expect([levels, node]).toEqual([depth, 1]);
  });

  test("a later assignment replaces an earlier one", () => {
    expect(parseConf("a = 1\na = 2", { env: {} })).toEqual({ a: 2 });
  });
});

describe("errors carry file, line and column", () => {
  test("syntax error", () => {
    const err = failure(() => parseConf("port: 4222\ncluster {\n  routes = [a,,b]\n}\n", { file: "nats.conf" }));
    // Like Go, a lexer error points just past the character it stopped at.
    expect(err).toMatchObject({ file: "nats.conf", line: 3, column: 16 });
    expect(err.message).toBe("nats.conf:3:16: Unexpected array value terminator ','.");
    expect(err.reason).toBe("Unexpected array value terminator ','.");
  });

  test("value error points at the value", () => {
    const err = failure(() => parseConf("a = 1\n  big = 99999999999999999999", { file: "x.conf" }));
    expect(err.message).toBe("x.conf:2:9: integer '99999999999999999999' is out of the range");
  });

  test("first-line columns are 1-based", () => {
    expect(failure(() => parseConf("x = .5", { file: "f" })).message).toBe("f:1:6: Floats must start with a digit");
  });

  test("without a file the message starts at the line", () => {
    expect(failure(() => parseConf("x = .5")).message).toBe("1:6: Floats must start with a digit");
  });

  test("a missing file reports Go's open error", () => {
    const missing = join(dir, "missing.conf");
    const err = failure(() => loadConfFile(missing));
    expect(err.message).toBe(`error opening config file: open ${missing}: no such file or directory`);
    expect([err.file, err.line, err.column]).toEqual([missing, 0, 0]);
  });

  test("an impossible date", () => {
    expect(failure(() => value("2023-02-30T00:00:00Z")).reason).toBe(
      "expected Zulu formatted DateTime, but got '2023-02-30T00:00:00Z'",
    );
  });

  test("a float with non-ASCII digits", () => {
    expect(failure(() => value("1.\u0662")).reason).toBe("expected float, but got '1.\u0662'");
  });

  test("an unknown size suffix combination is rejected rather than dropped", () => {
    expect(failure(() => value("1kbi")).reason).toBe("expected integer, but got '1kbi'");
  });
});

describe("include", () => {
  test("paths resolve against the including file's directory, at any depth", () => {
    write("tree/conf/main.conf", "port: 4222\ninclude sub/accounts.conf\n");
    write("tree/conf/sub/accounts.conf", "accounts {\n  include 'users/a.conf'\n}\n");
    write("tree/conf/sub/users/a.conf", "A { users = [ { user: a, password: a } ] }\n");
    expect(loadConfFile(join(dir, "tree/conf/main.conf"))).toEqual({
      port: 4222,
      accounts: { A: { users: [{ user: "a", password: "a" }] } },
    });
  });

  test("a missing include names the file and the include's position", () => {
    const main = write("missing/main.conf", "a = 1\nm {\n  include nothere.conf\n}\n");
    const err = failure(() => loadConfFile(main));
    const target = join(dir, "missing", "nothere.conf");
    expect(err.message).toBe(
      `${main}:3:11: error parsing include file 'nothere.conf', error opening config file: open ${target}: no such file or directory`,
    );
  });

  test("an include cycle is an error, not a stack overflow", () => {
    const a = write("cycle/a.conf", "x = 1\ninclude b.conf\n");
    write("cycle/b.conf", "include 'a.conf'\n");
    const err = failure(() => loadConfFile(a));
    expect(err.reason).toContain("error parsing include file 'b.conf', ");
    expect(err.reason).toContain("include cycle detected");
  });

  test("the same file may be included twice side by side", () => {
    write("twice/common.conf", "users = [ { user: x } ]\n");
    const main = write("twice/main.conf", "a { include common.conf }\nb { include common.conf }\n");
    expect(loadConfFile(main)).toEqual({ a: { users: [{ user: "x" }] }, b: { users: [{ user: "x" }] } });
  });

  test("an absolute include path is still joined to the including file's directory, as in Go", () => {
    write("absolute/etc/extra.conf", "extra = 1\n");
    const main = write("absolute/main.conf", "include /etc/extra.conf\n");
    expect(loadConfFile(main)).toEqual({ extra: 1 });
  });

  test("`include` is a key when not followed by white space", () => {
    expect(parseConf("include: 1", { env: {} })).toEqual({ include: 1 });
  });
});

describe("confPosition", () => {
  const text = "port: 4222\ncluster {\n  name: c1\n  routes = [\n    nats://a:6222\n    { x: 1 }\n  ]\n}\n";
  const conf = parseConf(text, { file: "nats.conf", env: {} });
  const cluster = conf.cluster as ConfMap;

  test("keys of the top-level map and nested maps", () => {
    expect(confPosition(conf, "port")).toEqual({ file: "nats.conf", line: 1, column: 1 });
    expect(confPosition(conf, "cluster")).toEqual({ file: "nats.conf", line: 2, column: 1 });
    expect(confPosition(cluster, "name")).toEqual({ file: "nats.conf", line: 3, column: 3 });
    expect(confPosition(cluster, "routes")).toEqual({ file: "nats.conf", line: 4, column: 3 });
  });

  test("array elements by index", () => {
    const routes = cluster.routes as ConfValue[];
    expect(confPosition(routes, 0)).toEqual({ file: "nats.conf", line: 5, column: 5 });
    expect(confPosition(routes, 1)).toEqual({ file: "nats.conf", line: 6, column: 5 });
    expect(confPosition(routes, 2)).toBeUndefined();
  });

  test("unknown keys and foreign objects have no position", () => {
    expect(confPosition(conf, "nope")).toBeUndefined();
    expect(confPosition({ port: 1 }, "port")).toBeUndefined();
  });

  test("the position is not an enumerable part of the map", () => {
    expect(JSON.parse(JSON.stringify(conf))).toEqual(conf);
    expect(Object.keys(conf)).toEqual(["port", "cluster"]);
    expect(Object.getOwnPropertySymbols({ ...conf })).toEqual([]);
    expect(confPosition({ ...conf }, "port")).toBeUndefined();
  });
});

describe("parseDuration (Go time.ParseDuration; numbers are seconds)", () => {
  test.each([
    ["1h2m3.5s", 3_723_500],
    ["500ms", 500],
    ["2us", 0.002],
    ["2µs", 0.002],
    ["1.5h", 5_400_000],
    ["-1m", -60_000],
    ["+3s", 3000],
    ["0", 0],
    [".5s", 500],
    ["1s500ms", 1500],
    ["100ns", 0.0001],
  ])("%s", (text, ms) => expect(parseDuration(text)).toBeCloseTo(ms, 9));

  test("numbers are whole seconds", () => {
    expect(parseDuration(30)).toBe(30_000);
    expect(() => parseDuration(1.5)).toThrow('time: invalid duration "1.5"');
  });

  test.each([
    ["", 'time: invalid duration ""'],
    ["1", 'time: missing unit in duration "1"'],
    ["1x", 'time: unknown unit "x" in duration "1x"'],
    ["abc", 'time: invalid duration "abc"'],
    [".s", 'time: invalid duration ".s"'],
    ["3000000h", 'time: invalid duration "3000000h"'],
    ["-", 'time: invalid duration "-"'],
  ])("%j fails with Go's text", (text, message) => expect(() => parseDuration(text)).toThrow(message));
});

describe("parseSize (JetStream storage sizes as opts.go reads them)", () => {
  test("numbers pass through; K, M, G, T are powers of 1024", () => {
    expect([parseSize(123), parseSize(""), parseSize("1K"), parseSize("2M"), parseSize("1G"), parseSize("1T")]).toEqual([
      123, 0, 1024, 2 * 1024 ** 2, 1024 ** 3, 1024 ** 4,
    ]);
  });

  test("errors use Go's texts", () => {
    expect(() => parseSize("1X")).toThrow("sizes defined as strings must end in K, M, G, T");
    expect(() => parseSize("xK")).toThrow('strconv.ParseInt: parsing "x": invalid syntax');
    expect(() => parseSize(1.5)).toThrow("must be int64 or string");
  });
});
