import { hostAndPort } from "./origin.js";
import {
  confBool as bool,
  confDuration as duration,
  confFail as fail,
  confListenerAddress,
  confTlsBlock,
  confString as str,
  goTypeName as typeName,
  isConfMap as isMap,
  listenerAuthorizationFromConf,
  type ConfMap,
  type ConfValue,
} from "@nats-ts/core";

/** TLS for the WebSocket listener (the `tls {}` block inside `websocket {}`). */
export interface WebsocketTlsOptions {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Inline PEM alternatives to the files (for embedding apps). */
  cert?: string;
  key?: string;
  ca?: string;
  /** Ask clients for a certificate and refuse those without one signed by the CA. */
  verify?: boolean;
  /** Seconds allowed for the TLS handshake. */
  timeout?: number;
  minVersion?: string;
}

/**
 * The `websocket {}` block (Go's WebsocketOpts), in camelCase. Durations are milliseconds.
 * The listener is off while `port` is 0, as in Go.
 */
export interface WebsocketOptions {
  host?: string;
  /** 0 = off, -1 = a random free port. */
  port?: number;
  /** host:port to advertise to clients in the cluster. */
  advertise?: string;
  /** Run without TLS (Go refuses to start without TLS unless this is set). */
  noTls?: boolean;
  tls?: WebsocketTlsOptions;
  /** The Origin header must match the request's Host. */
  sameOrigin?: boolean;
  /** Only these origins (`http[s]://host[:port]`) may connect; empty = any. */
  allowedOrigins?: string[];
  /** Negotiate permessage-deflate with clients that offer it. */
  compression?: boolean;
  /** Time allowed from TCP accept to a completed upgrade (TLS handshake included); 0 = none. */
  handshakeTimeout?: number;
  /** Cookie whose value becomes CONNECT's `jwt` when the client sends none. */
  jwtCookie?: string;
  /** Cookie whose value becomes CONNECT's `user` when the client sends none. */
  userCookie?: string;
  /** Cookie whose value becomes CONNECT's `pass` when the client sends none. */
  passCookie?: string;
  /** Cookie whose value becomes CONNECT's `auth_token` when the client sends none. */
  tokenCookie?: string;
  /** WebSocket-only no_auth_user (Go's auth override). */
  noAuthUser?: string;
  /** WebSocket-only credentials (Go's auth override). */
  authorization?: { user?: string; password?: string; token?: string; timeout?: number };
  /** Extra headers for the upgrade response (e.g. Strict-Transport-Security). */
  headers?: Record<string, string>;
  /** WebSocket-only ping interval (ms). */
  pingInterval?: number;
}

/** The `tls {}` block: core's reader, keeping what the WebSocket listener uses. */
function tlsFromConf(m: ConfMap, k: string, v: ConfValue): WebsocketTlsOptions {
  const { certFile, keyFile, caFile, verify, timeout, minVersion } = confTlsBlock(m, k, v);
  const out: WebsocketTlsOptions = { certFile, keyFile, caFile, verify, timeout, minVersion };
  for (const key of Object.keys(out) as (keyof WebsocketTlsOptions)[]) if (out[key] === undefined) delete out[key];
  return out;
}

/**
 * Reads a `websocket {}` (or `ws {}`) conf block as parsed by core's conf parser, with Go's keys
 * and aliases (parseWebsocket in opts.go). Unknown keys fail at their position, as in Go.
 *
 * @example
 * websocketOptionsFromConf({ port: -1, no_tls: true, compression: true });
 * // { port: -1, noTls: true, compression: true }
 */
