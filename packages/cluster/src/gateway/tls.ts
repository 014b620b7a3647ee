import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { TLSSocket, connect as tlsConnect, createSecureContext, type ConnectionOptions, type SecureContext } from "node:tls";
import type { GatewayTlsOptions } from "./options.js";

/** A gateway `tls {}` block with its files read. */
export interface LoadedTls {
  context: SecureContext;
  /** Skip checking the accepting side's certificate when soliciting (Go's `insecure`). */
  insecure: boolean;
  /** Milliseconds allowed for the handshake. */
  timeout: number;
}

/** Reads the certificate, key and CA of a gateway `tls {}` block. Throws Go-like errors for bad files. */
export function loadGatewayTls(o: GatewayTlsOptions): LoadedTls {
  const read = (file: string | undefined, what: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`error parsing X509 ${what}: ${(e as Error).message}`, { cause: e });
    }
  };
  const context = createSecureContext({
    cert: read(o.certFile, "certificate/key pair"),
    key: read(o.keyFile, "certificate/key pair"),
    ca: read(o.caFile, "certificate authority"),
  });
  return { context, insecure: o.insecure === true, timeout: (o.timeout ?? 2) * 1000 };
}

type Done = (err: Error | undefined, socket?: Socket) => void;

/**
 * The accepting side's handshake (before any protocol, as Go does for gateways). Go forces
 * strict verification between clusters: the soliciting side must present a certificate the CA
 * signed, whatever `verify` says.
 */
export function acceptTls(socket: Socket, tls: LoadedTls, done: Done): void {
  const s = new TLSSocket(socket, {
    isServer: true,
    secureContext: tls.context,
    requestCert: true,
    rejectUnauthorized: true,
  });
  handshake(s, socket, tls.timeout, "secure", done);
}

/** The soliciting side's handshake; the server's certificate is verified unless `insecure`. */
export function connectTls(socket: Socket, remote: GatewayTlsOptions, servername: string, done: Done): void {
  let own: LoadedTls;
  try {
    own = loadGatewayTls(remote);
  } catch (e) {
    socket.destroy();
    done(e as Error);
    return;
  }
  const insecure = own.insecure;
  const options: ConnectionOptions = { socket, secureContext: own.context, rejectUnauthorized: !insecure };
  if (!/^[\d.]+$|:/.test(servername)) options.servername = servername;
  if (insecure) options.checkServerIdentity = () => undefined;
  const s = tlsConnect(options);
  handshake(s, socket, own.timeout, "secureConnect", done);
}

function handshake(s: TLSSocket, raw: Socket, timeout: number, event: "secure" | "secureConnect", done: Done): void {
  let finished = false;
  const finish = (err: Error | undefined) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    if (err !== undefined) {
      s.destroy();
      raw.destroy();
      done(err);
    } else {
      s.removeAllListeners("error");
      done(undefined, s);
    }
  };
  // A deadline, as Go sets on the connection: a handshake that completes late still fails.
  const started = performance.now();
  const timer = setTimeout(() => finish(new Error("TLS handshake timeout")), timeout);
  s.once(event, () => finish(performance.now() - started > timeout ? new Error("TLS handshake timeout") : undefined));
  s.once("error", (err) => finish(err));
}
