import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import fc from "fast-check";
import { ConnectCredentialsPatch } from "../src/index.js";
import { deflate, frame, RawWsClient } from "./raw-ws.js";
import { startWsServer, type WsServer } from "./helpers.js";

let s: WsServer;
beforeAll(async () => {
  s = await startWsServer({ compression: true, allowedOrigins: ["http://ok.example"], handshakeTimeout: 2000 }, { maxPayload: 4096 });
});
afterAll(() => s.stop());

/** Sends raw bytes on a fresh TCP connection; resolves with what came back once closed or quiet. */
function sendRaw(bytes: Buffer, quietMs = 40): Promise<Buffer> {
  return new Promise((resolve) => {
    const sock = connect({ host: "127.0.0.1", port: s.port });
    const got: Buffer[] = [];
    let timer: NodeJS.Timeout;
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(got));
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    sock.on("error", () => {});
    sock.on("close", done);
    sock.on("data", (d) => {
      got.push(d);
      arm();
    });
    sock.on("connect", () => {
      sock.write(bytes);
      arm();
    });
  });
}

/** The server still serves a well-behaved client. */
async function stillServing(): Promise<void> {
  const c = await RawWsClient.open(s.port);
  try {
    expect(c.status).toBe(101);
    c.send("CONNECT {}\r\nPING\r\n");
    expect(await c.readUntil("PONG")).toContain("PONG");
  } finally {
    c.destroy();
  }
}

const header = fc.tuple(
  fc.constantFrom("Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Origin", "Sec-WebSocket-Extensions", "Cookie", "X-Forwarded-For", "Content-Length", "Transfer-Encoding"),
  fc.oneof(
    fc.constantFrom("websocket", "Upgrade", "13", "dGhlIHNhbXBsZSBub25jZQ==", "permessage-deflate; client_max_window_bits=9", "http://ok.example", "null", "", "chunked", "5"),
    fc.string({ maxLength: 40 }).map((x) => x.replace(/[\r\n]/g, "")),
  ),
);

describe("fuzzing never crashes the server", () => {
  test("random upgrade requests get an HTTP answer or a closed connection", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "OPTIONS", "get", "BREW"),
        fc.constantFrom("/", "/mqtt", "/leafnode", "/a/b?x=1", "*", "//%00"),
        fc.constantFrom("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "FOO"),
        fc.array(header, { maxLength: 8 }),
        fc.uint8Array({ maxLength: 64 }),
        async (method, path, version, headers, trailer) => {
          const head = `${method} ${path} ${version}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`;
          const reply = await sendRaw(Buffer.concat([Buffer.from(head), Buffer.from(trailer)]));
          const text = reply.toString("latin1");
          if (text.length > 0) expect(text).toMatch(/^HTTP\/1\.1 \d{3} /);
        },
      ),
      { numRuns: 150 },
    );
    await stillServing();
  });

  const frameSpec = fc.record({
    opcode: fc.constantFrom(0, 1, 2, 8, 9, 10, 3, 11, 15),
    fin: fc.boolean(),
    mask: fc.boolean(),
    rsv: fc.constantFrom(0, 0, 0, 4, 2, 1),
    compress: fc.boolean(),
    payload: fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.constantFrom("PING\r\n", "PUB a 2\r\nhi\r\n", "SUB > 1\r\n", "CONNECT {\"verbose\":true}\r\n", "PUB a 5000\r\n", "\r\n").map((x) => Buffer.from(x)),
    ),
  });

  test("random frames after a good handshake", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frameSpec, { minLength: 1, maxLength: 6 }), fc.nat(40), async (specs, cut) => {
        const c = await RawWsClient.open(s.port, { "Sec-WebSocket-Extensions": "permessage-deflate" });
        try {
          const bytes = Buffer.concat(
            specs.map((f) => frame(f.opcode, f.compress ? deflate(f.payload) : f.payload, { fin: f.fin, mask: f.mask, rsv: f.compress ? 4 | f.rsv : f.rsv })),
          );
          // Sometimes stop in the middle of a frame.
          c.write(cut > 0 && cut < bytes.length ? bytes.subarray(0, bytes.length - cut) : bytes);
          await c.next(30);
        } finally {
          c.destroy();
        }
      }),
      { numRuns: 150 },
    );
    await stillServing();
  });

  test("random bytes after a good handshake", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (junk) => {
        const c = await RawWsClient.open(s.port);
        try {
          c.write(Buffer.from(junk));
          await c.next(20);
        } finally {
          c.destroy();
        }
      }),
      { numRuns: 100 },
    );
    await stillServing();
  });

  test("the CONNECT credentials patch gives the same bytes however the input is split", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom('CONNECT {"verbose":false}\r\nPING\r\n', 'connect {"user":""}\r\nPUB a 1\r\nx\r\n', "PING\r\nCONNECT {}\r\n", "CONNECT nope\r\n", "CONNECT [1]\r\n"),
          fc.string({ maxLength: 80 }),
        ),
        fc.array(fc.nat(80), { maxLength: 5 }),
        (input, cuts) => {
          const bytes = Buffer.from(input);
          const whole = new ConnectCredentialsPatch({ user: "u", auth_token: "t" }).transform(bytes);
          const patch = new ConnectCredentialsPatch({ user: "u", auth_token: "t" });
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const out: Buffer[] = [];
          let prev = 0;
          for (const p of [...points, bytes.length]) {
            out.push(patch.transform(bytes.subarray(prev, p)));
            prev = p;
          }
          // Without a line end both hold everything back; with one both release the same bytes.
          expect(Buffer.concat(out).toString()).toBe(whole.toString());
        },
      ),
      { numRuns: 500 },
    );
    const patched = new ConnectCredentialsPatch({ user: "u", pass: "p" }).transform(Buffer.from('CONNECT {"user":"","pass":"mine"}\r\nPING\r\n'));
    expect(patched.toString()).toBe('CONNECT {"user":"u","pass":"mine"}\r\nPING\r\n');
  });
});
