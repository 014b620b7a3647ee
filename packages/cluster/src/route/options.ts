import {
  confBool as bool,
  confDuration as duration,
  confFail as fail,
  confInt as int,
  confString as str,
  goTypeName as typeName,
  isConfMap as isMap,
  type ConfMap,
  type ConfValue,
  type SubjectPermission,
} from "@nats-ts/core";
import { parseRouteUrl, type RouteUrl } from "./urls.js";

/** TLS of the route listener and of solicited routes (the `tls {}` block inside `cluster {}`). */
export interface RouteTlsOptions {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Ask the other server for a certificate signed by the CA. */
  verify: boolean;
  /** Skip checking the other server's certificate when soliciting (Go's `insecure`). */
  insecure: boolean;
  /** Seconds allowed for the handshake. */
  timeout: number;
}

/**
 * The `cluster {}` block (Go's ClusterOpts plus the top-level route list), camelCase.
 * Durations are milliseconds, `authTimeout` and TLS timeouts seconds as in Go.
 */
export interface RouteOptions {
  /** Cluster name; undefined = generated at start (Go's dynamic cluster name). */
  name?: string;
  host: string;
  /** 0 = clustering off (as in Go), -1 = a random free port. */
  port: number;
  /** host[:port] to tell the other servers instead of the listen address. */
  advertise?: string;
  /** Do not pass the other servers' client URLs on to this server's clients. */
  noAdvertise: boolean;
  /** Explicit routes: reconnected forever. */
  routes: RouteUrl[];
  /** Attempts after the first for implicit (gossiped) routes. */
  connectRetries: number;
  /** Double the delay between attempts up to a cap instead of retrying every second. */
  connectBackoff: boolean;
  username?: string;
  password?: string;
  /** Seconds an accepted route has to send a valid CONNECT when credentials are required. */
  authTimeout: number;
  /** What this server takes from (`import`) and gives to (`export`) the other servers. */
  permissions?: { import?: SubjectPermission; export?: SubjectPermission };
  /**
   * Go 2.10's route pooling. Parsed for compatibility; nats-ts keeps one route per remote
   * server (what Go 2.9 does and what a Go 2.10+ server falls back to with it).
   */
  poolSize: number;
  /** Go 2.10's pinned per-account routes: parsed and validated only, see {@link poolSize}. */
  pinnedAccounts: string[];
  /** Normalised compression mode; nats-ts routes never compress (peers see an old server). */
  compression: string;
  tls?: RouteTlsOptions;
  pingInterval?: number;
  pingMax?: number;
  writeDeadline?: number;
}

const COMPRESSION_MODES: Record<string, string> = {
  "not supported": "not supported",
  not_supported: "not supported",
  disabled: "off",
  off: "off",
  false: "off",
  accept: "accept",
  auto: "s2_auto",
  s2_auto: "s2_auto",
  fast: "s2_fast",
  s2_fast: "s2_fast",
  better: "s2_better",
  s2_better: "s2_better",
  best: "s2_best",
  s2_best: "s2_best",
  on: "s2_fast",
  enabled: "s2_fast",
  true: "s2_fast",
};

/** A startup error in Go's words (no conf position: Go reports these from NewServer). */
export class RouteConfigError extends Error {
  override name = "RouteConfigError";
}

/**
 * Reads a `cluster {}` conf block as core's conf parser left it, with Go's keys and errors
 * (parseCluster and validateCluster in Go's opts.go/server.go).
 *
 * @example
 * routeOptionsFromConf({ name: "east", port: -1, routes: ["nats-route://127.0.0.1:6222"] });
 */
