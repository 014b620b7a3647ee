// Raw NATS client protocol for the load generator: pre-built frames and a connection that
// counts MSG frames without parsing them. No client library, nothing allocated per message.
import { connect as tcpConnect } from "node:net";

const CRLF = "\r\n";
const M = 0x4d; // first byte of "MSG"
const LF = 0x0a;

/**
 * One PUB frame, `PUB <subject> [reply] <size>\r\n<payload>\r\n`.
 * @example
 * pubFrame("bench.a", 16) // <Buffer "PUB bench.a 16\r\n" + 16 bytes + "\r\n">
 * @param {string} subject
 * @param {number} size  payload bytes
 * @param {string} [reply]
 */
export function pubFrame(subject, size, reply) {
  const head = `PUB ${subject}${reply ? ` ${reply}` : ""} ${size}${CRLF}`;
  return Buffer.concat([Buffer.from(head), Buffer.alloc(size, "x"), Buffer.from(CRLF)]);
}

/**
 * The frame repeated until the result is at least `minBytes` long: one socket write carries
 * many messages.
 * @param {Buffer} frame
 * @param {number} minBytes
 * @returns {{ buffer: Buffer, frames: number }}
 */
export function repeatFrame(frame, minBytes) {
  const frames = Math.max(1, Math.ceil(minBytes / frame.length));
  return { buffer: Buffer.concat(Array.from({ length: frames }, () => frame)), frames };
}

/**
 * Counts MSG frames in a byte stream whose MSG frames all have the same length (one
 * subject, one sid, one payload size per connection). The length is learned from the first
 * MSG's control line; later frames are skipped by length and checked by their first and
 * last byte. Control lines (INFO, PING, PONG, +OK, -ERR) are parsed as lines.
 */
export class FrameCounter {
  /**
   * @param {(line: string) => void} onControl  called with each non-MSG line, without CRLF
   */
  constructor(onControl) {
    this.onControl = onControl;
    /** Messages counted so far. */
    this.msgs = 0;
    /** Length of one whole MSG frame once learned, else 0. */
    this.frameLength = 0;
    /** Bytes of the current MSG frame still to skip (they are in a later chunk). */
    this.skip = 0;
    /** @type {Buffer[]} a control line split across chunks */
    this.partial = [];
  }

  /**
   * Consumes one chunk; returns how many MSG frames completed in it.
   * @param {Buffer} chunk
   */
  feed(chunk) {
    const before = this.msgs;
    let pos = 0;
    const end = chunk.length;
    if (this.skip > 0) {
      const n = Math.min(this.skip, end);
      this.skip -= n;
      pos = n;
      if (this.skip === 0) this.msgs++;
    }
    while (pos < end) {
      if (this.partial.length === 0 && chunk[pos] === M && this.frameLength > 0) {
        const frameEnd = pos + this.frameLength;
        if (frameEnd <= end) {
          if (chunk[frameEnd - 1] !== LF) throw new Error("MSG frames differ in length: the stream lost sync");
          this.msgs++;
          pos = frameEnd;
        } else {
          this.skip = frameEnd - end;
          pos = end;
        }
        continue;
      }
      const lf = chunk.indexOf(LF, pos);
      if (lf < 0) {
        this.partial.push(chunk.subarray(pos));
        break;
      }
      const piece = chunk.subarray(pos, lf + 1);
      const line = this.partial.length > 0 ? Buffer.concat([...this.partial, piece]) : piece;
      this.partial = [];
      pos = lf + 1;
      if (line[0] === M) {
        // First MSG: learn the frame length from "MSG <subject> <sid> [reply] <size>\r\n".
        const text = line.toString("latin1").trimEnd();
        const size = Number(text.slice(text.lastIndexOf(" ") + 1));
        if (!Number.isInteger(size)) throw new Error(`bad MSG line: ${text}`);
        this.frameLength = line.length + size + 2;
        const rest = size + 2;
        const n = Math.min(rest, end - pos);
        pos += n;
        if (n === rest) this.msgs++;
        else this.skip = rest - n;
        continue;
      }
      this.onControl(line.toString("latin1").trimEnd());
    }
    return this.msgs - before;
  }
}

/**
 * @typedef {object} ConnectOptions
 * @property {string} host
 * @property {number} port
 * @property {string} [name]
 */

/**
 * A raw client connection: handshake, PING/PONG round trips, and a MSG counter.
 * @example
 * const c = await RawConnection.open({ host: "127.0.0.1", port });
 * c.socket.write(pubFrame("a", 16)); await c.flush(); c.close();
 */
export class RawConnection {
  /** @param {import("node:net").Socket} socket */
  constructor(socket) {
    this.socket = socket;
    /** @type {{ resolve: () => void, reject: (e: Error) => void }[]} */
    this.pongWaiters = [];
    /** @type {Error | undefined} */
    this.error = undefined;
    /** @type {string} INFO JSON sent by the server */
    this.info = "";
    /** @type {(count: number) => void} called after each chunk that held MSG frames */
    this.onMsgs = () => {};
    this.counter = new FrameCounter((line) => this.control(line));
    socket.setNoDelay(true);
    socket.on("data", (chunk) => {
      let n;
      try {
        n = this.counter.feed(chunk);
      } catch (err) {
        this.fail(/** @type {Error} */ (err));
        socket.destroy();
        return;
      }
      if (n > 0) this.onMsgs(n);
    });
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.fail(new Error("connection closed by the server")));
  }

  /**
   * Connects and completes the handshake: INFO, CONNECT, PING, PONG.
   * @param {ConnectOptions} options
   * @returns {Promise<RawConnection>}
   */
  static async open({ host, port, name = "bench" }) {
    const socket = tcpConnect({ host, port });
    const conn = new RawConnection(socket);
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const connect = { verbose: false, pedantic: false, echo: false, headers: false, protocol: 1, name, lang: "raw", version: "0" };
    socket.write(`CONNECT ${JSON.stringify(connect)}${CRLF}`);
    await conn.flush();
    return conn;
  }

  /** @param {string} line */
  control(line) {
    if (line === "PING") this.socket.write(`PONG${CRLF}`);
    else if (line === "PONG") this.pongWaiters.shift()?.resolve();
    else if (line.startsWith("INFO ")) this.info = line.slice(5);
    else if (line.startsWith("-ERR")) this.fail(new Error(`server said ${line}`));
  }

  /** @param {Error} err */
  fail(err) {
    this.error ??= err;
    for (const w of this.pongWaiters.splice(0)) w.reject(this.error);
  }

  /**
   * Resolves when the server has processed everything sent before (its PONG arrived).
   * @returns {Promise<void>}
   */
  flush() {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      this.pongWaiters.push({ resolve, reject });
      this.socket.write(`PING${CRLF}`);
    });
  }

  /**
   * Subscribes and waits until the server has registered the subscription.
   * @param {string} subject
   * @param {number} sid
   */
  async subscribe(subject, sid) {
    this.socket.write(`SUB ${subject} ${sid}${CRLF}`);
    await this.flush();
  }

  close() {
    this.error ??= new Error("closed");
    this.socket.destroy();
  }
}
