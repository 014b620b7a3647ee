import type { Logger } from "@nats-ts/core";
import { JsApiError, type JsApi } from "./js-api.js";
import { hashToken } from "./session-store.js";
import { getMessage, MQTT_STREAMS, readStream } from "./streams.js";
import { needsParentLevelSubject } from "./topic.js";

/*
 * MQTT 5.0 shared subscriptions ($share/<group>/<filter>) at QoS 1 and 2, in JetStream.
 *
 * "Each message to one member of the group" is kept across reconnects and restarts this way:
 *
 * - One durable consumer per (account, group, filter) on `$MQTT_msgs`, shared by every member,
 *   whatever its session: `$MQTT_share_<token>`, pushing to `$MQTT.share.<token>` with
 *   deliver_group <group>. Each connected member listens on that subject in the NATS queue
 *   group <group>, so each delivery reaches one member; the consumer's ack state is the
 *   group's: a message is done once the member that got it acknowledged it (PUBACK, or PUBREC
 *   for QoS 2, whose PUBREL step then lives in that member's own session).
 * - A member that goes away (disconnect, session end) gives its unacknowledged deliveries back
 *   at once (NAK): the consumer redelivers them to the members still online. With no member
 *   online, the consumer has no subscriber and the messages wait in the stream (interest
 *   retention keeps them for the consumer) until one connects. A member at its in-flight limit
 *   gives a delivery back with a short delay, so another member may take it. A connected member
 *   that holds a delivery unacknowledged reports it in progress every half ack wait, so the
 *   consumer does not redeliver it to another member while the first may still acknowledge it.
 * - Plain NATS queue subscriptions in the same group still carry what does not come through
 *   JetStream (QoS 0 publications, NATS publishers); a QoS 1/2 MQTT publication is left to the
 *   consumer, so no message is delivered twice.
 * - The consumer lives as long as the group has members. Members are kept in a record in
 *   `$MQTT_sess` at `$MQTT.sess.share.<token>` (persistent sessions stay members while absent
 *   and across restarts, as their subscription is in their session record); clean sessions are
 *   members while connected, and a restart drops them. The last member leaving (UNSUBSCRIBE,
 *   session end or expiry) deletes the consumer and the record. Records are written with the
 *   sequence they were read at as the expected last one, so members that other servers added
 *   meanwhile are read again rather than overwritten.
 */

const DURABLE_PREFIX = "$MQTT_share_";
const DELIVER_PREFIX = "$MQTT.share.";
const RECORD_PREFIX = `${MQTT_STREAMS.sessions.subject}share.`;
/** JSStreamWrongLastSequenceErrF and JSStreamWrongLastSequenceConstantErr: the record changed since it was read. */
const WRONG_LAST_SEQUENCE = 10071;
const WRONG_LAST_SEQUENCE_CONSTANT = 10164;
const MAX_UPDATE_ATTEMPTS = 5;

/** The stored membership of one shared subscription: client id to whether its session is persistent. */
interface ShareRecord {
  group: string;
  subject: string;
  members: Record<string, boolean>;
  /** Its sequence in `$MQTT_sess` (0: not stored), so a change made meanwhile elsewhere is noticed. */
  seq: number;
}

/** Settings of the consumers, as the sessions' own consumers get them. */
export interface SharedConsumerSettings {
  ackWaitMs: number;
  maxAckPending: number;
  memoryStorage: boolean;
}

/** A token naming the consumer of (group, subject): 16 characters of SHA-256. */
export function shareToken(group: string, subject: string): string {
  return hashToken(`${group} ${subject}`, 16);
}

function parseRecord(data: Buffer): ShareRecord | undefined {
  try {
    const v = JSON.parse(data.toString("utf8")) as Record<string, unknown>;
    if (typeof v.group !== "string" || typeof v.subject !== "string" || typeof v.members !== "object" || v.members === null) return undefined;
    const members: Record<string, boolean> = {};
    for (const [id, persistent] of Object.entries(v.members)) members[id] = persistent === true;
    return { group: v.group, subject: v.subject, members, seq: 0 };
  } catch {
    return undefined;
  }
}

