import {
  confBool as bool,
  confCredentialKey,
  confDuration,
  confFail as fail,
  confListenerAddress,
  confString as str,
  goTypeName as typeName,
  isConfMap as isMap,
  type ConfMap,
  type ConfValue,
  type ServerOptions,
  parseDuration,
} from "@nats-ts/core";
import { isValidSubject } from "@nats-ts/wire";
import { peerTlsFromConf, subjectsFromConf, type PeerTlsOptions } from "../shared/conf.js";
import { CompressionMode, DEFAULT_RTT_THRESHOLDS, compressionOptionsFromConf, type CompressionOptions } from "../shared/compression/index.js";
import { DEFAULT_DIAL_TIMEOUT, DEFAULT_FIRST_INFO_TIMEOUT, DEFAULT_RECONNECT_INTERVAL } from "./constants.js";
import { parseLeafUrl } from "./urls.js";

/** TLS of the leaf listener or of one remote (the `tls {}` block). */
export type LeafTlsOptions = PeerTlsOptions;

/** One user of `leafnodes { authorization { users [...] } }`, bound to an account. */
export interface LeafUser {
  user: string;
  password: string;
  account?: string;
}

/** `leafnodes { authorization {} }` (Go's parseLeafAuthorization). */
export interface LeafAuthorization {
  user?: string;
  password?: string;
  nkey?: string;
  account?: string;
  /** Seconds; 0 = the default. */
  timeout: number;
  users: LeafUser[];
}

/** One entry of `leafnodes { remotes [...] }` (Go's RemoteLeafOpts). */
export interface RemoteLeafOptions {
  urls: URL[];
  /** The local account the connection binds to ($G when not given). */
  account: string;
  credentials?: string;
  /** A user nkey seed to sign the hub's nonce with. */
  nkey?: string;
  tls?: LeafTlsOptions;
  /** TLS without a `tls {}` block (a `tls://` URL). */
  tlsRequired: boolean;
  /** The remote is our spoke rather than our hub. */
  hub: boolean;
  denyImports: string[];
  denyExports: string[];
  /** Milliseconds to wait for the hub's first INFO. */
  firstInfoTimeout: number;
  /** Milliseconds allowed for the TCP connect; 0 = the server's leafnodes dial_timeout. */
  dialTimeout: number;
  noRandomize: boolean;
  /** Go's default is s2_auto (with the default RTT thresholds) for the listener and every remote. */
  compression: CompressionOptions;
  disabled: boolean;
  ignoreDiscoveredServers: boolean;
  /** Do not send interest of other leaf nodes over this connection. */
  isolate: boolean;
  requestIsolation: boolean;
}

/** The `leafnodes {}` block (Go's LeafNodeOpts). Durations are milliseconds. */
export interface LeafNodeOptions {
  host: string;
  /** 0 = no listener, -1 = a random port. */
  port: number;
  advertise?: string;
  noAdvertise: boolean;
  authorization: LeafAuthorization;
  tls?: LeafTlsOptions;
  /** Go's default is s2_auto (with the default RTT thresholds) for the listener and every remote. */
  compression: CompressionOptions;
  remotes: RemoteLeafOptions[];
  reconnectInterval: number;
  /** Milliseconds allowed for the TCP connect of a remote (Go's dial timeout, default 1s). */
  dialTimeout: number;
  minVersion?: string;
  isolate: boolean;
}

/** A duration (Go string or seconds) in milliseconds; a bad string fails as Go's `error parsing <what>: ...`. */
function duration(m: ConfMap, k: string, v: ConfValue, what: string): number {
  if (typeof v === "string") {
    try {
      return parseDuration(v);
    } catch (e) {
      return fail(m, k, `error parsing ${what}: ${(e as Error).message}`);
    }
  }
  return confDuration(m, k, v, what);
}

