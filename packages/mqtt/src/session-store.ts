import { createHash } from "node:crypto";
import type { Logger } from "@nats-ts/core";
import { isValidPublishSubject } from "@nats-ts/wire";
import type { JsApi } from "./js-api.js";
import type { ConsumerConfigRecord } from "./js-outbound.js";
import type { QoS } from "./outbound.js";
import { getMessage, MQTT_STREAMS, readStream } from "./streams.js";


/**
 * Go's mqttPersistedSession JSON: subscriptions by NATS subject with their QoS, the consumer of
 * each QoS 1/2 subscription (by subject, or "<subject> fwc" for the parent level of "foo/#"),
 * and the consumer of the session's PUBREL messages.
 */
export interface PersistedSession {
  origin?: string;
  id: string;
  clean?: boolean;
  subs?: Record<string, QoS>;
  cons?: Record<string, ConsumerConfigRecord>;
  pubrel?: ConsumerConfigRecord;
  /** MQTT 5.0 subscription options by the same keys as `subs` (not in Go's record, which Go ignores). */
  sub_opts?: Record<string, StoredSubscriptionOptions>;
  /** MQTT 5.0 session expiry interval (ms), when finite: a restart starts it for a session caught connected. */
  expiry_ms?: number;
  /** When the detached session ends (ms since 1970). */
  expires_at?: number;
  /** The will waiting for its delay interval. */
  will?: StoredWill;
}

/** A delayed MQTT 5.0 will in the session record, to be published at `at` (ms since 1970) even after a restart. */
export interface StoredWill {
  topic: string;
  subject: string;
  /** Base64. */
  payload: string;
  qos: QoS;
  retain: boolean;
  /** MQTT 5.0 properties as NATS header lines. */
  headers?: string;
  reply?: string;
  at: number;
}

function storedWill(v: unknown): StoredWill | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const w = v as Record<string, unknown>;
  if (typeof w.topic !== "string" || w.topic === "" || typeof w.subject !== "string" || !isValidPublishSubject(w.subject) || typeof w.payload !== "string") return undefined;
  if ((w.qos !== 0 && w.qos !== 1 && w.qos !== 2) || typeof w.at !== "number" || !Number.isFinite(w.at)) return undefined;
  if ((w.headers !== undefined && typeof w.headers !== "string") || (w.reply !== undefined && typeof w.reply !== "string")) return undefined;
  return { topic: w.topic, subject: w.subject, payload: w.payload, qos: w.qos, retain: w.retain === true, headers: w.headers as string | undefined, reply: w.reply as string | undefined, at: w.at };
}

const time = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);

export interface StoredSubscriptionOptions {
  noLocal?: boolean;
  retainAsPublished?: boolean;
  subscriptionId?: number;
}

function storedOptions(v: unknown): Record<string, StoredSubscriptionOptions> | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const out: Record<string, StoredSubscriptionOptions> = {};
  for (const [key, o] of Object.entries(v)) {
    if (typeof o !== "object" || o === null) continue;
    const r = o as Record<string, unknown>;
    const id = r.subscriptionId;
    out[key] = {
      noLocal: r.noLocal === true || undefined,
      retainAsPublished: r.retainAsPublished === true || undefined,
      subscriptionId: typeof id === "number" && Number.isInteger(id) && id > 0 && id < 268_435_456 ? id : undefined,
    };
  }
  return out;
}

function consumerRecord(v: unknown): ConsumerConfigRecord | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const c = v as Record<string, unknown>;
  const name = /^[^.*>\s]+$/;
  if (typeof c.durable_name !== "string" || !name.test(c.durable_name)) return undefined;
  if (typeof c.deliver_subject !== "string" || typeof c.filter_subject !== "string") return undefined;
  if (typeof c.ack_wait !== "number" || typeof c.max_ack_pending !== "number") return undefined;
  return c as unknown as ConsumerConfigRecord;
}

const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `length` characters (up to 32) from the SHA-256 of `text`, in Go's getHash alphabet. */
export function hashToken(text: string, length: number): string {
  const sum = createHash("sha256").update(text).digest();
  let out = "";
  for (let i = 0; i < length; i++) out += DIGITS[sum[i]! % 62];
  return out;
}

/** Go's getHash: 8 characters from SHA-256, the token a session record is stored under. */
export function sessionHash(clientId: string): string {
  return hashToken(clientId, 8);
}