/** One account's shared subscription consumers and their members. */
export class SharedSubscriptions {
  private readonly records = new Map<string, ShareRecord>();
  /** Work on one token runs in order (a join must not race the last member's leave). */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly api: JsApi,
    private readonly settings: SharedConsumerSettings,
    private readonly log: Logger,
  ) {}

  /**
   * At start: members that were clean sessions left with the previous run; groups with no member
   * left lose their consumer.
   */
  async recover(): Promise<void> {
    for (const m of await readStream(this.api, MQTT_STREAMS.sessions.name, `${RECORD_PREFIX}*`)) {
      const rec = parseRecord(m.data);
      const token = m.subject.slice(RECORD_PREFIX.length);
      if (rec === undefined || shareToken(rec.group, rec.subject) !== token) continue;
      rec.seq = m.seq;
      this.records.set(token, rec);
      await this.update(token, rec.group, rec.subject, (members) => {
        const clean = Object.keys(members).filter((id) => !members[id]);
        for (const id of clean) delete members[id];
        return clean.length > 0 || Object.keys(members).length === 0;
      });
    }
  }

  /**
   * Makes `clientId` a member of the group's subscription on `subject`; resolves with the deliver
   * subject to listen on (in the queue group `group`) once the consumer exists.
   */
  join(group: string, subject: string, clientId: string, persistent: boolean): Promise<string> {
    const token = shareToken(group, subject);
    return this.serialize(token, async () => {
      await this.createConsumer(token, group, subject);
      await this.update(token, group, subject, (members) => {
        if (members[clientId] === persistent) return false;
        members[clientId] = persistent;
        return true;
      });
      return DELIVER_PREFIX + token;
    });
  }

  /** `clientId` is no longer a member; the last one to leave takes the consumer with it. */
  leave(group: string, subject: string, clientId: string): void {
    const token = shareToken(group, subject);
    void this.serialize(token, () =>
      this.update(token, group, subject, (members) => {
        if (!Object.hasOwn(members, clientId)) return false;
        delete members[clientId];
        return true;
      }),
    ).catch((e: unknown) => this.log.error(`Unable to update MQTT shared subscription "$share/${group}/${subject}": ${(e as Error).message}`));
  }

  private serialize<T>(token: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(token) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.queues.set(token, tail);
    void tail.then(() => {
      if (this.queues.get(token) === tail) this.queues.delete(token);
    });
    return run;
  }

  /**
   * Changes the members (`change` says whether it did); with none left the group is dissolved.
   * When the record changed meanwhile (another server), it is read again and the change retried.
   */
  private async update(token: string, group: string, subject: string, change: (members: Record<string, boolean>) => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const rec = (await this.load(token)) ?? { group, subject, members: {}, seq: 0 };
      if (!change(rec.members)) return;
      try {
        await this.save(token, rec);
        if (Object.keys(rec.members).length === 0) await this.dissolve(token, rec);
        return;
      } catch (e) {
        this.records.delete(token);
        const stale = e instanceof JsApiError && (e.errCode === WRONG_LAST_SEQUENCE || e.errCode === WRONG_LAST_SEQUENCE_CONSTANT);
        if (!stale || attempt >= MAX_UPDATE_ATTEMPTS) throw e;
      }
    }
  }

  private async load(token: string): Promise<ShareRecord | undefined> {
    const known = this.records.get(token);
    if (known !== undefined) return known;
    const m = await getMessage(this.api, MQTT_STREAMS.sessions.name, { last_by_subj: RECORD_PREFIX + token });
    const rec = m === undefined ? undefined : parseRecord(m.data);
    if (rec === undefined) return undefined;
    rec.seq = m!.seq;
    this.records.set(token, rec);
    return rec;
  }

  private async save(token: string, rec: ShareRecord): Promise<void> {
    const { group, subject, members } = rec;
    const expected = Buffer.from(`NATS/1.0\r\nNats-Expected-Last-Subject-Sequence: ${rec.seq}\r\n\r\n`);
    const ack = await this.api.store(RECORD_PREFIX + token, Buffer.from(JSON.stringify({ group, subject, members })), expected);
    rec.seq = ack.seq as number;
    this.records.set(token, rec);
  }

  /**
   * The group has no members left (the empty record is stored): its consumer goes, then that
   * record. A member that joined meanwhile (another server) replaced the record: then the
   * consumer is made again for it, and its record stays.
   */
  private async dissolve(token: string, emptied: ShareRecord): Promise<void> {
    this.records.delete(token);
    await this.api.request(`CONSUMER.DELETE.${MQTT_STREAMS.messages.name}.${DURABLE_PREFIX}${token}`, undefined).catch(() => undefined);
    const now = await this.load(token);
    if (now !== undefined && now.seq !== emptied.seq && Object.keys(now.members).length > 0) {
      await this.createConsumer(token, now.group, now.subject);
      return;
    }
    this.records.delete(token);
    await this.api.request(`STREAM.MSG.DELETE.${MQTT_STREAMS.sessions.name}`, { seq: emptied.seq, no_erase: true }).catch(() => undefined);
  }

  /** DURABLE.CREATE answers with the existing consumer when the config is the same. */
  private async createConsumer(token: string, group: string, subject: string): Promise<void> {
    const s = this.settings;
    const prefix = MQTT_STREAMS.messages.subject;
    // "foo/#" matches "foo" too (MQTT-4.7.1-2).
    const filters = needsParentLevelSubject(subject) ? [prefix + subject, prefix + subject.slice(0, -2)] : [prefix + subject];
    const durable = DURABLE_PREFIX + token;
    const config: Record<string, unknown> = {
      durable_name: durable,
      deliver_subject: DELIVER_PREFIX + token,
      deliver_group: group,
      ack_policy: "explicit",
      deliver_policy: "new",
      ack_wait: s.ackWaitMs * 1e6,
      max_ack_pending: s.maxAckPending,
    };
    if (filters.length === 1) config.filter_subject = filters[0];
    else config.filter_subjects = filters;
    if (s.memoryStorage) config.mem_storage = true;
    try {
      await this.api.request(`CONSUMER.DURABLE.CREATE.${MQTT_STREAMS.messages.name}.${durable}`, { stream_name: MQTT_STREAMS.messages.name, config });
    } catch (e) {
      // Kept with other settings (ack_wait changed since): the group goes on with it as it is.
      if (!(e instanceof JsApiError)) throw e;
      await this.api.request(`CONSUMER.INFO.${MQTT_STREAMS.messages.name}.${durable}`, undefined).catch(() => {
        throw e;
      });
    }
  }
}
