import { ClosedReason, type Account, type ClientConnection, type ConnectionSnapshot, type InternalClient } from "@nats-ts/core";
import type { MonitorContext } from "../context.js";
import { accountStat } from "../endpoints/accounts.js";
import { SkipRequest } from "../endpoints/jsz.js";
import { goTime } from "../format.js";
import {
  ACCOUNT_CONNS_TYPE,
  CONNECT_EVENT_TYPE,
  DISCONNECT_EVENT_TYPE,
  ServerInfoStamp,
  connectedClientInfo,
  disconnectBody,
  eventId,
  type ServerInfoJson,
} from "./messages.js";
import { decodeBody, RequestBodyError, type FieldSpec } from "./request-body.js";
import { ACCOUNT_ENDPOINTS, ACCOUNT_PING_STATZ, SERVER_ENDPOINTS, type RequestEndpoint } from "./requests.js";
import { profilez } from "./profilez.js";
import { serverStats } from "./statsz.js";

export interface SystemEventsOptions {
  /** Longest interval between STATSZ broadcasts, ms (Go: 10s). They start at 250ms and back off. */
  statszInterval: number;
  /** Interval of the per-account SERVER.CONNS heartbeat while it has connections, ms (Go: 30s). */
  accountConnsInterval: number;
  /** Reloads the configuration from its source (Go's Reload). */
  reload?: () => void | Promise<void>;
}

/** Go's minimum spacing of STATSZ broadcasts, ms. */
const STATSZ_RATE_LIMIT = 1000;
const CID_FIELD: FieldSpec[] = [{ json: "cid", type: "uint" }];
const FIRST_STATSZ = 250;

/**
 * The system account's events and request/reply services (Go's events.go): connect, disconnect,
 * auth-error, account-connection, STATSZ, lame-duck and shutdown events on $SYS subjects, and
 * the $SYS.REQ.SERVER / $SYS.REQ.ACCOUNT monitoring requests answered with `{server, data}`.
 */
export class SystemEvents {
  private readonly stamp: ServerInfoStamp;
  private sys: InternalClient | undefined;
  /** Per-account clients standing in for Go's service imports of the system's PING services. */
  private readonly accountClients = new Map<string, InternalClient>();
  private readonly connsTimers = new Map<string, NodeJS.Timeout>();
  private pending: (() => void)[] = [];
  private drainScheduled = false;
  private statszTimer: NodeJS.Timeout | undefined;
  private statszDelay = FIRST_STATSZ;
  private lastStatsz = 0;
  private stopped = false;

  constructor(
    private readonly ctx: MonitorContext,
    private readonly opts: SystemEventsOptions,
  ) {
    this.stamp = new ServerInfoStamp(ctx);
  }

  get statszSubject(): string {
    return `$SYS.SERVER.${this.ctx.server.id}.STATSZ`;
  }

