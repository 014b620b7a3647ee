import { randomBytes } from "node:crypto";
import { GO_COMPAT_VERSION, type ConnectionSnapshot } from "@nats-ts/core";
import { goNanos, goTime, kindName } from "../format.js";
import type { MonitorContext } from "../context.js";

/** Go's event type names (schema hints in TypedEvent.type). */
export const CONNECT_EVENT_TYPE = "io.nats.server.advisory.v1.client_connect";
export const DISCONNECT_EVENT_TYPE = "io.nats.server.advisory.v1.client_disconnect";
export const ACCOUNT_CONNS_TYPE = "io.nats.server.advisory.v1.account_connections";

/** Go's ServerInfo header on every system message. */
export interface ServerInfoJson {
  name: string;
  host: string;
  id: string;
  ver: string;
  tags?: string[];
  jetstream: boolean;
  flags: number;
  seq: number;
  time: string;
}

/** Go's ClientInfo as connect, disconnect and auth-error events carry it. */
export interface ClientInfoJson {
  start?: string;
  host?: string;
  id?: number;
  acc?: string;
  user?: string;
  name?: string;
  lang?: string;
  ver?: string;
  rtt?: number;
  stop?: string;
  kind?: string;
  client_type?: string;
  /** An MQTT client's client identifier. */
  client_id?: string;
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A 22-character unique id like the NUIDs Go stamps on events. */
export function eventId(): string {
  const bytes = randomBytes(22);
  let id = "";
  for (const b of bytes) id += BASE62[b % 62];
  return id;
}

/** Builds the server header; `seq` counts every system message sent, as in Go. */
export class ServerInfoStamp {
  private seq = 0;

  constructor(private readonly ctx: MonitorContext) {}

  next(): ServerInfoJson {
    const { server } = this.ctx;
    const info: ServerInfoJson = {
      name: server.name,
      host: server.opts.host,
      id: server.id,
      ver: GO_COMPAT_VERSION,
    } as ServerInfoJson;
    if (server.opts.serverTags.length > 0) info.tags = [...server.opts.serverTags];
    const js = this.ctx.jetstreamRunning;
    info.jetstream = js;
    // Go's capability bit 1: JetStream enabled.
    info.flags = js ? 1 : 0;
    info.seq = ++this.seq;
    info.time = goTime(new Date());
    return info;
  }
}

function clientNames(info: ClientInfoJson, user: string | undefined, name: string, lang: string, version: string): void {
  if (user !== undefined && user !== "") info.user = user;
  if (name !== "") info.name = name;
  if (lang !== "") info.lang = lang;
  if (version !== "") info.ver = version;
}

/** ClientInfo of a connection that just authenticated (core's, or one a plugin serves). */
export function connectedClientInfo(s: ConnectionSnapshot): ClientInfoJson {
  const info: ClientInfoJson = { start: goTime(s.start), host: s.host, id: s.cid, acc: s.account };
  clientNames(info, s.user, s.name, s.lang, s.version);
  info.kind = kindName(s.kind);
  info.client_type = s.transport;
  if (s.mqttClient !== undefined && s.mqttClient !== "") info.client_id = s.mqttClient;
  return info;
}

/** ClientInfo of a connection that closed (disconnect and auth-error events). */
export function closedClientInfo(s: ConnectionSnapshot): ClientInfoJson {
  // A connection refused at authentication is still in the global account, as in Go.
  const info: ClientInfoJson = { start: goTime(s.start), host: s.host, id: s.cid, acc: s.account ?? "$G" };
  // Go reports the user the client claimed in CONNECT even when refused (getRawAuthUser).
  clientNames(info, s.user ?? s.connectUser, s.name, s.lang, s.version);
  // Go's ClientInfo.rtt: nanoseconds, left out while unmeasured.
  if (s.rtt > 0) info.rtt = goNanos(s.rtt);
  info.stop = goTime(s.stop ?? new Date());
  info.kind = kindName(s.kind);
  info.client_type = s.transport;
  if (s.mqttClient !== undefined && s.mqttClient !== "") info.client_id = s.mqttClient;
  return info;
}

/** Go's DisconnectEventMsg body after the header: what the client sent and received, and why it left. */
export function disconnectBody(s: ConnectionSnapshot) {
  return {
    client: closedClientInfo(s),
    // From the client's point of view: what it sent is what the server received from it.
    sent: { msgs: s.stats.inMsgs, bytes: s.stats.inBytes },
    received: { msgs: s.stats.outMsgs, bytes: s.stats.outBytes },
    reason: s.reason ?? "",
  };
}