export function routeOptionsFromConf(block: unknown): RouteOptions {
  if (!isMap(block as ConfValue)) throw new RouteConfigError(`Expected map to define cluster, got ${typeName(block as ConfValue)}`);
  const m = block as ConfMap;
  const out: RouteOptions = {
    host: "0.0.0.0",
    port: 0,
    noAdvertise: false,
    routes: [],
    connectRetries: 0,
    connectBackoff: false,
    authTimeout: 2,
    poolSize: 0,
    pinnedAccounts: [],
    compression: "",
  };
  for (const [k, v] of Object.entries(m)) {
    switch (k.toLowerCase()) {
      case "name": {
        const name = str(m, k, v);
        if (name.includes(" ")) fail(m, k, "cluster name cannot contain spaces");
        out.name = name;
        break;
      }
      case "listen":
        Object.assign(out, listenFromConf(m, k, v));
        break;
      case "port":
        out.port = int(m, k, v);
        break;
      case "host":
      case "net":
        out.host = str(m, k, v);
        break;
      case "authorization":
        Object.assign(out, authorizationFromConf(m, k, v));
        break;
      case "routes":
        out.routes = routesFromConf(m, k, v);
        break;
      case "tls":
        if (!isMap(v)) fail(m, k, `interface conversion: interface {} is ${typeName(v)}, not map[string]interface {}`);
        out.tls = tlsFromConf(v);
        break;
      case "cluster_advertise":
      case "advertise":
        out.advertise = str(m, k, v);
        break;
      case "no_advertise":
        out.noAdvertise = bool(m, k, v);
        break;
      case "connect_retries":
        out.connectRetries = int(m, k, v);
        break;
      case "connect_backoff":
        out.connectBackoff = bool(m, k, v);
        break;
      case "permissions":
        out.permissions = permissionsFromConf(m, k, v);
        break;
      case "pool_size":
        out.poolSize = int(m, k, v);
        break;
      case "accounts":
        out.pinnedAccounts = stringArray(m, k, v, "accounts");
        break;
      case "compression":
        out.compression = compressionFromConf(m, k, v);
        break;
      case "ping_interval":
        out.pingInterval = duration(m, k, v, "ping_interval");
        break;
      case "ping_max":
        out.pingMax = int(m, k, v);
        break;
      case "write_deadline":
        out.writeDeadline = duration(m, k, v, "write_deadline");
        break;
      default:
        fail(m, k, `unknown field "${k}"`);
    }
  }
  validate(out);
  return out;
}

/** Go's validateCluster checks that do not depend on a conf position. */
function validate(o: RouteOptions): void {
  if (o.pinnedAccounts.length > 0) {
    if (o.poolSize < 0) throw new RouteConfigError("pool_size cannot be negative if pinned accounts are specified");
    const seen = new Set<string>();
    for (const a of o.pinnedAccounts) {
      if (seen.has(a)) throw new RouteConfigError(`found duplicate account name "${a}" in pinned accounts list [${o.pinnedAccounts.join(" ")}]`);
      seen.add(a);
    }
  }
}

function listenFromConf(m: ConfMap, k: string, v: ConfValue): { host?: string; port: number } {
  if (typeof v === "number") return { port: v };
  if (typeof v !== "string") fail(m, k, `expected port or host:port, got ${typeName(v)}`);
  const s = v as string;
  const i = s.lastIndexOf(":");
  if (i < 0) fail(m, k, `could not parse address string "${s}"`);
  const port = Number.parseInt(s.slice(i + 1), 10);
  if (!Number.isInteger(port)) fail(m, k, `could not parse port "${s.slice(i + 1)}"`);
  const host = s.slice(0, i).replace(/^\[|\]$/g, "");
  return host === "" ? { port } : { host, port };
}

function authorizationFromConf(m: ConfMap, k: string, v: ConfValue): Partial<RouteOptions> {
  if (!isMap(v)) fail(m, k, `Expected authorization to be a map/struct, got ${typeName(v)}`);
  const a = v as ConfMap;
  const out: Partial<RouteOptions> = {};
  for (const [ak, av] of Object.entries(a)) {
    switch (ak.toLowerCase()) {
      case "user":
      case "username":
        out.username = str(a, ak, av);
        break;
      case "pass":
      case "password":
        out.password = str(a, ak, av);
        break;
      case "token":
        fail(m, k, "Cluster authorization does not support tokens");
        break;
      case "users":
        fail(m, k, "Cluster authorization does not allow multiple users");
        break;
      case "timeout":
        out.authTimeout = typeof av === "number" ? av : duration(a, ak, av, "auth timeout") / 1000;
        break;
      case "permissions":
        out.permissions = permissionsFromConf(a, ak, av);
        break;
      default:
        fail(a, ak, `unknown field "${ak}"`);
    }
  }
  return out;
}

function routesFromConf(m: ConfMap, k: string, v: ConfValue): RouteUrl[] {
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list)) fail(m, k, `interface conversion: interface {} is ${typeName(v)}, not []interface {}`);
  const seen = new Set<string>();
  const out: RouteUrl[] = [];
  for (const item of list as ConfValue[]) {
    if (typeof item !== "string") fail(m, k, `interface conversion: interface {} is ${typeName(item)}, not string`);
    const text = (item as string).trim();
    if (seen.has(text)) continue; // Go warns "Duplicate route entry detected" and skips it.
    seen.add(text);
    const url = parseRouteUrl(text);
    if (url === undefined) fail(m, k, `error parsing route url ["${text}"]`);
    out.push(url);
  }
  return out;
}

