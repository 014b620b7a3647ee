// JetStream publish: 128 B messages into a file stream, synchronously (the next publish waits
// for the previous PubAck) and asynchronously (256 publishes in flight). Each server runs with
// its default durability: nats-ts fsyncs before every PubAck, the Go server acknowledges
// before its (two-minute) background fsync.
import { connect as tcpConnect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pubFrame } from "../protocol.js";

const PAYLOAD = 128;
const WINDOW = 256;
const STALL_TIMEOUT_MS = 30_000;
const SUBJECT = "bench.js";
const ACK_INBOX = "bench.ack";

/** @type {import("../load-types.js").Load} */
export const jsPublishSync = {
  name: "js-pub-sync",
  title: "JetStream publish 128 B, 1 in flight",
  run: (ctx) => measure(ctx, 1),
};

/** @type {import("../load-types.js").Load} */
export const jsPublishAsync = {
  name: "js-pub-async",
  title: `JetStream publish 128 B, ${WINDOW} in flight`,
  run: (ctx) => measure(ctx, WINDOW),
};

/**
 * @param {import("../load-types.js").LoadContext} ctx
 * @param {number} window  publishes in flight
 * @returns {Promise<import("../load-types.js").Metric[]>}
 */
async function measure(ctx, window) {
  const storeDir = mkdtempSync(join(tmpdir(), "bench-js-"));
  try {
    const server = await ctx.startServer(["-js", "-sd", storeDir]);
    const conn = await AckConnection.open(server.host, server.port);
    try {
      await conn.request("$JS.API.STREAM.CREATE.BENCH", JSON.stringify({ name: "BENCH", subjects: [SUBJECT], storage: "file" }));
      const frame = pubFrame(SUBJECT, PAYLOAD, ACK_INBOX);
      await conn.publishFor(frame, window, ctx.warmupMs);
      const cpuBefore = server.cpuSeconds();
      const { acked, seconds } = await conn.publishFor(frame, window, ctx.durationMs);
      const cpu = server.cpuSeconds() - cpuBefore;
      return [
        { name: "msgs/s", value: acked / seconds, better: "higher" },
        { name: "msgs/CPU-s", value: acked / cpu, better: "higher" },
        { name: "server CPU %", value: (cpu / seconds) * 100, better: "lower" },
      ];
    } finally {
      conn.close();
    }
  } finally {
    rmSync(storeDir, { recursive: true, force: true });
  }
}

/**
 * A raw connection subscribed to one inbox that counts the messages arriving on it (PubAcks
 * vary in length, so frames are read by their control line, not by a fixed size).
 */
class AckConnection {
  /** @param {import("node:net").Socket} socket */
  constructor(socket) {
    this.socket = socket;
    this.pending = Buffer.alloc(0);
    this.skip = 0;
    /** @type {() => void} */
    this.onAck = () => {};
    /** @type {Error | undefined} */
    this.error = undefined;
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.feed(chunk));
    socket.on("error", (err) => (this.error ??= err));
    socket.on("close", () => (this.error ??= new Error("connection closed by the server")));
  }

  /**
   * @param {string} host
   * @param {number} port
   */
  static async open(host, port) {
    const socket = tcpConnect({ host, port });
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const conn = new AckConnection(socket);
    socket.write(`CONNECT {"verbose":false,"protocol":1,"name":"bench-js","lang":"raw","version":"0"}\r\nSUB ${ACK_INBOX} 1\r\n`);
    return conn;
  }

  /** @param {Buffer} chunk */
  feed(chunk) {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    while (pos < buf.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, buf.length - pos);
        this.skip -= n;
        pos += n;
        if (this.skip === 0) this.onAck();
        continue;
      }
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) break;
      const line = buf.toString("latin1", pos, nl).trimEnd();
      pos = nl + 1;
      if (line.startsWith("MSG ")) this.skip = Number(line.slice(line.lastIndexOf(" ") + 1)) + 2;
      else if (line === "PING") this.socket.write("PONG\r\n");
      else if (line.startsWith("-ERR")) this.error ??= new Error(`server said ${line}`);
    }
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  }

  /**
   * One request, resolved by its reply.
   * @param {string} subject
   * @param {string} body
   */
  request(subject, body) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.error ?? new Error(`no reply to ${subject}`)), STALL_TIMEOUT_MS);
      this.onAck = () => {
        clearTimeout(timer);
        resolve(undefined);
      };
      const bytes = Buffer.byteLength(body);
      this.socket.write(`PUB ${subject} ${ACK_INBOX} ${bytes}\r\n${body}\r\n`);
    });
  }

  /**
   * Publishes with up to `window` PubAcks outstanding until `durationMs` has passed, then
   * waits for the outstanding ones.
   * @param {Buffer} frame
   * @param {number} window
   * @param {number} durationMs
   * @returns {Promise<{ acked: number, seconds: number }>}
   */
  publishFor(frame, window, durationMs) {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const stopAt = start + durationMs;
      let inFlight = 0;
      let acked = 0;
      let stopping = false;
      let watchdog = setTimeout(stall, durationMs + STALL_TIMEOUT_MS);
      const self = this;
      function stall() {
        reject(self.error ?? new Error(`PubAcks stalled with ${inFlight} in flight`));
      }
      const send = (n) => {
        if (n <= 0) return;
        this.socket.write(n === 1 ? frame : Buffer.concat(Array.from({ length: n }, () => frame)));
        inFlight += n;
      };
      this.onAck = () => {
        inFlight--;
        acked++;
        if (!stopping && performance.now() >= stopAt) stopping = true;
        if (!stopping) send(window - inFlight);
        else if (inFlight === 0) {
          clearTimeout(watchdog);
          resolve({ acked, seconds: (performance.now() - start) / 1000 });
        }
      };
      send(window);
    });
  }

  close() {
    this.socket.destroy();
  }
}
