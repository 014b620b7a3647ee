import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import { TLSSocket, connect as tlsConnect, createSecureContext, type SecureContext } from "node:tls";
import type { LeafTlsOptions } from "./options.js";

/** Key material of a `tls {}` block, read once at start (Go's GenTLSConfig). */
export interface LeafTls {
  readonly options: LeafTlsOptions;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
  /** Server side only: the context an accepted connection handshakes with. */
  readonly context?: SecureContext;
}

/** Reads the files of a `tls {}` block; throws Go-like errors for what can not be loaded. */
export function loadLeafTls(options: LeafTlsOptions, server: boolean): LeafTls {
  const read = (file: string | undefined, what: string) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`error parsing X509 certificate/key pair: open ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message} (${what})`);
    }
  };
  const cert = read(options.certFile, "cert_file");
  const key = read(options.keyFile, "key_file");
  const ca = read(options.caFile, "ca_file");
  if (server && (cert === undefined || key === undefined)) throw new Error("missing 'cert_file' in TLS configuration");
  const context = server ? createSecureContext({ cert, key, ca }) : undefined;
  return { options, cert, key, ca, context };
}

function withTimeout<T>(p: Promise<T>, seconds: number, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error("TLS handshake timeout"));
    }, seconds * 1000);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** The accepting side's handshake, after the INFO went out in the clear (as Go does). */
export function acceptTls(stream: Duplex, tls: LeafTls): Promise<TLSSocket> {
  const verify = tls.options.verify;
  const secure = new TLSSocket(stream, { isServer: true, secureContext: tls.context, requestCert: verify, rejectUnauthorized: verify });
  const done = new Promise<TLSSocket>((resolve, reject) => {
    secure.once("secure", () => resolve(secure));
    secure.once("error", reject);
  });
  return withTimeout(done, tls.options.timeout, () => secure.destroy());
}

/** The soliciting side's handshake with the hub, once its INFO asked for TLS. */
export function solicitTls(stream: Duplex, host: string, tls: LeafTls | undefined): Promise<TLSSocket> {
  const insecure = tls?.options.insecure === true;
  const secure = tlsConnect({
    socket: stream,
    host,
    servername: isIP(host) === 0 ? host : undefined,
    cert: tls?.cert,
    key: tls?.key,
    ca: tls?.ca,
    rejectUnauthorized: !insecure,
    // Node checks the certificate names `host` (IP SANs for an IP), as Go does.
    ...(insecure ? { checkServerIdentity: () => undefined } : {}),
  });
  const done = new Promise<TLSSocket>((resolve, reject) => {
    secure.once("secureConnect", () => resolve(secure));
    secure.once("error", reject);
  });
  return withTimeout(done, tls?.options.timeout ?? 2, () => secure.destroy());
}
