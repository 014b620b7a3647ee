/**
 * The Go nats-server as an oracle: for each input, what Go answers (its -ERR lines, and
 * whether it closes the connection) must be what our parser's outcome implies
 * (a clientVisible error's text, then a close; a silent error, then a close; no error,
 * the connection stays up). Runs against `nats-server` on PATH or NATS_SERVER_BIN;
 * .ci/run installs it.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MsgHeaders, decodeHeaders, encodeConnect, encodeHeaders, encodeHpub, encodePub, encodeSub } from "../src/index.js";
import { recordingClientParser, recordingServerParser } from "./recorder.js";

const LIMITS = { maxControlLine: 64, maxPayload: 1024 };

function findGoServer(): string | undefined {
  const candidates = [process.env.NATS_SERVER_BIN, "nats-server"].filter((c): c is string => !!c);
  for (const bin of candidates) {
    try {
      execFileSync(bin, ["--version"], { stdio: "ignore" });
      return bin;
    } catch {
      // not installed under that name
    }
  }
  return undefined;
}

type Outcome = { errs: string[]; closed: boolean };

/** What Go sent back for `input` (+OK lines dropped: Go is verbose until CONNECT says otherwise). */
function askGo(port: number, input: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let data = "";
    let sent = false;
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      const lines = data.split("\r\n").filter((l) => l.startsWith("-ERR"));
      resolve({ errs: lines, closed });
    };
    // A connection still open after PONG (or after this long) was not closed by Go.
    const timer = setTimeout(() => finish(false), 3000);
    socket.on("data", (d) => {
      data += d.toString("latin1");
      if (!sent && data.includes("\r\n")) {
        sent = true;
        data = "";
        socket.write(Buffer.from(input + "PING\r\n", "latin1"));
      } else if (sent && data.includes("PONG\r\n")) {
        finish(false);
      }
    });
    socket.on("close", () => finish(true));
    socket.on("error", (e) => (sent ? undefined : reject(e)));
  });
}

/** What our parser's result says Go should have done. */
function predict(input: string): Outcome {
  const { parser, ops, errors } = recordingClientParser(LIMITS);
  parser.parse(Buffer.from(input + "PING\r\n", "latin1"));
  // -ERR from a client is not a parse error, but Go closes the connection on it (onErr's contract).
  if (ops.some((op) => op[0] === "-ERR")) return { errs: [], closed: true };
  if (errors.length === 0) return { errs: [], closed: false };
  const err = errors[0];
  return { errs: err.clientVisible ? [`-ERR '${err.message}'`] : [], closed: true };
}

const inputs = [
  // valid
  'CONNECT {"verbose":false}\r\n', "CONNECT{}\r\n", "CONNECT null\r\n", "PUB foo 2\r\nok\r\n", "pub\tfoo\t\tbar 0\r\n\r\n",
  "SUB foo 1\r\nUNSUB 1 x\r\n", "SUB foo q 1\r\nUNSUB 1 5\r\n", "PING junk\r\n", "+OK\r\n", "INFO {}\r\n", "PONG\r\n",
  `PUB foo 1024\r\n${"x".repeat(1024)}\r\n`, `SUB ${"a".repeat(62)} 1\r\n`,
  // errors
  "xxx", "Px", "PIx", "PINx", " PING", "POx", "PONx", "+x", "+Ox", "-x", "-Ex", "-ERx", "-ERRx",
  "Cx", "COx", "CONx", "CONNx", "CONNEx", "CONNECx", "CONNECT \r\n", "CONNECT {\r\n", "CONNECT [1]\r\n",
  "PUx", "PUB foo\r\n", "PUB  \r\n", "PUB foo bar       \r\n", "PUB foo 2\r\nok \r\n", "PUB foo 2\r\nok\r \n",
  "Sx", "SUx", "SUB\r\n", "SUB  \r\n", "SUB foo\r\n", "SUB foo bar baz 22\r\n",
  "Ux", "UNx", "UNSx", "UNSUx", "UNSUBx", "UNSUBUNSUB 1\r\n", "UNSUB_2\r\n", "UNSUB\r\n", "UNSUB \r\n", "UNSUB 1 2 3\r\n",
  "Ix", "INx", "INFx", "INFO  \r\n", "INFO [1]\r\n", "-ERR 'oops'\r\n", "\r\n", "MSG foo 1 2\r\nhi\r\n", "RS+ foo\r\n",
  "PUB foo 1025\r\n", "PUB foo 99999999999\r\n", `SUB ${"a".repeat(63)} 1\r\n`, `PUB ${"a".repeat(100)}`,
  "PUB foo 2\r\nokX\r\n", "PUB foo.bar 11\r\nhello world hello world\r\n",
];

