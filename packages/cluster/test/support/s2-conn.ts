import { connect, type Socket } from "node:net";
import { S2StreamReader, S2StreamWriter } from "../../src/shared/compression/index.js";

/**
 * A raw route or leaf protocol connection that can switch to S2 framing mid-stream, to drive
 * the compression handshake byte by byte (as a Go 2.10+ peer): text before the switch is read
 * as is, everything after it through an S2 stream reader.
 *
 * @example
 * const c = await S2Conn.open(leafPort);
 * await c.expect(/^INFO .*\r\n/);
 * c.send(`INFO {"compression":"s2_fast"}\r\n`);
 * c.compress();
 * await c.expect(/^INFO .*\r\n/); // decoded
 */
export class S2Conn {
  private text = "";
  private reader: S2StreamReader | undefined;
  private writer: S2StreamWriter | undefined;
  private waiters: (() => void)[] = [];
  closed = false;
  readError: Error | undefined;

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  /** Drives a connection a server dialled (accepted by a test listener). */
  static adopt(socket: Socket): S2Conn {
    return new S2Conn(socket);
  }

  static open(port: number): Promise<S2Conn> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => resolve(new S2Conn(s)));
      s.once("error", reject);
    });
  }

  private receive(chunk: Buffer): void {
    if (this.reader === undefined) {
      this.text += chunk.toString("latin1");
    } else {
      try {
        for (const d of this.reader.push(chunk)) this.text += d.toString("latin1");
      } catch (e) {
        this.readError = e as Error;
      }
    }
    this.wake();
  }

  /** From now on, reads are S2 decoded and writes S2 framed (the peer sends nothing in between during the handshake). */
  compress(writer = new S2StreamWriter()): void {
    this.compressReads();
    this.writer = writer;
  }

  /**
   * What the server sends after the last line {@link expect} consumed is S2: decode it from now
   * on (bytes already received after that line are decoded too).
   */
  compressReads(): void {
    this.reader = new S2StreamReader();
    const rest = Buffer.from(this.text, "latin1");
    this.text = "";
    if (rest.length > 0) this.receive(rest);
  }

  /** Sends S2 frames from now on. */
  compressWrites(): void {
    this.writer = new S2StreamWriter();
  }

  send(text: string | Buffer): void {
    const data = typeof text === "string" ? Buffer.from(text, "latin1") : text;
    this.socket.write(this.writer === undefined ? data : this.writer.frame([data]));
  }

  /** Writes bytes as they are (a hand-made S2 stream, garbage). */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async expect(re: RegExp, timeout = 3000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const m = re.exec(this.text);
      if (m !== null) {
        this.text = this.text.slice(m.index + m[0].length);
        return m;
      }
      if (this.readError !== undefined) throw this.readError;
      if (this.closed) throw new Error(`connection closed waiting for ${re}; received: ${JSON.stringify(this.text)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; received: ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next INFO or CONNECT, parsed. */
  async json(op: "INFO" | "CONNECT"): Promise<Record<string, unknown>> {
    const m = await this.expect(new RegExp(`^${op} (\\{.*\\}) ?\\r\\n`));
    return JSON.parse(m[1]) as Record<string, unknown>;
  }

  async expectClosed(timeout = 3000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("connection still open");
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
