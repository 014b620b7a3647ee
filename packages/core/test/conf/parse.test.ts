// Ports of the Go server's conf/parse_test.go. Go reports positions 0-based on
// the first line of a file and 1-based after it; ConfError columns are 1-based
// everywhere, so first-line columns here are Go's plus one.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  ConfError,
  type ConfMap,
  confDigest,
  confPosition,
  loadConfFile,
  parseConf,
} from "../../src/conf/index.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const NO_ENV = {};

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A temp dir holding `nats.conf` with `main` plus the given include files; returns the conf path. */
function writeConf(main: string, includes: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "nats-conf-"));
  tempDirs.push(dir);
  for (const [name, text] of Object.entries(includes)) writeFileSync(join(dir, name), text);
  const file = join(dir, "nats.conf");
  writeFileSync(file, main);
  return file;
}

function check(text: string, expected: ConfMap, env: Record<string, string> = NO_ENV): void {
  expect(parseConf(text, { env })).toEqual(expected);
}

function confError(run: () => unknown): ConfError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfError);
    return err as ConfError;
  }
  throw new Error("expected a ConfError");
}

test("TestSimpleTopLevel: semicolon separated values of each type", () => {
  check("foo='1'; bar=2.2; baz=true; boo=22", { foo: "1", bar: 2.2, baz: true, boo: 22 });
});

test("TestBools: true, TRUE, yes and on are true", () => {
  for (const text of ["foo=true", "foo=TRUE", "foo=true", "foo=yes", "foo=on"]) check(text, { foo: true });
});

test("TestSimpleVariable: a variable defined earlier in the file", () => {
  check("\n  index = 22\n  foo = $index\n", { index: 22, foo: 22 });
});

test("TestNestedVariable: the innermost enclosing definition wins", () => {
  const text = `
  index = 22
  nest {
    index = 11
    foo = $index
  }
  bar = $index
`;
  check(text, { index: 22, nest: { index: 11, foo: 11 }, bar: 22 });
});

test("TestMissingVariable: an undefined variable is an error", () => {
  const err = confError(() => parseConf("foo=$index", { env: NO_ENV }));
  expect(err.reason.startsWith("variable reference")).toBe(true);
  expect(err.reason).toBe("variable reference for 'index' on line 1 can not be found");
});

test("TestEnvVariable: a variable from the environment is parsed as a value", () => {
  check("foo = $__UNIQ22__", { foo: 22 }, { __UNIQ22__: "22" });
});

test("TestEnvVariableString: an environment string", () => {
  check("foo = $__UNIQ22__", { foo: "xyz" }, { __UNIQ22__: "xyz" });
});

test("TestEnvVariableStringStartingWithNumber: the Go test references `$%s`, which is undefined", () => {
  const err = confError(() => parseConf("foo = $%s", { env: { __UNIQ22__: "3xyz" } }));
  expect(err.reason).toBe("variable reference for '%s' on line 1 can not be found");
});

test("TestEnvVariableStringStartingWithNumberAndSizeUnit: 3Gyz stays a string", () => {
  check("foo = $__UNIQ22__", { foo: "3Gyz" }, { __UNIQ22__: "3Gyz" });
});

test("TestEnvVariableStringStartingWithNumberUsingQuotes: quotes in the value are honoured", () => {
  check("foo = $__UNIQ22__", { foo: "3xyz" }, { __UNIQ22__: "'3xyz'" });
});

test("TestBcryptVariable: an unquoted bcrypt hash is a string, not a variable", () => {
  check("password: $2a$11$ooo", { password: "$2a$11$ooo" });
});

