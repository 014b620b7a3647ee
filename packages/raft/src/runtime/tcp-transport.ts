import { createServer, connect, type Server, type Socket } from "node:net";
import type { Message, NodeId } from "../core/types.js";
import { CodecError, decodeMessage, encodeMessage } from "./codec.js";
import type { Transport } from "./transport.js";

export interface PeerAddress {
  host: string;
  port: number;
}

export interface TcpTransportOptions {
  id: NodeId;
  /** Where to listen; port 0 picks a free port (see `address`). */
  listen: PeerAddress;
  peers?: Record<NodeId, PeerAddress>;
  /** Frames larger than this are a protocol error and close the connection. */
  maxFrameBytes?: number;
  /** Bytes queued for one peer before new messages to it are dropped. */
  maxQueuedBytes?: number;
}

const RECONNECT_MS = 100;

/**
 * RAFT messages over TCP: one outbound connection per peer, length-prefixed binary frames,
 * writes batched per event-loop turn. A malformed frame closes that connection only.
 *
 * @example
 * const t = await TcpTransport.listen({ id: "a", listen: { host: "127.0.0.1", port: 0 } });
 * t.setPeer("b", { host: "127.0.0.1", port: 7001 });
 */
export class TcpTransport implements Transport {
  private handler: ((m: Message) => void) | null = null;
  private readonly peers = new Map<NodeId, PeerAddress>();
  private readonly outbound = new Map<NodeId, Outbound>();
  private readonly inbound = new Set<Socket>();
  private closed = false;
  /** Frames rejected as malformed (their connections were closed). */
  protocolErrors = 0;

  private constructor(
    private readonly server: Server,
    private readonly opts: Required<Omit<TcpTransportOptions, "peers">>,
  ) {}

  static async listen(opts: TcpTransportOptions): Promise<TcpTransport> {
    const server = createServer();
    const full = { maxFrameBytes: 64 * 1024 * 1024, maxQueuedBytes: 64 * 1024 * 1024, ...opts };
    const t = new TcpTransport(server, full);
    for (const [id, addr] of Object.entries(opts.peers ?? {})) t.setPeer(id, addr);
    server.on("connection", (s) => t.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.listen.port, opts.listen.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return t;
  }

  /** The bound address (useful with port 0). */
  get address(): PeerAddress {
    const a = this.server.address();
    if (!a || typeof a === "string") throw new Error("not listening");
    return { host: a.address, port: a.port };
  }

  setPeer(id: NodeId, addr: PeerAddress): void {
    this.peers.set(id, addr);
  }

  send(m: Message): void {
    if (this.closed) return;
    let out = this.outbound.get(m.to);
    if (!out) {
      const addr = this.peers.get(m.to);
      if (!addr) return;
      out = new Outbound(addr, this.opts.maxQueuedBytes);
      this.outbound.set(m.to, out);
    }
    out.enqueue(encodeMessage(m));
  }

  onMessage(handler: (m: Message) => void): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const o of this.outbound.values()) o.close();
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    socket.on("data", (chunk: Buffer) => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      let buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
      let pos = 0;
      while (buf.length - pos >= 4) {
        const len = buf.readUInt32LE(pos);
        if (len > this.opts.maxFrameBytes) return this.reject(socket, new CodecError(`frame of ${len} bytes`));
        if (buf.length - pos - 4 < len) break;
        // Copy so that decoded entries do not pin the whole read buffer.
        const frame = Buffer.from(buf.subarray(pos + 4, pos + 4 + len));
        pos += 4 + len;
        let m: Message;
        try {
          m = decodeMessage(frame);
        } catch (err) {
          return this.reject(socket, err);
        }
        this.handler?.(m);
      }
      buf = buf.subarray(pos);
      pending = buf.length > 0 ? [buf] : [];
      pendingBytes = buf.length;
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.inbound.delete(socket));
  }

  private reject(socket: Socket, err: unknown): void {
    if (!(err instanceof CodecError)) throw err;
    this.protocolErrors++;
    socket.destroy();
  }
}

/** One lazily connected, self-healing connection to a peer. */
class Outbound {
  private socket: Socket | null = null;
  private connected = false;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly addr: PeerAddress,
    private readonly maxQueuedBytes: number,
  ) {}

  enqueue(payload: Buffer): void {
    const backlog = this.queuedBytes + (this.socket?.writableLength ?? 0);
    if (this.closed || backlog + payload.length > this.maxQueuedBytes) return;
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32LE(payload.length, 0);
    this.queue.push(header, payload);
    this.queuedBytes += payload.length + 4;
    if (!this.socket && !this.retryTimer) this.connect();
    else if (this.connected && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.destroy();
  }

  private connect(): void {
    const s = connect(this.addr.port, this.addr.host);
    this.socket = s;
    s.setNoDelay(true);
    s.on("connect", () => {
      this.connected = true;
      this.flush();
    });
    s.on("error", () => s.destroy());
    s.on("close", () => {
      this.socket = null;
      this.connected = false;
      // Messages queued for a dead connection are stale by the time it returns.
      this.queue = [];
      this.queuedBytes = 0;
      if (this.closed) return;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.queue.length > 0) this.connect();
      }, RECONNECT_MS);
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.socket || !this.connected || this.queue.length === 0) return;
    const data = Buffer.concat(this.queue, this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    this.socket.write(data);
  }
}