function parseRecord(data: Buffer): PersistedSession | undefined {
  try {
    const v = JSON.parse(data.toString("utf8")) as unknown;
    if (typeof v !== "object" || v === null) return undefined;
    const r = v as Record<string, unknown>;
    if (typeof r.id !== "string" || r.id === "") return undefined;
    const subs: Record<string, QoS> = {};
    if (typeof r.subs === "object" && r.subs !== null) {
      for (const [filter, qos] of Object.entries(r.subs)) if (qos === 0 || qos === 1 || qos === 2) subs[filter] = qos;
    }
    const cons: Record<string, ConsumerConfigRecord> = {};
    if (typeof r.cons === "object" && r.cons !== null) {
      for (const [sid, cc] of Object.entries(r.cons)) {
        const rec = consumerRecord(cc);
        if (rec !== undefined) cons[sid] = rec;
      }
    }
    return {
      origin: typeof r.origin === "string" ? r.origin : undefined,
      id: r.id,
      clean: r.clean === true,
      subs,
      cons,
      pubrel: consumerRecord(r.pubrel),
      sub_opts: storedOptions(r.sub_opts),
      expiry_ms: time(r.expiry_ms),
      expires_at: time(r.expires_at),
      will: storedWill(r.will),
    };
  } catch {
    return undefined;
  }
}

/**
 * Persistent sessions of one account in `$MQTT_sess`, one record per client id at
 * `$MQTT.sess.<hash>` (the stream keeps only the last record per subject), so subscriptions of
 * clients with clean session 0 survive restarts.
 */
export class SessionStore {
  /** Client id of each stored record's hash, to refuse colliding ids as Go does. */
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly api: JsApi,
    private readonly origin: string,
    private readonly log: Logger,
  ) {}

  /**
   * Reads the record stored under `clientId`'s hash, when a client connects (Go's
   * createOrRestoreSession); undefined when there is none or it does not parse (logged). A
   * record of another client id is remembered, so {@link collides} refuses this one.
   */
  async fetch(clientId: string): Promise<PersistedSession | undefined> {
    const hash = sessionHash(clientId);
    const m = await getMessage(this.api, MQTT_STREAMS.sessions.name, { last_by_subj: `${MQTT_STREAMS.sessions.subject}${hash}` });
    if (m === undefined) return undefined;
    const rec = parseRecord(m.data);
    if (rec === undefined) {
      this.log.warn(`Ignoring invalid MQTT session record at sequence ${m.seq}`);
      return undefined;
    }
    this.ids.set(hash, rec.id);
    return rec.id === clientId ? rec : undefined;
  }

  /** Every stored session of the account (at start, to find those with a deadline); unreadable records are skipped. */
  async loadAll(): Promise<PersistedSession[]> {
    const out: PersistedSession[] = [];
    for (const m of await readStream(this.api, MQTT_STREAMS.sessions.name, `${MQTT_STREAMS.sessions.subject}*`)) {
      const rec = parseRecord(m.data);
      if (rec === undefined || sessionHash(rec.id) !== m.subject.slice(MQTT_STREAMS.sessions.subject.length)) continue;
      this.ids.set(sessionHash(rec.id), rec.id);
      out.push(rec);
    }
    return out;
  }

  /** Whether another client id's record already uses this id's hash (Go's errMQTTSessionCollision). */
  collides(clientId: string): boolean {
    const owner = this.ids.get(sessionHash(clientId));
    return owner !== undefined && owner !== clientId;
  }

  save(record: Omit<PersistedSession, "origin">): void {
    const clientId = record.id;
    const hash = sessionHash(clientId);
    this.ids.set(hash, clientId);
    const stored: PersistedSession = { origin: this.origin, ...record };
    this.api.store(`${MQTT_STREAMS.sessions.subject}${hash}`, Buffer.from(JSON.stringify(stored))).catch((e: unknown) => {
      this.log.error(`Unable to persist MQTT session "${clientId}": ${(e as Error).message}`);
    });
  }

  remove(clientId: string): void {
    const hash = sessionHash(clientId);
    if (this.ids.get(hash) !== clientId) return;
    this.ids.delete(hash);
    this.api.request(`STREAM.PURGE.${MQTT_STREAMS.sessions.name}`, { filter: `${MQTT_STREAMS.sessions.subject}${hash}` }).catch((e: unknown) => {
      this.log.error(`Unable to delete MQTT session "${clientId}": ${(e as Error).message}`);
    });
  }
}