/** A deny list names subjects only, no queue groups (Go's checkPermSubjectArray without queues). */
function denyListFromConf(m: ConfMap, k: string, v: ConfValue): string[] {
  return subjectsFromConf(m, k, v, (s) => (isValidSubject(s) ? undefined : `subject ${JSON.stringify(s)} is not a valid subject`));
}

/** Go's leaf default, for `compression: on` and when no mode is given, is s2_auto. */
function leafCompressionFromConf(m: ConfMap, k: string, v: ConfValue): CompressionOptions {
  return compressionOptionsFromConf(m, k, v, CompressionMode.S2Auto, CompressionMode.S2Auto);
}

function defaultCompression(): CompressionOptions {
  return { mode: CompressionMode.S2Auto, rttThresholds: DEFAULT_RTT_THRESHOLDS };
}

function authorizationFromConf(m: ConfMap): LeafAuthorization {
  const out: LeafAuthorization = { timeout: 0, users: [] };
  for (const [k, v] of Object.entries(m)) {
    if (confCredentialKey(m, k, v, out)) continue;
    switch (k.toLowerCase()) {
      case "nkey": {
        const nk = str(m, k, v);
        if (!/^U[A-Z2-7]{55}$/.test(nk)) fail(m, k, "Not a valid public nkey for leafnode authorization");
        out.nkey = nk;
        break;
      }
      case "timeout":
        if (typeof v === "number") out.timeout = v;
        else if (typeof v === "string") out.timeout = duration(m, k, v, "leafnode authorization config, 'timeout'") / 1000;
        else fail(m, k, "error parsing leafnode authorization config, 'timeout' wrong type");
        break;
      case "users":
        out.users = usersFromConf(m, k, v);
        break;
      case "account":
        out.account = str(m, k, v);
        break;
      case "proxy_required":
        bool(m, k, v);
        break;
      default:
        fail(m, k, `unknown field "${k}"`);
    }
  }
  if (out.users.length > 0) {
    const key = Object.keys(m).find((x) => x.toLowerCase() === "users")!;
    if (out.user !== undefined) fail(m, key, "can not have a single user/pass and a users array");
    if (out.nkey !== undefined) fail(m, key, "can not have a single nkey and a users array");
    const seen = new Set<string>();
    for (const u of out.users) {
      if (seen.has(u.user)) fail(m, key, `duplicate user "${u.user}" detected in leafnode authorization`);
      seen.add(u.user);
    }
  }
  return out;
}

function usersFromConf(m: ConfMap, k: string, v: ConfValue): LeafUser[] {
  if (!Array.isArray(v)) fail(m, k, `Expected users field to be an array, got ${JSON.stringify(v)}`);
  return (v as ConfValue[]).map((u) => {
    if (!isMap(u)) return fail(m, k, `Expected user entry to be a map/struct, got ${JSON.stringify(u)}`);
    const user: LeafUser = { user: "", password: "" };
    for (const [uk, uv] of Object.entries(u)) {
      if (confCredentialKey(u, uk, uv, user)) continue;
      switch (uk.toLowerCase()) {
        case "account":
          user.account = str(u, uk, uv);
          break;
        case "proxy_required":
          bool(u, uk, uv);
          break;
        default:
          fail(u, uk, `unknown field "${uk}"`);
      }
    }
    return user;
  });
}

