import { decodeHeaders } from "@nats-ts/wire";
import type { IPublishPacket, UserProperties } from "mqtt-packet";

/** MQTT 5.0 reason codes the server sends (spec 2.4). */
export const REASON = {
  SUCCESS: 0x00,
  CONTINUE_AUTHENTICATION: 0x18,
  REAUTHENTICATE: 0x19,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  UNSPECIFIED_ERROR: 0x80,
  MALFORMED_PACKET: 0x81,
  PROTOCOL_ERROR: 0x82,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_IDENTIFIER_NOT_VALID: 0x85,
  BAD_USER_NAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_IDENTIFIER_NOT_FOUND: 0x92,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  QOS_NOT_SUPPORTED: 0x9b,
} as const;

/** MQTT 3.1.1 CONNACK return codes and the MQTT 5.0 reason code for the same refusal. */
export const CONNACK_V5: Record<number, number> = {
  0x01: REASON.UNSUPPORTED_PROTOCOL_VERSION,
  0x02: REASON.CLIENT_IDENTIFIER_NOT_VALID,
  0x03: REASON.SERVER_UNAVAILABLE,
  0x04: REASON.BAD_USER_NAME_OR_PASSWORD,
  0x05: REASON.NOT_AUTHORIZED,
  0x10: REASON.QOS_NOT_SUPPORTED,
};

/** How many topic aliases a client may set up (announced in CONNACK). */
export const TOPIC_ALIAS_MAXIMUM = 1024;

// NATS headers that carry MQTT 5.0 PUBLISH properties (user properties are plain headers).
export const CONTENT_TYPE_HEADER = "Nmqtt-Content-Type";
export const PAYLOAD_FORMAT_HEADER = "Nmqtt-Payload-Format";
export const CORRELATION_HEADER = "Nmqtt-Correlation-Data";
export const EXPIRY_HEADER = "Nmqtt-Expiry";
/** The response topic's subject, for copies that lose the NATS reply (those stored in JetStream). */
export const REPLY_HEADER = "Nmqtt-Reply";
/** The publishing session, for no-local subscriptions (its client id hash). */
export const ORIGIN_HEADER = "Nmqtt-Origin";

/** Headers the server owns: never turned into user properties. */
function reserved(key: string): boolean {
  const k = key.toLowerCase();
  return k.startsWith("nmqtt-") || k.startsWith("nats-");
}

function validHeaderText(s: string, key: boolean): boolean {
  if (key && s === "") return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || (key && (c <= 0x20 || c === 0x3a || c === 0x7f))) return false;
  }
  return true;
}

/** What an MQTT 5.0 PUBLISH adds to the NATS message beside its payload. */
export interface PublishExtras {
  /** Header lines (`Key: value\r\n`) after the `Nmqtt-Pub` line. */
  headerLines: string;
  /** NATS reply subject: the response topic, converted. */
  reply?: string;
}

/**
 * The NATS form of a PUBLISH's properties: the response topic becomes the reply subject (so NATS
 * responders answer with msg.respond()), user properties become headers of the same name, the
 * others `Nmqtt-*` headers. User properties NATS headers cannot carry (names with spaces or ':',
 * values with line breaks, or the server's own `Nmqtt-`/`Nats-` names) are left out.
 */
export function publishExtras(props: IPublishPacket["properties"], replySubject: string | undefined, origin: string | undefined): PublishExtras {
  let lines = "";
  if (origin !== undefined) lines += `${ORIGIN_HEADER}: ${origin}\r\n`;
  if (props !== undefined) {
    if (props.contentType !== undefined && validHeaderText(props.contentType, false)) lines += `${CONTENT_TYPE_HEADER}: ${props.contentType}\r\n`;
    if (props.payloadFormatIndicator === true) lines += `${PAYLOAD_FORMAT_HEADER}: 1\r\n`;
    if (props.correlationData !== undefined) lines += `${CORRELATION_HEADER}: ${props.correlationData.toString("base64")}\r\n`;
    if (props.messageExpiryInterval !== undefined) lines += `${EXPIRY_HEADER}: ${props.messageExpiryInterval}\r\n`;
    if (replySubject !== undefined) lines += `${REPLY_HEADER}: ${replySubject}\r\n`;
    for (const [key, value] of Object.entries(props.userProperties ?? {})) {
      if (!validHeaderText(key, true) || reserved(key)) continue;
      for (const v of Array.isArray(value) ? value : [value]) if (validHeaderText(v, false)) lines += `${key}: ${v}\r\n`;
    }
  }
  return { headerLines: lines, reply: replySubject };
}

/** What a NATS message carries for an MQTT 5.0 subscriber, read from its headers. */
export interface DeliveryProperties {
  properties: NonNullable<IPublishPacket["properties"]>;
  /** The publishing session (no-local). */
  origin?: string;
  /** Seconds left for the message to live; undefined when it does not expire. */
  expiry?: number;
  /** The response topic's subject, when the message lost its NATS reply. */
  replySubject?: string;
  /** The PUBLISH had RETAIN set (for retain-as-published). */
  retained: boolean;
}

