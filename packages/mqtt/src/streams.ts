import { JsApiError, type JsApi } from "./js-api.js";
import type { RetainedMessage } from "./retained.js";
import type { QoS } from "./session.js";
import { natsSubjectToMqttTopic } from "./topic.js";

/** Go's stream names and subjects for MQTT state (mqtt.go), so the two servers' layouts match. */
export const MQTT_STREAMS = {
  sessions: { name: "$MQTT_sess", subject: "$MQTT.sess." },
  messages: { name: "$MQTT_msgs", subject: "$MQTT.msgs." },
  retained: { name: "$MQTT_rmsgs", subject: "$MQTT.rmsgs." },
  qos2Incoming: { name: "$MQTT_qos2in", subject: "$MQTT.qos2.in." },
  out: { name: "$MQTT_out", subject: "$MQTT.out." },
} as const;

/** JSStreamNotFoundErr. */
const STREAM_NOT_FOUND = 10059;
/** JSNoMessageFoundErr. */
const NO_MESSAGE_FOUND = 10037;

function configs(replicas: number): Record<string, unknown>[] {
  const s = MQTT_STREAMS;
  const base = { storage: "file", num_replicas: replicas };
  return [
    { ...base, name: s.sessions.name, subjects: [`${s.sessions.subject}>`], retention: "limits", max_msgs_per_subject: 1 },
    { ...base, name: s.messages.name, subjects: [`${s.messages.subject}>`], retention: "interest" },
    {
      ...base,
      name: s.qos2Incoming.name,
      subjects: [`${s.qos2Incoming.subject}>`],
      retention: "limits",
      discard: "new",
      max_msgs_per_subject: 1,
      discard_new_per_subject: true,
    },
    { ...base, name: s.out.name, subjects: [`${s.out.subject}>`], retention: "interest" },
    { ...base, name: s.retained.name, subjects: [`${s.retained.subject}>`], retention: "limits", max_msgs_per_subject: 1 },
  ];
}

/** Creates the account's MQTT streams that do not exist yet (Go's getOrCreateMQTTAccountSessionManager). */
export async function ensureMqttStreams(api: JsApi, replicas: number): Promise<void> {
  for (const cfg of configs(replicas)) {
    try {
      await api.request(`STREAM.INFO.${cfg.name as string}`, undefined);
    } catch (e) {
      if (!(e instanceof JsApiError) || e.errCode !== STREAM_NOT_FOUND) throw e;
      await api.request(`STREAM.CREATE.${cfg.name as string}`, cfg);
    }
  }
}

// Go's retained message headers (mqttEncodeRetainedMessage): the topic, and the PUBLISH flags in
// hex, prefixed with '-' for a deletion marker.
const TOPIC_HEADER = "Nmqtt-RTopic";
const FLAGS_HEADER = "Nmqtt-RFlags";
const ORIGIN_HEADER = "Nmqtt-ROrigin";
const RETAIN_FLAG = 0x01;

/** The stored form of a retained message (or of its removal, with an empty payload). */
export function encodeRetained(msg: RetainedMessage, origin: string): { headers: Buffer; payload: Buffer } {
  const flags = ((msg.qos << 1) | RETAIN_FLAG).toString(16);
  const marker = msg.payload.length === 0 ? "-" : "";
  const headers = Buffer.from(`NATS/1.0\r\n${TOPIC_HEADER}:${msg.topic}\r\n${FLAGS_HEADER}:${marker}${flags}\r\n${ORIGIN_HEADER}:${origin}\r\n\r\n`);
  return { headers, payload: msg.payload };
}

/** A message of `$MQTT_rmsgs`: the retained message (an empty payload for a removal) and the server that wrote it. */
export interface RetainedRecord {
  msg: RetainedMessage;
  origin: string;
}

/**
 * Reads a message of `$MQTT_rmsgs` in Go's form; one without headers (a NATS client publishing
 * on `$MQTT.rmsgs.<subject>`) is retained at QoS 0 on the subject's topic. Undefined for what
 * does not parse.
 */
export function decodeRetainedRecord(subject: string, headers: string, payload: Buffer): RetainedRecord | undefined {
  if (!subject.startsWith(MQTT_STREAMS.retained.subject)) return undefined;
  const natsSubject = subject.slice(MQTT_STREAMS.retained.subject.length);
  if (headers === "") {
    try {
      return { msg: { topic: natsSubjectToMqttTopic(natsSubject), subject: natsSubject, payload, qos: 0 }, origin: "" };
    } catch {
      return undefined;
    }
  }
  const get = (name: string) => {
    const m = headers.split("\r\n").find((line) => line.startsWith(`${name}:`));
    return m?.slice(name.length + 1).trim();
  };
  const topic = get(TOPIC_HEADER);
  const flags = get(FLAGS_HEADER);
  if (topic === undefined || topic === "" || flags === undefined) return undefined;
  const removal = flags.startsWith("-");
  const bits = Number.parseInt(removal ? flags.slice(1) : flags, 16);
  if (!Number.isInteger(bits)) return undefined;
  const qos = (bits >> 1) & 0x03;
  if (qos > 2) return undefined;
  return { msg: { topic, subject: natsSubject, payload: removal ? Buffer.alloc(0) : payload, qos: qos as QoS }, origin: get(ORIGIN_HEADER) ?? "" };
}

/** Reads a stored retained message; undefined for deletion markers and records that do not parse. */
export function decodeRetained(subject: string, headers: string, payload: Buffer): RetainedMessage | undefined {
  const r = decodeRetainedRecord(subject, headers, payload);
  return r === undefined || r.msg.payload.length === 0 ? undefined : r.msg;
}

/** One stored message, as STREAM.MSG.GET returns it. */
export interface StoredMessage {
  subject: string;
  seq: number;
  headers: string;
  data: Buffer;
}

/** Every message of `stream` on `filter`, oldest first, read one MSG.GET at a time. */
export async function readStream(api: JsApi, stream: string, filter: string): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  let seq = 1;
  for (;;) {
    let res: Record<string, unknown>;
    try {
      res = await api.request(`STREAM.MSG.GET.${stream}`, { seq, next_by_subj: filter });
    } catch (e) {
      if (e instanceof JsApiError && e.errCode === NO_MESSAGE_FOUND) return out;
      throw e;
    }
    const m = res.message as { subject?: string; seq?: number; hdrs?: string; data?: string } | undefined;
    if (m === undefined || typeof m.seq !== "number" || typeof m.subject !== "string") return out;
    out.push({
      subject: m.subject,
      seq: m.seq,
      headers: m.hdrs === undefined ? "" : Buffer.from(m.hdrs, "base64").toString("utf8"),
      data: Buffer.from(m.data ?? "", "base64"),
    });
    seq = m.seq + 1;
  }
}

/** Every retained message stored for the account. */
export async function loadRetained(api: JsApi): Promise<RetainedMessage[]> {
  const out: RetainedMessage[] = [];
  for (const m of await readStream(api, MQTT_STREAMS.retained.name, `${MQTT_STREAMS.retained.subject}>`)) {
    const decoded = decodeRetained(m.subject, m.headers, m.data);
    if (decoded !== undefined) out.push(decoded);
  }
  return out;
}
