import { connect, createServer, type Server, type Socket } from "node:net";

/** A TCP proxy the test controls, to cut routes (a partition) and let them heal. */
export class TcpProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private refusing = false;
  /** Connections accepted so far (including refused ones). */
  accepted = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((inbound) => proxy!.onConnection(inbound, targetPort));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  private onConnection(inbound: Socket, targetPort: number): void {
    this.accepted++;
    inbound.on("error", () => {});
    if (this.refusing) {
      inbound.destroy();
      return;
    }
    const outbound = connect({ host: "127.0.0.1", port: targetPort });
    outbound.on("error", () => inbound.destroy());
    inbound.on("close", () => outbound.destroy());
    outbound.on("close", () => inbound.destroy());
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const pair: [Socket, Socket] = [inbound, outbound];
    this.pairs.add(pair);
    inbound.on("close", () => this.pairs.delete(pair));
  }

  /** Cuts every connection and refuses new ones until {@link heal}. */
  cut(): void {
    this.refusing = true;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  heal(): void {
    this.refusing = false;
  }

  get connections(): number {
    return this.pairs.size;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
