import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { confBool as bool, confDuration as duration, confFail as fail, confString as str, isConfMap as isMap, goTypeName as typeName, type ConfMap, type ConfValue } from "@nats-ts/core";

/** The `tls {}` block of `mqtt {}` (Go's TLSConfigOpts, the parts this listener serves). */
export interface MqttTlsOptions {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Inline PEM, instead of the files. */
  cert?: string;
  key?: string;
  ca?: string;
  /** Ask clients for a certificate and refuse those without one the CA signed. */
  verify?: boolean;
  /** Seconds the handshake may take (Go's default, 2). */
  timeout?: number;
  /** "1.2" or "1.3". */
  minVersion?: string;
}

/** Go's TLS_TIMEOUT. */
const DEFAULT_TLS_TIMEOUT_S = 2;
const VERSIONS: Record<string, "TLSv1.2" | "TLSv1.3"> = { "1.2": "TLSv1.2", "1.3": "TLSv1.3" };
/** Keys Go knows that this listener does not serve: refused rather than ignored, since each weakens or changes authentication. */
const UNSUPPORTED = new Set(["verify_and_map", "pinned_certs", "cert_store", "cert_match", "cert_match_by", "ocsp_peer", "verify_cert_and_check_known_urls", "insecure", "handshake_first", "first", "immediate"]);

/**
 * Reads `mqtt { tls {} }`. Keys Go accepts but this build does not serve fail at their place.
 *
 * @example
 * mqttTlsFromConf({ cert_file: "server.pem", key_file: "key.pem", verify: true });
 */
export function mqttTlsFromConf(v: ConfValue, parent: ConfMap, key: string): MqttTlsOptions {
  if (!isMap(v)) fail(parent, key, `interface conversion: interface {} is ${typeName(v)}, not map[string]interface {}`);
  const m = v as ConfMap;
  const out: MqttTlsOptions = {};
  for (const [k, val] of Object.entries(m)) {
    const lk = k.toLowerCase();
    if (UNSUPPORTED.has(lk)) fail(m, k, `mqtt: tls "${k}" is not supported by this nats-ts build yet`);
    switch (lk) {
      case "cert_file":
        out.certFile = str(m, k, val);
        break;
      case "key_file":
        out.keyFile = str(m, k, val);
        break;
      case "ca_file":
        out.caFile = str(m, k, val);
        break;
      case "verify":
        out.verify = bool(m, k, val);
        break;
      case "timeout":
        out.timeout = typeof val === "number" ? val : duration(m, k, val, "tls timeout") / 1000;
        break;
      case "min_version":
        out.minVersion = str(m, k, val);
        break;
      case "cipher_suites":
      case "curve_preferences":
        break; // Node picks its own suites and curves
      default:
        fail(m, k, `error parsing tls config, unknown field [${JSON.stringify(k)}]`);
    }
  }
  return out;
}

function read(what: string, file: string | undefined, inline: string | undefined): string | undefined {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`error parsing X509 ${what}: ${(e as Error).message}`);
  }
}

/**
 * A TLS listener for MQTT: the handshake comes first (as Go's MQTT listener has it), then each
 * encrypted socket goes to `accept`. Certificates are read now, so a bad file fails the start.
 */
export function mqttTlsServer(o: MqttTlsOptions, accept: (socket: TLSSocket) => void, onError: (message: string) => void): TlsServer {
  const cert = read("certificate/key pair", o.certFile, o.cert);
  const key = read("certificate/key pair", o.keyFile, o.key);
  if (cert === undefined || key === undefined) throw new Error("missing 'cert_file' or 'key_file' in TLS configuration");
  const ca = read("certificate authorities", o.caFile, o.ca);
  const minVersion = o.minVersion === undefined ? "TLSv1.2" : VERSIONS[o.minVersion.replace(/^TLS\s*/i, "")];
  if (minVersion === undefined) throw new Error(`unknown version: ${o.minVersion}`);
  const verify = o.verify === true;
  const timeoutMs = Math.max(1, Math.round((o.timeout || DEFAULT_TLS_TIMEOUT_S) * 1000));
  // The handshake must finish within the TLS timeout, counted from the TCP accept (Node's own
  // handshakeTimeout is an idle timer that leaves the TCP socket open). Keyed by the peer's
  // address, which the TLS socket shares with the TCP one.
  const handshaking = new Map<string, { raw: Socket; timer: NodeJS.Timeout }>();
  const peer = (s: { remoteAddress?: string; remotePort?: number }) => `${s.remoteAddress}:${s.remotePort}`;
  const settle = (key: string, destroy: boolean) => {
    const h = handshaking.get(key);
    if (h === undefined) return;
    handshaking.delete(key);
    clearTimeout(h.timer);
    if (destroy) h.raw.destroy();
  };
  const server = createTlsServer({ cert, key, ca, minVersion, requestCert: verify, rejectUnauthorized: verify }, (socket) => {
    settle(peer(socket), false);
    accept(socket);
  });
  server.on("connection", (raw: Socket) => {
    const key = peer(raw);
    const timer = setTimeout(() => {
      onError("TLS handshake timeout");
      settle(key, true);
    }, timeoutMs);
    handshaking.set(key, { raw, timer });
    raw.once("close", () => settle(key, false));
  });
  server.on("tlsClientError", (err, socket) => {
    onError(`TLS handshake error: ${err.message}`);
    socket.destroy();
    settle(peer(socket), true);
  });
  return server;
}
