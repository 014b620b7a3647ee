import {
  confBool as bool,
  confDuration as duration,
  confFail as fail,
  confInt as int,
  confString as str,
  goTypeName as typeName,
  isConfMap as isMap,
  listenerAuthorizationFromConf,
  type ListenerAuthorization,
  type ConfMap,
  type ConfValue,
} from "@nats-ts/core";
import { mqttTlsFromConf, type MqttTlsOptions } from "./tls.js";

/** Credentials only MQTT clients use (Go's MQTT auth override: `authorization {}` inside `mqtt {}`). */
export type MqttAuthorization = ListenerAuthorization;

/**
 * The `mqtt {}` block (Go's MQTTOpts), in camelCase. Durations are milliseconds. The listener is
 * off while `port` is 0, as in Go; -1 picks a random free port.
 */
export interface MqttOptions {
  host?: string;
  port?: number;
  /** The user (from the server's users) a client without credentials becomes. */
  noAuthUser?: string;
  authorization?: MqttAuthorization;
  /** How long a QoS 1 message waits for its PUBACK before it is sent again. */
  ackWait?: number;
  jsApiTimeout?: number;
  /** Unacknowledged QoS 1 messages a session may have in flight (0 = Go's default, 1024). */
  maxAckPending?: number;
  jsDomain?: string;
  streamReplicas?: number;
  consumerMemoryStorage?: boolean;
  consumerInactiveThreshold?: number;
  rejectQos2Publish?: boolean;
  downgradeQos2Subscribe?: boolean;
  /** TLS for the listener: clients handshake first, as with Go's MQTT listener. */
  tls?: MqttTlsOptions;
  /**
   * MQTT 5.0 enhanced authentication methods by name (the CONNECT's Authentication Method).
   * A client naming another method gets CONNACK 0x8C Bad authentication method. Not in the conf
   * file: given in code only.
   */
  enhancedAuth?: Record<string, EnhancedAuthMethod>;
}

function listen(m: ConfMap, k: string, v: ConfValue, out: MqttOptions): void {
  if (typeof v !== "number" && typeof v !== "string") fail(m, k, `expected port or host:port, got ${typeName(v)}`);
  const s = typeof v === "number" ? `:${v}` : v;
  const i = s.lastIndexOf(":");
  if (i < 0) fail(m, k, `could not parse address string "${s}"`);
  out.host = s.slice(0, i).replace(/^\[|\]$/g, "") || undefined;
  out.port = Number.parseInt(s.slice(i + 1), 10);
  if (!Number.isInteger(out.port)) fail(m, k, `could not parse port "${s.slice(i + 1)}"`);
}

/**
 * Reads an `mqtt {}` conf block as parsed by core's conf parser, with Go's keys and aliases
 * (parseMQTT in opts.go). Unknown keys fail at their position, as in Go.
 *
 * @example
 * mqttOptionsFromConf({ port: 1883, ack_wait: "1m" }); // { port: 1883, ackWait: 60000 }
 */
export function mqttOptionsFromConf(block: unknown): MqttOptions {
  if (!isMap(block as ConfValue)) throw new Error(`Expected mqtt to be a map, got ${typeName(block as ConfValue)}`);
  const m = block as ConfMap;
  const out: MqttOptions = {};
  for (const [k, v] of Object.entries(m)) {
    switch (k.toLowerCase()) {
      case "listen":
        listen(m, k, v, out);
        break;
      case "port":
        out.port = int(m, k, v);
        break;
      case "host":
      case "net":
        out.host = str(m, k, v);
        break;
      case "tls":
        out.tls = mqttTlsFromConf(v, m, k);
        break;
      case "authorization":
      case "authentication":
        if (!isMap(v)) fail(m, k, `Expected authorization to be a map/struct, got ${typeName(v)}`);
        out.authorization = listenerAuthorizationFromConf(v);
        break;
      case "no_auth_user":
        out.noAuthUser = str(m, k, v);
        break;
      case "ack_wait":
      case "ackwait":
        out.ackWait = duration(m, k, v, "ack_wait");
        break;
      case "js_api_timeout":
      case "api_timeout":
        out.jsApiTimeout = duration(m, k, v, "js_api_timeout");
        break;
      case "max_ack_pending":
      case "max_pending":
      case "max_inflight": {
        const n = int(m, k, v);
        if (n < 0 || n > 0xffff) fail(m, k, `invalid value ${n}, should in [0..${0xffff}] range`);
        out.maxAckPending = n;
        break;
      }
      case "js_domain":
        out.jsDomain = str(m, k, v);
        break;
      case "stream_replicas":
        out.streamReplicas = int(m, k, v);
        break;
      case "consumer_replicas":
        break; // Go ignores it with a warning
      case "consumer_memory_storage":
        out.consumerMemoryStorage = bool(m, k, v);
        break;
      case "consumer_inactive_threshold":
      case "consumer_auto_cleanup":
        out.consumerInactiveThreshold = duration(m, k, v, "consumer_inactive_threshold");
        break;
      case "reject_qos2_publish":
        out.rejectQos2Publish = bool(m, k, v);
        break;
      case "downgrade_qos2_subscribe":
        out.downgradeQos2Subscribe = bool(m, k, v);
        break;
      default:
        fail(m, k, `unknown field "${k}"`);
    }
  }
  return out;
}

