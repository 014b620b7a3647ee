import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A loopback TCP proxy a test controls, to cut a link between two servers and heal it again
 * (a network partition without network namespaces).
 *
 * @example
 * const proxy = await TcpProxy.start(routePortOfB);
 * // configure A's route to 127.0.0.1:proxy.port ... then:
 * proxy.cut();   // every connection through it drops; new ones are refused
 * proxy.heal();  // connections are accepted and forwarded again
 */
export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private open = true;
  /** Connections accepted so far, refused ones included. */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static start(targetPort: number): Promise<TcpProxy> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const proxy = new TcpProxy(server, (server.address() as { port: number }).port, targetPort);
        server.on("connection", (s) => proxy.accept(s));
        resolve(proxy);
      });
    });
  }

  /** Connections currently forwarded. */
  get connections(): number {
    return this.pairs.size;
  }

  /** Drops every forwarded connection and refuses new ones until {@link heal}. */
  cut(): void {
    this.open = false;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  heal(): void {
    this.open = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.accepted++;
    if (!this.open) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: "127.0.0.1", port: this.targetPort });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of pair) {
      s.on("error", drop);
      s.on("close", drop);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