test("TestConvenientNumbers: size suffixes (k/m/g are 1000s, kb/ki/kib... 1024s)", () => {
  const text = `
k = 8k
kb = 4kb
ki = 3ki
kib = 4ki
m = 1m
mb = 2MB
mi = 2Mi
mib = 64MiB
g = 2g
gb = 22GB
gi = 22Gi
gib = 22GiB
tb = 22TB
ti = 22Ti
tib = 22TiB
pb = 22PB
pi = 22Pi
pib = 22PiB
`;
  check(text, {
    k: 8 * 1000,
    kb: 4 * 1024,
    ki: 3 * 1024,
    kib: 4 * 1024,
    m: 1000 * 1000,
    mb: 2 * 1024 * 1024,
    mi: 2 * 1024 * 1024,
    mib: 64 * 1024 * 1024,
    g: 2 * 1000 * 1000 * 1000,
    gb: 22 * 1024 ** 3,
    gi: 22 * 1024 ** 3,
    gib: 22 * 1024 ** 3,
    tb: 22 * 1024 ** 4,
    ti: 22 * 1024 ** 4,
    tib: 22 * 1024 ** 4,
    pb: 22 * 1024 ** 5,
    pi: 22 * 1024 ** 5,
    pib: 22 * 1024 ** 5,
  });
});

test("TestParseFileWithChecksDigestPreservesConfigKeyUsedAsVariable: a key stays after use as a variable", () => {
  const file = writeConf("\n\t\tport = 4222\n\t\tmonitor_port = $port\n\t");
  const conf = loadConfFile(file, { env: NO_ENV });
  expect(conf).toEqual({ port: 4222, monitor_port: 4222 });
  expect(confDigest(conf)).toMatch(/^sha256:[0-9a-f]{64}$/);
});

test("TestSample1: nested maps and an array", () => {
  const text = `
foo  {
  host {
    ip   = '127.0.0.1'
    port = 4242
  }
  servers = [ "a.com", "b.com", "c.com"]
}
`;
  check(text, { foo: { host: { ip: "127.0.0.1", port: 4242 }, servers: ["a.com", "b.com", "c.com"] } });
});

test("TestSample2: cluster block with both comment styles and unquoted URLs", () => {
  const text = `
cluster {
  port: 4244

  authorization {
    user: route_user
    password: top_secret
    timeout: 1
  }

  # Routes are actively solicited and connected to from this server.
  # Other servers can connect to us if they supply the correct credentials
  # in their routes definitions from above.

  // Test both styles of comments

  routes = [
    nats-route://foo:bar@apcera.me:4245
    nats-route://foo:bar@apcera.me:4246
  ]
}
`;
  check(text, {
    cluster: {
      port: 4244,
      authorization: { user: "route_user", password: "top_secret", timeout: 1 },
      routes: ["nats-route://foo:bar@apcera.me:4245", "nats-route://foo:bar@apcera.me:4246"],
    },
  });
});

test("TestSample3: quoted strings keep brackets, quotes and new lines", () => {
  const text = `
foo  {
  expr = '(true == "false")'
  text = 'This is a multi-line
text block.'
}
`;
  check(text, { foo: { expr: '(true == "false")', text: "This is a multi-line\ntext block." } });
});

test("TestSample4: an array of maps", () => {
  check('\n  array [\n    { abc: 123 }\n    { xyz: "word" }\n  ]\n', { array: [{ abc: 123 }, { xyz: "word" }] });
});

test("TestSample5: a Zulu date becomes a Date", () => {
  check("\n  now = 2016-05-04T18:53:41Z\n  gmt = false\n\n", {
    now: new Date(Date.UTC(2016, 4, 4, 18, 53, 41)),
    gmt: false,
  });
});

test("TestIncludes: nested includes relative to each including file", () => {
  const conf = loadConfFile(join(FIXTURES, "simple.conf"), { env: NO_ENV });
  const alice = "$2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q";
  const bob = "$2a$11$dZM98SpGeI7dCFFGSpt.JObQcix8YHml4TBUZoge9R1uxnMIln5ly";
  expect(conf).toEqual({
    listen: "127.0.0.1:4222",
    authorization: {
      ALICE_PASS: alice,
      BOB_PASS: bob,
      users: [
        { user: "alice", password: alice },
        { user: "bob", password: bob },
      ],
      timeout: 0.5,
    },
  });
});