export function websocketOptionsFromConf(block: unknown): WebsocketOptions {
  if (!isMap(block as ConfValue)) throw new Error(`Expected websocket to be a map, got ${typeName(block as ConfValue)}`);
  const m = block as ConfMap;
  const out: WebsocketOptions = {};
  for (const [k, v] of Object.entries(m)) {
    if (confListenerAddress(m, k, v, out)) continue;
    switch (k.toLowerCase()) {
      case "advertise":
        out.advertise = str(m, k, v);
        break;
      case "no_tls":
        out.noTls = bool(m, k, v);
        break;
      case "tls":
        out.tls = tlsFromConf(m, k, v);
        break;
      case "same_origin":
        out.sameOrigin = bool(m, k, v);
        break;
      case "allowed_origins":
      case "allowed_origin":
      case "allow_origins":
      case "allow_origin":
      case "origins":
      case "origin":
        if (typeof v === "string") out.allowedOrigins = [v];
        else if (!Array.isArray(v)) fail(m, k, `error parsing allowed origins: unsupported type ${typeName(v)}`);
        else {
          out.allowedOrigins = v.map((x) =>
            typeof x === "string" ? x : fail(m, k, `error parsing allowed origins: unsupported type in array ${typeName(x)}`),
          );
        }
        break;
      case "handshake_timeout":
        out.handshakeTimeout = duration(m, k, v, "handshake timeout");
        break;
      case "compress":
      case "compression":
        out.compression = bool(m, k, v);
        break;
      case "authorization":
      case "authentication":
        if (!isMap(v)) fail(m, k, `Expected authorization to be a map/struct, got ${typeName(v)}`);
        out.authorization = listenerAuthorizationFromConf(v);
        break;
      case "jwt_cookie":
        out.jwtCookie = str(m, k, v);
        break;
      case "user_cookie":
        out.userCookie = str(m, k, v);
        break;
      case "pass_cookie":
        out.passCookie = str(m, k, v);
        break;
      case "token_cookie":
        out.tokenCookie = str(m, k, v);
        break;
      case "no_auth_user":
        out.noAuthUser = str(m, k, v);
        break;
      case "headers": {
        if (!isMap(v)) fail(m, k, `error parsing headers: unsupported type ${typeName(v)}`);
        out.headers = {};
        for (const [hk, hv] of Object.entries(v)) {
          if (typeof hv !== "string") fail(v, hk, `error parsing header key ${hk}: unsupported type ${typeName(hv)}`);
          out.headers[hk] = hv;
        }
        break;
      }
      case "ping_interval":
        out.pingInterval = duration(m, k, v, "ping_interval");
        break;
      default:
        fail(m, k, `unknown field "${k}"`);
    }
  }
  return out;
}

/** What the server knows that WebSocket option validation depends on. */
export interface ValidationContext {
  /** Users and nkeys configured for plain clients (names and public keys). */
  users: ReadonlySet<string>;
  /** Whether trusted operators or keys are configured. */
  trustedOperators: boolean;
}

const FORBIDDEN_HEADERS = new Set(["host", "content-length", "connection", "upgrade", "nats-no-masking"]);

/**
 * Go's validateWebsocketOptions: the errors a misconfigured `websocket {}` block fails start with.
 * Returns undefined when the options are usable.
 */
export function validateWebsocketOptions(o: WebsocketOptions, ctx: ValidationContext): string | undefined {
  if (!o.port) return undefined;
  if (o.tls === undefined && o.noTls !== true) return "websocket requires TLS configuration";
  for (const ao of o.allowedOrigins ?? []) {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/([^/?#]*))?/.exec(ao);
    if (m === null) return `unable to parse allowed origin: parse "${ao}": invalid URI for request`;
    const scheme = m[1].toLowerCase();
    if (scheme !== "http" && scheme !== "https") {
      return `unable to parse allowed origin "${ao}": allowed origins must be absolute URLs with http or https scheme`;
    }
    if (!m[3]) return `unable to parse allowed origin "${ao}": host is required`;
    const hp = hostAndPort(scheme === "https", m[3]);
    if ("error" in hp) return `unable to parse allowed origin: ${hp.error}`;
  }
  if (o.noAuthUser !== undefined && o.noAuthUser !== "") {
    if (ctx.users.size === 0) return `no_auth_user: "${o.noAuthUser}" present, but users/nkeys are not defined`;
    if (!ctx.users.has(o.noAuthUser)) {
      return `no_auth_user: "${o.noAuthUser}" not present as user or nkey in authorization block or account configuration`;
    }
  }
  if (ctx.users.size > 0) {
    if (o.authorization?.user) return "websocket authentication username not compatible with presence of users/nkeys";
    if (o.authorization?.token) return "websocket authentication token not compatible with presence of users/nkeys";
  }
  if (o.jwtCookie && !ctx.trustedOperators) {
    return `trusted operators or trusted keys configuration is required for JWT authentication via cookie "${o.jwtCookie}"`;
  }
  for (const key of Object.keys(o.headers ?? {})) {
    const k = key.toLowerCase();
    if (FORBIDDEN_HEADERS.has(k)) return `websocket: invalid header "${key}" not allowed`;
    if (k.startsWith("sec-websocket-")) return `websocket: invalid header "${key}", "Sec-WebSocket-" prefix not allowed`;
  }
  return undefined;
}
