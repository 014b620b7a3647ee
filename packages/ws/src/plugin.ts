import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import type { ServerOptions as HttpsOptions } from "node:https";
import type { TLSSocket } from "node:tls";
import {
  describeTls,
  listenerUrls,
  planAuth,
  type Authenticator,
  type ClientConnection,
  type ConnectionEndpoint,
  type NatsServer,
  type ServerOptions,
  type ServerPlugin,
} from "@nats-ts/core";
import type { WebSocket } from "ws";
import { hasAuthOverride, websocketAuthenticator } from "./auth-override.js";
import { closeStatusFor } from "./close-status.js";
import { ConnectCredentialsPatch, cookieCredentials } from "./cookies.js";
import { WebSocketListener, type WebSocketConnectionInfo, type WebSocketRoute } from "./listener.js";
import { validateWebsocketOptions, websocketOptionsFromConf, type WebsocketOptions, type WebsocketTlsOptions } from "./options.js";
import { OriginChecker } from "./origin.js";
import { WebSocketStream } from "./stream.js";
import type { UpgradeRejection } from "./upgrade.js";

/** Go's wsFrameSizeForBrowsers: browsers cope better with messages of at most 4 KiB. */
const BROWSER_MESSAGE_SIZE = 4096;

/** Compressed messages are buffered whole: Go allows 8 max_payloads per message, at most 64 MB. */
function maxMessageSize(maxPayload: number): number {
  return Math.min(maxPayload * 8, 64 * 1024 * 1024);
}

function read(what: string, file: string | undefined, inline: string | undefined): string | undefined {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`websocket: error parsing X509 ${what}: ${(e as Error).message}`);
  }
}

function httpsOptions(tls: WebsocketTlsOptions): HttpsOptions {
  const cert = read("certificate/key pair", tls.certFile, tls.cert);
  const key = read("certificate/key pair", tls.keyFile, tls.key);
  if (cert === undefined || key === undefined) throw new Error("missing 'cert_file' or 'key_file' in TLS configuration");
  const verify = tls.verify === true;
  return {
    cert,
    key,
    ca: read("certificate authorities", tls.caFile, tls.ca),
    requestCert: verify,
    rejectUnauthorized: verify,
    minVersion: tls.minVersion === "1.3" ? "TLSv1.3" : "TLSv1.2",
    handshakeTimeout: (tls.timeout ?? 2) * 1000,
  };
}

/** Names of the users and nkeys plain clients may log in as (for no_auth_user validation). */
function configuredUsers(server: NatsServer): Set<string> {
  const { plan } = planAuth(server.opts);
  return new Set([...plan.users.keys(), ...plan.nkeys.keys()]);
}

/**
 * The "websocket" server plugin: NATS clients over WebSocket (browsers, `wsconnect` from
 * @nats-io/nats-core), configured by the `websocket {}` (or `ws {}`) conf block or by the options
 * given here (which win over the block). It stays idle while the port is 0.
 *
 * @example
 * const server = new NatsServer({ port: -1 }, {
 *   plugins: [websocketPlugin({ port: 8080, noTls: true, compression: true })],
 * });
 * await server.start(); // browsers connect to ws://host:8080
 */
export class WebsocketPlugin implements ServerPlugin {
  readonly name = "websocket";
  readonly blocks = ["websocket", "ws"] as const;
  private listener: WebSocketListener | undefined;
  private readonly extraRoutes = new Map<string, WebSocketRoute>();
  private server: NatsServer | undefined;
  private options: WebsocketOptions = {};
  /** What every accepted client's connection shares: this listener's settings for core. */
  private clientSettings: Omit<ConnectionEndpoint, "remoteAddress" | "remotePort"> = {};
  /** The block's own authentication for the server options it was made from (rebuilt after a reload). */
  private ownAuth: { opts: ServerOptions; authenticator: Authenticator } | undefined;

  constructor(private readonly input: WebsocketOptions = {}) {}

  /** The bound port, 0 while not listening. */
  get port(): number {
    return this.listener?.port ?? 0;
  }

  /** A URL clients on this machine can connect to (undefined while not listening). */
  get url(): string | undefined {
    if (this.listener === undefined) return undefined;
    const h = this.options.host ?? "0.0.0.0";
    const host = h === "0.0.0.0" || h === "" ? "127.0.0.1" : h === "::" ? "::1" : h;
    return `${this.listener.secure ? "wss" : "ws"}://${host.includes(":") ? `[${host}]` : host}:${this.listener.port}`;
  }

  /**
   * Serves upgrades whose path ends with `pathSuffix` with another protocol over the same
   * listener (MQTT over WebSocket uses "/mqtt"). Call before the server starts.
   */
  addRoute(pathSuffix: string, route: WebSocketRoute): void {
    this.extraRoutes.set(pathSuffix, route);
  }

