import { connect, createServer, type Server, type Socket } from "node:net";

/** Bytes that went through one proxied connection, each way. */
export interface LinkCounters {
  /** From the dialling side (a leaf, a soliciting route) to the target (the hub, the dialled server). */
  up: number;
  /** From the target back to the dialling side. */
  down: number;
}

/**
 * A loopback TCP proxy between a dialling server and its target (a leaf and its hub, two route
 * peers) that counts the bytes each way (what really
 * crossed the wire, compressed or not) and can add latency, in order, to emulate a slower
 * link (Go's createNetProxy in the compression tests).
 *
 * @example
 * const link = await LinkProxy.start(hubLeafPort);
 * // leaf remote url: nats://127.0.0.1:${link.port}
 * link.setRtt(30); // every chunk now waits 15 ms each way
 */
export class LinkProxy {
  readonly links: LinkCounters[] = [];
  private oneWayDelay = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static start(targetPort: number): Promise<LinkProxy> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const proxy = new LinkProxy(server, (server.address() as { port: number }).port, targetPort);
        server.on("connection", (s) => proxy.accept(s));
        resolve(proxy);
      });
    });
  }

  /** Round-trip time added from now on (half each way). */
  setRtt(ms: number): void {
    this.oneWayDelay = ms / 2;
  }

  /** Bytes of every connection so far, added up. */
  get total(): LinkCounters {
    return this.links.reduce((a, l) => ({ up: a.up + l.up, down: a.down + l.down }), { up: 0, down: 0 });
  }

  private accept(client: Socket): void {
    const counters: LinkCounters = { up: 0, down: 0 };
    this.links.push(counters);
    const target = connect({ host: "127.0.0.1", port: this.targetPort });
    for (const s of [client, target]) {
      this.sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        this.sockets.delete(s);
        client.destroy();
        target.destroy();
      });
    }
    this.pipe(client, target, (n) => (counters.up += n));
    this.pipe(target, client, (n) => (counters.down += n));
  }

  /** Forwards chunks in order, each after the delay in force when it arrived. */
  private pipe(from: Socket, to: Socket, count: (n: number) => void): void {
    let lastDue = 0;
    from.on("data", (chunk: Buffer) => {
      count(chunk.length);
      if (this.oneWayDelay === 0 && lastDue <= performance.now()) return void to.write(chunk);
      const due = Math.max(performance.now() + this.oneWayDelay, lastDue);
      lastDue = due;
      setTimeout(() => to.destroyed || to.write(chunk), due - performance.now());
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
