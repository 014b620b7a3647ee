import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TlsOptions } from "@nats-ts/core";
import { formatUrl, listenerUrls } from "@nats-ts/core";
import type { MonitorContext } from "./context.js";
import { accountz, accstatz } from "./endpoints/accounts.js";
import { gatewayz, leafz, routez } from "./endpoints/cluster.js";
import { connz } from "./endpoints/connz.js";
import { expvarz } from "./endpoints/expvarz.js";
import { healthz } from "./endpoints/healthz.js";
import { jsz } from "./endpoints/jsz.js";
import { subsz } from "./endpoints/subsz.js";
import { varz } from "./endpoints/varz.js";
import { indentJson } from "./format.js";
import { connzQuery, healthzQuery, jszQuery, subsQuery, subszQuery } from "./http-options.js";
import { Query } from "./query.js";
import { rootPage } from "./root-page.js";

/** A response before it is written. */
interface Reply {
  status: number;
  body: string;
  contentType: string;
}

type Handler = (q: Query) => Reply;

const json = (value: unknown, status = 200): Reply => ({ status, body: indentJson(value), contentType: "application/json" });
const text = (body: string, status: number): Reply => ({ status, body, contentType: "text/plain; charset=utf-8" });

/** Extra pages beside Go's endpoints (Prometheus metrics, the dashboard). */
export interface ExtraPage {
  path: string;
  contentType: string;
  render(): string | Promise<string>;
}

/**
 * The monitoring HTTP listener: Go's endpoints under the base path, JSONP `callback=`, Go's
 * plain-text 400 bodies for bad query values, and Go's 404 for anything else.
 */
export class MonitorHttpServer {
  private http: Server | undefined;
  private readonly routes = new Map<string, Handler>();

  constructor(
    private readonly ctx: MonitorContext,
    private readonly extras: ExtraPage[],
  ) {
    const r = this.routes;
    const listed = { dashboard: extras.some((e) => e.path === "/dashboard"), prometheus: extras.some((e) => e.path === "/metrics") };
    r.set("/", () => ({ status: 200, body: rootPage(listed), contentType: "text/html; charset=utf-8" }));
    r.set("/varz", () => json(varz(ctx)));
    r.set("/connz", (q) => json(connz(ctx, connzQuery(q))));
    r.set("/routez", (q) => {
      const { subs, detail } = subsQuery(q);
      return json(routez(ctx, { subscriptions: subs, subscriptionsDetail: detail }));
    });
    r.set("/gatewayz", (q) => {
      const { subs, detail } = subsQuery(q);
      const opts = { name: q.get("gw_name"), accounts: q.bool("accs"), accountName: q.get("acc_name"), subscriptions: subs, subscriptionsDetail: detail };
      return json(gatewayz(ctx, opts));
    });
    r.set("/leafz", (q) => json(leafz(ctx, { subscriptions: q.bool("subs"), account: q.get("acc") })));
    const subszHandler: Handler = (q) => json(subsz(ctx, subszQuery(q)));
    r.set("/subsz", subszHandler);
    r.set("/subscriptionsz", subszHandler);
    r.set("/accountz", (q) => json(accountz(ctx, q.get("acc"))));
    r.set("/accstatz", (q) => json(accstatz(ctx, { includeUnused: q.bool("unused") })));
    r.set("/jsz", (q) => json(jsz(ctx, jszQuery(q))));
    r.set("/healthz", (q) => {
      const { status_code, ...health } = healthz(ctx, healthzQuery(q));
      // Go answers /healthz compact, with the status only in the HTTP status line.
      return { status: status_code, body: JSON.stringify(health), contentType: "application/json" };
    });
    r.set("/debug/vars", () => json(expvarz()));
    r.set("/expvarz", () => json(expvarz()));
  }

  /**
   * Listens on host:port (-1 or 0 = any free port) and returns the bound port; with `tls`, serves
   * HTTPS with the server's certificate (Go's https_port).
   */
  async listen(host: string, port: number, tls?: TlsOptions): Promise<number> {
    const { handler } = this;
    const http = tls === undefined ? createServer(handler) : createHttpsServer(httpsOptions(tls), handler);
    this.http = http;
    await new Promise<void>((resolve, reject) => {
      http.once("error", (err) => reject(new Error(`can't listen to the monitor port: ${err.message}`)));
      http.listen({ host, port: port < 0 ? 0 : port }, () => {
        http.off("error", reject);
        resolve();
      });
    });
    http.on("error", (err) => this.ctx.server.log.error(`Error on the monitoring listener: ${err.message}`));
    const addr = http.address();
    const bound = typeof addr === "object" && addr !== null ? addr.port : port;
    const scheme = tls === undefined ? "http" : "https";
    this.ctx.server.listeners.monitoring = listenerUrls(scheme, host, bound);
    this.ctx.server.log.info(`Starting ${scheme} monitor on ${formatUrl(scheme, host, bound).slice(scheme.length + 3)}`);
    return bound;
  }

  async close(): Promise<void> {
    const http = this.http;
    this.http = undefined;
    if (http === undefined) return;
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }

  /** The request listener serving every endpoint (what `listen` serves, for embedding too). */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      res.writeHead(400, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("400 Bad Request");
      return;
    }
    const path = this.routePath(url.pathname);
    let reply: Reply;
    try {
      reply = await this.reply(path, new Query(url.searchParams));
    } catch (err) {
      // Bad query values and Go's option errors both answer 400 with the text alone.
      reply = text(err instanceof Error ? err.message : String(err), 400);
    }
    const callback = url.searchParams.get("callback");
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (callback !== null && callback !== "" && reply.status === 200 && reply.contentType === "application/json") {
      res.writeHead(200, { "Content-Type": "application/javascript" });
      res.end(`${callback}(${reply.body})`);
      return;
    }
    res.writeHead(reply.status, { "Content-Type": reply.contentType });
    res.end(reply.body);
  }

  private async reply(path: string | undefined, q: Query): Promise<Reply> {
    if (path === undefined) return text("404 page not found\n", 404);
    const extra = this.extras.find((e) => e.path === path);
    if (extra !== undefined) {
      this.ctx.countRequest(path);
      return { status: 200, body: await extra.render(), contentType: extra.contentType };
    }
    const handler = this.routes.get(path);
    if (handler === undefined) return text("404 page not found\n", 404);
    this.ctx.countRequest(path);
    return handler(q);
  }

  /** The endpoint a request path names once the base path is stripped; undefined when outside it. */
  private routePath(pathname: string): string | undefined {
    const base = this.ctx.basePath;
    if (base === "") return pathname;
    if (pathname === base || pathname === `${base}/`) return "/";
    return pathname.startsWith(`${base}/`) ? pathname.slice(base.length) : undefined;
  }
}

/** `http_base_path` as Go cleans it: leading slash, no trailing slash, "" for the root. */
export function normaliseBasePath(raw: unknown): string {
  if (typeof raw !== "string" || raw === "" || raw === "/") return "";
  const trimmed = raw.replace(/\/+$/, "");
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

/** The certificate and key of the server's `tls` block, read like core reads them for clients. */
function httpsOptions(tls: TlsOptions): { cert: string; key: string } {
  const cert = tls.cert ?? (tls.certFile !== undefined ? readFileSync(tls.certFile, "utf8") : undefined);
  const key = tls.key ?? (tls.keyFile !== undefined ? readFileSync(tls.keyFile, "utf8") : undefined);
  if (cert === undefined || key === undefined) throw new Error("TLS cert and key required for HTTPS");
  return { cert, key };
}
