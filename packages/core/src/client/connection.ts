import type { Duplex } from "node:stream";
import {
  ClientProtocolParser,
  type ClientOpHandler,
  encodeErr,
  isValidPublishSubject,
  isValidSubject,
  isValidQueueName,
  type ProtocolError,
} from "@nats-ts/wire";
import { randomBytes } from "node:crypto";
import type { Account } from "../account.js";
import type { AuthContext, Authenticator, AuthResult } from "../auth.js";
import type { ClientPermissions } from "../auth/permissions.js";
import { ResponsePermits } from "../auth/response-permits.js";
import { GatewayReplies, isGatewayRoutedReply } from "./gateway-replies.js";
import type { Logger } from "../logger.js";
import { authTimeoutSeconds, type ServerOptions } from "../options.js";
import { formatGoDuration } from "../duration.js";
import type { ConnectionTls } from "../server/tls.js";
import { Subscription, type MessageSink } from "../sublist/subscription.js";
import { ClosedReason } from "./closed-reason.js";
import { DEFAULT_CONNECT, parseConnectInfo, type ConnectInfo } from "./connect-info.js";
import { OutboundQueue } from "./outbound.js";

const PING = "PING\r\n";
const PONG = "PONG\r\n";
const OK = "+OK\r\n";
const CRLF = Buffer.from("\r\n");
/** Go's firstClientPingInterval: the first PING comes early so RTT is known soon. */
const FIRST_PING_INTERVAL = 2000;
/** Go's DEFAULT_RTT_MEASUREMENT_INTERVAL. */
const RTT_MEASUREMENT_INTERVAL = 3600_000;

/** What a client connection needs from the server that owns it. */
export interface ClientHost {
  readonly opts: ServerOptions;
  readonly log: Logger;
  readonly authenticator: Authenticator;
  /** The account an authenticated connection binds to; undefined if it does not exist. */
  lookupAccount(name: string): Account | undefined;
  /** The account server-internal traffic lives in (Go's system account). */
  readonly systemAccount: Account;
  /** Delivers a published message to everything interested in it. */
  publish(from: ClientConnection, account: Account, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): void;
  /** Queues the connection for the end-of-turn flush. */
  scheduleFlush(c: ClientConnection): void;
  /** The INFO line this connection is greeted with. */
  infoLine(c: ClientConnection): string;
  /** Called once a connection has closed. */
  onClosed(c: ClientConnection): void;
  /** Called once a connection has authenticated and joined its account. */
  onAuthenticated(c: ClientConnection): void;
  /** The compiled form of a user's permissions (shared by that user's connections). */
  compilePermissions(result: AuthResult): ClientPermissions | undefined;
  /** Counts a slow consumer (Go's slow_consumers). */
  countSlowConsumer(c: ClientConnection): void;
}

/** Where a connection comes from. Listeners other than TCP (WebSocket, MQTT) describe theirs. */
export interface ConnectionEndpoint {
  remoteAddress: string;
  remotePort: number;
  /** How the client reached the server: "nats" (TCP), "websocket", ... (Go's client_type). */
  transport?: string;
  /** The certificate a TLS client presented (DER), for verify_and_map. */
  certificate?: Buffer;
  /** How the connection is encrypted, when it is (for /connz). */
  tls?: ConnectionTls;
  /** The INFO line was already written (TLS after INFO): begin() must not greet again. */
  greeted?: boolean;
  /** The nonce that INFO carried, when it was already written. */
  nonce?: string;
  /**
   * Authenticates this listener's clients instead of the server's authenticator (a listener
   * with its own `authorization {}` or `no_auth_user`). Asked again on every use, so a listener
   * can follow reloads; it also decides INFO's `auth_required` and whether the auth timer runs.
   */
  authenticator?: () => Authenticator;
  /** Milliseconds a client has to authenticate, instead of the server's authorization timeout. */
  authTimeout?: number;
  /** Milliseconds between server PINGs, instead of the server's ping_interval. */
  pingInterval?: number;
  /** INFO fields that differ for this listener (host, port, tls_required, tls_available ...); undefined removes one. */
  info?: Record<string, unknown>;
}

