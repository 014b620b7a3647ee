import { JsApiError, type JsApi } from "./js-api.js";
import { MQTT_STREAMS } from "./streams.js";
import { REPLY_HEADER } from "./v5.js";

/** JSStreamStoreFailedF: the stream refused the message. */
const STORE_FAILED = 10077;
/** JSNoMessageFoundErr. */
const NO_MESSAGE_FOUND = 10037;
const DUPLICATE = "maximum messages per subject exceeded";
const SUBJECT_HEADER = "Nmqtt-Subject";
const RETAIN_FLAG = 0x01;

/** A QoS 2 message received from a client and waiting for its PUBREL. */
export interface HeldQos2Message {
  subject: string;
  payload: Buffer;
  retain: boolean;
  /** MQTT 5.0 property headers (`Key: value\r\n` lines) to publish it with. */
  headerLines: string;
  /** The response topic's subject. */
  reply?: string;
}

/** Go's mqttQoS2InternalSubject: where a client's QoS 2 message waits, one per packet identifier. */
function heldSubject(clientId: string, pi: number): string {
  return `${MQTT_STREAMS.qos2Incoming.subject}${clientId}.${pi}`;
}

/**
 * Keeps a client's QoS 2 PUBLISH in `$MQTT_qos2in` until PUBREL (Go's mqttStoreQoS2MsgOnce). The
 * stream holds one message per subject and refuses new ones, so a re-sent PUBLISH with the same
 * packet identifier (after a crash of either side) is not stored, nor published, twice.
 */
export async function holdQos2(api: JsApi, clientId: string, pi: number, subject: string, payload: Buffer, retain: boolean, headerLines = ""): Promise<void> {
  // Go's header: the QoS then the PUBLISH flags as one hex digit, and the subject to deliver on.
  const flags = ((2 << 1) | (retain ? RETAIN_FLAG : 0)).toString(16);
  const headers = Buffer.from(`NATS/1.0\r\nNmqtt-Pub:2${flags}\r\n${SUBJECT_HEADER}:${subject}\r\n${headerLines}\r\n`);
  try {
    await api.store(heldSubject(clientId, pi), payload, headers);
  } catch (e) {
    if (e instanceof JsApiError && e.errCode === STORE_FAILED && e.message === DUPLICATE) return;
    throw e;
  }
}

/** PUBREL: takes the held message out of the stream; undefined when there is none (already released). */
export async function releaseQos2(api: JsApi, clientId: string, pi: number): Promise<HeldQos2Message | undefined> {
  let res: Record<string, unknown>;
  try {
    res = await api.request(`STREAM.MSG.GET.${MQTT_STREAMS.qos2Incoming.name}`, { last_by_subj: heldSubject(clientId, pi) });
  } catch (e) {
    if (e instanceof JsApiError && e.errCode === NO_MESSAGE_FOUND) return undefined;
    throw e;
  }
  const m = res.message as { seq?: number; hdrs?: string; data?: string } | undefined;
  if (m === undefined || typeof m.seq !== "number") return undefined;
  await api.request(`STREAM.MSG.DELETE.${MQTT_STREAMS.qos2Incoming.name}`, { seq: m.seq, no_erase: true }).catch(() => undefined);
  const headers = m.hdrs === undefined ? "" : Buffer.from(m.hdrs, "base64").toString("utf8");
  let subject = "";
  let flags = 0;
  let headerLines = "";
  let reply: string | undefined;
  for (const line of headers.split("\r\n").slice(1)) {
    if (line === "") continue;
    if (line.startsWith(`${SUBJECT_HEADER}:`)) subject = line.slice(SUBJECT_HEADER.length + 1).trim();
    else if (line.startsWith("Nmqtt-Pub:")) flags = Number.parseInt(line.charAt(11) || "0", 16) || 0;
    else {
      if (line.startsWith(`${REPLY_HEADER}:`)) reply = line.slice(REPLY_HEADER.length + 1).trim();
      headerLines += `${line}\r\n`;
    }
  }
  if (subject === "") return undefined;
  return { subject, payload: Buffer.from(m.data ?? "", "base64"), retain: (flags & RETAIN_FLAG) !== 0, headerLines, reply };
}

/** A clean start forgets the client's held QoS 2 messages, so their packet identifiers are free again. */
export function forgetQos2(api: JsApi, clientId: string): Promise<unknown> {
  return api.request(`STREAM.PURGE.${MQTT_STREAMS.qos2Incoming.name}`, { filter: `${MQTT_STREAMS.qos2Incoming.subject}${clientId}.>` });
}
