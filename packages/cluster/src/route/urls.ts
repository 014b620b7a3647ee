import { networkInterfaces } from "node:os";
import { joinHostPort, parseHostPort } from "../shared/addresses.js";

/** A route URL (`nats-route://user:pass@host:port`), as Go keeps it (url.URL). */
export interface RouteUrl {
  /** The text as configured or gossiped. */
  readonly text: string;
  readonly host: string;
  readonly port: number;
  readonly user?: string;
  readonly password?: string;
}

/**
 * Parses a route URL; undefined when it is not one. A missing port is Go's default route port.
 *
 * @example
 * parseRouteUrl("nats-route://ruser:pwd@127.0.0.1:6222") // { host: "127.0.0.1", port: 6222, user: "ruser", ... }
 */
export function parseRouteUrl(text: string): RouteUrl | undefined {
  let u: URL;
  try {
    u = new URL(text.includes("://") ? text : `nats-route://${text}`);
  } catch {
    return undefined;
  }
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (host === "") return undefined;
  const port = u.port === "" ? 6222 : Number(u.port);
  const user = u.username === "" ? undefined : decodeURIComponent(u.username);
  const password = u.password === "" ? undefined : decodeURIComponent(u.password);
  return { text, host, port, user, password };
}

/** The URL without credentials, for logs (Go's url.Redacted keeps the user, masks the password). */
export function redacted(u: RouteUrl): string {
  const auth = u.user === undefined ? "" : u.password === undefined ? `${u.user}@` : `${u.user}:xxxxx@`;
  return `nats-route://${auth}${joinHostPort(u.host, u.port)}`;
}

/** Whether two route URLs point at the same place (Go's urlsAreEqual ignores the credentials' absence). */
export function sameRouteUrl(a: RouteUrl, b: RouteUrl): boolean {
  return a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port;
}

/**
 * The `host:port` values clients can use to reach a listener on `host:port` (Go's
 * getConnectURLs): the advertise value when set, else every non-loopback address when bound to
 * all interfaces, else the host itself.
 */
export function connectUrls(advertise: string | undefined, host: string, port: number): string[] {
  if (advertise !== undefined && advertise !== "") {
    const hp = parseHostPort(advertise, port);
    return hp === undefined ? [] : [joinHostPort(hp.host, hp.port)];
  }
  if (host !== "0.0.0.0" && host !== "::" && host !== "") return [joinHostPort(host, port)];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family !== "IPv4" && (host === "0.0.0.0" || a.address.startsWith("fe80"))) continue;
      out.push(joinHostPort(a.address, port));
    }
  }
  return out;
}
