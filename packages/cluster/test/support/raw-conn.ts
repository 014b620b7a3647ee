import { connect, type Socket } from "node:net";

/**
 * A raw TCP connection that speaks the protocol by hand, like Go's test/test.go helpers
 * (createRouteConn, createLeafConn, sendProto, expectResult, expectNothing): a fake client,
 * route, leaf node or gateway.
 *
 * @example
 * const c = await RawConn.open(routePort);
 * const info = await c.expect(/INFO (\{.*\})\r\n/);
 */
export class RawConn {
  private buf = "";
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      this.buf += d;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(new RawConn(s)));
      s.once("error", reject);
    });
  }

  /** Adopts a socket the server under test dialled (a solicited route or leaf connection). */
  static adopt(socket: Socket): RawConn {
    return new RawConn(socket);
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Waits for `re` in what was received, consumes up to the end of the match and returns it. */
  async expect(re: RegExp, timeout = 3000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const m = re.exec(this.buf);
      if (m !== null) {
        this.buf = this.buf.slice(m.index + m[0].length);
        return m;
      }
      if (this.closed) throw new Error(`connection closed waiting for ${re}; received: ${JSON.stringify(this.buf)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; received: ${JSON.stringify(this.buf)}`);
      await this.wait(left);
    }
  }

  /** The next `count` occurrences of `re`, consumed. */
  async collect(re: RegExp, count: number, timeout = 3000): Promise<RegExpExecArray[]> {
    const out: RegExpExecArray[] = [];
    while (out.length < count) out.push(await this.expect(re, timeout));
    return out;
  }

  /** Nothing arrives for `ms` (Go's expectNothing). Returns what did arrive otherwise. */
  async nothing(ms = 150): Promise<string> {
    await new Promise((r) => setTimeout(r, ms));
    const got = this.buf;
    this.buf = "";
    return got;
  }

  /**
   * Sends `before` then PING, and returns everything received before the PONG, consumed: the
   * server processed what was sent (and an empty answer is Go's expectNothing, made deterministic).
   */
  async untilPong(before = "", timeout = 3000): Promise<string> {
    this.send(`${before}PING\r\n`);
    const m = await this.expect(/^([\s\S]*?)PONG\r\n/, timeout);
    return m[1];
  }

  /** Resolves once the server closed the connection, with what it sent and was not consumed. */
  async expectClosed(timeout = 3000): Promise<string> {
    const deadline = Date.now() + timeout;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`connection still open; received: ${JSON.stringify(this.buf)}`);
      await this.wait(left);
    }
    return this.buf;
  }

  /** What was received and not consumed yet. */
  get pending(): string {
    return this.buf;
  }

  close(): void {
    this.socket.destroy();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