/**
 * Reply subjects only the server may use (Go's isReservedReply): service import replies,
 * JetStream acks and gateway replies.
 */
function isReservedReply(reply: string): boolean {
  const c = reply.charCodeAt(0);
  if (c === 95 /* _ */) return (reply.length > 4 && reply.startsWith("_R_.")) || (reply.length > 5 && reply.startsWith("_GR_."));
  return c === 36 /* $ */ && reply.length > 8 && reply.startsWith("$JS.ACK.");
}

/** Go's getRawAuthUser: the identity a CONNECT claims, with a token never shown. */
function rawAuthUser(connect: ConnectInfo): string {
  if (connect.nkey) return connect.nkey;
  if (connect.user) return connect.user;
  if (connect.authToken) return "[REDACTED]";
  return "";
}

/** Go's connection types, by transport, for users' allowed_connection_types. */
const CONNECTION_TYPES: Record<string, string> = { nats: "STANDARD", websocket: "WEBSOCKET", mqtt: "MQTT" };

/** A subscription as it stood when its connection closed (Go's SubDetail). */
export interface SubscriptionSnapshot {
  sid: string;
  subject: string;
  queue: string | undefined;
  /** Messages delivered to it. */
  delivered: number;
  /** Auto-unsubscribe limit; 0 = none. */
  max: number;
}

/** What is kept of a connection once it has closed (for /connz?state=closed and system events). */
export interface ConnectionSnapshot {
  cid: number;
  kind: "CLIENT";
  host: string;
  port: number;
  start: Date;
  stop: Date | undefined;
  reason: ClosedReason | undefined;
  name: string;
  lang: string;
  version: string;
  account: string | undefined;
  /** The user it authenticated as; undefined when it never did. */
  user: string | undefined;
  /**
   * Who the client said it was in CONNECT, authenticated or not (Go's raw auth user): its nkey,
   * else its user name, else "[REDACTED]" for a token; "" when it gave none.
   */
  connectUser: string;
  /** How it reached the server: "nats" (TCP), "websocket", "mqtt" ... */
  transport: string;
  /** Round-trip time of its last server PING in milliseconds; 0 if never measured. */
  rtt: number;
  /** How it was encrypted; undefined for a plain connection. */
  tls: ConnectionTls | undefined;
  /** The certificate it presented over TLS (DER), if any. */
  certificate: Buffer | undefined;
  stats: { inMsgs: number; outMsgs: number; inBytes: number; outBytes: number };
  subscriptions: SubscriptionSnapshot[];
  lastActivity: Date;
  /** An MQTT client's client identifier (Go's ConnInfo.mqtt_client); undefined for other clients. */
  mqttClient?: string;
  /** Bytes waiting to be written to an open connection a plugin serves (core's report theirs live). */
  pendingBytes?: number;
}

/**
 * One client connection: parses what the client sends, applies CONNECT, SUB, UNSUB and PUB, and
 * queues what the server sends back (one socket write per I/O turn).
 */
