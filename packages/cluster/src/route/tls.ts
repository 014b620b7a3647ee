import { readFileSync } from "node:fs";
import { isIP, type Socket } from "node:net";
import { connect as tlsConnect, createSecureContext, TLSSocket, type SecureContext } from "node:tls";
import type { RouteTlsOptions } from "./options.js";

/** Route TLS: Go does the handshake right after the TCP connection, before INFO, on both sides. */
export class RouteTls {
  private readonly context: SecureContext;
  private readonly ca: Buffer | undefined;

  constructor(readonly opts: RouteTlsOptions) {
    const cert = opts.certFile === undefined ? undefined : readFileSync(opts.certFile);
    const key = opts.keyFile === undefined ? undefined : readFileSync(opts.keyFile);
    this.ca = opts.caFile === undefined ? undefined : readFileSync(opts.caFile);
    this.context = createSecureContext({ cert, key, ca: this.ca });
  }

  /** The accepting side's handshake. */
  accept(socket: Socket): Promise<TLSSocket> {
    const secure = new TLSSocket(socket, {
      isServer: true,
      secureContext: this.context,
      requestCert: this.opts.verify,
      rejectUnauthorized: this.opts.verify,
    });
    return this.handshake(secure, "secure");
  }

  /** The soliciting side's handshake; the certificate is checked unless `insecure`. */
  solicit(socket: Socket, host: string): Promise<TLSSocket> {
    const secure = tlsConnect({
      socket,
      secureContext: this.context,
      ca: this.ca,
      rejectUnauthorized: !this.opts.insecure,
      // Checked against the URL's host (an IP address must be in the certificate's IP SANs), as Go does.
      host,
      servername: isIP(host) === 0 ? host : undefined,
    });
    return this.handshake(secure, "secureConnect");
  }

  private handshake(secure: TLSSocket, event: "secure" | "secureConnect"): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error("TLS handshake timeout")), this.opts.timeout * 1000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        secure.destroy();
        reject(err);
      };
      secure.once("error", fail);
      secure.once(event, () => {
        clearTimeout(timer);
        secure.off("error", fail);
        resolve(secure);
      });
    });
  }
}