test("TestIncludeVariablesWithChecks: included keys keep their own file positions", () => {
  const text = `
authorization {

  include "./includes/passwords.conf"

  CAROL_PASS: foo

  users = [
   {user: alice, password: $ALICE_PASS}
   {user: bob,   password: $BOB_PASS}
   {user: carol, password: $CAROL_PASS}
  ]
}
`;
  const file = join(FIXTURES, "variables.conf");
  const conf = parseConf(text, { file, env: NO_ENV });
  const authorization = conf.authorization as ConfMap;
  const passwords = join(FIXTURES, "includes", "passwords.conf");
  expect(authorization.ALICE_PASS).toBe("$2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q");
  expect(confPosition(authorization, "ALICE_PASS")).toEqual({ file: passwords, line: 2, column: 1 });
  expect(authorization.BOB_PASS).toBe("$2a$11$dZM98SpGeI7dCFFGSpt.JObQcix8YHml4TBUZoge9R1uxnMIln5ly");
  expect(confPosition(authorization, "BOB_PASS")).toEqual({ file: passwords, line: 3, column: 1 });
  expect(authorization.CAROL_PASS).toBe("foo");
  expect(confPosition(authorization, "CAROL_PASS")).toEqual({ file, line: 6, column: 3 });
  expect((authorization.users as ConfMap[])[2]).toEqual({ user: "carol", password: "foo" });
});

test("TestParserNoInfiniteLoop: garbage ends with Unexpected EOF", () => {
  for (const text of ["A@@Føøøø?˛ø:{øøøø˙˙", 'include "9/\ufffd']) {
    expect(confError(() => parseConf(text, { env: NO_ENV })).reason).toContain("Unexpected EOF");
  }
});

describe("TestParseWithNoValuesAreInvalid: keys without values", () => {
  const cases: [string, string, number, number][] = [
    ["invalid key without values", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, 42],
    ["invalid untrimmed key without values", "              aaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, 42],
    ["invalid untrimmed key without values", "     aaaaaaaaaaaaaaaaaaaaaaaaaaa         ", 1, 42],
    [
      "invalid keys after comments",
      `
          		# with comments and no spaces to create key values
         		# is also an invalid config.
         		aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
                        `,
      5,
      25,
    ],
    ["comma separated without values are invalid", "\n                        a,a,a,a,a,a,a,a,a,a,a\n                        ", 3, 25],
  ];
  for (const [name, text, line, column] of cases) {
    test(name, () => {
      const err = confError(() => parseConf(text, { env: NO_ENV }));
      expect(err.reason).toBe("config is invalid");
      expect([err.line, err.column]).toEqual([line, column]);
    });
  }
});

describe("TestParseWithNoValuesEmptyConfigsAreValid: empty files", () => {
  const cases: [string, string][] = [
    ["empty conf", ""],
    ["empty conf with line breaks", "\n\n\n                        "],
    ["just comments with no values", "\n  # just comments with no values\n  # is still valid.\n  "],
  ];
  for (const [name, text] of cases) test(name, () => expect(parseConf(text, { env: NO_ENV })).toEqual({}));
});

describe("TestParseWithTrailingBracketsAreValid: a stray closing brace", () => {
  const cases: [string, string, ConfMap][] = [
    ["empty conf", "{}", {}],
    ["just comments with no values", "\n  {\n  # comments in the body\n  }\n  ", {}],
    ["trailing brackets after config", "\n  accounts { users = [{}]}\n  }\n  ", { accounts: { users: [{}] } }],
    ["wrapped in brackets", "{\n  accounts { users = [{}]}\n  }\n  ", { accounts: { users: [{}] } }],
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => expect(parseConf(text, { env: NO_ENV })).toEqual(expected));
  }
});

describe("TestParseWithNoValuesIncludes: an invalid include names the include and its position", () => {
  const main = (third: string): string =>
    `# includes
			accounts {
                          foo { include 'foo.conf'}
                          ${third}
                          quux { include 'quux.conf'}
                        }
                        `;
  test("invalid quux.conf", () => {
    const file = writeConf(main('bar { users = [{user = "bar"}] }'), { "foo.conf": "", "quux.conf": "?????????????" });
    const err = confError(() => loadConfFile(file, { env: NO_ENV }));
    expect(err.reason).toContain("error parsing include file 'quux.conf', ");
    expect(err.reason).toContain("quux.conf:1:14: config is invalid");
    expect([err.file, err.line]).toEqual([file, 5]);
  });
  test("invalid bar.conf", () => {
    const file = writeConf(main("bar { include 'bar.conf'}"), {
      "foo.conf": "",
      "bar.conf": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "quux.conf": "\n  # just some comments,\n  # and no key values also ok.\n  ",
    });
    const err = confError(() => loadConfFile(file, { env: NO_ENV }));
    expect(err.reason).toContain("error parsing include file 'bar.conf', ");
    expect(err.reason).toContain("bar.conf:1:35: config is invalid");
    expect([err.file, err.line]).toEqual([file, 4]);
  });
});