const goServer = findGoServer();

describe.skipIf(!goServer)("Go nats-server oracle (runs when nats-server is on PATH or in NATS_SERVER_BIN)", () => {
  let proc: ChildProcess | undefined;
  let dir = "";
  let port = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wire-oracle-"));
    const conf = join(dir, "server.conf");
    writeFileSync(conf, `host: 127.0.0.1\nport: -1\nmax_control_line: ${LIMITS.maxControlLine}\nmax_payload: ${LIMITS.maxPayload}\nports_file_dir: "${dir}"\n`);
    proc = spawn(goServer!, ["-c", conf], { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (port === 0 && Date.now() < deadline) {
      const portsFile = readdirSync(dir).find((f) => f.endsWith(".ports"));
      if (portsFile) {
        try {
          port = Number(new URL(JSON.parse(readFileSync(join(dir, portsFile), "utf8")).nats[0]).port);
        } catch {
          // written but not complete yet
        }
      }
      if (port === 0) await new Promise((r) => setTimeout(r, 50));
    }
    if (port === 0) throw new Error("Go nats-server did not start");
  });

  afterAll(() => {
    proc?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("what Go sends a client (INFO, MSG, HMSG, no-responders status, PONG) parses as expected", async () => {
    const { parser, ops } = recordingServerParser();
    const headers = encodeHeaders(new MsgHeaders().append("X-Tag", "a").append("X-Tag", "b"));
    const socket = net.connect(port, "127.0.0.1");
    socket.on("data", (chunk) => parser.parse(chunk));
    const request = Buffer.concat([
      // Short enough for the 64-byte max_control_line this server runs with.
      Buffer.from(encodeConnect({ verbose: false, headers: true, no_responders: true })),
      Buffer.from(encodeSub("foo.*", undefined, "1")),
      Buffer.from(encodeSub("_INBOX.me", undefined, "2")),
      encodePub("foo.bar", "reply.to", Buffer.from("hello")),
      encodeHpub("foo.baz", undefined, headers, Buffer.from("hi")),
      encodePub("nobody.home", "_INBOX.me", Buffer.alloc(0)),
      Buffer.from("PING\r\n"),
    ]);
    socket.write(request);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (ops.some((op) => op[0] === "PONG" || op[0] === "-ERR")) done();
      }, 10);
      const done = (): void => {
        clearInterval(check);
        resolve();
      };
      socket.on("close", done);
    });
    socket.destroy();
    expect(ops[0][0]).toBe("INFO");
    expect(JSON.parse(ops[0][1] as string)).toMatchObject({ headers: true, max_payload: LIMITS.maxPayload });
    expect(ops.slice(1)).toEqual([
      ["MSG", "foo.bar", "1", "reply.to", "hello"],
      ["HMSG", "foo.baz", "1", undefined, headers.length, headers.toString("latin1") + "hi"],
      ["HMSG", "_INBOX.me", "2", undefined, expect.any(Number), expect.any(String)],
      ["PONG"],
    ]);
    const [, , , , headerSize, msg] = ops[3] as [string, string, string, undefined, number, string];
    const status = decodeHeaders(Buffer.from(msg, "latin1").subarray(0, headerSize));
    expect(status.status).toBe(503);
  });

  test("same -ERR text and same close decision for valid and malformed inputs", async () => {
    const answers = await Promise.all(inputs.map((input) => askGo(port, input)));
    inputs.forEach((input, k) => expect(answers[k], JSON.stringify(input)).toEqual(predict(input)));
  });
});
