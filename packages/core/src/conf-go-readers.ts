import { ConfError, confPosition, parseDuration, type ConfMap, type ConfValue } from "./conf/index.js";

/**
 * Typed readers for conf-file blocks that report a wrong type the way the Go server does
 * (`interface conversion: interface {} is int64, not string`), with the value's file:line:col.
 * Shared by the packages that parse their own blocks (websocket, mqtt, cluster).
 */
export function confFail(container: object, key: string, reason: string): never {
  const pos = confPosition(container, key);
  throw new ConfError(pos?.file ?? "", pos?.line ?? 0, pos?.column ?? 0, reason);
}

export function isConfMap(v: ConfValue): v is ConfMap {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The Go type name a conf value decodes to, as Go's errors print it. */
export function goTypeName(v: ConfValue): string {
  if (Array.isArray(v)) return "[]interface {}";
  if (isConfMap(v)) return "map[string]interface {}";
  if (typeof v === "number") return Number.isInteger(v) ? "int64" : "float64";
  return typeof v;
}

export const confString = (m: ConfMap, k: string, v: ConfValue): string =>
  typeof v === "string" ? v : confFail(m, k, `interface conversion: interface {} is ${goTypeName(v)}, not string`);
export const confBool = (m: ConfMap, k: string, v: ConfValue): boolean =>
  typeof v === "boolean" ? v : confFail(m, k, `interface conversion: interface {} is ${goTypeName(v)}, not bool`);
export const confInt = (m: ConfMap, k: string, v: ConfValue): number =>
  typeof v === "number" && Number.isInteger(v) ? v : confFail(m, k, `interface conversion: interface {} is ${goTypeName(v)}, not int64`);

/** A Go duration string or a number of seconds, as milliseconds; `what` names the field in errors. */
export function confDuration(m: ConfMap, k: string, v: ConfValue, what: string): number {
  if (typeof v === "number") return v * 1000;
  if (typeof v !== "string") confFail(m, k, `error parsing ${what}: unsupported type ${goTypeName(v)}`);
  try {
    return parseDuration(v as string);
  } catch (e) {
    return confFail(m, k, (e as Error).message);
  }
}

/** Seconds: a number as is, or a Go duration string (`"2s"`); `what` names the field in errors. */
export function confSeconds(m: ConfMap, k: string, v: ConfValue, what: string): number {
  return typeof v === "number" ? v : confDuration(m, k, v, what) / 1000;
}

/**
 * A listener's `listen` value: a port, or `host:port` (IPv6 hosts in brackets). The host is left
 * out when the value names none (`":4222"`).
 *
 * @example
 * confListen(block, "listen", "127.0.0.1:6222"); // { host: "127.0.0.1", port: 6222 }
 */
export function confListen(m: ConfMap, k: string, v: ConfValue): { host?: string; port: number } {
  if (typeof v === "number") return { port: v };
  if (typeof v !== "string") return confFail(m, k, `expected port or host:port, got ${goTypeName(v)}`);
  const i = v.lastIndexOf(":");
  if (i < 0) confFail(m, k, `could not parse address string "${v}"`);
  const port = Number.parseInt(v.slice(i + 1), 10);
  if (!Number.isInteger(port)) confFail(m, k, `could not parse port "${v.slice(i + 1)}"`);
  const host = v.slice(0, i).replace(/^\[|\]$/g, "");
  return host === "" ? { port } : { host, port };
}

/**
 * Reads the address keys every listener block shares (`listen`, `port`, `host`/`net`) into
 * `out`; returns false for any other key, which the caller reads itself.
 *
 * @example
 * for (const [k, v] of Object.entries(block)) {
 *   if (confListenerAddress(block, k, v, out)) continue;
 *   // the block's own keys
 * }
 */
export function confListenerAddress(m: ConfMap, k: string, v: ConfValue, out: { host?: string; port?: number }): boolean {
  switch (k.toLowerCase()) {
    case "listen":
      Object.assign(out, confListen(m, k, v));
      return true;
    case "port":
      out.port = confInt(m, k, v);
      return true;
    case "host":
    case "net":
      out.host = confString(m, k, v);
      return true;
    default:
      return false;
  }
}

/** The settings of a `tls {}` block that nats-ts acts on; only the keys the block sets are present. */
export interface ConfTlsBlock {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  verify?: boolean;
  insecure?: boolean;
  /** Seconds allowed for the handshake. */
  timeout?: number;
  minVersion?: string;
}

/** Keys of Go's parseTLS that nats-ts accepts and leaves to Node's defaults. */
const TLS_KEYS_IGNORED = new Set([
  "verify_and_map",
  "verify_cert_and_check_known_urls",
  "allow_insecure_cipher_suites",
  "cipher_suites",
  "curve_preferences",
  "connection_rate_limit",
  "pinned_certs",
  "cert_store",
  "cert_match_by",
  "cert_match",
  "cert_match_skip_invalid",
  "ca_certs_match",
  "handshake_first",
  "first",
  "immediate",
  "ocsp_peer",
  "certs",
  "certificates",
]);

/**
 * A `tls {}` block of any listener or remote (websocket, cluster, leafnodes, gateway), with Go's
 * keys and errors (parseTLS): unknown keys fail, and a certificate needs its key and vice versa.
 *
 * @example
 * confTlsBlock(block, "tls", { cert_file: "c.pem", key_file: "k.pem", timeout: 3 });
 * // { certFile: "c.pem", keyFile: "k.pem", timeout: 3 }
 */
export function confTlsBlock(parent: ConfMap, key: string, v: ConfValue): ConfTlsBlock {
  if (!isConfMap(v)) return confFail(parent, key, `interface conversion: interface {} is ${goTypeName(v)}, not map[string]interface {}`);
  const out: ConfTlsBlock = {};
  for (const [k, tv] of Object.entries(v)) {
    switch (k.toLowerCase()) {
      case "cert_file":
        out.certFile = confString(v, k, tv);
        break;
      case "key_file":
        out.keyFile = confString(v, k, tv);
        break;
      case "ca_file":
        out.caFile = confString(v, k, tv);
        break;
      case "verify":
        out.verify = confBool(v, k, tv);
        break;
      case "insecure":
        out.insecure = confBool(v, k, tv);
        break;
      case "timeout":
        out.timeout = confSeconds(v, k, tv, "tls timeout");
        break;
      case "min_version":
        out.minVersion = confString(v, k, tv);
        break;
      default:
        if (!TLS_KEYS_IGNORED.has(k.toLowerCase())) confFail(v, k, `error parsing tls config, unknown field [${k}]`);
    }
  }
  if (out.certFile !== undefined && out.keyFile === undefined) confFail(parent, key, "missing 'key_file' in TLS configuration");
  if (out.certFile === undefined && out.keyFile !== undefined) confFail(parent, key, "missing 'cert_file' in TLS configuration");
  return out;
}

/** A listener block's own `authorization { user, password, token, timeout }` (websocket, mqtt). */
export interface ListenerAuthorization {
  user?: string;
  password?: string;
  token?: string;
  /** Seconds. */
  timeout?: number;
}

/**
 * Reads the credential keys of an authorization block or user entry (`user`/`username`,
 * `pass`/`password`) into `out`; returns false for any other key.
 */
export function confCredentialKey(m: ConfMap, k: string, v: ConfValue, out: { user?: string; password?: string }): boolean {
  switch (k.toLowerCase()) {
    case "user":
    case "username":
      out.user = confString(m, k, v);
      return true;
    case "pass":
    case "password":
      out.password = confString(m, k, v);
      return true;
    default:
      return false;
  }
}

export function listenerAuthorizationFromConf(m: ConfMap): ListenerAuthorization {
  const out: ListenerAuthorization = {};
  for (const [k, v] of Object.entries(m)) {
    if (confCredentialKey(m, k, v, out)) continue;
    switch (k.toLowerCase()) {
      case "token":
        out.token = confString(m, k, v);
        break;
      case "timeout":
        out.timeout = confSeconds(m, k, v, "auth timeout");
        break;
      default:
        confFail(m, k, `unknown field "${k}"`);
    }
  }
  return out;
}
