/** An origin as compared by Go's checkOrigin: lower-case host, explicit port, scheme. */
interface ParsedOrigin {
  scheme: string;
  host: string;
  port: string;
}

type HostPort = { host: string; port: string } | { error: string };

/** Splits `host[:port]` (IPv6 in brackets) like Go's net.SplitHostPort, defaulting the port. */
export function hostAndPort(secure: boolean, hostport: string): HostPort {
  const fallback = secure ? "443" : "80";
  const bad = (why: string) => ({ error: `address ${hostport}: ${why}` });
  if (hostport.startsWith("[")) {
    const end = hostport.indexOf("]");
    if (end < 0) return bad("missing ']' in address");
    const rest = hostport.slice(end + 1);
    if (rest === "") return { host: hostport.slice(1, end).toLowerCase(), port: fallback };
    if (!rest.startsWith(":")) return bad("missing port in address");
    if (rest.indexOf(":", 1) >= 0) return bad("too many colons in address");
    return { host: hostport.slice(1, end).toLowerCase(), port: rest.slice(1) };
  }
  const colons = hostport.split(":").length - 1;
  if (colons === 0) return { host: hostport.toLowerCase(), port: fallback };
  if (colons > 1) return bad("too many colons in address");
  const i = hostport.indexOf(":");
  return { host: hostport.slice(0, i).toLowerCase(), port: hostport.slice(i + 1) };
}

const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;

/** Go's url.ParseRequestURI followed by wsGetHostAndPort; a string is the error. */
function parseOrigin(origin: string): ParsedOrigin | string {
  const m = ABSOLUTE.exec(origin);
  if (m === null) return `parse "${origin}": invalid URI for request`;
  const scheme = m[1].toLowerCase();
  const authority = m[2].slice(m[2].lastIndexOf("@") + 1);
  const hp = hostAndPort(scheme === "https", authority);
  return "error" in hp ? hp.error : { scheme, ...hp };
}

/**
 * Go's same_origin / allowed_origins check of the upgrade request's Origin header. A request
 * without Origin (a non-browser client) is always accepted.
 *
 * @example
 * const check = new OriginChecker(false, ["https://app.example.com"]);
 * check.check("https://app.example.com", "nats.example.com", true); // undefined (allowed)
 * check.check("https://evil.example.com", "nats.example.com", true); // "not in the allowed list"
 */
export class OriginChecker {
  private readonly allowed = new Map<string, { scheme: string; port: string }[]>();

  constructor(
    private readonly sameOrigin: boolean,
    allowedOrigins: readonly string[] = [],
  ) {
    for (const ao of allowedOrigins) {
      const p = parseOrigin(ao);
      if (typeof p === "string") continue;
      const list = this.allowed.get(p.host) ?? [];
      list.push({ scheme: p.scheme, port: p.port });
      this.allowed.set(p.host, list);
    }
  }

  /** Whether any check applies at all. */
  get active(): boolean {
    return this.sameOrigin || this.allowed.size > 0;
  }

  /** Returns why the origin is refused, or undefined when it may connect. */
  check(origin: string | undefined, requestHost: string, secure: boolean): string | undefined {
    if (!this.active || origin === undefined || origin === "") return undefined;
    const o = parseOrigin(origin);
    if (typeof o === "string") return o;
    if (this.sameOrigin) {
      const r = hostAndPort(secure, requestHost);
      if ("error" in r) return r.error;
      if (o.host !== r.host || o.port !== r.port || o.scheme !== (secure ? "https" : "http")) return "not same origin";
    }
    if (this.allowed.size > 0) {
      const ok = (this.allowed.get(o.host) ?? []).some((a) => a.scheme === o.scheme && a.port === o.port);
      if (!ok) return "not in the allowed list";
    }
    return undefined;
  }
}