  async start(server: NatsServer): Promise<void> {
    const block = server.opts.blocks.websocket ?? server.opts.blocks.ws;
    const given = Object.fromEntries(Object.entries(this.input).filter(([, v]) => v !== undefined)) as WebsocketOptions;
    const options: WebsocketOptions = { ...(block === undefined ? {} : websocketOptionsFromConf(block)), ...given };
    this.options = options;
    this.server = server;
    if (!options.port) return;
    const problem = validateWebsocketOptions(options, {
      users: configuredUsers(server),
      trustedOperators: server.opts.blocks.operator !== undefined || server.opts.blocks.trusted !== undefined,
    });
    if (problem !== undefined) throw new Error(problem);
    const host = options.host ?? "0.0.0.0";
    const listener = new WebSocketListener({
      host,
      port: options.port,
      tls: options.tls === undefined ? undefined : httpsOptions(options.tls),
      compression: options.compression === true,
      maxMessageSize: maxMessageSize(server.opts.maxPayload),
      origins: new OriginChecker(options.sameOrigin === true, options.allowedOrigins),
      handshakeTimeout: options.handshakeTimeout ?? 0,
      headers: options.headers,
      route: (req) => this.route(req),
      onError: (message) => server.log.error(message),
    });
    const port = await listener.listen();
    this.listener = listener;
    this.clientSettings = this.settingsForClients(host, port, listener.secure);
    const scheme = listener.secure ? "wss" : "ws";
    server.listeners.websocket = listenerUrls(scheme, host, port);
    server.log.info(`Listening for websocket clients on ${scheme}://${host}:${port}`);
    if (!listener.secure) server.log.warn("Websocket not configured with TLS. DO NOT USE IN PRODUCTION!");
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  /**
   * Go's websocket overrides for its clients: the block's authorization (and its timeout), its
   * ping_interval, and INFO announcing this listener rather than the TCP one.
   */
  private settingsForClients(host: string, port: number, secure: boolean): Omit<ConnectionEndpoint, "remoteAddress" | "remotePort"> {
    const { authorization, pingInterval } = this.options;
    return {
      transport: "websocket",
      authenticator: hasAuthOverride(this.options) ? () => this.blockAuthenticator() : undefined,
      authTimeout: authorization?.timeout ? authorization.timeout * 1000 : undefined,
      pingInterval: pingInterval || undefined,
      info: { host, port, tls_required: secure || undefined, tls_available: secure || undefined },
    };
  }

  private blockAuthenticator(): Authenticator {
    const opts = this.server!.opts;
    if (this.ownAuth?.opts !== opts) this.ownAuth = { opts, authenticator: websocketAuthenticator(opts, this.options)! };
    return this.ownAuth.authenticator;
  }

  private route(req: IncomingMessage): WebSocketRoute | UpgradeRejection {
    const path = (req.url ?? "/").split("?")[0];
    for (const [suffix, route] of this.extraRoutes) if (path.endsWith(suffix)) return route;
    if (path.endsWith("/mqtt")) return { status: 404, reason: "mqtt websocket endpoint not enabled" };
    if (path.endsWith("/leafnode")) return { accept: (ws) => this.refuseLeafnode(ws) };
    return { accept: (ws, info) => this.acceptClient(ws, info) };
  }

  private acceptClient(ws: WebSocket, info: WebSocketConnectionInfo): void {
    const server = this.server!;
    let client: ClientConnection | undefined;
    const creds = cookieCredentials(info.request, this.options);
    const browser = info.request.headers["user-agent"]?.startsWith("Mozilla/") === true;
    const stream = new WebSocketStream(ws, {
      closeStatus: () => closeStatusFor(client?.closedReason),
      maxOutboundMessage: browser ? BROWSER_MESSAGE_SIZE : undefined,
      inbound: creds === undefined ? undefined : new ConnectCredentialsPatch(creds),
    });
    ws.on("error", (err: Error & { code?: string }) => {
      const what = err.code?.startsWith("Z_") ? `corrupt compressed data: ${err.message}` : err.message;
      server.log.error(`${client ?? `${info.remoteAddress}:${info.remotePort}`} - read error: ${what}`);
    });
    client = server.acceptConnection(stream, {
      ...this.clientSettings,
      remoteAddress: info.remoteAddress,
      remotePort: info.remotePort,
      certificate: info.certificate,
      tls: this.listener?.secure ? describeTls(info.request.socket as TLSSocket) : undefined,
    });
  }

  private refuseLeafnode(ws: WebSocket): void {
    this.server!.log.error("Not configured to accept leaf node connections");
    ws.terminate();
  }
}

/**
 * Creates the "websocket" plugin; see {@link WebsocketPlugin}.
 *
 * @example
 * new NatsServer(opts, { plugins: [websocketPlugin()] }); // reads the conf file's websocket {} block
 */
export function websocketPlugin(options?: WebsocketOptions): WebsocketPlugin {
  return new WebsocketPlugin(options);
}
