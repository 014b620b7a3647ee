import { createHash, X509Certificate } from "node:crypto";
import type { ClientConnection, ConnectionSnapshot, ConnectionTls } from "@nats-ts/core";
import { goDurationString, goTime, goUptime, kindName } from "../format.js";
import type { MonitorContext } from "../context.js";
import { subjectsCollide } from "../subjects.js";

/** Which connections /connz lists (Go's ConnState: 0 open, 1 closed, 2 any). */
export type ConnState = "open" | "closed" | "any";

/** Go's SortOpt values. Only cid/start and uptime/reason sort ascending; the rest descending. */
export const CONNZ_SORTS = [
  "cid", "start", "subs", "pending", "msgs_to", "msgs_from", "bytes_to", "bytes_from",
  "last", "idle", "uptime", "stop", "reason", "rtt",
] as const;
export type ConnzSort = (typeof CONNZ_SORTS)[number];

/** Options for /connz and $SYS.REQ.*.CONNZ (Go's ConnzOptions). */
export interface ConnzOptions {
  sort?: string;
  auth?: boolean;
  subscriptions?: boolean;
  subscriptionsDetail?: boolean;
  offset?: number;
  limit?: number;
  cid?: number;
  mqttClient?: string;
  state?: ConnState;
  user?: string;
  account?: string;
  filterSubject?: string;
}

/** Go's SubDetail. */
export interface SubDetailJson {
  account?: string;
  subject: string;
  qgroup?: string;
  sid: string;
  msgs: number;
  max?: number;
  cid: number;
}

/** Go's ConnInfo. */
export interface ConnInfoJson {
  cid: number;
  kind: string;
  type: string;
  ip: string;
  port: number;
  start: string;
  last_activity: string;
  stop?: string;
  reason?: string;
  rtt: string;
  uptime: string;
  idle: string;
  pending_bytes: number;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  name?: string;
  lang?: string;
  version?: string;
  tls_version?: string;
  tls_cipher_suite?: string;
  tls_peer_certs?: TlsPeerCertJson[];
  tls_first?: boolean;
  authorized_user?: string;
  account?: string;
  subscriptions_list?: string[];
  subscriptions_list_detail?: SubDetailJson[];
  /** An MQTT client's client identifier (omitted for other clients, as Go). */
  mqtt_client?: string;
}

/** Go's TLSPeerCert. */
export interface TlsPeerCertJson {
  subject: string;
  spki_sha256: string;
  cert_sha256: string;
}

export interface ConnzJson {
  server_id: string;
  now: string;
  num_connections: number;
  total: number;
  offset: number;
  limit: number;
  connections: ConnInfoJson[];
}

export const DEFAULT_LIST_SIZE = 1024;

/** The fields sorting needs, kept beside the JSON so sorting compares numbers, not strings. */
interface Row {
  json: ConnInfoJson;
  start: number;
  last: number;
  stop: number;
  pending: number;
  rtt: number;
}

/**
 * Go's Connz(): lists connections with filters, sorting and paging. Throws Go's error texts.
 *
 * @example
 * const busiest = connz(monitor.context!, { sort: "msgs_from", limit: 5, subscriptions: true });
 */
