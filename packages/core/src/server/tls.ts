import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { X509Certificate } from "node:crypto";
import { createSecureContext, TLSSocket, type DetailedPeerCertificate, type SecureContext } from "node:tls";
import type { TlsOptions } from "../auth-options.js";

/** What the accept path needs to serve TLS clients; rebuilt on reload so new clients get new certs. */
export interface ClientTls {
  readonly options: TlsOptions;
  readonly context: SecureContext;
  /** Ask clients for a certificate and refuse those without a valid one (verify / verify_and_map). */
  readonly verifyClients: boolean;
  /** The authorities client certificates must chain to. */
  readonly authorities: X509Certificate[];
}

function parseCertificates(pem: string | undefined): X509Certificate[] {
  if (pem === undefined) return [];
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

function currentlyValid(cert: X509Certificate): boolean {
  const now = Date.now();
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

/**
 * Whether the client's certificate chains to a trusted authority. A TLSSocket made outside a
 * tls.Server completes the handshake with any certificate and leaves this check to its owner.
 */
function peerTrusted(secure: TLSSocket, authorities: X509Certificate[]): boolean {
  let peer: DetailedPeerCertificate | undefined = secure.getPeerCertificate(true);
  for (let depth = 0; peer?.raw !== undefined && depth < 10; depth++) {
    const cert = new X509Certificate(peer.raw);
    if (!currentlyValid(cert)) return false;
    if (authorities.some((ca) => issuedBy(cert, ca))) return true;
    const next: DetailedPeerCertificate | undefined = peer.issuerCertificate;
    if (next === undefined || next === peer || next.raw === undefined || !issuedBy(cert, new X509Certificate(next.raw))) return false;
    peer = next;
  }
  return false;
}

/** Go's TLS version names (tls { min_version }) to Node's. */
const VERSIONS: Record<string, "TLSv1.2" | "TLSv1.3"> = { "1.2": "TLSv1.2", "1.3": "TLSv1.3" };

/** Loads certificates and keys; throws with Go's words when a file can not be read. */
export function loadClientTls(options: TlsOptions): ClientTls {
  const read = (what: string, file: string | undefined, inline: string | undefined): string | undefined => {
    if (inline !== undefined) return inline;
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`error parsing X509 ${what}: ${(e as Error).message}`);
    }
  };
  const cert = read("certificate/key pair", options.certFile, options.cert);
  const key = read("certificate/key pair", options.keyFile, options.key);
  if (cert === undefined || key === undefined) throw new Error("missing 'cert_file' or 'key_file' in TLS configuration");
  const ca = read("certificate authorities", options.caFile, options.ca);
  const minVersion = options.minVersion === undefined ? "TLSv1.2" : VERSIONS[options.minVersion.replace(/^TLS\s*/i, "")];
  if (minVersion === undefined) throw new Error(`unknown version: ${options.minVersion}`);
  const context = createSecureContext({ cert, key, ca, minVersion, ciphers: options.ciphers?.join(":") });
  return { options, context, verifyClients: options.verify || options.verifyAndMap, authorities: parseCertificates(ca) };
}

/**
 * Runs the server side of a TLS handshake over an accepted socket (after INFO, or first with
 * handshake_first). Calls `onSecure` with the encrypted stream and the client's certificate, or
 * `onError` when the handshake fails or takes longer than the TLS timeout.
 */
export function serveTls(
  socket: Socket,
  tls: ClientTls,
  onSecure: (stream: TLSSocket, certificate: Buffer | undefined) => void,
  onError: (message: string) => void,
): void {
  const secure = new TLSSocket(socket, {
    isServer: true,
    secureContext: tls.context,
    requestCert: tls.verifyClients,
    rejectUnauthorized: tls.verifyClients,
  });
  let done = false;
  const fail = (message: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    onError(message);
    secure.destroy();
    socket.destroy();
  };
  const timer = setTimeout(() => fail("TLS handshake timeout"), tls.options.timeout * 1000);
  timer.unref();
  secure.once("error", (err) => fail(err.message));
  secure.once("close", () => fail("connection closed during TLS handshake"));
  secure.once("secure", () => {
    if (done) return;
    if (tls.verifyClients && !peerTrusted(secure, tls.authorities)) return fail("client certificate not trusted");
    done = true;
    clearTimeout(timer);
    secure.removeAllListeners("error");
    secure.removeAllListeners("close");
    const peer = secure.getPeerCertificate(false);
    onSecure(secure, peer !== null && peer.raw !== undefined && peer.raw.length > 0 ? peer.raw : undefined);
  });
}

/** How a connection is encrypted, as /connz shows it (Go's tls_version, tls_cipher_suite, tls_first). */
export interface ConnectionTls {
  /** "1.2", "1.3" ... */
  version: string;
  /** The IANA name of the cipher suite, e.g. "TLS_AES_128_GCM_SHA256". */
  cipherSuite: string;
  /** The handshake came before INFO (handshake_first). */
  first: boolean;
}

/**
 * Describes an established TLS connection for monitoring.
 *
 * @example
 * describeTls(tlsSocket); // { version: "1.3", cipherSuite: "TLS_AES_256_GCM_SHA384", first: false }
 */
export function describeTls(socket: TLSSocket, first = false): ConnectionTls {
  const protocol = socket.getProtocol() ?? "";
  return { version: protocol.replace(/^TLSv/, ""), cipherSuite: socket.getCipher()?.standardName ?? "", first };
}