describe("TestJSONParseCompat: JSON documents and JSON includes", () => {
  const cases: [string, string, Record<string, string>, ConfMap][] = [
    [
      "JSON with nested blocks",
      `
                        {
                          "http_port": 8227,
                          "port": 4227,
                          "write_deadline": "1h",
                          "cluster": {
                            "port": 6222,
                            "routes": [
                              "nats://127.0.0.1:4222",
                              "nats://127.0.0.1:4223",
                              "nats://127.0.0.1:4224"
                            ]
                          }
                        }
                        `,
      {},
      {
        http_port: 8227,
        port: 4227,
        write_deadline: "1h",
        cluster: {
          port: 6222,
          routes: ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"],
        },
      },
    ],
    [
      "JSON with nested blocks",
      `{
                          "jetstream": {
                            "store_dir": "/tmp/nats"
                            "max_mem": 1000000,
                          },
                          "port": 4222,
                          "server_name": "nats1"
                        }
                        `,
      {},
      { jetstream: { store_dir: "/tmp/nats", max_mem: 1_000_000 }, port: 4222, server_name: "nats1" },
    ],
    ["JSON empty object in one line", "{}", {}, {}],
    ["JSON empty object with line breaks", "\n  {\n  }\n  ", {}, {}],
    [
      "JSON includes",
      `
                        accounts {
                          foo  { include 'foo.json'  }
                          bar  { include 'bar.json'  }
                          quux { include 'quux.json' }
                        }
                        `,
      {
        "foo.json": '{ "users": [ {"user": "foo"} ] }',
        "bar.json": '{\n  "users": [ {"user": "bar"} ]\n}',
        "quux.json": "{}",
      },
      { accounts: { foo: { users: [{ user: "foo" }] }, bar: { users: [{ user: "bar" }] }, quux: {} } },
    ],
  ];
  for (const [name, text, includes, expected] of cases) {
    test(name, () => expect(loadConfFile(writeConf(text, includes), { env: NO_ENV })).toEqual(expected));
  }
});

describe("TestBlocks: top-level values wrapped in braces", () => {
  const cases: [string, string, ConfMap][] = [
    ["inline block", "{ listen: 0.0.0.0:4222 }", { listen: "0.0.0.0:4222" }],
    ["newline block", "{\n\t\t\t\tlisten: 0.0.0.0:4222\n\t\t\t }", { listen: "0.0.0.0:4222" }],
    [
      "newline block with trailing comment",
      "\n\t\t\t{\n\t\t\t\tlisten: 0.0.0.0:4222\n\t\t\t}\n\t\t\t# wibble\n\t\t\t",
      { listen: "0.0.0.0:4222" },
    ],
    [
      "nested newline blocks with trailing comment",
      "\n\t\t\t{\n\t\t\t\t{\n\t\t\t\t\tlisten: 0.0.0.0:4222 // random comment\n\t\t\t\t}\n\t\t\t\t# wibble1\n\t\t\t}\n\t\t\t# wibble2\n\t\t\t",
      { listen: "0.0.0.0:4222" },
    ],
    [
      "top line values in block scope",
      '\n\t\t\t{\n\t\t\t  "debug":              False\n\t\t\t  "prof_port":          8221\n\t\t\t  "server_name":        "aws-useast2-natscj1-1"\n\t\t\t}\n\t\t\t',
      { debug: false, prof_port: 8221, server_name: "aws-useast2-natscj1-1" },
    ],
    [
      "comment in block scope after value parse",
      '\n\t\t\t{\n\t\t\t  "debug":              False\n\t\t\t  "server_name":        "gcp-asianortheast3-natscj1-1"\n\n\t\t\t  # Profile port specification.\n\t\t\t  "prof_port":          8221\n\t\t\t}\n\t\t\t',
      { debug: false, prof_port: 8221, server_name: "gcp-asianortheast3-natscj1-1" },
    ],
  ];
  for (const [name, text, expected] of cases) {
    test(name, () => expect(loadConfFile(writeConf(text), { env: NO_ENV })).toEqual(expected));
  }
});

