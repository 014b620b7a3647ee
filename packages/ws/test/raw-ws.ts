import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { constants as zlibConstants, deflateRawSync, inflateRawSync } from "node:zlib";

/** A frame the server sent. */
export interface Frame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
  raw: Buffer;
}

/** Encodes one client frame; `mask: false` makes the unmasked frames RFC 6455 forbids clients to send. */
export function frame(opcode: number, payload: Buffer | string, o: { fin?: boolean; mask?: boolean; rsv?: number } = {}): Buffer {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const mask = o.mask !== false;
  const b0 = (o.fin === false ? 0 : 0x80) | ((o.rsv ?? 0) << 4) | opcode;
  const len = data.length;
  const head = len < 126 ? Buffer.from([b0, len]) : len < 65536 ? Buffer.from([b0, 126, len >> 8, len & 255]) : Buffer.alloc(10);
  if (len >= 65536) {
    head[0] = b0;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!mask) return Buffer.concat([head, data]);
  head[1] |= 0x80;
  const key = randomBytes(4);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i] ^= key[i & 3];
  return Buffer.concat([head, key, masked]);
}

/** A client speaking WebSocket by hand, to send what real clients never would. */
export class RawWsClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  /** The upgrade response's status line and headers (lower-case names). */
  status = 0;
  headers: Record<string, string> = {};

  private constructor(private readonly socket: Socket) {
    socket.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  /** Opens a TCP connection and sends `request` (or a valid upgrade request with `extra` headers). */
  static async open(port: number, extra: Record<string, string> = {}, request?: string): Promise<RawWsClient> {
    const socket = connect({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const c = new RawWsClient(socket);
    const headers = {
      Host: `127.0.0.1:${port}`,
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
      "Sec-WebSocket-Version": "13",
      ...extra,
    };
    const lines = Object.entries(headers)
      .filter(([, v]) => v !== "")
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    socket.write(request ?? `GET / HTTP/1.1\r\n${lines}\r\n`);
    await c.readResponseHead();
    return c;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async until(ready: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ready()) {
      if (this.closed || Date.now() > deadline) return;
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  private async readResponseHead(): Promise<void> {
    await this.until(() => this.buf.includes("\r\n\r\n"));
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const [statusLine, ...lines] = this.buf.subarray(0, end).toString("latin1").split("\r\n");
    this.status = Number(statusLine.split(" ")[1]);
    for (const l of lines) {
      const i = l.indexOf(":");
      this.headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    this.buf = this.buf.subarray(end + 4);
  }

  /** What followed the response head (an error response's body). */
  async body(): Promise<string> {
    await this.until(() => this.closed);
    return this.buf.toString();
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }

  /** Sends NATS protocol text in one masked binary frame. */
  send(text: string): void {
    this.write(frame(2, text));
  }

  /** The next frame from the server, or undefined if the connection closed first. */
  async next(ms = 3000): Promise<Frame | undefined> {
    await this.until(() => this.frameLength() !== undefined, ms);
    const n = this.frameLength();
    if (n === undefined) return undefined;
    const b0 = this.buf[0];
    const b1 = this.buf[1] & 0x7f;
    const off = b1 < 126 ? 2 : b1 === 126 ? 4 : 10;
    const rsv1 = (b0 & 0x40) !== 0;
    const body = Buffer.from(this.buf.subarray(off, n));
    // Compressed messages are read inflated; `raw` keeps the bytes as sent.
    const f = { fin: (b0 & 0x80) !== 0, rsv1, opcode: b0 & 0x0f, payload: rsv1 ? inflate(body) : body, raw: body };
    this.buf = this.buf.subarray(n);
    return f;
  }

  /** Reads data frames until their text contains `what`; returns all the text read. */
  async readUntil(what: string, ms = 3000): Promise<string> {
    let text = "";
    const deadline = Date.now() + ms;
    while (!text.includes(what) && Date.now() < deadline) {
      const f = await this.next(deadline - Date.now());
      if (f === undefined) break;
      if (f.opcode === 1 || f.opcode === 2 || f.opcode === 0) text += f.payload.toString("latin1");
    }
    return text;
  }

  /** Reads frames until a close frame; returns its code and reason. */
  async closeFrame(ms = 3000): Promise<{ code: number; reason: string } | undefined> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const f = await this.next(deadline - Date.now());
      if (f === undefined) return undefined;
      if (f.opcode === 8) {
        return f.payload.length >= 2 ? { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString() } : { code: 1005, reason: "" };
      }
    }
    return undefined;
  }

  async waitClosed(ms = 3000): Promise<boolean> {
    await this.until(() => this.closed, ms);
    return this.closed;
  }

  private frameLength(): number | undefined {
    const b = this.buf;
    if (b.length < 2) return undefined;
    const l = b[1] & 0x7f;
    const off = l < 126 ? 2 : l === 126 ? 4 : 10;
    if (b.length < off) return undefined;
    const len = l < 126 ? l : l === 126 ? b.readUInt16BE(2) : Number(b.readBigUInt64BE(2));
    return b.length >= off + len ? off + len : undefined;
  }

  /** Stops reading from the socket (a client that does not keep up). */
  pause(): void {
    this.socket.pause();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** permessage-deflate payload for `data` (RFC 7692 7.2.1: sync flush, without the 00 00 ff ff tail). */
export function deflate(data: Buffer | string): Buffer {
  const out = deflateRawSync(Buffer.isBuffer(data) ? data : Buffer.from(data), { finishFlush: zlibConstants.Z_SYNC_FLUSH, level: 1 });
  return out.subarray(0, out.length - 4);
}

/** Inflates a compressed message the server sent. */
export function inflate(payload: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
}