export function connz(ctx: MonitorContext, opts: ConnzOptions = {}): ConnzJson {
  const sort = (opts.sort === undefined || opts.sort === "" ? "cid" : opts.sort) as ConnzSort;
  if (!CONNZ_SORTS.includes(sort)) throw new Error(`invalid sorting option: ${opts.sort}`);
  const state = opts.state ?? "open";
  if (sort === "stop" && state !== "closed") throw new Error("sort by stop only valid on closed connections");
  if (sort === "reason" && state !== "closed") throw new Error("sort by reason only valid on closed connections");
  const offset = Math.max(0, opts.offset ?? 0);
  let limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : DEFAULT_LIST_SIZE;
  const cid = opts.cid ?? 0;
  if (cid > 0) limit = 1;
  const acc = opts.account ?? "";
  const filter = opts.filterSubject !== undefined && opts.filterSubject !== "" && opts.filterSubject !== ">" ? opts.filterSubject : "";
  if (filter !== "" && acc === "") throw new Error("filter by subject only valid with account filtering");

  const { server } = ctx;
  const now = new Date();
  const result: ConnzJson = {
    server_id: server.id,
    now: goTime(now),
    num_connections: 0,
    total: 0,
    offset,
    limit,
    connections: [],
  };
  if (acc !== "" && server.lookupAccount(acc) === undefined) {
    // Go answers an unknown account with an otherwise empty reply.
    result.server_id = "";
    return result;
  }
  const user = opts.user ?? "";
  const mqtt = opts.mqttClient ?? "";
  const wantOpen = state === "open" || state === "any";
  const wantClosed = state === "closed" || state === "any";

  let open: ClientConnection[] = [];
  // Clients a plugin serves (MQTT): Go keeps them with the others, so they are listed alike.
  let foreign: ConnectionSnapshot[] = [];
  let closed: ConnectionSnapshot[] = [];
  if (wantOpen) {
    open = [...server.connections.values()].filter((c) => acc === "" || c.account?.name === acc);
    foreign = [...server.foreignConnections.values()].map((c) => c.snapshot()).filter((s) => acc === "" || s.account === acc);
    result.total += open.length + foreign.length;
  }
  if (wantClosed) {
    closed = server.closedConnections.list().filter((s) => acc === "" || s.account === acc);
    result.total += closed.length;
  }
  // Go: a cid selects that connection whatever the other filters say; otherwise user, then MQTT client id.
  if (cid > 0) {
    open = open.filter((c) => c.cid === cid);
    foreign = foreign.filter((s) => s.cid === cid);
    closed = open.length + foreign.length > 0 ? [] : closed.filter((s) => s.cid === cid);
  } else {
    open = open.filter((c) => (user === "" || c.user === user) && mqtt === "");
    const selected = (s: ConnectionSnapshot) => (user === "" || s.user === user) && (mqtt === "" || s.mqttClient === mqtt);
    foreign = foreign.filter(selected);
    closed = closed.filter(selected);
  }
  if (filter !== "") {
    open = open.filter((c) => [...c.subs.values()].some((s) => subjectsCollide(filter, s.subject)));
    foreign = foreign.filter((s) => s.subscriptions.some((sub) => subjectsCollide(filter, sub.subject)));
  }

  const rows: Row[] = [];
  for (const c of open) rows.push(openRow(c, now, opts));
  for (const s of foreign) rows.push(snapshotRow(s, now, opts));
  for (const s of closed) rows.push(snapshotRow(s, now, opts));
  sortRows(rows, sort, now.getTime());
  // Like Go, `total` counts before the user filter; paging works on what is left.
  const max = rows.length;
  const from = Math.min(offset, max);
  const to = from + Math.min(limit, max - from);
  result.connections = rows.slice(from, to).map((r) => r.json);
  result.num_connections = result.connections.length;
  return result;
}

function openRow(c: ClientConnection, now: Date, opts: ConnzOptions): Row {
  const json: ConnInfoJson = {
    cid: c.cid,
    kind: kindName(c.kind),
    type: c.transport,
    ip: c.host,
    port: c.port,
    start: goTime(c.start),
    last_activity: goTime(c.lastActivity),
    rtt: goDurationString(c.rtt),
    uptime: goUptime(now.getTime() - c.start.getTime()),
    idle: goUptime(now.getTime() - c.lastActivity.getTime()),
    pending_bytes: c.pendingBytes,
    in_msgs: c.stats.inMsgs,
    out_msgs: c.stats.outMsgs,
    in_bytes: c.stats.inBytes,
    out_bytes: c.stats.outBytes,
    subscriptions: c.subs.size,
  };
  setClientNames(json, c.connect.name, c.connect.lang, c.connect.version);
  setTls(json, c.tls, opts.auth ? c.certificate : undefined);
  if (c.subs.size > 0) {
    if (opts.subscriptionsDetail) {
      json.subscriptions_list_detail = [...c.subs.values()].map((s) => subDetail(s, c.cid));
    } else if (opts.subscriptions) {
      json.subscriptions_list = [...c.subs.values()].map((s) => s.subject);
    }
  }
  if (opts.auth) setAuth(json, c.user, c.account?.name);
  return { json, start: c.start.getTime(), last: c.lastActivity.getTime(), stop: 0, pending: c.pendingBytes, rtt: c.rtt };
}

