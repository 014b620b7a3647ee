import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { OriginChecker } from "./origin.js";

/** Why an upgrade request is refused: the HTTP status and Go's reason (logged, not sent). */
export interface UpgradeRejection {
  status: number;
  reason: string;
}

/** Go's wsHeaderContains: any value of the header holds `token` in its comma-separated list. */
function headerHas(req: IncomingMessage, name: string, token: string): boolean {
  const values = req.headersDistinct[name] ?? [];
  const want = token.toLowerCase();
  return values.some((v) => v.split(",").some((t) => t.trim().toLowerCase() === want));
}

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Checks an upgrade request in the order of RFC 6455 4.2.1 and Go's wsUpgrade, returning the
 * first problem found (status and reason as Go reports them), or undefined when it may upgrade.
 */
export function checkUpgradeRequest(req: IncomingMessage, origins: OriginChecker, secure: boolean): UpgradeRejection | undefined {
  if (req.method !== "GET") return { status: 405, reason: "request method must be GET" };
  const host = req.headers.host ?? "";
  if (host === "") return { status: 400, reason: "'Host' missing in request" };
  if (!headerHas(req, "upgrade", "websocket")) return { status: 400, reason: "invalid value for header 'Upgrade'" };
  if (!headerHas(req, "connection", "Upgrade")) return { status: 400, reason: "invalid value for header 'Connection'" };
  const key = req.headersDistinct["sec-websocket-key"]?.[0] ?? "";
  if (key === "") return { status: 400, reason: "key missing" };
  if (!KEY.test(key)) return { status: 400, reason: "invalid websocket key" };
  if (!headerHas(req, "sec-websocket-version", "13")) return { status: 400, reason: "invalid version" };
  const origin = req.headersDistinct.origin?.[0] || req.headersDistinct["sec-websocket-origin"]?.[0];
  const bad = origins.check(origin, host, secure);
  if (bad !== undefined) return { status: 403, reason: `origin not allowed: ${bad}` };
  return undefined;
}

/** The headers of Go's http.Error reply to a refused upgrade. */
function errorHeaders(body: string): Record<string, string> {
  return {
    "Content-Type": "text/plain; charset=utf-8",
    "Sec-Websocket-Version": "13",
    "X-Content-Type-Options": "nosniff",
    "Content-Length": String(Buffer.byteLength(body)),
  };
}

/** Answers a refused request that arrived as a plain HTTP request. */
export function respondError(res: ServerResponse, status: number): void {
  const body = `${STATUS_CODES[status] ?? "Error"}\n`;
  res.writeHead(status, { ...errorHeaders(body), Connection: "close" });
  res.end(body);
}

/** Answers a refused request that arrived as an upgrade (a raw socket), then closes it. */
export function respondErrorOnSocket(socket: Duplex, status: number): void {
  const text = STATUS_CODES[status] ?? "Error";
  const body = `${text}\n`;
  const headers = { ...errorHeaders(body), Date: new Date().toUTCString(), Connection: "close" };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  socket.on("error", () => {});
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${head}\r\n${body}`);
}
