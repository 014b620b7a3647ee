import type { IncomingMessage, ServerResponse } from "node:http";
import type { ClientConnection, ConnectionSnapshot, NatsServer, ServerPlugin } from "@nats-ts/core";
import { MonitorContext } from "./context.js";
import { DASHBOARD_HTML } from "./dashboard.js";
import { SystemEvents } from "./events/system-events.js";
import { MonitorHttpServer, normaliseBasePath, type ExtraPage } from "./http-server.js";
import type { JetStreamStatsProvider } from "./jetstream-provider.js";
import { prometheusMetrics } from "./prometheus.js";
import { UsageTracker } from "./tracker.js";

export interface MonitorOptions {
  /** Serve Prometheus text at /metrics (off by default, as it is not a Go endpoint). */
  prometheus?: boolean;
  /** Serve the live dashboard at /dashboard (on by default). */
  dashboard?: boolean;
  /** Publish $SYS events and answer $SYS requests (on by default). */
  systemEvents?: boolean;
  /** Longest interval between STATSZ broadcasts in ms (Go: 10 000). */
  statszInterval?: number;
  /** Per-account SERVER.CONNS heartbeat interval in ms (Go: 30 000). */
  accountConnsInterval?: number;
  /** JetStream statistics; by default the server's "jetstream" plugin when it provides them. */
  jetstream?: JetStreamStatsProvider;
  /**
   * Reloads the configuration from its source (the conf file), for `$SYS.REQ.SERVER.<id>.RELOAD`.
   * Without it the request answers with an error.
   */
  reload?: () => void | Promise<void>;
}

/**
 * The "monitor" server plugin: the monitoring endpoints on `httpHost:httpPort`, or over HTTPS on
 * `https_port` with the server's `tls` certificate, and the system account's events and requests.
 *
 * @example
 * const server = new NatsServer({ port: 4222, httpPort: 8222 }, { plugins: [monitorPlugin()] });
 * await server.start(); // curl http://127.0.0.1:8222/varz
 */
export class MonitorPlugin implements ServerPlugin {
  readonly name = "monitor";
  readonly blocks = ["http_base_path", "https_port", "server_metadata"] as const;
  private ctx: MonitorContext | undefined;
  private http: MonitorHttpServer | undefined;
  private events: SystemEvents | undefined;
  private server: NatsServer | undefined;
  private readonly onConnected = (c: ClientConnection | ConnectionSnapshot) => this.events?.onConnected(c);
  private readonly onClosed = (s: ConnectionSnapshot) => {
    this.ctx?.tracker.onClosed(s);
    this.events?.onClosed(s);
  };
  private readonly onAuthError = (s: ConnectionSnapshot) => this.events?.onAuthError(s);
  // Go sends LAMEDUCK and SHUTDOWN before clients are closed, so subscribers still get them.
  private readonly onLameDuck = () => this.events?.lameDuck();
  private readonly onShuttingDown = () => this.events?.shutdown();

  constructor(private readonly options: MonitorOptions = {}) {}

  /** Shared state of the endpoints (undefined before start). */
  get context(): MonitorContext | undefined {
    return this.ctx;
  }

  /** The bound monitoring port, 0 when HTTP monitoring is off. */
  get httpPort(): number {
    return this.ctx?.httpPort ?? 0;
  }

  /**
   * The monitoring endpoints as a node:http request listener, to mount in an app's own HTTP
   * server (with or without a monitoring port); undefined once the plugin has stopped (Go's
   * HTTPHandler).
   *
   * @example
   * http.createServer((req, res) => (req.url?.startsWith("/nats") ? monitor.handler!(req, res) : app(req, res)));
   */
  get handler(): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
    return this.http?.handler;
  }

  /** The bound HTTPS monitoring port, 0 when HTTPS monitoring is off. */
  get httpsPort(): number {
    return this.ctx?.httpsPort ?? 0;
  }

  async start(server: NatsServer): Promise<void> {
    const { options } = this;
    const httpsPort = typeof server.opts.blocks.https_port === "number" ? server.opts.blocks.https_port : 0;
    if (server.opts.httpPort !== 0 && httpsPort !== 0) {
      throw new Error(`can't specify both HTTP (${server.opts.httpPort}) and HTTPs (${httpsPort}) ports`);
    }
    if (httpsPort !== 0 && server.opts.tls === undefined) throw new Error("TLS cert and key required for HTTPS");
    this.server = server;
    const ctx = new MonitorContext(server, new UsageTracker(server), normaliseBasePath(server.opts.blocks.http_base_path), options.jetstream);
    this.ctx = ctx;
    server.events.on("clientConnected", this.onConnected);
    server.events.on("foreignClientConnected", this.onConnected);
    server.events.on("clientClosed", this.onClosed);
    server.events.on("authError", this.onAuthError);
    server.events.on("lameDuck", this.onLameDuck);
    server.events.on("shuttingDown", this.onShuttingDown);
    if (options.systemEvents !== false) {
      const events = new SystemEvents(ctx, {
        statszInterval: options.statszInterval ?? 10_000,
        accountConnsInterval: options.accountConnsInterval ?? 30_000,
        reload: options.reload,
      });
      this.events = events;
      events.start();
    }
    const extras: ExtraPage[] = [];
    if (options.dashboard !== false) extras.push({ path: "/dashboard", contentType: "text/html; charset=utf-8", render: () => DASHBOARD_HTML });
    if (options.prometheus === true) {
      extras.push({ path: "/metrics", contentType: "text/plain; version=0.0.4; charset=utf-8", render: () => prometheusMetrics(ctx) });
    }
    this.http = new MonitorHttpServer(ctx, extras);
    if (server.opts.httpPort !== 0 || httpsPort !== 0) {
      const host = server.opts.httpHost ?? server.opts.host;
      if (httpsPort !== 0) {
        ctx.httpsPort = await this.http.listen(host, httpsPort, server.opts.tls);
      } else {
        ctx.httpPort = await this.http.listen(host, server.opts.httpPort);
      }
    }
  }

  async stop(): Promise<void> {
    const { server } = this;
    if (server !== undefined) {
      server.events.off("clientConnected", this.onConnected);
      server.events.off("foreignClientConnected", this.onConnected);
      server.events.off("clientClosed", this.onClosed);
      server.events.off("authError", this.onAuthError);
      server.events.off("lameDuck", this.onLameDuck);
      server.events.off("shuttingDown", this.onShuttingDown);
    }
    this.events?.stop();
    this.events = undefined;
    await this.http?.close();
    this.http = undefined;
  }
}

/** Creates the monitoring plugin; see {@link MonitorPlugin}. */
export function monitorPlugin(options: MonitorOptions = {}): MonitorPlugin {
  return new MonitorPlugin(options);
}