/** A row from a snapshot: a closed connection (it has a reason), or an open one a plugin serves. */
function snapshotRow(s: ConnectionSnapshot, now: Date, opts: ConnzOptions): Row {
  const stop = s.reason !== undefined ? (s.stop ?? s.lastActivity) : undefined;
  const end = stop ?? now;
  const pending = stop === undefined ? (s.pendingBytes ?? 0) : 0;
  const json: ConnInfoJson = {
    cid: s.cid,
    kind: kindName(s.kind),
    type: s.transport,
    ip: s.host,
    port: s.port,
    start: goTime(s.start),
    last_activity: goTime(s.lastActivity),
    ...(stop === undefined ? {} : { stop: goTime(stop), reason: s.reason }),
    rtt: goDurationString(s.rtt),
    uptime: goUptime(end.getTime() - s.start.getTime()),
    idle: goUptime(end.getTime() - s.lastActivity.getTime()),
    pending_bytes: pending,
    in_msgs: s.stats.inMsgs,
    out_msgs: s.stats.outMsgs,
    in_bytes: s.stats.inBytes,
    out_bytes: s.stats.outBytes,
    subscriptions: s.subscriptions.length,
  };
  setClientNames(json, s.name, s.lang, s.version);
  setTls(json, s.tls, opts.auth ? s.certificate : undefined);
  if (s.subscriptions.length > 0) {
    if (opts.subscriptionsDetail) json.subscriptions_list_detail = s.subscriptions.map((sub) => subDetail(sub, s.cid));
    else if (opts.subscriptions) json.subscriptions_list = s.subscriptions.map((sub) => sub.subject);
  }
  if (opts.auth) setAuth(json, s.user, s.account);
  if (s.mqttClient !== undefined && s.mqttClient !== "") json.mqtt_client = s.mqttClient;
  return { json, start: s.start.getTime(), last: s.lastActivity.getTime(), stop: stop?.getTime() ?? 0, pending, rtt: s.rtt };
}

/** Go's SubDetail of one subscription, open or as its connection closed. */
function subDetail(s: { sid: string; subject: string; queue?: string; delivered: number; max: number }, cid: number): SubDetailJson {
  const d: SubDetailJson = { subject: s.subject, sid: s.sid, msgs: s.delivered, cid };
  if (s.queue !== undefined) d.qgroup = s.queue;
  if (s.max > 0) d.max = s.max;
  return orderSubDetail(d);
}

function setClientNames(json: ConnInfoJson, name: string, lang: string, version: string): void {
  if (name !== "") json.name = name;
  if (lang !== "") json.lang = lang;
  if (version !== "") json.version = version;
}

/** TLS fields; the client's certificate only with `auth`, as Go. */
function setTls(json: ConnInfoJson, tls: ConnectionTls | undefined, certificate: Buffer | undefined): void {
  if (tls === undefined) return;
  json.tls_version = tls.version;
  json.tls_cipher_suite = tls.cipherSuite;
  if (certificate !== undefined) json.tls_peer_certs = [peerCert(certificate)];
  if (tls.first) json.tls_first = true;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Go's makePeerCerts: the subject as Go prints a name (last RDN first), SPKI and certificate digests. */
function peerCert(der: Buffer): TlsPeerCertJson {
  const cert = new X509Certificate(der);
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return { subject: cert.subject.split("\n").reverse().join(","), spki_sha256: sha256(spki), cert_sha256: sha256(der) };
}

function setAuth(json: ConnInfoJson, user: string | undefined, account: string | undefined): void {
  if (user !== undefined && user !== "") json.authorized_user = user;
  // Go leaves the global account out.
  if (account !== undefined && account !== "$G") json.account = account;
}

/** Key order as Go marshals SubDetail. */
export function orderSubDetail(d: SubDetailJson): SubDetailJson {
  const out: SubDetailJson = {} as SubDetailJson;
  if (d.account !== undefined) out.account = d.account;
  out.subject = d.subject;
  if (d.qgroup !== undefined) out.qgroup = d.qgroup;
  out.sid = d.sid;
  out.msgs = d.msgs;
  if (d.max !== undefined) out.max = d.max;
  out.cid = d.cid;
  return out;
}

function sortRows(rows: Row[], sort: ConnzSort, now: number): void {
  const desc = (f: (r: Row) => number) => rows.sort((a, b) => f(b) - f(a));
  switch (sort) {
    case "cid":
    case "start":
      rows.sort((a, b) => a.json.cid - b.json.cid);
      break;
    case "subs":
      desc((r) => r.json.subscriptions);
      break;
    case "pending":
      desc((r) => r.pending);
      break;
    case "msgs_to":
      desc((r) => r.json.out_msgs);
      break;
    case "msgs_from":
      desc((r) => r.json.in_msgs);
      break;
    case "bytes_to":
      desc((r) => r.json.out_bytes);
      break;
    case "bytes_from":
      desc((r) => r.json.in_bytes);
      break;
    case "last":
      desc((r) => r.last);
      break;
    case "idle":
      desc((r) => now - r.last);
      break;
    case "uptime":
      rows.sort((a, b) => (a.stop || now) - a.start - ((b.stop || now) - b.start));
      break;
    case "stop":
      desc((r) => r.stop);
      break;
    case "reason":
      rows.sort((a, b) => ((a.json.reason ?? "") < (b.json.reason ?? "") ? -1 : (a.json.reason ?? "") > (b.json.reason ?? "") ? 1 : 0));
      break;
    case "rtt":
      desc((r) => r.rtt);
      break;
  }
}
