import type { Logger } from "@nats-ts/core";
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

/** STREAM.CREATE / STREAM.UPDATE, checked: the answer must describe the stream. */
async function configureStream(api: JsApi, op: "CREATE" | "UPDATE", config: Record<string, unknown>): Promise<void> {
  const res = await api.request(`STREAM.${op}.${config.name as string}`, config);
  if (typeof res.config !== "object" || res.config === null) throw new Error(`invalid stream ${op.toLowerCase()} response for "${config.name as string}"`);
}

/** What STREAM.INFO says of a stream, checked: a reply without its config or state is an error, not a stream. */
export async function streamInfo(api: JsApi, name: string): Promise<{ config: Record<string, unknown>; lastSeq: number }> {
  const info = await api.request(`STREAM.INFO.${name}`, undefined);
  const config = info.config;
  const state = info.state as { last_seq?: unknown } | undefined;
  if (typeof config !== "object" || config === null || typeof state !== "object" || state === null) throw new Error(`invalid stream info response for "${name}"`);
  return { config: config as Record<string, unknown>, lastSeq: typeof state.last_seq === "number" ? state.last_seq : 0 };
}

/** Creates the account's MQTT streams that do not exist yet (Go's getOrCreateMQTTAccountSessionManager). */
export async function ensureMqttStreams(api: JsApi, replicas: number): Promise<void> {
  for (const cfg of configs(replicas)) {
    try {
      await streamInfo(api, cfg.name as string);
    } catch (e) {
      if (!(e instanceof JsApiError) || e.errCode !== STREAM_NOT_FOUND) throw e;
      await configureStream(api, "CREATE", cfg);
    }
  }
}

/** The subject all retained messages shared before they had one each (Go before 2.10). */
const LEGACY_RETAINED_SUBJECT = "$MQTT.rmsgs";

/**
 * Moves a retained messages stream of the old layout (Go before 2.10: every message on
 * `$MQTT.rmsgs`, no per-subject limit) to today's, as Go's server does at start: the stream
 * listens on `$MQTT.rmsgs.>`, each old record is stored again on its own subject and deleted,
 * then the stream keeps one message per subject.
 */
