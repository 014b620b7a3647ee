import type { TLSSocket } from "node:tls";
import type { IConnectPacket } from "mqtt-packet";
import { ClosedReason, describeTls, type ConnectionSnapshot, type ConnectionTls, type ForeignConnection, type ForeignConnections, type SubscriptionSnapshot } from "@nats-ts/core";
import type { MqttIdentity } from "./auth.js";
import type { MqttConnection } from "./connection.js";
import type { MqttTransport } from "./transport.js";
import { REASON } from "./v5.js";

/** Why an MQTT connection closed (its log text), in the words Go's /connz uses for MQTT clients. */
const CLOSED_REASONS: Record<string, ClosedReason> = {
  "client sent DISCONNECT": ClosedReason.ClientClosed,
  "client closed": ClosedReason.ClientClosed,
  // Go reads with a deadline of 1.5x the keep alive: a client that stays silent is a read error.
  "keep alive timeout": ClosedReason.ReadError,
  "socket error": ClosedReason.ReadError,
  "websocket error": ClosedReason.ReadError,
  "authentication timeout": ClosedReason.AuthenticationTimeout,
  "Authorization Violation": ClosedReason.AuthenticationViolation,
  "empty user name not allowed": ClosedReason.AuthenticationViolation,
  "server shutdown": ClosedReason.ServerShutdown,
  "duplicate client id": ClosedReason.DuplicateClientId,
  "flapping client, duplicate client id": ClosedReason.DuplicateClientId,
  "slow consumer detected": ClosedReason.SlowConsumerPendingBytes,
  "maximum account active connections exceeded": ClosedReason.MaxAccountConnectionsExceeded,
};

/** Reasons the server closes a connection for (a `$SYS` kick): passed through as they are. */
const SERVER_REASONS = new Set<string>(Object.values(ClosedReason));

/** The closed reason of an MQTT connection; what is not listed was a protocol error (as Go's read loop says). */
export function closedReasonOf(reason: string, reasonCode: number | undefined): ClosedReason {
  if (SERVER_REASONS.has(reason)) return reason as ClosedReason;
  const known = CLOSED_REASONS[reason];
  if (known !== undefined) return known;
  if (reasonCode === REASON.PACKET_TOO_LARGE) return ClosedReason.MaxPayloadExceeded;
  if (reasonCode === REASON.BAD_AUTHENTICATION_METHOD) return ClosedReason.AuthenticationViolation;
  return ClosedReason.ProtocolViolation;
}

/** How an MQTT client's TLS connection looks to /connz: version, cipher and its certificate, if any. */
export interface MqttTlsInfo {
  tls: ConnectionTls;
  certificate: Buffer | undefined;
}

export function mqttTlsInfo(socket: TLSSocket): MqttTlsInfo {
  const raw = socket.getPeerCertificate().raw as Buffer | undefined;
  return { tls: describeTls(socket), certificate: raw !== undefined && raw.length > 0 ? raw : undefined };
}

/** What a connection reports to monitoring as it authenticates and closes. */
export interface MqttConnectionObserver {
  /** CONNECT arrived (before it is checked: a refused client is still known by its id, as in Go). */
  connecting(p: IConnectPacket): void;
  /** Its credentials passed: false when its account has no room left (max_connections). */
  admit(identity: MqttIdentity): boolean;
  closed(reason: string, reasonCode: number | undefined): void;
}

/**
 * One MQTT client as the server's monitoring sees it (Go lists MQTT clients with the others):
 * registered in core's foreign connections before its CONNECT, so /connz shows it (type "mqtt",
 * with its `mqtt_client` id once CONNECT named one) and max_connections counts it; removed as it
 * closes, leaving its last snapshot among the closed connections.
 */
export class MonitoredMqttConnection implements ForeignConnection, MqttConnectionObserver {
  private readonly start = new Date();
  private connection: MqttConnection | undefined;
  private stop: Date | undefined;
  private reason: ClosedReason | undefined;
  /** Client id and user name as CONNECT gave them. */
  private requested: { clientId: string; username: string } | undefined;
  private identity: MqttIdentity | undefined;

  constructor(
    readonly cid: number,
    private readonly transport: MqttTransport,
    private readonly tls: MqttTlsInfo | undefined,
    private readonly registry: ForeignConnections,
  ) {}

  /** The connection serving this client, once created (it needs the cid first). */
  observe(connection: MqttConnection): void {
    this.connection = connection;
    connection.observer = this;
  }

  connecting(p: IConnectPacket): void {
    this.requested = { clientId: p.clientId, username: p.username ?? "" };
  }

  admit(identity: MqttIdentity): boolean {
    // Kept when refused too: Go's refused client still names its account.
    this.identity = identity;
    return this.registry.authenticated(this);
  }

  closed(reason: string, reasonCode: number | undefined): void {
    this.stop = new Date();
    this.reason = closedReasonOf(reason, reasonCode);
    this.registry.remove(this);
  }

  /** The server closes the client (a `$SYS` kick): its will goes out, as when it vanishes. */
  close(reason: ClosedReason): void {
    this.connection?.close(reason);
  }

  snapshot(): ConnectionSnapshot {
    const c = this.connection;
    const identity = this.identity;
    const snapshot: ConnectionSnapshot = {
      cid: this.cid,
      kind: "CLIENT",
      host: this.transport.remoteAddress,
      port: this.transport.remotePort,
      start: this.start,
      stop: this.stop,
      reason: this.reason,
      name: "",
      lang: "",
      version: "",
      account: identity?.account.name,
      user: identity?.user,
      connectUser: this.requested?.username ?? "",
      transport: "mqtt",
      rtt: 0,
      tls: this.tls?.tls,
      certificate: this.tls?.certificate,
      stats: c === undefined ? { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 } : { ...c.stats },
      subscriptions: this.subscriptions(),
      lastActivity: new Date(c?.lastActivity ?? this.start.getTime()),
    };
    // An empty id is replaced by one the server makes up once CONNECT is accepted.
    const clientId = c?.clientId || this.requested?.clientId;
    if (clientId) snapshot.mqttClient = clientId;
    if (this.reason === undefined) snapshot.pendingBytes = this.transport.pendingBytes;
    return snapshot;
  }

  /** The NATS subscriptions behind the session's filters (`foo/#` has two: `foo.>` and `foo`). */
  private subscriptions(): SubscriptionSnapshot[] {
    const session = this.connection?.currentSession;
    if (session === undefined) return [];
    const out: SubscriptionSnapshot[] = [];
    for (const entry of session.subscriptions.values()) {
      for (const s of entry.subs) out.push({ sid: s.sid, subject: s.subject, queue: s.queue, delivered: s.delivered, max: s.max });
    }
    return out;
  }
}
