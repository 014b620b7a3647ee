import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import { TLSSocket, connect as tlsConnect, createSecureContext, type SecureContext } from "node:tls";
import type { PeerTlsOptions } from "./conf.js";

/** Reads one file of a `tls {}` block, failing in Go's words (GenTLSConfig). */
function readPem(file: string | undefined, what: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message;
    throw new Error(`error parsing X509 certificate/key pair: open ${file}: ${why} (${what})`);
  }
}

/**
 * The key material of a server-to-server `tls {}` block (route, leaf or gateway; listener or
 * remote), read once, and the two handshakes on an existing byte stream. When the handshake
 * happens (before INFO for routes and gateways, after it for leaf nodes) is the caller's choice.
 *
 * @example
 * const tls = new PeerTls(opts.tls);
 * const secure = await tls.accept(socket, tls.opts.verify);
 */
export class PeerTls {
  private readonly cert: Buffer | undefined;
  private readonly key: Buffer | undefined;
  private readonly ca: Buffer | undefined;
  private readonly context: SecureContext;

  /** `opts` undefined: a soliciting side without a `tls {}` block (a `tls://` URL) with Go's defaults. */
  constructor(readonly opts: PeerTlsOptions = { verify: false, insecure: false, timeout: 2 }) {
    this.cert = readPem(opts.certFile, "cert_file");
    this.key = readPem(opts.keyFile, "key_file");
    this.ca = readPem(opts.caFile, "ca_file");
    this.context = createSecureContext({ cert: this.cert, key: this.key, ca: this.ca });
  }

  /** Whether the block can serve as a listener's (it names a certificate and key). */
  get canServe(): boolean {
    return this.cert !== undefined && this.key !== undefined;
  }

  /** The accepting side's handshake; `verify` asks for a certificate the CA signed and refuses others. */
  accept(stream: Duplex, verify: boolean): Promise<TLSSocket> {
    const secure = new TLSSocket(stream, { isServer: true, secureContext: this.context, requestCert: verify, rejectUnauthorized: verify });
    return this.handshake(secure, "secure");
  }

  /** The soliciting side's handshake: the certificate must name `host` (IP SANs for an IP) unless `insecure`, as in Go. */
  solicit(stream: Duplex, host: string): Promise<TLSSocket> {
    const insecure = this.opts.insecure;
    const secure = tlsConnect({
      socket: stream,
      secureContext: this.context,
      ca: this.ca,
      host,
      servername: isIP(host) === 0 ? host : undefined,
      rejectUnauthorized: !insecure,
      ...(insecure ? { checkServerIdentity: () => undefined } : {}),
    });
    return this.handshake(secure, "secureConnect");
  }

  /** Resolves once the handshake is done; fails (and destroys the socket) past the deadline, as Go's does. */
  private handshake(secure: TLSSocket, event: "secure" | "secureConnect"): Promise<TLSSocket> {
    const timeout = this.opts.timeout * 1000;
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const fail = (err: Error) => {
        clearTimeout(timer);
        secure.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error("TLS handshake timeout")), timeout);
      secure.once("error", fail);
      secure.once(event, () => {
        // A deadline on the connection, as Go sets it: a handshake that completes late still fails.
        if (performance.now() - started > timeout) return fail(new Error("TLS handshake timeout"));
        clearTimeout(timer);
        secure.off("error", fail);
        resolve(secure);
      });
    });
  }
}