  start(): void {
    const { server } = this.ctx;
    const sys = server.createInternalClient("SYSTEM", server.systemAccount);
    this.sys = sys;
    const id = server.id;
    sys.subscribe("$SYS.REQ.SERVER.PING", (_s, reply, hs, msg) => this.later(() => this.statszRequest(reply, msg.subarray(hs))));
    for (const prefix of [`$SYS.REQ.SERVER.${id}`, "$SYS.REQ.SERVER.PING"]) {
      sys.subscribe(`${prefix}.STATSZ`, (_s, reply, hs, msg) => this.later(() => this.statszRequest(reply, msg.subarray(hs))));
      sys.subscribe(`${prefix}.IDZ`, (_s, reply) => this.later(() => this.idzRequest(reply)));
      for (const [name, endpoint] of Object.entries(SERVER_ENDPOINTS)) {
        sys.subscribe(`${prefix}.${name}`, this.requestHandler(sys, endpoint));
      }
    }
    for (const [name, endpoint] of Object.entries(ACCOUNT_ENDPOINTS)) {
      sys.subscribe(`$SYS.REQ.ACCOUNT.*.${name}`, (subject, reply, hs, msg) => {
        const account = subject.split(".")[3];
        this.later(() => this.answer(sys, reply, msg.subarray(hs), endpoint.struct, endpoint.fields, (b) => endpoint.run(this.ctx, account, b)));
      });
    }
    sys.subscribe(`$SYS.REQ.SERVER.${id}.KICK`, this.requestHandler(sys, { struct: "KickClientReq", fields: CID_FIELD, run: (_ctx, b) => this.kick(b) }));
    sys.subscribe(`$SYS.REQ.SERVER.${id}.LDM`, this.requestHandler(sys, { struct: "LDMClientReq", fields: CID_FIELD, run: (_ctx, b) => this.lameDuckClient(b) }));
    for (const prefix of [`$SYS.REQ.SERVER.${id}`, "$SYS.REQ.SERVER.PING"]) {
      sys.subscribe(`${prefix}.PROFILEZ`, (_s, reply, hs, msg) => this.later(() => void this.profilezRequest(reply, msg.subarray(hs))));
    }
    sys.subscribe(`$SYS.REQ.SERVER.${id}.RELOAD`, (_s, reply, hs, msg) => this.later(() => void this.reloadRequest(reply, msg.subarray(hs))));
    sys.subscribe("$SYS.REQ.ACCOUNT.*.CONNS", (subject, reply) => this.later(() => this.connsRequest(subject.split(".")[3], reply)));
    sys.subscribe("$SYS.REQ.ACCOUNT.PING.STATZ", this.requestHandler(sys, ACCOUNT_PING_STATZ));
    for (const name of this.ctx.tracker.accounts()) this.wireAccount(name);
    this.scheduleStatsz();
  }

  /** Publishes what is queued, stops the timers and removes the subscriptions. */
  stop(): void {
    this.drain();
    this.stopped = true;
    clearTimeout(this.statszTimer);
    for (const t of this.connsTimers.values()) clearTimeout(t);
    this.connsTimers.clear();
    for (const c of this.accountClients.values()) c.close();
    this.accountClients.clear();
    this.sys?.close();
  }

  // ---- events ----------------------------------------------------------------------------

  /** A client authenticated: core's, or one a plugin serves (then only its snapshot is known). */
  onConnected(c: ClientConnection | ConnectionSnapshot): void {
    const snapshot = "snapshot" in c ? c.snapshot() : c;
    const account = snapshot.account === undefined ? undefined : this.ctx.server.lookupAccount(snapshot.account);
    if (account === undefined) return;
    this.wireAccount(account.name);
    const client = connectedClientInfo(snapshot);
    this.later(() => this.send(`$SYS.ACCOUNT.${account.name}.CONNECT`, (server) => ({ ...typed(CONNECT_EVENT_TYPE), server, client })));
    this.accountConnsChanged(account);
  }

  onClosed(s: ConnectionSnapshot): void {
    if (s.account === undefined) return;
    const body = disconnectBody(s);
    const stop = body.client.stop!;
    this.later(() => this.send(`$SYS.ACCOUNT.${s.account}.DISCONNECT`, (server) => ({ ...typed(DISCONNECT_EVENT_TYPE, stop), server, ...body })));
    const account = this.ctx.server.lookupAccount(s.account);
    if (account !== undefined) this.accountConnsChanged(account);
  }

  onAuthError(s: ConnectionSnapshot): void {
    const body = disconnectBody(s);
    const subject = `$SYS.SERVER.${this.ctx.server.id}.CLIENT.AUTH.ERR`;
    this.later(() => this.send(subject, (server) => ({ ...typed(DISCONNECT_EVENT_TYPE), server, ...body })));
  }

  /** Sends the shutdown event at once, so subscribers get it before their connections close. */
  shutdown(): void {
    this.drain();
    this.send(`$SYS.SERVER.${this.ctx.server.id}.SHUTDOWN`, (server) => server);
    // Like Go, nothing more is sent once the shutdown event is out.
    this.stopped = true;
  }