function remoteFromConf(m: ConfMap): RemoteLeafOptions {
  const out: RemoteLeafOptions = {
    urls: [],
    account: "",
    tlsRequired: false,
    hub: false,
    denyImports: [],
    denyExports: [],
    firstInfoTimeout: DEFAULT_FIRST_INFO_TIMEOUT,
    dialTimeout: 0,
    noRandomize: false,
    compression: defaultCompression(),
    disabled: false,
    ignoreDiscoveredServers: false,
    isolate: false,
    requestIsolation: false,
  };
  for (const [k, v] of Object.entries(m)) {
    switch (k.toLowerCase()) {
      case "no_randomize":
      case "dont_randomize":
        out.noRandomize = bool(m, k, v);
        break;
      case "url":
      case "urls": {
        const list = typeof v === "string" ? [v] : Array.isArray(v) ? v : fail(m, k, `Expected remote leafnode url to be an array or string, got ${JSON.stringify(v)}`);
        for (const u of list) {
          if (typeof u !== "string") fail(m, k, `Expected remote leafnode url to be an array or string, got ${JSON.stringify(v)}`);
          const parsed = parseLeafUrl(u as string);
          if (typeof parsed === "string") fail(m, k, parsed);
          out.urls.push(parsed as URL);
        }
        break;
      }
      case "account":
      case "local":
        out.account = str(m, k, v);
        break;
      case "creds":
      case "credentials":
        if (out.nkey !== undefined) fail(m, k, "Remote leafnode can not have both creds and nkey defined");
        out.credentials = str(m, k, v).replace(/^~(?=\/)/, process.env.HOME ?? "~");
        break;
      case "nkey":
      case "seed": {
        const seed = str(m, k, v);
        if (!/^SU[A-Z2-7]{56}$/.test(seed)) fail(m, k, `Remote leafnode nkey is not a valid seed: ${JSON.stringify(seed)}`);
        if (out.credentials !== undefined) fail(m, k, "Remote leafnode can not have both creds and nkey defined");
        out.nkey = seed;
        break;
      }
      case "tls":
        out.tls = peerTlsFromConf(m, k, v);
        break;
      case "hub":
        out.hub = bool(m, k, v);
        break;
      case "deny_imports":
      case "deny_import":
        out.denyImports = denyListFromConf(m, k, v);
        break;
      case "deny_exports":
      case "deny_export":
        out.denyExports = denyListFromConf(m, k, v);
        break;
      case "compression":
        out.compression = leafCompressionFromConf(m, k, v);
        break;
      case "first_info_timeout":
        out.firstInfoTimeout = duration(m, k, v, "first_info_timeout");
        break;
      case "disabled":
        out.disabled = bool(m, k, v);
        break;
      case "ignore_discovered_servers":
        out.ignoreDiscoveredServers = bool(m, k, v);
        break;
      case "isolate_leafnode_interest":
      case "isolate":
        out.isolate = bool(m, k, v);
        break;
      case "request_isolation":
        out.requestIsolation = bool(m, k, v);
        break;
      case "dial_timeout":
        out.dialTimeout = duration(m, k, v, "dial_timeout");
        break;
      case "ws_compress":
      case "ws_compression":
      case "websocket_compress":
      case "websocket_compression":
      case "ws_no_masking":
      case "websocket_no_masking":
      case "jetstream_cluster_migrate":
      case "js_cluster_migrate":
      case "proxy":
        break;
      default:
        fail(m, k, `unknown field "${k}"`);
    }
  }
  out.tlsRequired = out.tls !== undefined || out.urls.some((u) => u.protocol === "tls:");
  return out;
}

/** Go's name of a remote (URLs, account, credentials or nkey); `redacted` hides passwords and seeds. */
export function remoteName(r: RemoteLeafOptions, redacted = false): string {
  const urls = r.urls.map((u) => {
    if (!redacted || u.password === "") return JSON.stringify(u.href.replace(/\/$/, ""));
    const copy = new URL(u.href);
    copy.password = "xxxxx";
    return JSON.stringify(copy.href.replace(/\/$/, ""));
  });
  const extra = r.credentials !== undefined ? `, credentials=${JSON.stringify(r.credentials)}` : r.nkey !== undefined ? `, nkey=${redacted ? '"[REDACTED]"' : JSON.stringify(r.nkey)}` : "";
  return `urls=[${urls.join(" ")}], account=${JSON.stringify(r.account || "$G")}${extra}`;
}

/**
 * Reads the `leafnodes {}` block with Go's keys and aliases (parseLeafNodes in opts.go). Wrong
 * types and unknown keys fail at their position.
 *
 * @example
 * leafNodeOptionsFromConf({ port: -1, remotes: [{ url: "nats-leaf://hub:7422", account: "A" }] });
 */
