import { parseDuration, type NatsServer } from "@nats-ts/core";
import { goNanos } from "../format.js";

// /varz reports the websocket and mqtt listeners' settings as configured (Go's WebsocketOptsVarz
// and MQTTOptsVarz). Their packages own the conf blocks; monitoring only reads them.

type Block = Record<string, unknown>;

const asBlock = (v: unknown): Block | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Block) : undefined);
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
const bool = (v: unknown) => (v === true ? true : undefined);
const num = (v: unknown) => (typeof v === "number" && v !== 0 ? v : undefined);

function durationNanos(v: unknown): number | undefined {
  if (typeof v !== "string" && typeof v !== "number") return undefined;
  try {
    const ms = parseDuration(v);
    return ms > 0 ? goNanos(ms) : undefined;
  } catch {
    return undefined;
  }
}

/** host and port, from `host`/`port` or `listen: "host:port"`; the bound port when the listener reports one. */
function hostPort(b: Block, bound: string[] | undefined): { host?: string; port?: number } {
  let host = str(b.host);
  let port = num(b.port);
  const listen = str(b.listen);
  if (listen !== undefined) {
    const at = listen.lastIndexOf(":");
    host ??= at > 0 ? listen.slice(0, at).replace(/^\[|\]$/g, "") : undefined;
    port ??= Number(listen.slice(at + 1)) || undefined;
  }
  const boundPort = bound?.[0] !== undefined ? Number(new URL(bound[0]).port) : undefined;
  if (boundPort !== undefined && boundPort > 0) port = boundPort;
  return { host, port };
}

/** Drops the undefined fields, as Go's omitempty does. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function authTimeout(b: Block): number | undefined {
  return num(asBlock(b.authorization)?.timeout);
}

export function websocketVarz(server: NatsServer): Record<string, unknown> {
  const b = asBlock(server.opts.blocks.websocket) ?? asBlock(server.opts.blocks.ws);
  if (b === undefined) return {};
  const origins = Array.isArray(b.allowed_origins) ? b.allowed_origins.filter((o) => typeof o === "string") : undefined;
  return compact({
    ...hostPort(b, server.listeners.websocket),
    advertise: str(b.advertise),
    no_auth_user: str(b.no_auth_user),
    jwt_cookie: str(b.jwt_cookie),
    handshake_timeout: durationNanos(b.handshake_timeout),
    auth_timeout: authTimeout(b),
    no_tls: bool(b.no_tls),
    tls_map: bool(asBlock(b.tls)?.verify_and_map),
    same_origin: bool(b.same_origin),
    allowed_origins: origins !== undefined && origins.length > 0 ? origins : undefined,
    compression: bool(b.compression),
  });
}

export function mqttVarz(server: NatsServer): Record<string, unknown> {
  const b = asBlock(server.opts.blocks.mqtt);
  if (b === undefined) return {};
  return compact({
    ...hostPort(b, server.listeners.mqtt),
    no_auth_user: str(b.no_auth_user),
    auth_timeout: authTimeout(b),
    tls_map: bool(asBlock(b.tls)?.verify_and_map),
    js_domain: str(b.js_domain),
    ack_wait: durationNanos(b.ack_wait),
    max_ack_pending: num(b.max_ack_pending),
  });
}

/** `server_metadata` as Go's varz `metadata` (string values only). */
export function metadataVarz(server: NatsServer): Record<string, string> | undefined {
  const b = asBlock(server.opts.blocks.server_metadata);
  if (b === undefined) return undefined;
  const out = Object.fromEntries(Object.entries(b).filter((e): e is [string, string] => typeof e[1] === "string"));
  return Object.keys(out).length > 0 ? out : undefined;
}
