import {
  confCredentialKey,
  confFail as fail,
  confSeconds,
  confString as str,
  confTlsBlock,
  goTypeName as typeName,
  isConfMap as isMap,
  type ConfMap,
  type ConfValue,
} from "@nats-ts/core";

// Conf readers the `cluster {}`, `leafnodes {}` and `gateway {}` blocks have in common, in Go's
// words (opts.go). Generic readers every listener needs (listen, tls) live in core.

/**
 * A non-empty string setting of another raw conf block (`cluster { name }`, `jetstream { domain }`),
 * its key looked up case-insensitively as Go does; undefined when absent or not a string.
 */
export function confBlockString(block: unknown, key: string): string | undefined {
  if (!isMap(block as ConfValue)) return undefined;
  const m = block as ConfMap;
  const k = Object.keys(m).find((x) => x.toLowerCase() === key);
  const v = k === undefined ? undefined : m[k];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** Go's default TLS handshake timeout of routes, leaf nodes and gateways, in seconds. */
export const DEFAULT_PEER_TLS_TIMEOUT = 2;

/** A server-to-server `tls {}` block (listener or remote), with Go's defaults filled in. */
export interface PeerTlsOptions {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Accepting side: ask for the other server's certificate and check it against the CA. */
  verify: boolean;
  /** Soliciting side: skip checking the other server's certificate (Go's `insecure`). */
  insecure: boolean;
  /** Seconds allowed for the handshake. */
  timeout: number;
}

/**
 * Reads the `tls {}` block of a route, leaf or gateway listener or remote.
 *
 * @example
 * peerTlsFromConf(block, "tls", { cert_file: "c.pem", key_file: "k.pem" }); // { verify: false, insecure: false, timeout: 2, ... }
 */
export function peerTlsFromConf(m: ConfMap, k: string, v: ConfValue): PeerTlsOptions {
  const t = confTlsBlock(m, k, v);
  return {
    certFile: t.certFile,
    keyFile: t.keyFile,
    caFile: t.caFile,
    verify: t.verify ?? false,
    insecure: t.insecure ?? false,
    timeout: t.timeout ?? DEFAULT_PEER_TLS_TIMEOUT,
  };
}

/** The single user of a route or gateway `authorization {}` block. */
export interface PeerCredentials {
  user?: string;
  password?: string;
  /** Seconds, when the block sets it. */
  authTimeout?: number;
}

/**
 * Go's parseCluster/parseGateway `authorization {}`: one user and password, no token, no users
 * list. `kind` words the errors ("Cluster", "Gateway"); `other` reads keys only one block knows
 * (returns false for a key it does not know either).
 */
export function peerAuthorizationFromConf(
  m: ConfMap,
  k: string,
  v: ConfValue,
  kind: "Cluster" | "Gateway",
  other: (a: ConfMap, key: string, value: ConfValue) => boolean = () => false,
): PeerCredentials {
  if (!isMap(v)) fail(m, k, `Expected authorization to be a map/struct, got ${typeName(v)}`);
  const a = v as ConfMap;
  const out: PeerCredentials = {};
  for (const [ak, av] of Object.entries(a)) {
    if (confCredentialKey(a, ak, av, out)) continue;
    switch (ak.toLowerCase()) {
      case "token":
        fail(m, k, `${kind} authorization does not support tokens`);
        break;
      case "users":
        fail(m, k, `${kind} authorization does not allow multiple users`);
        break;
      case "timeout":
        out.authTimeout = confSeconds(a, ak, av, "auth timeout");
        break;
      default:
        if (!other(a, ak, av)) fail(a, ak, `unknown field "${ak}"`);
    }
  }
  return out;
}

/**
 * A subject or a list of subjects (permissions, deny lists), with Go's errors; `check` may
 * refuse an entry by returning Go's error text for it.
 */
export function subjectsFromConf(m: ConfMap, k: string, v: ConfValue, check: (s: string) => string | undefined = () => undefined): string[] {
  const list = typeof v === "string" ? [v] : Array.isArray(v) ? v : fail(m, k, `Expected subject permissions to be a subject, or array of subjects, got ${typeName(v)}`);
  return list.map((s) => {
    if (typeof s !== "string") return fail(m, k, `Subject in permissions array cannot be cast to string`);
    const problem = check(s);
    if (problem !== undefined) fail(m, k, problem);
    return s;
  });
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
};

/**
 * Go's parseCompression and validateAndNormalizeCompressionOption: a boolean, a mode name or
 * `{ mode, rtt_thresholds }`, normalised; `on`/`true` mean `onMode` (routes: s2_fast, leaf
 * nodes: s2_auto). "" when no mode is given (each part has its own default).
 */
export function compressionFromConf(m: ConfMap, k: string, v: ConfValue, onMode: string): string {
  let mode: string;
  if (typeof v === "boolean") mode = v ? "on" : "off";
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
  const lower = mode.toLowerCase();
  const normalised = ["on", "enabled", "true"].includes(lower) ? onMode : COMPRESSION_MODES[lower];
  if (normalised === undefined) fail(m, k, `unsupported compression mode "${mode}"`);
  return normalised;
}
