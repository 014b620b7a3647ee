import type { RemoteGatewayOptions } from "./options.js";
import { gatewayHash } from "./reply-prefix.js";
import { shuffled } from "../shared/reconnect.js";
import { PeerTls } from "../shared/tls.js";

/**
 * A remote cluster this server connects to (Go's gatewayCfg): configured in `gateways`, or
 * implicit, learned from an inbound gateway or from gossip. Its URLs grow with what the remote
 * cluster's INFO says (`gateway_urls`), so every server of that cluster is a candidate.
 */
export class RemoteGateway {
  readonly hash: string;
  /** host:port -> URL. */
  readonly urls = new Map<string, URL>();
  /** Connection attempts so far (Go's connAttempts). */
  connectAttempts = 0;

  constructor(
    readonly name: string,
    readonly implicit: boolean,
    private readonly configured: URL[],
    /** How to secure connections to it: its own `tls {}` block, else the gateway's. */
    readonly tls: PeerTls | undefined,
  ) {
    this.hash = gatewayHash(name);
    for (const u of configured) this.urls.set(u.host, u);
  }

  /**
   * A configured remote; its certificate files are read now, so a bad one fails the start as in
   * Go. Its handshake timeout is its own, else the gateway's.
   */
  static fromOptions(o: RemoteGatewayOptions, gatewayTls: PeerTls | undefined): RemoteGateway {
    if (o.tls === undefined) return new RemoteGateway(o.name, false, o.urls, gatewayTls);
    const timeout = o.tlsTimeout ?? gatewayTls?.opts.timeout ?? o.tls.timeout;
    return new RemoteGateway(o.name, false, o.urls, new PeerTls({ ...o.tls, timeout }));
  }

  /** Adds `host:port` URLs from an INFO (those already known stay as they are). */
  addUrls(hostPorts: readonly unknown[]): void {
    const scheme = this.tls !== undefined ? "tls" : "nats";
    for (const hp of hostPorts) {
      if (typeof hp !== "string" || this.urls.has(hp)) continue;
      try {
        const u = new URL(`${scheme}://${hp}`);
        this.urls.set(u.host, u);
      } catch {
        // Not a host:port: ignore, as Go does.
      }
    }
  }

  /** The configured URLs plus those of the latest INFO (Go's updateURLs). */
  replaceUrls(hostPorts: readonly unknown[]): void {
    this.urls.clear();
    for (const u of this.configured) this.urls.set(u.host, u);
    this.addUrls(hostPorts);
  }

  /** The URLs in random order (Go iterates a map). */
  shuffledUrls(): URL[] {
    return shuffled([...this.urls.values()]);
  }

  /** host:port of every URL, as INFO and /varz list them. */
  hostPorts(): string[] {
    return [...this.urls.keys()];
  }
}
