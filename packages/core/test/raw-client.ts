import { connect as netConnect, type Socket } from "node:net";

/** A bare TCP client for protocol-level tests: send raw bytes, wait for text to show up. */
export class RawClient {
  received = "";
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on("data", (d) => {
      this.received += d.toString("latin1");
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ port, host }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  /** Resolves when `pattern` appears in what was received (or the connection closed, if asked). */
  async waitFor(pattern: string | RegExp, timeoutMs = 5000): Promise<string> {
    const matches = () => (typeof pattern === "string" ? this.received.includes(pattern) : pattern.test(this.received));
    const deadline = Date.now() + timeoutMs;
    while (!matches()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got: ${this.received.slice(-500)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.received;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("connection did not close");
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
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