/** What {@link validateMqttOptions} needs to know about the rest of the server's configuration. */
export interface MqttValidationContext {
  serverName?: string;
  clustered: boolean;
  jetStream: boolean;
  /** Users and nkeys configured at the top level. */
  users: ReadonlySet<string>;
}

/** Go's validateMQTTOptions: the reason the server must not start, or undefined. */
export function validateMqttOptions(o: MqttOptions, ctx: MqttValidationContext): string | undefined {
  if (!o.port) return undefined;
  if (ctx.serverName === undefined && ctx.clustered) return "mqtt requires server name to be explicitly set";
  if (o.noAuthUser !== undefined && o.noAuthUser !== "") {
    if (ctx.users.size === 0) return `no_auth_user: "${o.noAuthUser}" present, but users/nkeys are not defined`;
    if (!ctx.users.has(o.noAuthUser)) return `no_auth_user: "${o.noAuthUser}" not present as user or nkey in authorization block or account configuration`;
  }
  if (ctx.users.size > 0) {
    if (o.authorization?.user) return "mqtt authentication username not compatible with presence of users/nkeys";
    if (o.authorization?.token) return "mqtt authentication token not compatible with presence of users/nkeys";
  }
  if ((o.ackWait ?? 0) < 0) return "ack wait must be a positive value";
  if ((o.jsApiTimeout ?? 0) < 0) return "JS API timeout must be a positive value";
  if (!ctx.jetStream && !ctx.clustered) return "mqtt requires JetStream to be enabled if running in standalone mode";
  return undefined;
}

/**
 * What an enhanced authentication method answers at each step of the exchange (MQTT 5.0 §4.12):
 * `continue` sends the client an AUTH packet with `data` and waits for its answer; `success`
 * accepts it (CONNACK, or AUTH success when re-authenticating), at CONNECT optionally as `user`,
 * one of the server's users (its account and permissions apply), otherwise as its CONNECT
 * credentials say (a re-authentication keeps the identity the connection has); `fail` refuses
 * it with `reasonCode` (default 0x87 Not authorized; a failed re-authentication disconnects).
 */
export type EnhancedAuthResult =
  | { continue: true; data?: Buffer }
  | { success: true; data?: Buffer; user?: string }
  | { fail: true; reasonCode?: number };

/** What a method knows of the client at each step. */
export interface EnhancedAuthContext {
  clientId: string;
  username?: string;
  /** host:port of the client. */
  remote: string;
  /** 0 for the CONNECT's data, then 1, 2 ... for each AUTH packet of the client. */
  step: number;
  /** The method's own state, kept across the steps of one exchange. */
  state: Record<string, unknown>;
  /** A re-authentication of a connected client (AUTH 0x19), rather than its CONNECT. */
  reauthenticating: boolean;
}

/**
 * One enhanced authentication method: called with the client's Authentication Data (undefined
 * when it sent none) at each step.
 *
 * @example
 * // A challenge/response method: the client must answer the nonce signed with a shared secret.
 * const challenge: EnhancedAuthMethod = (data, ctx) => {
 *   if (ctx.step === 0) {
 *     ctx.state.nonce = randomBytes(16);
 *     return { continue: true, data: ctx.state.nonce as Buffer };
 *   }
 *   const expected = createHmac("sha256", secret).update(ctx.state.nonce as Buffer).digest();
 *   return data !== undefined && timingSafeEqual(data, expected) ? { success: true, user: "device" } : { fail: true };
 * };
 * mqttPlugin({ port: 1883, enhancedAuth: { "HMAC-CHALLENGE": challenge } });
 */
export type EnhancedAuthMethod = (data: Buffer | undefined, ctx: EnhancedAuthContext) => EnhancedAuthResult | Promise<EnhancedAuthResult>;