export async function migrateRetainedStream(api: JsApi, log: Logger): Promise<void> {
  const name = MQTT_STREAMS.retained.name;
  const config = (await streamInfo(api, name)).config as { subjects?: string[]; max_msgs_per_subject?: number } & Record<string, unknown>;
  const wanted = `${MQTT_STREAMS.retained.subject}>`;
  const transfer = config.max_msgs_per_subject !== 1;
  if (config.subjects?.length !== 1 || config.subjects[0] !== wanted) {
    config.subjects = [wanted];
    await configureStream(api, "UPDATE", config);
  }
  if (transfer) {
    let moved = 0;
    for (;;) {
      const m = await getMessage(api, name, { seq: 1, next_by_subj: LEGACY_RETAINED_SUBJECT });
      if (m === undefined) break;
      const data = m.data;
      let subject: unknown;
      try {
        subject = (JSON.parse(data.toString("utf8")) as { subject?: unknown } | null)?.subject;
      } catch {
        subject = undefined;
      }
      if (typeof subject === "string" && subject !== "") {
        await api.store(MQTT_STREAMS.retained.subject + subject, data);
        moved++;
      } else {
        log.warn(`Unable to unmarshal retained message with sequence ${m.seq}, skipping`);
      }
      await api.request(`STREAM.MSG.DELETE.${name}`, { seq: m.seq, no_erase: true });
    }
    if (moved > 0) log.info(`Transferred ${moved} retained messages from '${LEGACY_RETAINED_SUBJECT}'`);
    config.max_msgs_per_subject = 1;
    await configureStream(api, "UPDATE", config);
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
 * The values of a NATS header block as Go's mqttSliceHeaders reads them: after the `NATS/1.0`
 * line, `key: value` lines ended by CRLF, spaces around the key and before the value ignored;
 * lines without a key are skipped.
 */
export function headerValues(block: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!block.startsWith("NATS/1.0")) return out;
  let at = block.indexOf("\r\n");
  while (at >= 0) {
    const next = block.indexOf("\r\n", at + 2);
    if (next < 0) break;
    const line = block.slice(at + 2, next);
    const colon = line.indexOf(":");
    const key = colon < 0 ? "" : line.slice(0, colon).trim();
    if (key !== "" && !out.has(key)) out.set(key, line.slice(colon + 1).trim());
    at = next;
  }
  return out;
}

/** PUBLISH flags at or above this are not flags (Go's mqttPacketFlagMask). */
const FLAGS_LIMIT = 0x10;

/** Go's legacy record, before the headers form: JSON with the payload in base64. */
function legacyRecord(payload: Buffer): { flags: number; msg: Buffer; origin: string } | undefined {
  try {
    const v = JSON.parse(payload.toString("utf8")) as Record<string, unknown> | null;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
    const flags = v.flags ?? 0;
    if (typeof flags !== "number" || !Number.isInteger(flags)) return undefined;
    return { flags, msg: typeof v.msg === "string" ? Buffer.from(v.msg, "base64") : Buffer.alloc(0), origin: typeof v.origin === "string" ? v.origin : "" };
  } catch {
    return undefined;
  }
}

/**
 * Reads a message of `$MQTT_rmsgs` as Go does (mqttDecodeRetainedMessage): the headers form, or
 * the legacy JSON record; the topic comes from the subject. Beyond Go, a message with neither (a
 * NATS client publishing plain data on `$MQTT.rmsgs.<subject>`) is retained at QoS 0. Undefined
 * for what does not parse, and for subjects with DEL (0x7f), which Go skips too.
 */
export function decodeRetainedRecord(subject: string, headers: string, payload: Buffer): RetainedRecord | undefined {
  if (!subject.startsWith(MQTT_STREAMS.retained.subject)) return undefined;
  const natsSubject = subject.slice(MQTT_STREAMS.retained.subject.length);
  if (natsSubject.includes("\x7f")) return undefined;
  let topic: string;
  try {
    topic = natsSubjectToMqttTopic(natsSubject);
  } catch {
    return undefined;
  }
  const values = headerValues(headers);
  let flagsText = values.get(FLAGS_HEADER);
  let flags: number;
  let body = payload;
  let origin = values.get(ORIGIN_HEADER) ?? "";
  if (flagsText !== undefined && flagsText !== "") {
    // A removal marker: '-' before the flags, with an empty payload.
    if (flagsText.length > 1 && flagsText.startsWith("-")) flagsText = flagsText.slice(1);
    flags = /^[0-9a-fA-F]{1,2}$/.test(flagsText) ? Number.parseInt(flagsText, 16) : Number.NaN;
  } else {
    const legacy = legacyRecord(payload);
    if (legacy === undefined) {
      if (headers !== "") return undefined;
      return { msg: { topic, subject: natsSubject, payload, qos: 0 }, origin: "" };
    }
    ({ flags, msg: body, origin } = legacy);
  }
  if (!(flags >= 0 && flags < FLAGS_LIMIT)) return undefined;
  const qos = (flags >> 1) & 0x03;
  if (qos > 2) return undefined;
  return { msg: { topic, subject: natsSubject, payload: body, qos: qos as QoS }, origin };
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

/**
 * STREAM.MSG.GET: the message, or undefined when there is none. A reply without a message (a
 * JetStream that answers garbage) is an error.
 */
export async function getMessage(api: JsApi, stream: string, request: Record<string, unknown>): Promise<StoredMessage | undefined> {
  let res: Record<string, unknown>;
  try {
    res = await api.request(`STREAM.MSG.GET.${stream}`, request);
  } catch (e) {
    if (e instanceof JsApiError && e.errCode === NO_MESSAGE_FOUND) return undefined;
    throw e;
  }
  const m = res.message as { subject?: unknown; seq?: unknown; hdrs?: unknown; data?: unknown } | undefined;
  if (typeof m !== "object" || m === null || typeof m.seq !== "number" || typeof m.subject !== "string") throw new Error(`invalid message response from "${stream}"`);
  return {
    subject: m.subject,
    seq: m.seq,
    headers: typeof m.hdrs === "string" ? Buffer.from(m.hdrs, "base64").toString("utf8") : "",
    data: Buffer.from(typeof m.data === "string" ? m.data : "", "base64"),
  };
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
    if (decoded !== undefined) out.push({ ...decoded, seq: m.seq });
  }
  return out;
}
