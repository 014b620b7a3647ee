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
} from "@nats-ts/core";
import { peerAuthorizationFromConf, peerTlsFromConf, type PeerTlsOptions } from "../shared/conf.js";

/**
 * TLS of the gateway listener or of one remote (the `tls {}` blocks of `gateway {}`). `verify` is
 * accepted for Go compatibility: gateways always verify peer certificates.
 */
export type GatewayTlsOptions = PeerTlsOptions;

/** One entry of `gateways [ ... ]`: another cluster and where to reach it. */
export interface RemoteGatewayOptions {
  name: string;
  urls: URL[];
  tls?: GatewayTlsOptions;
  /** The `timeout` its `tls {}` block sets, if any; without it the gateway's own applies (as in Go). */
  tlsTimeout?: number;
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
    if (confListenerAddress(m, k, v, out)) continue;
    switch (k.toLowerCase()) {
      case "name": {
        const name = str(m, k, v);
        if (name.includes(" ")) fail(m, k, "gateway name cannot contain spaces");
        out.name = name;
        break;
      }
      case "authorization": {
        const auth = peerAuthorizationFromConf(m, k, v, "Gateway");
        out.username = auth.user ?? out.username;
        out.password = auth.password ?? out.password;
        out.authTimeout = auth.authTimeout ?? out.authTimeout;
        break;
      }
      case "tls":
        out.tls = peerTlsFromConf(m, k, v);
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
  if (out.authTimeout === 0) {
    const tlsTimeout = out.tls?.timeout ?? 0;
    out.authTimeout = tlsTimeout > DEFAULT_AUTH_TIMEOUT ? tlsTimeout + 1 : DEFAULT_AUTH_TIMEOUT;
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
          remote.tls = peerTlsFromConf(entry, rk, rv);
          if (isMap(rv) && Object.keys(rv).some((key) => key.toLowerCase() === "timeout")) remote.tlsTimeout = remote.tls.timeout;
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
