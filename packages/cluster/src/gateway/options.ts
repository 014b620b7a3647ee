import {
  confBool as bool,
  confDuration as duration,
  confFail as fail,
  confInt as int,
  confString as str,
  goTypeName as typeName,
  isConfMap as isMap,
  type ConfMap,
  type ConfTlsBlock,
  type ConfValue,
} from "@nats-ts/core";

/**
 * TLS of the gateway listener or of one remote (the `tls {}` blocks of `gateway {}`). `verify` is
 * accepted for Go compatibility: gateways always verify peer certificates.
 */
export type GatewayTlsOptions = ConfTlsBlock;

/** One entry of `gateways [ ... ]`: another cluster and where to reach it. */
export interface RemoteGatewayOptions {
  name: string;
  urls: URL[];
  tls?: GatewayTlsOptions;
}

/** The `gateway {}` block (Go's GatewayOpts) after defaults. */
export interface GatewayOptions {
  /** This cluster's name, as the other clusters know it. */
  name: string;
  host: string;
  /** -1 = a random free port. */
  port: number;
  advertise?: string;
  username?: string;
  password?: string;
  /** Seconds an inbound gateway has to send its CONNECT. */
  authTimeout: number;
  tls?: GatewayTlsOptions;
  /** Refuse inbound gateways from clusters not in `gateways` (Go's reject_unknown_cluster). */
  rejectUnknown: boolean;
  /** Attempts for an implicit (discovered) gateway before giving up; 0 = one round. */
  connectRetries: number;
  /** Double the delay between connection attempts up to a cap. */
  connectBackoff: boolean;
  gateways: RemoteGatewayOptions[];
}

/** Go's AUTH_TIMEOUT, in seconds. */
const DEFAULT_AUTH_TIMEOUT = 2;
/** Go's TLS_TIMEOUT, in seconds. */
const DEFAULT_TLS_TIMEOUT = 2;

/**
 * Reads the `gateway {}` conf block with Go's keys and errors (parseGateway and
 * validateGatewayOptions in opts.go / gateway.go). Returns undefined for a block Go treats as
 * "no gateway" (neither name nor port).
 *
 * @example
 * gatewayOptionsFromConf({ name: "A", port: -1, gateways: [{ name: "B", url: "nats://127.0.0.1:7222" }] });
 */
export function gatewayOptionsFromConf(block: unknown): GatewayOptions | undefined {
  if (!isMap(block as ConfValue)) throw new Error(`Expected gateway to be a map, got ${typeName(block as ConfValue)}`);
  const m = block as ConfMap;
  const out: GatewayOptions = {
    name: "",
    host: "",
    port: 0,
    authTimeout: 0,
    rejectUnknown: false,
    connectRetries: 0,
    connectBackoff: false,
    gateways: [],
  };
  for (const [k, v] of Object.entries(m)) {
    switch (k.toLowerCase()) {
      case "name": {
        const name = str(m, k, v);
        if (name.includes(" ")) fail(m, k, "gateway name cannot contain spaces");
        out.name = name;
        break;
      }
      case "listen": {
        const { host, port } = parseListen(m, k, v);
        if (host !== undefined) out.host = host;
        out.port = port;
        break;
      }
      case "port":
        out.port = int(m, k, v);
        break;
      case "host":
      case "net":
        out.host = str(m, k, v);
        break;
      case "authorization":
        readAuthorization(m, k, v, out);
        break;
      case "tls":
        out.tls = tlsFromConf(m, k, v);
        break;
      case "advertise":
        out.advertise = str(m, k, v);
        break;
      case "connect_retries":
        out.connectRetries = int(m, k, v);
        break;
      case "connect_backoff":
        out.connectBackoff = bool(m, k, v);
        break;
      case "gateways":
        out.gateways = remotesFromConf(m, k, v);
        break;
      case "reject_unknown":
      case "reject_unknown_cluster":
        out.rejectUnknown = bool(m, k, v);
        break;
      case "write_deadline":
        duration(m, k, v, "write_deadline");
        break;
      case "write_timeout":
        str(m, k, v);
        break;
      default:
        fail(m, k, `unknown field "${k}"`);
    }
  }
  if (out.name === "" && out.port === 0) return undefined;
  validate(out);
  if (out.host === "") out.host = "0.0.0.0";
  if (out.tls !== undefined) out.tls.timeout ??= DEFAULT_TLS_TIMEOUT;
  if (out.authTimeout === 0) {
    const tlsTimeout = out.tls?.timeout ?? 0;
    out.authTimeout = out.tls !== undefined && tlsTimeout > DEFAULT_AUTH_TIMEOUT ? tlsTimeout + 1 : DEFAULT_AUTH_TIMEOUT;
  }
  return out;
}

/** Go's validateGatewayOptions: the checks that need the whole block. */
function validate(o: GatewayOptions): void {
  if (o.name === "") throw new Error("gateway has no name");
  if (o.port === 0) throw new Error(`gateway "${o.name}" has no port specified (select -1 for random port)`);
  o.gateways.forEach((g, i) => {
    if (g.name === "") throw new Error(`gateway in the list ${i} has no name`);
    if (g.urls.length === 0) throw new Error(`gateway "${g.name}" has no URL`);
  });
}