export class ClientConnection implements ClientOpHandler, MessageSink {
  readonly kind = "CLIENT" as const;
  readonly start = new Date();
  readonly host: string;
  readonly port: number;
  readonly transport: string;
  /** How the connection is encrypted; undefined for a plain connection. */
  readonly tls: ConnectionTls | undefined;
  /** The certificate the client presented over TLS (DER), if any. */
  readonly certificate: Buffer | undefined;
  /** The INFO nonce nkey users sign; undefined when no nkeys are configured. */
  readonly nonce: string | undefined;
  /** Publish/subscribe permissions of the authenticated user; undefined = everything allowed. */
  perms: ClientPermissions | undefined;
  connect: ConnectInfo = DEFAULT_CONNECT;
  account: Account | undefined;
  user: string | undefined;
  readonly subs = new Map<string, Subscription>();
  readonly stats = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 };
  lastActivity = new Date();
  closedReason: ClosedReason | undefined;
  stopTime: Date | undefined;
  /** Round-trip time of the last server PING, in milliseconds (0 until measured). */
  rtt = 0;
  /** True while queued for the end-of-turn flush. */
  flushQueued = false;

  private readonly parser: ClientProtocolParser;
  private readonly out = new OutboundQueue();
  private connectReceived = false;
  private pingsOut = 0;
  private pingSentAt = 0;
  private rttMeasuredAt = 0;
  private authTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private writeDeadlineTimer: NodeJS.Timeout | undefined;
  private readonly label: string;
  private subscriptionsAtClose: SubscriptionSnapshot[] = [];
  private readonly greeted: boolean;
  /** Reply subjects this client may answer (allow_responses): subject -> [responses sent, time]. */
  private replies: ResponsePermits | undefined;
  /** Gateway-routed replies this client was shown without their prefix (see gateway-replies.ts). */
  private gatewayReplies: GatewayReplies | undefined;
  private readonly listenerAuthenticator: (() => Authenticator) | undefined;
  private readonly authTimeoutMs: number | undefined;
  private readonly pingIntervalMs: number | undefined;
  /** INFO fields this connection's listener announces differently from the server's. */
  readonly infoOverrides: Readonly<Record<string, unknown>> | undefined;

  constructor(
    readonly cid: number,
    private readonly socket: Duplex,
    private readonly server: ClientHost,
    endpoint: ConnectionEndpoint,
  ) {
    this.host = endpoint.remoteAddress;
    this.port = endpoint.remotePort;
    this.transport = endpoint.transport ?? "nats";
    this.certificate = endpoint.certificate;
    this.tls = endpoint.tls;
    this.greeted = endpoint.greeted === true;
    this.listenerAuthenticator = endpoint.authenticator;
    this.authTimeoutMs = endpoint.authTimeout;
    this.pingIntervalMs = endpoint.pingInterval;
    this.infoOverrides = endpoint.info;
    this.nonce = this.greeted ? endpoint.nonce : this.authenticator.needsNonce ? randomBytes(11).toString("base64url") : undefined;
    this.label = `${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port} - cid:${cid}`;
    const { opts } = server;
    this.parser = new ClientProtocolParser(this, { maxControlLine: opts.maxControlLine, maxPayload: opts.maxPayload });
    this.parser.trace = server.log.traceEnabled;
  }

  /** Greets the client and starts reading. */
  begin(): void {
    const { socket, server } = this;
    (socket as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => {
      this.lastActivity = new Date();
      this.parser.parse(chunk);
    });
    socket.on("error", (err) => {
      this.debug(`Client connection error: ${err.message}`);
      this.close(ClosedReason.ReadError);
    });
    socket.on("close", () => this.close(ClosedReason.ClientClosed));
    socket.on("drain", () => this.clearWriteDeadline());
    this.debug("Client connection created");
    if (!this.greeted) {
      this.queueProto(server.infoLine(this));
      this.flush();
    }
    if (this.authenticator.required) {
      this.authTimer = setTimeout(() => this.authTimeout(), this.authTimeoutMs ?? authTimeoutSeconds(server.opts) * 1000);
    }
    const pingInterval = this.pingInterval;
    if (pingInterval > 0) this.armPingTimer(Math.min(pingInterval, FIRST_PING_INTERVAL) * (1 + Math.random() / 5));
  }

  /** Who authenticates this client: its listener's authenticator, else the server's. */
  get authenticator(): Authenticator {
    return this.listenerAuthenticator?.() ?? this.server.authenticator;
  }

  /** Milliseconds between server PINGs for this client (its listener's, else the server's). */
  get pingInterval(): number {
    return this.pingIntervalMs ?? this.server.opts.pingInterval;
  }

  /** Bytes queued for this client and not yet written by the kernel (Go's pending_bytes). */
  get pendingBytes(): number {
    return this.out.pending + this.socket.writableLength;
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Go's connection label, `127.0.0.1:51234 - cid:5`, used in every log line about it. */
  toString(): string {
    return this.label;
  }

  // ---- ClientOpHandler: what the client sends -------------------------------------------

  /** Go's `-V` trace of each operation as the client sent it. */
  onTraceIn(op: string, arg: string | undefined): void {
    this.server.log.trace(`${this.label} - <<- [${arg === undefined ? op : `${op} ${arg}`}]`);
  }

  onConnect(json: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      return this.badConnect(json);
    }
    // Go accepts `CONNECT null` as an empty CONNECT.
    if (raw === null) raw = {};
    if (typeof raw !== "object" || Array.isArray(raw)) return this.badConnect(json);
    const info = parseConnectInfo(raw as Record<string, unknown>);
    if (info.protocol < 0 || info.protocol > 1) {
      this.sendErr("invalid client protocol");
      return this.close(ClosedReason.BadClientProtocolVersion);
    }
    if (info.noResponders && !info.headers) {
      this.sendErr("no responders requires headers support");
      return this.close(ClosedReason.NoRespondersRequiresHeaders);
    }
    this.connect = info;
    this.connectReceived = true;
    this.clearAuthTimer();
    if (this.account === undefined && !this.authenticate(info)) return;
    if (info.verbose) this.queueProto(OK);
  }

  onPub(subject: string, reply: string | undefined, payload: Buffer): void {
    this.inboundMessage(subject, reply, 0, payload);
  }

  onHpub(subject: string, reply: string | undefined, headerSize: number, msg: Buffer): void {
    if (!this.connect.headers) {
      // Go closes without an -ERR: the client never said it speaks headers.
      this.server.log.error(`${this.label} - message headers not supported`);
      this.close(ClosedReason.ProtocolViolation);
      return;
    }
    this.inboundMessage(subject, reply, headerSize, msg);
  }

  onSub(subject: string, queue: string | undefined, sid: string): void {
    if (!this.ensureAuthenticated()) return;
    if (this.perms !== undefined && !this.perms.canSubscribe(subject, queue)) {
      this.subPermissionViolation(subject, queue);
      return;
    }
    const max = this.maxSubscriptions();
    if (max > 0 && this.subs.size >= max) {
      this.server.log.error(`${this.label} - maximum subscriptions exceeded`);
      this.sendErr("maximum subscriptions exceeded");
      return;
    }
    if (!isValidSubject(subject) || (queue !== undefined && !isValidQueueName(queue))) {
      this.sendErr("Invalid Subject");
      return;
    }
    if (!this.subs.has(sid)) {
      const sub = new Subscription(this, subject, sid, queue);
      sub.denyFiltered = this.perms?.needsDeliveryFilter(subject, queue) === true;
      this.subs.set(sid, sub);
      this.account!.sublist.insert(sub);
    }
    if (this.connect.verbose) this.queueProto(OK);
  }

  onUnsub(sid: string, max: number | undefined): void {
    if (!this.ensureAuthenticated()) return;
    const sub = this.subs.get(sid);
    if (sub !== undefined) {
      if (max !== undefined && max > 0 && sub.delivered < max) sub.max = max;
      else this.removeSub(sub);
    }
    if (this.connect.verbose) this.queueProto(OK);
  }

  onPing(): void {
    if (!this.ensureAuthenticated()) return;
    this.traceOut("PONG");
    this.queueProto(PONG);
  }

  onPong(): void {
    if (!this.ensureAuthenticated()) return;
    if (this.pingsOut > 0 && this.pingSentAt > 0) {
      this.rtt = performance.now() - this.pingSentAt;
      this.rttMeasuredAt = Date.now();
    }
    this.pingsOut = 0;
  }

  onProtocolError(err: ProtocolError): void {
    if (err.kind === "auth_violation") return this.authViolation();
    const reason =
      err.kind === "max_payload"
        ? ClosedReason.MaxPayloadExceeded
        : err.kind === "max_control_line"
          ? ClosedReason.MaxControlLineExceeded
          : ClosedReason.ProtocolViolation;
    // Go logs the detail; only some errors are also sent to the client.
    this.server.log.error(`${this.label} - ${err.detail}`);
    if (err.clientVisible) this.sendErr(err.message);
    this.close(reason);
  }

  // ---- MessageSink: what the server delivers ---------------------------------------------

  deliver(sub: Subscription, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): boolean {
    if (this.closedReason !== undefined) return false;
    if (reply !== undefined && reply.charCodeAt(0) === 95 && isGatewayRoutedReply(reply)) {
      reply = (this.gatewayReplies ??= new GatewayReplies()).show(reply);
    }
    const perms = this.perms;
    if (perms !== undefined) {
      if (sub.denyFiltered && perms.deniesDelivery(subject)) return false;
      if (reply !== undefined && perms.responses !== undefined) (this.replies ??= new ResponsePermits(perms.responses)).grant(reply);
    }
    const out = this.out;
    // A client that did not announce header support gets the payload alone.
    const withHeaders = headerSize > 0 && this.connect.headers;
    const body = headerSize > 0 && !withHeaders ? msg.subarray(headerSize) : msg;
    const hdr = withHeaders ? headerSize : 0;
    if (reply === undefined) {
      const last = sub.lastHead;
      if (last !== undefined && last.subject === subject && last.size === body.length && last.headerSize === hdr) {
        out.append(last.bytes);
      } else {
        const bytes = Buffer.from(hdr > 0 ? `HMSG ${subject} ${sub.sid} ${hdr} ${body.length}\r\n` : `MSG ${subject} ${sub.sid} ${body.length}\r\n`);
        sub.lastHead = { subject, headerSize: hdr, size: body.length, bytes };
        out.append(bytes);
      }
    } else {
      out.appendString(
        hdr > 0 ? `HMSG ${subject} ${sub.sid} ${reply} ${hdr} ${body.length}\r\n` : `MSG ${subject} ${sub.sid} ${reply} ${body.length}\r\n`,
      );
    }
    out.append(body);
    out.append(CRLF);
    this.stats.outMsgs++;
    this.stats.outBytes += body.length;
    if (this.server.log.traceEnabled) {
      const args = hdr > 0 ? `${hdr} ${body.length}` : `${body.length}`;
      this.traceOut(`${hdr > 0 ? "HMSG" : "MSG"} ${subject} ${sub.sid}${reply === undefined ? "" : ` ${reply}`} ${args}`);
    }
    if (this.pendingBytes > this.server.opts.maxPending) {
      this.slowConsumer(ClosedReason.SlowConsumerPendingBytes);
      return false;
    }
    this.requestFlush();
    return true;
  }

  // ---- sending ---------------------------------------------------------------------------

  /** Queues a protocol line (INFO, PING, -ERR ...) for the next flush. */
  queueProto(line: string): void {
    if (this.closedReason !== undefined) return;
    this.out.appendString(line);
    this.requestFlush();
  }

  sendErr(text: string): void {
    this.traceOut(`-ERR '${text}'`);
    this.queueProto(encodeErr(text));
  }

  /** Writes everything queued to the socket in one go. */
  flush(): void {
    this.flushQueued = false;
    if (this.out.isEmpty || this.socket.destroyed) return;
    const chunks = this.out.drain();
    const { socket } = this;
    if (chunks.length === 1) {
      socket.write(chunks[0]);
    } else {
      socket.cork();
      for (const c of chunks) socket.write(c);
      socket.uncork();
    }
    if (socket.writableNeedDrain && this.writeDeadlineTimer === undefined && this.closedReason === undefined) {
      this.writeDeadlineTimer = setTimeout(() => this.slowConsumer(ClosedReason.SlowConsumerWriteDeadline), this.server.opts.writeDeadline);
    }
  }

  /** Closes the connection (idempotent), flushing what was queued first. */
  close(reason: ClosedReason): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.stopTime = new Date();
    this.parser.stop();
    this.clearAuthTimer();
    clearTimeout(this.pingTimer);
    this.clearWriteDeadline();
    this.subscriptionsAtClose = this.subscriptionSnapshots();
    for (const sub of this.subs.values()) this.removeSub(sub);
    if (!this.out.isEmpty && !this.socket.destroyed) {
      for (const c of this.out.drain()) this.socket.write(c);
    }
    this.socket.end();
    // A peer that never reads must not keep the socket open forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    if (this.account !== undefined) this.account.connections--;
    this.debug(`Client connection closed: ${reason}`);
    this.server.onClosed(this);
  }

  snapshot(): ConnectionSnapshot {
    return {
      cid: this.cid,
      kind: this.kind,
      host: this.host,
      port: this.port,
      start: this.start,
      stop: this.stopTime,
      reason: this.closedReason,
      name: this.connect.name,
      lang: this.connect.lang,
      version: this.connect.version,
      account: this.account?.name,
      user: this.user,
      connectUser: rawAuthUser(this.connect),
      transport: this.transport,
      rtt: this.rtt,
      tls: this.tls,
      certificate: this.certificate,
      stats: { ...this.stats },
      subscriptions: this.closedReason === undefined ? this.subscriptionSnapshots() : this.subscriptionsAtClose,
      lastActivity: this.lastActivity,
    };
  }

  private subscriptionSnapshots(): SubscriptionSnapshot[] {
    return [...this.subs.values()].map(({ sid, subject, queue, delivered, max }) => ({ sid, subject, queue, delivered, max }));
  }

  /** Removes a subscription from this connection and its account. */
  removeSub(sub: Subscription): void {
    sub.closed = true;
    this.subs.delete(sub.sid);
    this.account?.sublist.remove(sub);
  }

  // ---- internals -------------------------------------------------------------------------

  private inboundMessage(subject: string, reply: string | undefined, headerSize: number, msg: Buffer): void {
    if (this.server.log.traceEnabled) this.tracePayload(msg);
    if (!this.ensureAuthenticated()) return;
    this.stats.inMsgs++;
    this.stats.inBytes += msg.length;
    if (this.connect.pedantic && !isValidPublishSubject(subject)) {
      this.sendErr("Invalid Publish Subject");
      return;
    }
    if ((this.perms !== undefined && !this.canPublish(subject)) || (subject.charCodeAt(0) === 36 && this.reservedSubject(subject))) {
      this.sendErr(`Permissions Violation for Publish to ${JSON.stringify(subject)}`);
      this.server.log.error(`${this.label} - Publish Violation - Subject ${JSON.stringify(subject)}`);
      return;
    }
    if (reply !== undefined && isReservedReply(reply)) {
      this.sendErr(`Permissions Violation for Publish with Reply of ${JSON.stringify(reply)}`);
      this.server.log.error(`${this.label} - Publish Violation - Reply ${JSON.stringify(reply)}`);
      return;
    }
    if (this.gatewayReplies !== undefined) subject = this.gatewayReplies.routedFor(subject) ?? subject;
    this.server.publish(this, this.account!, subject, reply, headerSize, msg);
    if (this.connect.verbose) this.queueProto(OK);
  }

  /** Go keeps `$NRG.` (RAFT traffic) to the system account. */
  private reservedSubject(subject: string): boolean {
    return subject.startsWith("$NRG.") && this.account !== this.server.systemAccount;
  }

  /** Binds to an account; before CONNECT only a no_auth_user setup lets other ops through. */
  private ensureAuthenticated(): boolean {
    if (this.account !== undefined) return true;
    if (this.closedReason !== undefined) return false;
    const authenticator = this.authenticator;
    if (!this.connectReceived && authenticator.noAuthUser !== undefined) {
      this.clearAuthTimer();
      return this.authenticate(DEFAULT_CONNECT);
    }
    if (!this.connectReceived && authenticator.required) {
      this.authViolation();
      return false;
    }
    return this.authenticate(this.connect);
  }

  private authContext(): AuthContext {
    return { nonce: this.nonce, certificate: this.certificate, connectionType: CONNECTION_TYPES[this.transport] ?? this.transport.toUpperCase() };
  }

  private authenticate(info: ConnectInfo): boolean {
    const result = this.authenticator.authenticate(info, this.authContext());
    const account = result === undefined ? undefined : this.server.lookupAccount(result.account);
    if (account === undefined) {
      this.authViolation(info.user);
      return false;
    }
    const maxConns = account.limits.maxConnections;
    if (maxConns > 0 && account.connections >= maxConns) {
      this.sendErr("maximum account active connections exceeded");
      this.server.log.error(`${this.label} - maximum account active connections exceeded`);
      this.close(ClosedReason.MaxAccountConnectionsExceeded);
      return false;
    }
    this.account = account;
    this.user = result!.user;
    this.perms = this.server.compilePermissions(result!);
    this.applyLimits();
    account.connections++;
    this.server.onAuthenticated(this);
    return true;
  }

  /**
   * Checks the connection again after a configuration reload (Go's reload of authorization):
   * a client whose credentials no longer pass, or that now belongs to another account, is closed
   * with "Authorization Violation"; otherwise it keeps its subscriptions under its new
   * permissions, losing (with an -ERR each) those they no longer allow.
   */
  recheckAuthorization(): void {
    if (this.account === undefined || this.closedReason !== undefined) return;
    const info = this.connectReceived ? this.connect : DEFAULT_CONNECT;
    const result = this.authenticator.authenticate(info, this.authContext());
    if (result === undefined || this.server.lookupAccount(result.account) !== this.account) {
      this.authViolation(info.user);
      return;
    }
    this.user = result.user;
    this.perms = this.server.compilePermissions(result);
    this.replies = undefined;
    this.applyLimits();
    for (const sub of [...this.subs.values()]) {
      if (this.perms !== undefined && !this.perms.canSubscribe(sub.subject, sub.queue)) {
        this.removeSub(sub);
        const q = sub.queue === undefined ? "" : ` using queue ${JSON.stringify(sub.queue)}`;
        this.sendErr(`Permissions Violation for Subscription to ${JSON.stringify(sub.subject)}${q} (sid ${JSON.stringify(sub.sid)})`);
      } else {
        sub.denyFiltered = this.perms?.needsDeliveryFilter(sub.subject, sub.queue) === true;
      }
    }
  }

  /** The parser's limits from the server's options and the account's limits (the smaller wins). */
  applyLimits(): void {
    const { opts } = this.server;
    this.parser.maxControlLine = opts.maxControlLine;
    const accountMax = this.account?.limits.maxPayload ?? 0;
    this.parser.maxPayload = accountMax > 0 ? Math.min(accountMax, opts.maxPayload) : opts.maxPayload;
  }

  private maxSubscriptions(): number {
    const server = this.server.opts.maxSubscriptions;
    const account = this.account?.limits.maxSubscriptions ?? 0;
    return server > 0 && account > 0 ? Math.min(server, account) : Math.max(server, account);
  }

  /** Publish permission, including replies this client was asked to answer (allow_responses). */
  private canPublish(subject: string): boolean {
    return this.perms!.canPublish(subject) || (this.replies?.use(subject) ?? false);
  }

  private subPermissionViolation(subject: string, queue: string | undefined): void {
    const q = queue === undefined ? "" : ` using queue ${JSON.stringify(queue)}`;
    this.sendErr(`Permissions Violation for Subscription to ${JSON.stringify(subject)}${q}`);
    this.server.log.error(
      `${this.label} - Subscription Violation - Subject ${JSON.stringify(subject)}${queue === undefined ? "" : `, Queue: ${JSON.stringify(queue)}`}`,
    );
  }

  private authViolation(user?: string): void {
    this.server.log.error(user ? `${this.label} - authentication error - User "${user}"` : `${this.label} - authentication error`);
    this.sendErr("Authorization Violation");
    this.close(ClosedReason.AuthenticationViolation);
  }

  private authTimeout(): void {
    this.authTimer = undefined;
    if (this.account !== undefined || this.closedReason !== undefined) return;
    this.debug("Authentication Timeout");
    this.sendErr("Authentication Timeout");
    this.close(ClosedReason.AuthenticationTimeout);
  }

  private clearAuthTimer(): void {
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    this.authTimer = undefined;
  }

  /** CONNECT with JSON Go cannot decode: logged, not answered, and the connection closed. */
  private badConnect(json: string): void {
    this.server.log.error(`${this.label} - processConnect Parse Error: ${JSON.stringify(json.slice(0, 128))}`);
    this.close(ClosedReason.ProtocolViolation);
  }

  private armPingTimer(ms: number): void {
    this.pingTimer = setTimeout(() => this.onPingTimer(), ms);
    this.pingTimer.unref();
  }

  /** Go's processPingTimer: skip the PING while the client is visibly alive, unless RTT is due. */
  private onPingTimer(): void {
    if (this.closedReason !== undefined) return;
    const { pingMax } = this.server.opts;
    const pingInterval = this.pingInterval;
    const now = Date.now();
    const rttDue = this.rttMeasuredAt === 0 || now - this.rttMeasuredAt > RTT_MEASUREMENT_INTERVAL;
    if (rttDue || now - this.lastActivity.getTime() >= pingInterval) {
      if (this.pingsOut + 1 > pingMax) {
        this.debug("Stale Client Connection - Closing");
        this.sendErr("Stale Connection");
        this.close(ClosedReason.StaleConnection);
        return;
      }
      this.pingsOut++;
      this.pingSentAt = performance.now();
      this.traceOut("PING");
      this.queueProto(PING);
    }
    this.armPingTimer(pingInterval);
  }

  private slowConsumer(reason: ClosedReason): void {
    if (this.closedReason !== undefined) return;
    const detail =
      reason === ClosedReason.SlowConsumerPendingBytes
        ? `MaxPending of ${this.server.opts.maxPending} Exceeded`
        : `WriteDeadline of ${formatGoDuration(this.server.opts.writeDeadline)} exceeded`;
    this.server.log.info(`${this.label} - Slow Consumer Detected: ${detail}`);
    this.server.countSlowConsumer(this);
    // What is queued can not be delivered: drop it rather than flush it on close.
    this.out.drain();
    this.close(reason);
    this.socket.destroy();
  }

  private clearWriteDeadline(): void {
    if (this.writeDeadlineTimer !== undefined) clearTimeout(this.writeDeadlineTimer);
    this.writeDeadlineTimer = undefined;
  }

  private requestFlush(): void {
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.server.scheduleFlush(this);
    }
  }

  private debug(msg: string): void {
    if (this.server.log.debugEnabled) this.server.log.debug(`${this.label} - ${msg}`);
  }

  private traceOut(op: string): void {
    if (this.server.log.traceEnabled) this.server.log.trace(`${this.label} - ->> [${op}]`);
  }

  private tracePayload(msg: Buffer): void {
    this.server.log.trace(`${this.label} - <<- MSG_PAYLOAD: [${JSON.stringify(msg.toString("latin1"))}]`);
  }
}
