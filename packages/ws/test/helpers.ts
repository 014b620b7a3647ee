import { createLogger, NatsServer, type Logger, type ServerOptionsInput } from "@nats-ts/core";
import { wsconnect, type ConnectionOptions, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { WebSocket } from "ws";
import { websocketPlugin, type WebsocketOptions, type WebsocketPlugin } from "../src/index.js";

// Node 20 has no global WebSocket; nats.js's wsconnect expects one.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

export interface WsServer {
  server: NatsServer;
  plugin: WebsocketPlugin;
  /** ws://127.0.0.1:<port> */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A server on loopback with a plain (no TLS) WebSocket listener on a random port. */
export async function startWsServer(ws: WebsocketOptions = {}, opts: ServerOptionsInput = {}, logger?: Logger): Promise<WsServer> {
  const plugin = websocketPlugin({ host: "127.0.0.1", port: -1, noTls: true, ...ws });
  const server = new NatsServer({ host: "127.0.0.1", port: 0, ...opts }, { plugins: [plugin], logger });
  try {
    await server.start();
  } catch (e) {
    await server.shutdown();
    throw e;
  }
  return { server, plugin, url: plugin.url!, port: plugin.port, stop: () => server.shutdown() };
}

export function wsConnect(s: WsServer, opts: ConnectionOptions = {}): Promise<NatsConnection> {
  return wsconnect({ servers: s.url, reconnect: false, ...opts });
}

/** A WebSocket client that sends these request headers (cookies, origin ...). */
export function wsConnectWithHeaders(s: WsServer, headers: Record<string, string>, opts: ConnectionOptions = {}): Promise<NatsConnection> {
  return wsconnect({
    servers: s.url,
    reconnect: false,
    wsFactory: (url: string) => Promise.resolve({ socket: new WebSocket(url, { headers }), encrypted: false }),
    ...opts,
  } as ConnectionOptions);
}

export function tcpConnect(s: WsServer, opts: ConnectionOptions = {}): Promise<NatsConnection> {
  return connect({ servers: s.server.clientURL, reconnect: false, ...opts });
}

/** A debug logger whose lines (without timestamps) collect in `lines`. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: createLogger({ debug: true, logtime: false, write: (l) => lines.push(l) }) };
}

/** Waits until `cond` holds (polling), or fails after `ms`. */
export async function eventually(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