describe("TestParseDigest: the digest ignores layout, quoting, variables and includes", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["foo = bar", {}, "sha256:226e49e13d16e5e8aa0d62e58cd63361bf097d3e2b2444aa3044334628a2e8de"],
    [
      "# Comments and whitespace have no effect\n  foo = bar\n  ",
      {},
      "sha256:226e49e13d16e5e8aa0d62e58cd63361bf097d3e2b2444aa3044334628a2e8de",
    ],
    [
      "# Syntax changes have no effect\n  'foo': 'bar'\n  ",
      {},
      "sha256:226e49e13d16e5e8aa0d62e58cd63361bf097d3e2b2444aa3044334628a2e8de",
    ],
    [
      "# Syntax changes have no effect\n  { 'foo': 'bar' }\n  ",
      {},
      "sha256:226e49e13d16e5e8aa0d62e58cd63361bf097d3e2b2444aa3044334628a2e8de",
    ],
    [
      `# substitutions
  BAR_USERS = { users = [ {user = "bar"} ]}
  hello = 'world'
  accounts {
    QUUX_USERS = [ { user: quux }]
    bar = $BAR_USERS
    quux = { users = $QUUX_USERS }
  }
  very { nested { env { VAR = 'NESTED', quux = $VAR }}}
  `,
      {},
      "sha256:bddb282343249c26d3edcef9bfaa9d2711505fc67210380e871405ba394a9186",
    ],
    [
      `# substitutions, same as previous one without env vars.
  hello = 'world'
  accounts {
    bar  = { users = [ { user = "bar" } ]}
    quux = { users = [ { user: quux   } ]}
  }
  very { nested { env { quux = 'NESTED' }}}
  `,
      {},
      "sha256:34f8faf3f269fe7509edc4742f20c8c4a7ad51fe21f8b361764314b533ac3ab5",
    ],
    [
      `# substitutions
  BAR_USERS = { users = [ {user = "foo"} ]}
  bar = $BAR_USERS
  accounts {
    users = $BAR_USERS
  }
  `,
      {},
      "sha256:b0e2ba0b8ec2cb75681b5c5d61789cda0c9942c2f9fe16cdb7f6703364485360",
    ],
    [
      `# substitutions
  bar = { users = [ {user = "foo"} ]}
  accounts {
    users = { users = [ {user = "foo"} ]}
  }
  `,
      {},
      "sha256:f5d943b4ed22b80c6199203f8a7eaa8eb68ef7b2d46ef6b1b26f05e21f8beb13",
    ],
    [
      `# includes
  accounts {
    foo { include 'foo.conf'}
    bar { users = [{user = "bar"}] }
    quux { include 'quux.conf'}
  }
  `,
      { "foo.conf": ' users = [{user = "foo"}]', "quux.conf": ' users = [{user = "quux"}]' },
      "sha256:e72d70c91b64b0f880f86decb95ec2600cbdcf8bdcd2355fce5ebc54a84a77e9",
    ],
    [
      `# includes
  accounts {
    foo { include 'foo.conf'}
    bar { include 'bar.conf'}
    quux { include 'quux.conf'}
  }
  `,
      {
        "foo.conf": ' users = [{user = "foo"}]',
        "bar.conf": ' users = [{user = "bar"}]',
        "quux.conf": ' users = [{user = "quux"}]',
      },
      "sha256:e72d70c91b64b0f880f86decb95ec2600cbdcf8bdcd2355fce5ebc54a84a77e9",
    ],
  ];
  cases.forEach(([text, includes, digest], i) => {
    test(`case ${i + 1}`, () => expect(confDigest(loadConfFile(writeConf(text, includes), { env: NO_ENV }))).toBe(digest));
  });
});
