import { networkInterfaces } from "node:os";

// Host/port helpers routes, leaf nodes and gateways share (Go's net.JoinHostPort, parseHostPort
// and getNonLocalIPsIfHostIsIPAny).

/** `host:port`, with brackets around an IPv6 host (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses Go's `host[:port]` advertise value; the port defaults to `defaultPort` (also for 0 and
 * -1, as in Go). Returns undefined when it can not be read ({@link hostPortError} says why).
 *
 * @example
 * parseHostPort("[::1]:7000", 6222); // { host: "::1", port: 7000 }
 */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } | undefined {
  const s = text.trim();
  if (s === "") return undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket !== null) return { host: bracket[1], port: bracket[2] === undefined ? defaultPort : Number(bracket[2]) };
  const i = s.lastIndexOf(":");
  if (i < 0) return { host: s, port: defaultPort };
  // Go's net.SplitHostPort: an IPv6 host needs brackets ("too many colons in address").
  if (s.indexOf(":") !== i) return undefined;
  const port = Number(s.slice(i + 1));
  if (!Number.isInteger(port) || port < -1 || port > 65535) return undefined;
  const host = s.slice(0, i);
  return host === "" ? undefined : { host, port: port <= 0 ? defaultPort : port };
}

/**
 * Go's error for a `host:port` that {@link parseHostPort} can not read (net.SplitHostPort's or
 * strconv.Atoi's words), for startup errors about advertise values.
 *
 * @example
 * hostPortError("wrong:address"); // 'strconv.Atoi: parsing "address": invalid syntax'
 */
export function hostPortError(text: string): string {
  const s = text.trim();
  const bracket = /^\[[^\]]*\](?::(.*))?$/.exec(s);
  if (bracket === null && s.indexOf(":") !== s.lastIndexOf(":")) return `address ${s}: too many colons in address`;
  const port = (bracket !== null ? bracket[1] : s.includes(":") ? s.slice(s.lastIndexOf(":") + 1) : undefined)?.trim();
  if (port !== undefined && !/^[+-]?\d+$/.test(port)) return `strconv.Atoi: parsing "${port}": invalid syntax`;
  if (port !== undefined && (Number(port) < -1 || Number(port) > 65535)) return `invalid port ${port}`;
  return `address ${s}: missing host`;
}

/** Whether a listen host means every interface. */
export function isAnyHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "";
}

/**
 * The first address of this machine that other servers can reach, for a listener bound to every
 * interface (IPv6 addresses only when bound to `::`); undefined when there is none.
 */
export function firstNonLocalAddress(anyHost: string): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === "IPv4" || anyHost === "::") return a.address;
    }
  }
  return undefined;
}
