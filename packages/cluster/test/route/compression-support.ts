import { connect, createServer, type Server, type Socket } from "node:net";
import { S2StreamReader, S2StreamWriter } from "../../src/shared/compression/index.js";

/**
 * A loopback proxy in front of a route listener that counts the bytes the target sends back and
 * can add latency (Go's test netProxy): `rtt` ms are split between the two directions, and
 * chunks keep their order when the latency changes.
 *
 * @example
 * const proxy = await LinkProxy.start(routePortOfA);
 * // B's routes: ["nats://127.0.0.1:${proxy.port}"]
 * proxy.rtt = 150;
 * proxy.fromTarget; // bytes A sent B
 */
export class LinkProxy {
  /** Round trip added to every connection through the proxy, in ms. */
  rtt = 0;
  /** Bytes forwarded back from the target (what the dialled server sent). */
  fromTarget = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(targetPort: number): Promise<LinkProxy> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const proxy = new LinkProxy(server, (server.address() as { port: number }).port);
        server.on("connection", (s) => proxy.accept(s, targetPort));
        resolve(proxy);
      });
    });
  }

  private accept(inbound: Socket, targetPort: number): void {
    const outbound = connect({ host: "127.0.0.1", port: targetPort });
    for (const s of [inbound, outbound]) {
      this.sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        this.sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    this.pipe(inbound, outbound, () => {});
    this.pipe(outbound, inbound, (n) => (this.fromTarget += n));
  }

  /** Forwards `from` to `to` after half the RTT, never reordering. */
  private pipe(from: Socket, to: Socket, count: (n: number) => void): void {
    let lastDue = 0;
    from.on("data", (chunk: Buffer) => {
      count(chunk.length);
      const due = Math.max(Date.now() + this.rtt / 2, lastDue);
      lastDue = due;
      const wait = due - Date.now();
      if (wait <= 0) to.write(chunk);
      else setTimeout(() => to.write(chunk), wait);
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A hand-driven route peer that can switch its connection to S2 as a Go 2.10+ server does:
 * reads and writes protocol text, in the clear or compressed (one S2 stream per send).
 *
 * @example
 * const peer = S2Peer.adopt(socket);
 * await peer.expect(/CONNECT (\{.*\})\r\n/);
 * peer.send(`INFO {"server_id":"X","compression":"s2_fast"}\r\n`);
 * peer.compressReads(); // what the server sends after its INFO is S2
 */
export class S2Peer {
  /** What was received, decoded. */
  private text = "";
  private reader: S2StreamReader | undefined;
  private writer: S2StreamWriter | undefined;
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static adopt(socket: Socket): S2Peer {
    return new S2Peer(socket);
  }

  static open(port: number): Promise<S2Peer> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => resolve(new S2Peer(s)));
      s.once("error", reject);
    });
  }

  private receive(chunk: Buffer): void {
    if (this.reader === undefined) this.text += chunk.toString("latin1");
    else for (const data of this.reader.push(chunk)) this.text += data.toString("latin1");
    this.wake();
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

  send(text: string): void {
    const data = Buffer.from(text, "latin1");
    this.socket.write(this.writer === undefined ? data : this.writer.frame([data]));
  }

  /** Sends bytes as they are (a corrupt stream). */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits for `re` in the decoded input, consumes up to the end of the match and returns it. */
  async expect(re: RegExp, timeout = 3000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const m = re.exec(this.text);
      if (m !== null) {
        this.text = this.text.slice(m.index + m[0].length);
        return m;
      }
      if (this.closed) throw new Error(`connection closed waiting for ${re}; received: ${JSON.stringify(this.text)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; received: ${JSON.stringify(this.text)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async expectClosed(timeout = 3000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("connection still open");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  close(): void {
    this.socket.destroy();
  }
}
