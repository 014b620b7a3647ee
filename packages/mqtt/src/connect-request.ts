import type { IConnectPacket } from "mqtt-packet";
import type { MqttIdentity } from "./auth.js";
import type { MqttBroker, SessionStart } from "./broker.js";
import { CONNACK } from "./connack.js";
import type { QoS } from "./outbound.js";
import { mqttTopicToNatsSubject } from "./topic.js";
import { publishExtras, REASON, type PublishExtras } from "./v5.js";

/** The connection's will message (Go's mqttWill), published when the client vanishes without DISCONNECT. */
export interface Will {
  topic: string;
  subject: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** MQTT 5.0 will properties as NATS headers. */
  extras?: PublishExtras;
  /** MQTT 5.0 will delay interval (ms). */
  delayMs: number;
}

/** An accepted CONNECT: who the client is and how its session starts. */
export interface ConnectRequest {
  auth: MqttIdentity;
  clientId: string;
  /** The server chose the client id (an empty one was sent): MQTT 5.0 tells the client. */
  assignedClientId: boolean;
  start: SessionStart;
  will: Will | undefined;
  keepalive: number;
  protocolVersion: 4 | 5;
  /** MQTT 5.0: QoS 1/2 messages the client takes in flight, and the largest packet it accepts. */
  receiveMaximum: number;
  maximumPacketSize: number;
  /** MQTT 5.0: how many topic aliases the client accepts from the server (0: none). */
  topicAliasMaximum: number;
  /** MQTT 5.0 enhanced authentication that succeeded: the method and its last data, for CONNACK. */
  authentication?: EnhancedAuthOutcome;
}

/** A successful enhanced authentication exchange. */
export interface EnhancedAuthOutcome {
  method: string;
  data?: Buffer;
  /** The server user the method vouched for; otherwise the CONNECT's credentials decide. */
  user?: string;
}

/** A refused CONNECT: the CONNACK return code (MQTT 3.1.1 numbering) and the log text, or a plain close. */
export interface ConnectRefusal {
  returnCode?: number;
  /** MQTT 5.0 reason code when it differs from the 3.1.1 code's translation. */
  reasonCode?: number;
  reason: string;
}

const MAX_EXPIRY = 0xffffffff;

/**
 * Checks a CONNECT as Go does (client id rules, will, credentials) and reads its MQTT 5.0
 * properties. MQTT 5.0's clean start and session expiry interval take the place of clean session.
 */
export function readConnect(p: IConnectPacket, broker: MqttBroker, authentication?: EnhancedAuthOutcome): ConnectRequest | ConnectRefusal {
  if (p.protocolId !== "MQTT") return { reason: `older protocol "${p.protocolId}" not supported` };
  if (p.protocolVersion !== 4 && p.protocolVersion !== 5) {
    return { returnCode: CONNACK.UNACCEPTABLE_PROTOCOL_VERSION, reason: `unacceptable protocol version of ${p.protocolVersion}` };
  }
  const v5 = p.protocolVersion === 5;
  const props = p.properties ?? {};
  if (v5 && props.authenticationMethod !== undefined && authentication === undefined) {
    return { returnCode: CONNACK.NOT_AUTHORIZED, reasonCode: REASON.BAD_AUTHENTICATION_METHOD, reason: `unsupported authentication method "${props.authenticationMethod}"` };
  }
  const cleanStart = p.clean === true;
  const expiry = v5 ? (props.sessionExpiryInterval ?? 0) : cleanStart ? 0 : MAX_EXPIRY;
  const start: SessionStart = { cleanStart, persistent: expiry > 0, expiryMs: expiry >= MAX_EXPIRY ? Number.POSITIVE_INFINITY : expiry * 1000 };
  let clientId = p.clientId;
  let assignedClientId = false;
  if (clientId === "") {
    // MQTT 5.0 allows an empty id with any session (MQTT-3.1.3-6); 3.1.1 needs clean session.
    if (!cleanStart && !v5) return { returnCode: CONNACK.IDENTIFIER_REJECTED, reason: "when client ID is empty, clean session flag must be set to 1" };
    clientId = broker.generateClientId();
    assignedClientId = true;
  }
  if (clientId.includes("\u0000")) return { returnCode: CONNACK.IDENTIFIER_REJECTED, reason: `invalid null character in client ID ${JSON.stringify(clientId)}` };
  if (/[ \t\r\n\f.*>]/.test(clientId)) return { returnCode: CONNACK.IDENTIFIER_REJECTED, reason: `invalid character in client ID ${JSON.stringify(clientId)}` };
  let will: Will | undefined;
  if (p.will !== undefined) {
    if (p.will.qos === 2 && broker.options.rejectQos2Publish === true) {
      return { returnCode: CONNACK.QOS2_WILL_REJECTED, reasonCode: REASON.QOS_NOT_SUPPORTED, reason: "server does not accept QoS2 for Will messages" };
    }
    if (p.will.topic === "") return { reason: "empty Will topic not allowed" };
    let subject: string;
    try {
      subject = mqttTopicToNatsSubject(p.will.topic);
    } catch (e) {
      return { reason: (e as Error).message };
    }
    const payload = Buffer.from(p.will.payload);
    const wp = p.will.properties;
    let extras: PublishExtras | undefined;
    if (v5 && wp !== undefined) {
      let reply: string | undefined;
      if (wp.responseTopic !== undefined) {
        try {
          reply = mqttTopicToNatsSubject(wp.responseTopic);
        } catch {
          return { returnCode: CONNACK.NOT_AUTHORIZED, reasonCode: REASON.PROTOCOL_ERROR, reason: `invalid will response topic ${JSON.stringify(wp.responseTopic)}` };
        }
      }
      extras = publishExtras({ ...wp, correlationData: wp.correlationData === undefined ? undefined : Buffer.from(wp.correlationData) }, reply, undefined);
    }
    will = { topic: p.will.topic, subject, payload, qos: p.will.qos ?? 0, retain: p.will.retain === true, extras, delayMs: (wp?.willDelayInterval ?? 0) * 1000 };
  }
  if (p.username === "") return { returnCode: CONNACK.BAD_USER_OR_PASSWORD, reason: "empty user name not allowed" };
  const auth = authentication?.user !== undefined ? broker.identityOf(authentication.user) : broker.authenticate(p.username, p.password === undefined ? undefined : p.password.toString("utf8"));
  if (auth === undefined) return { returnCode: CONNACK.NOT_AUTHORIZED, reasonCode: REASON.BAD_USER_NAME_OR_PASSWORD, reason: "Authorization Violation" };
  if (will !== undefined && !auth.canPublish(will.subject)) {
    return { returnCode: CONNACK.NOT_AUTHORIZED, reason: `Publish Violation - MQTT will topic "${will.topic}"` };
  }
  return {
    auth,
    clientId,
    assignedClientId,
    start,
    will,
    keepalive: p.keepalive ?? 0,
    protocolVersion: v5 ? 5 : 4,
    receiveMaximum: v5 && props.receiveMaximum !== undefined && props.receiveMaximum > 0 ? props.receiveMaximum : 0xffff,
    topicAliasMaximum: v5 ? (props.topicAliasMaximum ?? 0) : 0,
    authentication,
    maximumPacketSize: v5 && props.maximumPacketSize !== undefined && props.maximumPacketSize > 0 ? props.maximumPacketSize : Number.MAX_SAFE_INTEGER,
  };
}
