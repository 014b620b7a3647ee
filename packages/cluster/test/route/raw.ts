import { RawConn } from "../support/raw-conn.js";

export { RawConn };

export const INFO_RE = /INFO\s+(\{[^\r\n]*\})\r\n/;
export const PONG_RE = /PONG\r\n/;
export const RSUB_RE = /RS\+\s+(\S+)\s+(\S+)(?:\s+(\S+)\s+(\d+))?\r\n/;
export const RUNSUB_RE = /RS-\s+(\S+)\s+(\S+)(?:\s+(\S+))?\r\n/;
/** RMSG account subject [reply-or-queues...] size, then the payload. */
export const RMSG_RE = /RMSG\s+(\S+)\s+(\S+)\s+(?:([^\r\n]*?)\s+)?(\d+)\r\n([^\r\n]*)\r\n/;
export const MSG_RE = /MSG\s+(\S+)\s+(\S+)\s+(?:(\S+)\s+)?(\d+)\r\n([^\r\n]*)\r\n/;
export const CONNECT_RE = /CONNECT\s+(\{[^\r\n]*\})\r\n/;
export const ERR_RE = /-ERR\s+'([^']*)'\r\n/;

/** A plain client on the client port: read INFO, send CONNECT (Go's setupConn). */
export async function rawClient(port: number): Promise<RawConn> {
  const c = await RawConn.open(port);
  await c.expect(INFO_RE);
  c.send(`CONNECT {"verbose":false,"pedantic":false,"tls_required":false}\r\n`);
  return c;
}

/** A fake route on the route port: read INFO, send CONNECT with credentials (Go's setupRouteEx). */
export async function rawRoute(port: number, id: string, creds = { user: "route_user", pass: "top_secret" }, cluster = "xyz"): Promise<{ conn: RawConn; info: Record<string, unknown> }> {
  const conn = await RawConn.open(port);
  const m = await conn.expect(INFO_RE);
  conn.send(`CONNECT {"verbose":false,"user":"${creds.user}","pass":"${creds.pass}","name":"${id}","cluster":"${cluster}"}\r\n`);
  return { conn, info: JSON.parse(m[1]) as Record<string, unknown> };
}
