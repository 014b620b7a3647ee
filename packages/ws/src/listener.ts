import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsOptions } from "node:https";
import { isIP, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import { WebSocketServer, type WebSocket } from "ws";
import type { OriginChecker } from "./origin.js";
import { checkUpgradeRequest, respondError, respondErrorOnSocket, type UpgradeRejection } from "./upgrade.js";

/** Where an upgraded connection comes from. */
export interface WebSocketConnectionInfo {
  /** The client's address: the socket's, or a valid IP from X-Forwarded-For (as Go). */
  remoteAddress: string;
  remotePort: number;
  /** The certificate a TLS client presented (DER). */
  certificate?: Buffer;
  /** The upgrade request (headers, cookies, path). */
  request: IncomingMessage;
}

/** What serves the connections of one kind (NATS clients, MQTT clients ...). */
export interface WebSocketRoute {
  /** Sent as Sec-WebSocket-Protocol in the upgrade response (Go sends "mqtt" for MQTT). */
  protocol?: string;
  accept(socket: WebSocket, info: WebSocketConnectionInfo): void;
}

export interface WebSocketListenerOptions {
  host: string;
  /** 0 or -1: a random free port. */
  port: number;
  /** Serve wss:// with these (certificate, key, CA, client verification). */
  tls?: HttpsOptions;
  /** Negotiate permessage-deflate (always without context takeover, as Go). */
  compression: boolean;
  /** Largest message (after decompression) a client may send. */
  maxMessageSize: number;
  origins: OriginChecker;
  /** Milliseconds from accept to a completed upgrade, TLS included; 0 = no limit. */
  handshakeTimeout: number;
  /** Extra headers for every upgrade response. */
  headers?: Record<string, string>;
  /** Picks what serves a request that passed the upgrade checks, or refuses it. */
  route(request: IncomingMessage): WebSocketRoute | UpgradeRejection;
  /** Receives Go-style error lines (handshake failures). */
  onError(message: string): void;
}

/** Go's permessage-deflate settings: no context takeover either way, fastest level, skip tiny messages. */
const DEFLATE = {
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
  threshold: 64,
  zlibDeflateOptions: { level: 1 },
} as const;

function isRoute(r: WebSocketRoute | UpgradeRejection): r is WebSocketRoute {
  return "accept" in r;
}

const peerKey = (s: { remoteAddress?: string; remotePort?: number }) => `${s.remoteAddress}|${s.remotePort}`;

/** Go takes the first X-Forwarded-For value as the client's address when it is a plain IP. */
function forwardedFor(req: IncomingMessage): string | undefined {
  const v = req.headersDistinct["x-forwarded-for"]?.[0];
  return v !== undefined && isIP(v) !== 0 ? v : undefined;
}

/**
 * An HTTP(S) listener that upgrades requests to WebSocket connections after the Go server's
 * checks (method, headers, key, version, origin), answering refused requests with Go's status
 * codes. It knows nothing of NATS: each upgraded connection goes to the route chosen for it.
 *
 * @example
 * const listener = new WebSocketListener({ host: "127.0.0.1", port: 0, compression: true, ... });
 * const port = await listener.listen();
 */
export class WebSocketListener {
  private readonly http: HttpServer;
  private readonly wss: WebSocketServer;
  private readonly routes = new WeakMap<IncomingMessage, WebSocketRoute>();
  private readonly handshakeTimers = new Map<string, NodeJS.Timeout>();
  private readonly sockets = new Set<WebSocket>();
  private boundPort = 0;

  constructor(private readonly options: WebSocketListenerOptions) {
    const serverOptions = { requireHostHeader: false };
    this.http = options.tls !== undefined ? createHttpsServer({ ...options.tls, ...serverOptions }) : createHttpServer(serverOptions);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: options.compression ? DEFLATE : false,
      maxPayload: options.maxMessageSize,
      skipUTF8Validation: true,
      handleProtocols: () => false,
    });
    this.wss.on("headers", (headers, req) => {
      for (const [k, v] of Object.entries(options.headers ?? {})) headers.push(`${k}: ${v}`);
      const protocol = this.routes.get(req)?.protocol;
      if (protocol !== undefined) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    });
    this.http.on("connection", (socket: Socket) => this.onConnection(socket));
    this.http.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.http.on("request", (req, res) => {
      const problem = checkUpgradeRequest(req, options.origins, this.secure) ?? { status: 400, reason: "websocket upgrade not supported" };
      this.logRejection(req, problem);
      respondError(res, problem.status);
    });
    this.http.on("clientError", (_err, socket: Duplex) => socket.destroy());
    this.http.on("tlsClientError", (err: Error, socket: TLSSocket) => {
      options.onError(`websocket: http: TLS handshake error from ${socket.remoteAddress}:${socket.remotePort}: ${err.message}`);
    });
  }

  /** Whether this listener serves wss://. */
  get secure(): boolean {
    return this.options.tls !== undefined;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    const { host, port } = this.options;
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen({ host, port: port === -1 ? 0 : port }, () => {
        this.http.off("error", reject);
        const addr = this.http.address();
        this.boundPort = typeof addr === "object" && addr !== null ? addr.port : port;
        resolve(this.boundPort);
      });
    });
  }

  /** Stops accepting; connections still open after a short grace period are cut. */
  async close(): Promise<void> {
    this.http.close();
    this.http.closeAllConnections();
    for (const t of this.handshakeTimers.values()) clearTimeout(t);
    this.handshakeTimers.clear();
    const deadline = Date.now() + 500;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }

  private onConnection(socket: Socket): void {
    socket.setNoDelay(true);
    const ms = this.options.handshakeTimeout;
    if (ms <= 0) return;
    const key = peerKey(socket);
    const timer = setTimeout(() => {
      this.handshakeTimers.delete(key);
      const from = `${socket.remoteAddress}:${socket.remotePort}`;
      this.options.onError(this.secure ? `websocket: http: TLS handshake error from ${from}: i/o timeout` : `websocket: ${from} - websocket handshake error: i/o timeout`);
      socket.destroy();
    }, ms);
    timer.unref();
    this.handshakeTimers.set(key, timer);
    socket.once("close", () => {
      if (this.handshakeTimers.get(key) === timer) this.handshakeTimers.delete(key);
      clearTimeout(timer);
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => {});
    const checked = checkUpgradeRequest(req, this.options.origins, this.secure) ?? this.options.route(req);
    if (!isRoute(checked)) {
      this.logRejection(req, checked);
      respondErrorOnSocket(socket, checked.status);
      return;
    }
    if (head.length > 0) {
      this.logRejection(req, { status: 400, reason: "client sent data before handshake is complete" });
      socket.destroy();
      return;
    }
    this.routes.set(req, checked);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const key = peerKey(req.socket);
      clearTimeout(this.handshakeTimers.get(key));
      this.handshakeTimers.delete(key);
      this.sockets.add(ws);
      ws.once("close", () => this.sockets.delete(ws));
      const tls = req.socket as TLSSocket;
      const peer = this.secure ? tls.getPeerCertificate?.(false) : undefined;
      checked.accept(ws, {
        remoteAddress: forwardedFor(req) ?? req.socket.remoteAddress ?? "",
        remotePort: req.socket.remotePort ?? 0,
        certificate: peer?.raw !== undefined && peer.raw.length > 0 ? peer.raw : undefined,
        request: req,
      });
    });
  }

  private logRejection(req: IncomingMessage, problem: UpgradeRejection): void {
    const s = req.socket;
    this.options.onError(`${s.remoteAddress}:${s.remotePort} - websocket handshake error: ${problem.reason}`);
  }
}