  lameDuck(): void {
    this.drain();
    this.send(`$SYS.SERVER.${this.ctx.server.id}.LAMEDUCK`, (server) => server);
  }

  // ---- requests --------------------------------------------------------------------------

  private requestHandler(client: InternalClient, endpoint: RequestEndpoint) {
    return (_subject: string, reply: string | undefined, hs: number, msg: Buffer) =>
      this.later(() => this.answer(client, reply, msg.subarray(hs), endpoint.struct, endpoint.fields, (b) => endpoint.run(this.ctx, b)));
  }

  /** Go's zReq: decode options, apply the server filter, wrap the answer or the error. */
  private answer(client: InternalClient, reply: string | undefined, raw: Buffer, struct: string, fields: FieldSpec[], run: (b: Record<string, unknown>) => unknown): void {
    if (reply === undefined) return;
    let body: Record<string, unknown>;
    try {
      body = decodeBody(raw, struct, fields);
    } catch (err) {
      this.reply(reply, (server) => ({ server, error: { code: 400, description: (err as RequestBodyError).message } }), client);
      return;
    }
    if (this.filtered(body)) return;
    let data: unknown;
    try {
      data = run(body);
    } catch (err) {
      if (err instanceof SkipRequest) return;
      this.reply(reply, (server) => ({ server, error: { code: 500, description: (err as Error).message } }), client);
      return;
    }
    this.reply(reply, (server) => ({ server, data }), client);
  }

  private statszRequest(reply: string | undefined, raw: Buffer): void {
    if (raw.length > 0) {
      let body: Record<string, unknown>;
      try {
        body = decodeBody(raw, "StatszEventOptions", []);
      } catch (err) {
        if (reply !== undefined) this.reply(reply, (server) => ({ server, error: { code: 400, description: (err as Error).message } }));
        return;
      }
      if (this.filtered(body)) return;
    }
    if (reply === undefined) {
      // A ping without a reply asks for a broadcast now.
      this.lastStatsz = 0;
      this.broadcastStatsz();
      return;
    }
    this.reply(reply, (server) => ({ server, statsz: serverStats(this.ctx) }));
  }

  private idzRequest(reply: string | undefined): void {
    if (reply === undefined) return;
    const { server } = this.ctx;
    this.reply(reply, () => ({ name: server.name, host: server.opts.host, id: server.id }));
  }

  /** Go's PROFILEZ: runs for the profile's duration, so it answers later than the others. */
  private async profilezRequest(reply: string | undefined, raw: Buffer): Promise<void> {
    if (reply === undefined) return;
    let body: Record<string, unknown>;
    try {
      body = decodeBody(raw, "ProfilezEventOptions", [
        { json: "name", type: "string" },
        { json: "debug", type: "int" },
        { json: "duration", type: "int" },
      ]);
    } catch (err) {
      this.reply(reply, (server) => ({ server, error: { code: 400, description: (err as Error).message } }));
      return;
    }
    if (this.filtered(body)) return;
    const data = await profilez(typeof body.name === "string" ? body.name : "", typeof body.duration === "number" ? body.duration : 0);
    this.reply(reply, (server) => ({ server, data }));
  }

