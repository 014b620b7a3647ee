import type { Socket } from "node:net";

/**
 * The byte stream under an MQTT connection: a TCP socket, or a WebSocket when MQTT comes through
 * the websocket listener's `/mqtt` path. Writes between cork() and uncork() leave as one write.
 */
export interface MqttTransport {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Bytes accepted but not yet sent (for the slow consumer limit). */
  readonly pendingBytes: number;
  write(bytes: Buffer): void;
  cork(): void;
  uncork(): void;
  destroy(): void;
  onData(handler: (chunk: Buffer) => void): void;
  onClose(handler: (reason: string) => void): void;
}

export function tcpTransport(socket: Socket): MqttTransport {
  socket.setNoDelay(true);
  return {
    remoteAddress: socket.remoteAddress ?? "",
    remotePort: socket.remotePort ?? 0,
    get pendingBytes() {
      return socket.writableLength;
    },
    write: (bytes) => void socket.write(bytes),
    cork: () => socket.cork(),
    uncork: () => socket.uncork(),
    destroy: () => socket.destroy(),
    onData: (handler) => socket.on("data", handler),
    onClose: (handler) => {
      socket.on("error", () => handler("socket error"));
      socket.on("close", () => handler("client closed"));
    },
  };
}

/** The parts of a `ws` WebSocket an MQTT connection uses (structural, so this package needs no ws import). */
export interface WebSocketLike {
  readonly bufferedAmount: number;
  send(data: Buffer): void;
  close(): void;
  on(event: "message", listener: (data: Buffer | ArrayBuffer | Buffer[]) => void): unknown;
  on(event: "close" | "error", listener: () => void): unknown;
}

/** MQTT over WebSocket: binary messages carry the MQTT byte stream, each batch of writes is one message. */
export function webSocketTransport(ws: WebSocketLike, remoteAddress: string, remotePort: number): MqttTransport {
  let corked: Buffer[] | undefined;
  let corkedBytes = 0;
  return {
    remoteAddress,
    remotePort,
    get pendingBytes() {
      return ws.bufferedAmount + corkedBytes;
    },
    write(bytes) {
      if (corked === undefined) return ws.send(bytes);
      corked.push(bytes);
      corkedBytes += bytes.length;
    },
    cork() {
      corked ??= [];
    },
    uncork() {
      const batch = corked;
      corked = undefined;
      corkedBytes = 0;
      if (batch !== undefined && batch.length > 0) ws.send(batch.length === 1 ? batch[0]! : Buffer.concat(batch));
    },
    // A close handshake, so a refusing CONNACK written just before still reaches the client.
    destroy: () => ws.close(),
    onData: (handler) =>
      ws.on("message", (data) => handler(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data))),
    onClose: (handler) => {
      ws.on("error", () => handler("websocket error"));
      ws.on("close", () => handler("client closed"));
    },
  };
}