function parseListen(m: ConfMap, k: string, v: ConfValue): { host?: string; port: number } {
  if (typeof v === "number") return { port: v };
  if (typeof v !== "string") return fail(m, k, `expected port or host:port, got ${typeName(v)}`);
  const i = v.lastIndexOf(":");
  if (i < 0) return fail(m, k, `could not parse address string "${v}"`);
  const port = Number.parseInt(v.slice(i + 1), 10);
  if (!Number.isInteger(port)) fail(m, k, `could not parse port "${v.slice(i + 1)}"`);
  return { host: v.slice(0, i).replace(/^\[|\]$/g, "") || undefined, port };
}

function readAuthorization(m: ConfMap, k: string, v: ConfValue, out: GatewayOptions): void {
  if (!isMap(v)) fail(m, k, `Expected authorization to be a map/struct, got ${typeName(v)}`);
  for (const [ak, av] of Object.entries(v)) {
    switch (ak.toLowerCase()) {
      case "user":
      case "username":
        out.username = str(v, ak, av);
        break;
      case "pass":
      case "password":
        out.password = str(v, ak, av);
        break;
      case "token":
        fail(m, k, "Gateway authorization does not support tokens");
        break;
      case "users":
        fail(m, k, "Gateway authorization does not allow multiple users");
        break;
      case "timeout":
        out.authTimeout = typeof av === "number" ? av : duration(v, ak, av, "auth timeout") / 1000;
        break;
      default:
        fail(v, ak, `unknown field "${ak}"`);
    }
  }
}

function tlsFromConf(m: ConfMap, k: string, v: ConfValue): GatewayTlsOptions {
  if (!isMap(v)) return fail(m, k, `interface conversion: interface {} is ${typeName(v)}, not map[string]interface {}`);
  const out: GatewayTlsOptions = {};
  for (const [tk, tv] of Object.entries(v)) {
    switch (tk.toLowerCase()) {
      case "cert_file":
        out.certFile = str(v, tk, tv);
        break;
      case "key_file":
        out.keyFile = str(v, tk, tv);
        break;
      case "ca_file":
        out.caFile = str(v, tk, tv);
        break;
      case "verify":
        out.verify = bool(v, tk, tv);
        break;
      case "insecure":
        out.insecure = bool(v, tk, tv);
        break;
      case "timeout":
        out.timeout = typeof tv === "number" ? tv : duration(v, tk, tv, "tls timeout") / 1000;
        break;
      case "cipher_suites":
      case "curve_preferences":
      case "pinned_certs":
      case "min_version":
      case "handshake_first":
      case "verify_and_map":
      case "verify_cert_and_check_known_urls":
        break;
      default:
        fail(v, tk, `error parsing tls config, unknown field [${tk}]`);
    }
  }
  if ((out.certFile === undefined) !== (out.keyFile === undefined)) {
    fail(m, k, out.certFile === undefined ? "missing 'cert_file' in TLS configuration" : "missing 'key_file' in TLS configuration");
  }
  return out;
}

function remotesFromConf(m: ConfMap, k: string, v: ConfValue): RemoteGatewayOptions[] {
  if (!Array.isArray(v)) return fail(m, k, `Expected gateways field to be an array, got ${typeName(v)}`);
  return v.map((entry, i) => {
    if (!isMap(entry)) return fail(v as unknown as ConfMap, String(i), `Expected gateway entry to be a map/struct, got ${String(entry)}`);
    const remote: RemoteGatewayOptions = { name: "", urls: [] };
    for (const [rk, rv] of Object.entries(entry)) {
      switch (rk.toLowerCase()) {
        case "name":
          remote.name = str(entry, rk, rv);
          break;
        case "tls":
          remote.tls = tlsFromConf(entry, rk, rv);
          break;
        case "url":
          remote.urls.push(parseGatewayUrl(entry, rk, str(entry, rk, rv)));
          break;
        case "urls": {
          if (!Array.isArray(rv)) fail(entry, rk, `interface conversion: interface {} is ${typeName(rv)}, not []interface {}`);
          const seen = new Set<string>();
          remote.urls = [];
          for (const u of rv as ConfValue[]) {
            const s = str(entry, rk, u);
            if (seen.has(s)) continue;
            seen.add(s);
            remote.urls.push(parseGatewayUrl(entry, rk, s));
          }
          break;
        }
        default:
          fail(entry, rk, `unknown field "${rk}"`);
      }
    }
    return remote;
  });
}

function parseGatewayUrl(m: ConfMap, k: string, raw: string): URL {
  const s = raw.trim();
  try {
    const u = new URL(s.includes("://") ? s : `nats://${s}`);
    if (u.port === "" && u.hostname === "") throw new Error("no host");
    return u;
  } catch {
    return fail(m, k, `error parsing gateway url ["${s}"]`);
  }
}
