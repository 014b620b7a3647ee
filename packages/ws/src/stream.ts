import { Duplex } from "node:stream";
import type { WebSocket } from "ws";

/** A WebSocket close status: code (RFC 6455 7.4) and a short UTF-8 reason. */
export interface CloseStatus {
  code: number;
  reason: string;
}

export interface WebSocketStreamOptions {
  /**
   * The close frame sent when this side ends the stream; asked at that moment, so the owner of
   * the stream can say why it is closing. Defaults to 1000 (normal closure).
   */
  closeStatus?: () => CloseStatus;
  /**
   * Largest message to send; a bigger write goes out as several messages. Go sends browsers
   * messages of at most 4096 bytes, which they handle better.
   */
  maxOutboundMessage?: number;
  /** Rewrites inbound bytes until it says it is done (e.g. to patch a protocol's first line). */
  inbound?: InboundPatch;
}

/** A stateful rewrite of the first inbound bytes; dropped once `done`. */
export interface InboundPatch {
  readonly done: boolean;
  transform(chunk: Buffer): Buffer;
}

/** Control frame payloads are at most 125 bytes: Go truncates a longer reason and marks it "...". */
export function closeReason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : `${Buffer.from(text).subarray(0, 120).toString()}...`;
}

/**
 * A WebSocket as a plain byte stream, so any protocol that runs over TCP (NATS, MQTT) can run
 * over it unchanged: the payloads of binary and text messages are read as bytes, and what is
 * written goes out as binary messages, one per write batch (writes made while the previous one
 * is in flight are sent together). Ending the stream sends a close frame; the peer's close
 * frame ends it. Ping, pong, masking, fragmentation and compression stay inside the WebSocket.
 *
 * @example
 * wss.on("connection", (ws) => {
 *   const stream = new WebSocketStream(ws);
 *   stream.pipe(stream); // an echo server
 * });
 */
export class WebSocketStream extends Duplex {
  private inbound: InboundPatch | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: WebSocketStreamOptions = {},
  ) {
    super({ allowHalfOpen: false });
    this.inbound = options.inbound;
    socket.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
      let chunk = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (this.inbound !== undefined) {
        chunk = this.inbound.transform(chunk);
        if (this.inbound.done) this.inbound = undefined;
      }
      if (chunk.length > 0 && !this.push(chunk)) socket.pause();
    });
    socket.on("error", (err) => this.destroy(err));
    socket.on("close", () => {
      this.push(null);
      this.destroy();
    });
  }

  /** The underlying WebSocket (for its negotiated extensions and protocol). */
  get webSocket(): WebSocket {
    return this.socket;
  }

  override _read(): void {
    if (this.socket.isPaused) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.send(chunk, callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.send(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const status = this.options.closeStatus?.() ?? { code: 1000, reason: "" };
    if (this.socket.readyState === this.socket.OPEN) this.socket.close(status.code, closeReason(status.reason));
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const { socket } = this;
    if (socket.readyState === socket.OPEN) {
      const status = this.options.closeStatus?.() ?? { code: 1001, reason: "" };
      socket.close(status.code, closeReason(status.reason));
      // Give the close frame a moment to leave; an unanswered handshake must not hold the connection.
      setTimeout(() => socket.terminate(), 1000).unref();
    } else if (socket.readyState === socket.CLOSING) {
      // The close frame went out when the stream ended; like Go, do not wait for the peer's answer.
      socket.terminate();
    }
    callback(error);
  }

  private send(data: Buffer, callback: (error?: Error | null) => void): void {
    if (this.socket.readyState !== this.socket.OPEN) {
      callback();
      return;
    }
    const max = this.options.maxOutboundMessage ?? 0;
    if (max > 0 && data.length > max) {
      const last = data.length - ((data.length - 1) % max) - 1;
      for (let i = 0; i < last; i += max) this.socket.send(data.subarray(i, i + max), { binary: true });
      data = data.subarray(last);
    }
    this.socket.send(data, { binary: true }, (err) => callback(err ?? null));
  }
}
