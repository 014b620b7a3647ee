/** The fields of a client's CONNECT that the server acts on (Go's clientOpts). */
export interface ConnectInfo {
  verbose: boolean;
  pedantic: boolean;
  echo: boolean;
  headers: boolean;
  noResponders: boolean;
  protocol: number;
  tlsRequired: boolean;
  name: string;
  lang: string;
  version: string;
  user?: string;
  pass?: string;
  authToken?: string;
  nkey?: string;
  sig?: string;
  jwt?: string;
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const optStr = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Reads a CONNECT JSON object with Go's defaults (echo on unless `echo: false`). */
export function parseConnectInfo(raw: Record<string, unknown>): ConnectInfo {
  return {
    verbose: raw.verbose === true,
    pedantic: raw.pedantic === true,
    echo: raw.echo !== false,
    headers: raw.headers === true,
    noResponders: raw.no_responders === true,
    protocol: typeof raw.protocol === "number" ? raw.protocol : 0,
    tlsRequired: raw.tls_required === true,
    name: str(raw.name),
    lang: str(raw.lang),
    version: str(raw.version),
    user: optStr(raw.user),
    pass: optStr(raw.pass),
    authToken: optStr(raw.auth_token),
    nkey: optStr(raw.nkey),
    sig: optStr(raw.sig),
    jwt: optStr(raw.jwt),
  };
}

/** Before CONNECT arrives a client is treated with these (Go's zero values, echo on). */
export const DEFAULT_CONNECT: ConnectInfo = parseConnectInfo({});