  /** Go's reloadConfig: reloads, then answers `{server}` or the error. */
  private async reloadRequest(reply: string | undefined, raw: Buffer): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = decodeBody(raw, "EventFilterOptions", []);
    } catch (err) {
      if (reply !== undefined) this.reply(reply, (server) => ({ server, error: { code: 400, description: (err as Error).message } }));
      return;
    }
    if (this.filtered(body)) return;
    let error: string | undefined;
    try {
      if (this.opts.reload === undefined) throw new Error("can only reload config when a file is provided using -c or --config");
      await this.opts.reload();
      this.ctx.tracker.configLoadTime = new Date();
    } catch (err) {
      error = (err as Error).message;
    }
    if (reply === undefined) return;
    this.reply(reply, (server) => (error === undefined ? { server } : { server, error: { code: 500, description: error } }));
  }

  /** Go's DisconnectClientByID: closes one client with reason "Kicked". */
  private kick(body: Record<string, unknown>): undefined {
    const cid = Number(body.cid ?? 0);
    const client = this.ctx.server.connections.get(cid) ?? this.ctx.server.foreignConnections.get(cid);
    if (client === undefined) throw new Error("no such client or leafnode id");
    client.close(ClosedReason.Kicked);
    return undefined;
  }

  /** Go's LDMClientByID: tells one client (INFO with "ldm": true) to move to another server. */
  private lameDuckClient(body: Record<string, unknown>): undefined {
    const cid = Number(body.cid ?? 0);
    const client = this.ctx.server.connections.get(cid);
    if (client === undefined && this.ctx.server.foreignConnections.get(cid) === undefined) throw new Error("no such client id");
    // A client a plugin serves (MQTT) has no INFO to carry the notice.
    if (client === undefined || client.connect.protocol < 1) {
      throw new Error("client does not support Lame Duck Mode or is not ready to receive the notification");
    }
    const info = this.ctx.server.infoLine(client);
    client.queueProto(info.includes('"ldm":true') ? info : info.replace(/}\r\n$/, ',"ldm":true}\r\n'));
    return undefined;
  }

  /** Go's connsRequest: answers with the account's connection counts when it has local clients. */
  private connsRequest(accountName: string, reply: string | undefined): void {
    const account = this.ctx.server.lookupAccount(accountName);
    if (account === undefined || reply === undefined || account.connections === 0) return;
    this.sendAccountConns(account, [reply], true);
  }

  /** Go's filterRequest: true when the request's server filter excludes this server. */
  private filtered(b: Record<string, unknown>): boolean {
    const { server } = this.ctx;
    const name = typeof b.server_name === "string" ? b.server_name : "";
    const host = typeof b.host === "string" ? b.host : "";
    const cluster = typeof b.cluster === "string" ? b.cluster : "";
    const fits = (value: string, want: string) => want === "" || (b.exact_match === true ? value === want : value.includes(want));
    if (!fits(server.name, name) || !fits(server.opts.host, host) || !fits("", cluster)) return true;
    if (Array.isArray(b.tags) && b.tags.some((t) => !server.opts.serverTags.includes(t as string))) return true;
    const domain = typeof b.domain === "string" ? b.domain : "";
    const js = server.opts.jetstream;
    const ourDomain = js !== false && typeof js.domain === "string" ? js.domain : "";
    return domain !== "" && domain !== ourDomain;
  }

  // ---- account services ------------------------------------------------------------------

  /**
   * Go imports $SYS.REQ.ACCOUNT.PING.CONNZ/STATZ and $SYS.REQ.SERVER.PING.CONNZ into every
   * account, answered for that account. Core has no service imports yet, so an internal client
   * in the account subscribes in its place.
   */
  private wireAccount(name: string): void {
    const { server } = this.ctx;
    const account = server.lookupAccount(name);
    if (this.stopped || account === undefined || account === server.systemAccount || this.accountClients.has(name)) return;
    const client = server.createInternalClient("ACCOUNT", account);
    this.accountClients.set(name, client);
    const connzEndpoint = ACCOUNT_ENDPOINTS.CONNZ;
    const statzEndpoint = ACCOUNT_ENDPOINTS.STATZ;
    const connz = (_s: string, reply: string | undefined, hs: number, msg: Buffer) =>
      this.later(() => this.answer(client, reply, msg.subarray(hs), connzEndpoint.struct, connzEndpoint.fields, (b) => connzEndpoint.run(this.ctx, name, b)));
    client.subscribe("$SYS.REQ.ACCOUNT.PING.CONNZ", connz);
    client.subscribe("$SYS.REQ.SERVER.PING.CONNZ", connz);
    client.subscribe("$SYS.REQ.ACCOUNT.PING.STATZ", (_s, reply, hs, msg) =>
      this.later(() => this.answer(client, reply, msg.subarray(hs), statzEndpoint.struct, statzEndpoint.fields, (b) => statzEndpoint.run(this.ctx, name, b))),
    );
  }

  /** Go's accConnsUpdate: not for the global account; heartbeats while connections remain. */
  private accountConnsChanged(account: Account): void {
    if (account === this.ctx.server.globalAccount) return;
    this.sendAccountConns(account, [`$SYS.SERVER.ACCOUNT.${account.name}.CONNS`, `$SYS.ACCOUNT.${account.name}.SERVER.CONNS`]);
    clearTimeout(this.connsTimers.get(account.name));
    this.connsTimers.delete(account.name);
    if (account.connections > 0 && !this.stopped) {
      const timer = setTimeout(() => this.accountConnsChanged(account), this.opts.accountConnsInterval);
      timer.unref();
      this.connsTimers.set(account.name, timer);
    }
  }

  private sendAccountConns(account: Account, subjects: string[], isReply = false): void {
    const id = eventId();
    const timestamp = goTime(new Date());
    this.later(() => {
      const usage = this.ctx.tracker.usage(account.name);
      if (usage === undefined) return;
      const stat = accountStat(usage);
      for (const subject of subjects) {
        const build = (server: ServerInfoJson) => ({ type: ACCOUNT_CONNS_TYPE, id, timestamp, server, ...stat });
        if (isReply) this.reply(subject, build);
        else this.send(subject, build);
      }
    });
  }

  // ---- STATSZ ----------------------------------------------------------------------------

  private scheduleStatsz(): void {
    if (this.stopped) return;
    this.statszDelay = Math.min(this.statszDelay, this.opts.statszInterval);
    this.statszTimer = setTimeout(() => {
      this.statszDelay = Math.min(this.statszDelay * 2, this.opts.statszInterval);
      this.guarded(() => this.broadcastStatsz());
      this.scheduleStatsz();
    }, this.statszDelay);
    this.statszTimer.unref();
  }

  /** Sends STATSZ on the broadcast subject when someone listens, at most once per rate-limit window. */
  private broadcastStatsz(): void {
    const subject = this.statszSubject;
    if (!this.ctx.server.systemAccount.sublist.hasInterest(subject)) return;
    const now = Date.now();
    if (now - this.lastStatsz < Math.min(STATSZ_RATE_LIMIT, this.statszDelay)) return;
    this.lastStatsz = now;
    this.send(subject, (server) => ({ server, statsz: serverStats(this.ctx) }));
  }

  // ---- sending ---------------------------------------------------------------------------

  /** Runs `fn` after the current delivery (Go hands these to its send loop). */
  private later(fn: () => void): void {
    if (this.stopped) return;
    this.pending.push(fn);
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  private drain(): void {
    this.drainScheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      for (const fn of batch) this.guarded(fn);
    }
  }

  /** A failing event or answer (say, a JetStream provider that throws) is logged, never fatal. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.ctx.server.log.error(`Error sending system event: ${(err as Error).message}`);
    }
  }

  /** Publishes an event, unless nobody listens (then it is not even built). */
  private send(subject: string, build: (server: ServerInfoJson) => unknown, client = this.sys): void {
    if (client === undefined || !client.account.sublist.hasInterest(subject)) return;
    this.reply(subject, build, client);
  }

  /** Publishes an answer to a request (its reply subject may be routed beyond this account's sublist). */
  private reply(subject: string, build: (server: ServerInfoJson) => unknown, client = this.sys): void {
    if (client === undefined || this.stopped) return;
    client.publish(subject, Buffer.from(JSON.stringify(build(this.stamp.next()))));
  }
}

/** Go's TypedEvent header. */
function typed(type: string, timestamp = goTime(new Date())) {
  return { type, id: eventId(), timestamp };
}
