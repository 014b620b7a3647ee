import type { IncomingMessage } from "node:http";

/** Credentials a browser carried in cookies (Go's websocket jwt/user/pass/token cookies). */
export interface CookieCredentials {
  jwt?: string;
  user?: string;
  pass?: string;
  auth_token?: string;
}

/** The cookies of a request, as Go's Request.Cookies reads them (quoted values unquoted). */
export function requestCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const header of req.headersDistinct.cookie ?? []) {
    for (const part of header.split(";")) {
      const eq = part.indexOf("=");
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      let value = part.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      if (name !== "" && !out.has(name)) out.set(name, value);
    }
  }
  return out;
}

/** Which cookie carries which CONNECT field. */
export interface CookieNames {
  jwtCookie?: string;
  userCookie?: string;
  passCookie?: string;
  tokenCookie?: string;
}

/** The credentials found in the request's cookies, or undefined when it carries none of them. */
export function cookieCredentials(req: IncomingMessage, names: CookieNames): CookieCredentials | undefined {
  if (!names.jwtCookie && !names.userCookie && !names.passCookie && !names.tokenCookie) return undefined;
  const cookies = requestCookies(req);
  const creds: CookieCredentials = {};
  const take = (name: string | undefined, field: keyof CookieCredentials) => {
    const v = name ? cookies.get(name) : undefined;
    if (v !== undefined) creds[field] = v;
  };
  take(names.jwtCookie, "jwt");
  take(names.userCookie, "user");
  take(names.passCookie, "pass");
  take(names.tokenCookie, "auth_token");
  return Object.keys(creds).length > 0 ? creds : undefined;
}

const CONNECT = /^connect[ \t]+/i;
/** No sane CONNECT line is this long; past it the bytes pass through untouched. */
const MAX_CONNECT_LINE = 1024 * 1024;

/**
 * Fills the client's first CONNECT with cookie credentials for the fields it leaves empty, as Go
 * does for WebSocket clients before authenticating them. Works on the inbound byte stream:
 * bytes are held back until the first line is complete, then everything passes through.
 */
export class ConnectCredentialsPatch {
  private pending: Buffer | undefined = Buffer.alloc(0);

  constructor(private readonly creds: CookieCredentials) {}

  /** True once the first line has been seen (the patch is a pass-through from then on). */
  get done(): boolean {
    return this.pending === undefined;
  }

  /** Takes inbound bytes, returns the bytes to hand on (possibly none yet). */
  transform(chunk: Buffer): Buffer {
    if (this.pending === undefined) return chunk;
    const buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const eol = buf.indexOf("\r\n");
    if (eol < 0) {
      if (buf.length <= MAX_CONNECT_LINE) {
        this.pending = buf;
        return Buffer.alloc(0);
      }
      this.pending = undefined;
      return buf;
    }
    this.pending = undefined;
    const line = buf.subarray(0, eol).toString("latin1");
    const m = CONNECT.exec(line);
    if (m === null) return buf;
    let connect: unknown;
    try {
      connect = JSON.parse(buf.subarray(m[0].length, eol).toString("utf8"));
    } catch {
      return buf;
    }
    if (typeof connect !== "object" || connect === null || Array.isArray(connect)) return buf;
    const opts = connect as Record<string, unknown>;
    for (const [field, value] of Object.entries(this.creds)) {
      if (opts[field] === undefined || opts[field] === "") opts[field] = value;
    }
    return Buffer.concat([Buffer.from(`CONNECT ${JSON.stringify(opts)}`), buf.subarray(eol)]);
  }
}
