import {
  confBool as bool,
  confDuration as duration,
  confFail as fail,
  confInt as int,
  confListenerAddress,
  confString as str,
  goTypeName as typeName,
  isConfMap as isMap,
  type ConfMap,
  type ConfValue,
  type SubjectPermission,
} from "@nats-ts/core";
import { CompressionMode, compressionOptionsFromConf, type CompressionOptions } from "../shared/compression/index.js";
import { peerAuthorizationFromConf, peerTlsFromConf, subjectsFromConf, type PeerTlsOptions } from "../shared/conf.js";
import { DEFAULT_ROUTE_POOL_SIZE } from "./pool.js";
import { parseRouteUrl, type RouteUrl } from "./urls.js";

/** TLS of the route listener and of solicited routes (the `tls {}` block inside `cluster {}`). */
export type RouteTlsOptions = PeerTlsOptions;

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
   * Route connections to each remote server (Go 2.10's route pooling), each account's traffic on
   * the one its name hashes to. Default 3; -1 turns pooling off: one route per remote server, as
   * Go 2.9 does (and as happens anyway with a server that does not pool).
   */
  poolSize: number;
  /**
   * Accounts with a dedicated route connection to each remote server (Go 2.10's pinned accounts).
   * The system account is added when pooling is on, as Go does.
   */
  pinnedAccounts: string[];
  /**
   * S2 compression of route connections (Go 2.10+): the normalised mode, negotiated with each
   * remote on every connection, and the s2_auto RTT thresholds. Default "accept": compress only
   * when the other side asks for it; `true`/`on` mean s2_fast.
   */
  compression: CompressionOptions;
  tls?: RouteTlsOptions;
  pingInterval?: number;
  pingMax?: number;
  writeDeadline?: number;
}

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
    compression: { mode: CompressionMode.Accept, rttThresholds: [] },
  };
  for (const [k, v] of Object.entries(m)) {
    if (confListenerAddress(m, k, v, out)) continue;
    switch (k.toLowerCase()) {
      case "name": {
        const name = str(m, k, v);
        if (name.includes(" ")) fail(m, k, "cluster name cannot contain spaces");
        out.name = name;
        break;
      }
      case "authorization": {
        const auth = peerAuthorizationFromConf(m, k, v, "Cluster", (a, ak, av) => {
          if (ak.toLowerCase() !== "permissions") return false;
          out.permissions = permissionsFromConf(a, ak, av);
          return true;
        });
        out.username = auth.user ?? out.username;
        out.password = auth.password ?? out.password;
        out.authTimeout = auth.authTimeout ?? out.authTimeout;
        break;
      }
      case "routes":
        out.routes = routesFromConf(m, k, v);
        break;
      case "tls":
        out.tls = peerTlsFromConf(m, k, v);
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
        out.compression = compressionOptionsFromConf(m, k, v, CompressionMode.S2Fast, CompressionMode.Accept);
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
  if (out.poolSize === 0) out.poolSize = DEFAULT_ROUTE_POOL_SIZE;
  validate(out);
  return out;
}

/** Go's validateCluster checks that do not depend on a conf position. */
function validate(o: RouteOptions): void {
  if (o.pinnedAccounts.length > 0) {
    if (o.poolSize < 0) throw new RouteConfigError("pool_size cannot be negative if pinned accounts are specified");
    const seen = new Set<string>();
    for (const a of o.pinnedAccounts) {
      // Go formats both with %q: a quoted name, and the list as ["a" "b"].
      if (seen.has(a)) throw new RouteConfigError(`found duplicate account name ${JSON.stringify(a)} in pinned accounts list [${o.pinnedAccounts.map((x) => JSON.stringify(x)).join(" ")}]`);
      seen.add(a);
    }
  }
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

function subjectPermission(m: ConfMap, k: string, v: ConfValue): SubjectPermission {
  if (!isMap(v)) return { allow: subjectsFromConf(m, k, v) };
  const p: SubjectPermission = {};
  for (const [pk, pv] of Object.entries(v)) {
    const key = pk.toLowerCase();
    if (key === "allow") p.allow = subjectsFromConf(v, pk, pv);
    else if (key === "deny") p.deny = subjectsFromConf(v, pk, pv);
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