/**
 * Reads the MQTT 5.0 properties of a NATS message: `Nmqtt-*` headers back to properties, any other
 * header to a user property. A header block that does not parse carries no properties.
 */
export function deliveryProperties(headerBlock: Buffer): DeliveryProperties {
  const out: DeliveryProperties = { properties: {}, retained: false };
  if (headerBlock.length === 0) return out;
  let headers;
  try {
    headers = decodeHeaders(headerBlock);
  } catch {
    return out;
  }
  const user: UserProperties = {};
  let hasUser = false;
  for (const [key, values] of headers) {
    const k = key.toLowerCase();
    const v = values[0] ?? "";
    if (k === "nmqtt-pub") {
      const flags = Number.parseInt(v.charAt(1) || "0", 16) || 0;
      out.retained = (flags & 0x01) !== 0;
    } else if (k === CONTENT_TYPE_HEADER.toLowerCase()) out.properties.contentType = v;
    else if (k === PAYLOAD_FORMAT_HEADER.toLowerCase()) out.properties.payloadFormatIndicator = v === "1";
    else if (k === CORRELATION_HEADER.toLowerCase()) out.properties.correlationData = Buffer.from(v, "base64");
    else if (k === EXPIRY_HEADER.toLowerCase()) {
      const n = Number(v);
      if (Number.isSafeInteger(n) && n >= 0) out.expiry = n;
    } else if (k === REPLY_HEADER.toLowerCase()) out.replySubject = v;
    else if (k === ORIGIN_HEADER.toLowerCase()) out.origin = v;
    else if (!reserved(key)) {
      user[key] = values.length === 1 ? v : [...values];
      hasUser = true;
    }
  }
  if (hasUser) out.properties.userProperties = user;
  return out;
}

/** A `$share/<group>/<filter>` subscription split in its parts; undefined for any other filter. */
export function parseSharedFilter(filter: string): { group: string; filter: string } | undefined | "invalid" {
  if (!filter.startsWith("$share/")) return undefined;
  const slash = filter.indexOf("/", 7);
  if (slash < 0) return "invalid";
  const group = filter.slice(7, slash);
  const rest = filter.slice(slash + 1);
  // MQTT-4.8.2-1/-2: a share name without wildcards or '/', and a non-empty filter.
  if (group === "" || rest === "" || /[+#\s.*>]/.test(group)) return "invalid";
  return { group, filter: rest };
}

/**
 * Topic aliases a client set up (MQTT 5.0 3.3.2.3.4): a PUBLISH with a topic and an alias sets it,
 * one with an empty topic uses it.
 */
export class TopicAliases {
  private readonly topics = new Map<number, string>();

  /** The topic of the PUBLISH, or the reason code to disconnect with. */
  resolve(topic: string, alias: number | undefined): string | number {
    if (alias === undefined) return topic;
    if (alias === 0 || alias > TOPIC_ALIAS_MAXIMUM) return REASON.TOPIC_ALIAS_INVALID;
    if (topic !== "") {
      this.topics.set(alias, topic);
      return topic;
    }
    return this.topics.get(alias) ?? REASON.PROTOCOL_ERROR;
  }
}

/**
 * Topic aliases the server assigns to the PUBLISH packets it sends (MQTT 5.0 3.3.2.3.4), up to
 * the client's Topic Alias Maximum: the most recently used topics keep theirs, the least
 * recently used one gives its number up for a new topic. A mapping counts only once a packet
 * carrying it was written ({@link commit}), so a dropped packet never leaves the client unaware.
 */
export class OutboundTopicAliases {
  /** Topic to alias, least recently used first. */
  private readonly byTopic = new Map<string, number>();

  constructor(private readonly maximum: number) {}

  /** The alias for `topic`, and whether the client knows it already (then the topic is left out). */
  pick(topic: string): { alias: number; known: boolean } {
    const alias = this.byTopic.get(topic);
    if (alias !== undefined) return { alias, known: true };
    if (this.byTopic.size < this.maximum) return { alias: this.byTopic.size + 1, known: false };
    const [, oldest] = this.byTopic.entries().next().value as [string, number];
    return { alias: oldest, known: false };
  }

  /** A packet with `alias` for `topic` was written: the mapping is the client's now, and the freshest. */
  commit(topic: string, alias: number, known: boolean): void {
    if (known) {
      this.byTopic.delete(topic);
    } else if (this.byTopic.size >= this.maximum) {
      const [oldestTopic] = this.byTopic.keys();
      this.byTopic.delete(oldestTopic!);
    }
    this.byTopic.set(topic, alias);
  }
}