export function leafNodeOptionsFromConf(block: unknown): LeafNodeOptions {
  if (!isMap(block as ConfValue)) throw new Error(`Expected map to define a leafnode, got ${typeName(block as ConfValue)}`);
  const m = block as ConfMap;
  const out: LeafNodeOptions = {
    host: "0.0.0.0",
    port: 0,
    noAdvertise: false,
    authorization: { timeout: 0, users: [] },
    compression: defaultCompression(),
    remotes: [],
    reconnectInterval: DEFAULT_RECONNECT_INTERVAL,
    dialTimeout: DEFAULT_DIAL_TIMEOUT,
    isolate: false,
  };
  for (const [k, v] of Object.entries(m)) {
    if (confListenerAddress(m, k, v, out)) continue;
    switch (k.toLowerCase()) {
      case "authorization":
        if (!isMap(v)) fail(m, k, `Expected authorization to be a map/struct, got ${typeName(v)}`);
        out.authorization = authorizationFromConf(v as ConfMap);
        break;
      case "remotes":
        if (!Array.isArray(v)) fail(m, k, `Expected remotes field to be an array, got ${typeName(v)}`);
        for (const r of v as ConfValue[]) {
          if (!isMap(r)) fail(m, k, `Expected remote leafnode entry to be a map/struct, got ${JSON.stringify(r)}`);
          const remote = remoteFromConf(r as ConfMap);
          const name = remoteName(remote);
          if (out.remotes.some((x) => remoteName(x) === name)) fail(m, k, `duplicate remote ${remoteName(remote, true)}`);
          out.remotes.push(remote);
        }
        break;
      case "reconnect":
      case "reconnect_delay":
      case "reconnect_interval":
        out.reconnectInterval = duration(m, k, v, "reconnect");
        break;
      case "tls":
        out.tls = peerTlsFromConf(m, k, v);
        break;
      case "leafnode_advertise":
      case "advertise":
        out.advertise = str(m, k, v);
        break;
      case "no_advertise":
        out.noAdvertise = bool(m, k, v);
        break;
      case "min_version":
      case "minimum_version": {
        const version = str(m, k, v);
        const parts = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
        if (parts === null) fail(m, k, `invalid leafnode's minimum version: invalid semver`);
        const [maj, min] = [Number(parts![1]), Number(parts![2])];
        if (maj < 2 || (maj === 2 && min < 8)) fail(m, k, "the minimum version should be at least 2.8.0");
        out.minVersion = version;
        break;
      }
      case "compression":
        out.compression = leafCompressionFromConf(m, k, v);
        break;
      case "isolate_leafnode_interest":
      case "isolate":
        out.isolate = bool(m, k, v);
        break;
      case "dial_timeout":
        out.dialTimeout = duration(m, k, v, k);
        break;
      case "write_deadline":
        duration(m, k, v, k);
        break;
      case "write_timeout":
        str(m, k, v);
        break;
      default:
        fail(m, k, `unknown field "${k}"`);
    }
  }
  return out;
}

/**
 * The check Go's validateLeafNode makes against the rest of the options: every account the
 * block names must exist. Returns Go's error text, or undefined when the options are valid.
 */
export function validateLeafNodeOptions(leaf: LeafNodeOptions, opts: ServerOptions): string | undefined {
  const accounts = new Set(["$G", "", ...Object.keys(opts.accounts)]);
  accounts.add(opts.systemAccount || "$SYS");
  const missing = (name: string | undefined, where: string) =>
    name !== undefined && !accounts.has(name) ? `cannot find local account ${JSON.stringify(name)} specified in leafnode ${where}` : undefined;
  const problem =
    missing(leaf.authorization.account, "authorization") ??
    leaf.authorization.users.map((u) => missing(u.account, "authorization")).find((e) => e !== undefined) ??
    leaf.remotes.map((r) => missing(r.account || "$G", "remote")).find((e) => e !== undefined);
  return problem;
}