function subjectList(m: ConfMap, k: string, v: ConfValue): string[] {
  if (typeof v === "string") return [v];
  if (!Array.isArray(v)) fail(m, k, `Expected subject permissions to be a subject, or array of subjects, got ${typeName(v)}`);
  return (v as ConfValue[]).map((x) => (typeof x === "string" ? x : fail(m, k, `Subject in permissions array cannot be cast to string`)));
}

function subjectPermission(m: ConfMap, k: string, v: ConfValue): SubjectPermission {
  if (!isMap(v)) return { allow: subjectList(m, k, v) };
  const p: SubjectPermission = {};
  for (const [pk, pv] of Object.entries(v)) {
    const key = pk.toLowerCase();
    if (key === "allow") p.allow = subjectList(v, pk, pv);
    else if (key === "deny") p.deny = subjectList(v, pk, pv);
    else fail(v, pk, `Unknown field name "${pk}" parsing subject permissions, only 'allow' or 'deny' are permitted`);
  }
  return p;
}

function permissionsFromConf(m: ConfMap, k: string, v: ConfValue): RouteOptions["permissions"] {
  if (!isMap(v)) fail(m, k, `Expected permissions to be a map/struct, got ${typeName(v)}`);
  const out: NonNullable<RouteOptions["permissions"]> = {};
  for (const [pk, pv] of Object.entries(v)) {
    switch (pk.toLowerCase()) {
      case "import":
      case "publish":
      case "pub":
        out.import = subjectPermission(v, pk, pv);
        break;
      case "export":
      case "subscribe":
      case "sub":
        out.export = subjectPermission(v, pk, pv);
        break;
      case "allow_responses":
      case "allow_response":
      case "responses":
        fail(m, k, "Cluster permissions do not support dynamic responses");
        break;
      default:
        fail(v, pk, `Unknown field "${pk}" parsing permissions`);
    }
  }
  return out;
}

function stringArray(m: ConfMap, k: string, v: ConfValue, field: string): string[] {
  if (typeof v === "string") return [v];
  if (!Array.isArray(v)) fail(m, k, `error parsing ${field}: unsupported type ${typeName(v)}`);
  return (v as ConfValue[]).map((x) => (typeof x === "string" ? x : fail(m, k, `error parsing ${field}: unsupported type in array ${typeName(x)}`)));
}

function compressionFromConf(m: ConfMap, k: string, v: ConfValue): string {
  let mode: string;
  if (typeof v === "boolean") mode = v ? "s2_fast" : "off";
  else if (typeof v === "string") mode = v;
  else if (isMap(v)) {
    mode = "";
    for (const [ck, cv] of Object.entries(v)) {
      const key = ck.toLowerCase();
      if (key === "mode") mode = str(v, ck, cv);
      else if (!["rtt_thresholds", "thresholds", "rtts", "rtt"].includes(key)) fail(v, ck, `unknown field "${ck}"`);
    }
  } else return fail(m, k, `field "${k}" should be a boolean or a structure, got ${typeName(v)}`);
  if (mode === "") return "";
  const normalised = COMPRESSION_MODES[mode.toLowerCase()];
  if (normalised === undefined) fail(m, k, `unsupported compression mode "${mode}"`);
  return normalised;
}

function tlsFromConf(m: ConfMap): RouteTlsOptions {
  const out: RouteTlsOptions = { verify: false, insecure: false, timeout: 2 };
  for (const [k, v] of Object.entries(m)) {
    switch (k.toLowerCase()) {
      case "cert_file":
        out.certFile = str(m, k, v);
        break;
      case "key_file":
        out.keyFile = str(m, k, v);
        break;
      case "ca_file":
        out.caFile = str(m, k, v);
        break;
      case "verify":
        out.verify = bool(m, k, v);
        break;
      case "insecure":
        out.insecure = bool(m, k, v);
        break;
      case "timeout":
        out.timeout = typeof v === "number" ? v : duration(m, k, v, "tls timeout") / 1000;
        break;
      case "cipher_suites":
      case "curve_preferences":
      case "min_version":
      case "pinned_certs":
      case "verify_and_map":
      case "verify_cert_and_check_known_urls":
      case "handshake_first":
        break;
      default:
        fail(m, k, `error parsing tls config, unknown field [${k}]`);
    }
  }
  if (out.certFile === undefined && out.keyFile !== undefined) fail(m, "key_file", "missing 'cert_file' in TLS configuration");
  if (out.keyFile === undefined && out.certFile !== undefined) fail(m, "cert_file", "missing 'key_file' in TLS configuration");
  return out;
}
