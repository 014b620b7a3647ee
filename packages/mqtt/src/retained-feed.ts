import { randomBytes } from "node:crypto";
import type { InternalClient, Logger, Subscription } from "@nats-ts/core";
import { ackReplyInfo } from "./js-outbound.js";
import type { JsApi } from "./js-api.js";
import type { RetainedMessages } from "./retained.js";
import { decodeRetainedRecord, loadRetained, MQTT_STREAMS, streamInfo } from "./streams.js";

/** Go's mqttSubPrefix: the deliver subject sits where MQTT subscriptions cannot reach it. */
const DELIVER_PREFIX = "$MQTT.sub.";
/** A consumer left behind by a server that stopped without deleting it goes after this (as Go's). */
const INACTIVE_THRESHOLD_NS = 5 * 60 * 1e9;
/**
 * A removal marker this server wrote is deleted from the stream this long after it was seen:
 * streams that source or mirror this one (another account's, another server's) take it first.
 */
const MARKER_DELETE_DELAY_MS = 1000;
/** How long the answer to a delete or purge request on the stream is waited for. */
const RESYNC_WAIT_MS = 2000;

/**
 * Keeps an account's retained messages in step with `$MQTT_rmsgs`, as Go does with a consumer of
 * that stream (mqttAccountSessionManager, processRetainedMsg): what another server, or a NATS
 * client publishing on `$MQTT.rmsgs.<subject>`, stores there (an empty payload or a removal
 * marker clears the subject) reaches this server's subscribers too. The stream is read once at
 * start; an ephemeral push consumer then hands over every message stored after that.
 */
export class RetainedFeed {
  private readonly watches: Subscription[];
  private readonly markerTimers = new Set<NodeJS.Timeout>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private resyncing = false;

  private constructor(
    private readonly api: JsApi,
    private readonly client: InternalClient,
    private readonly sub: Subscription,
    private readonly consumer: string,
    private readonly retained: RetainedMessages,
    private readonly log: Logger,
  ) {
    // Deleting messages from the stream or purging it hands nothing to the consumer: such API
    // requests (from clients of this account) make the stream be read again.
    const stream = MQTT_STREAMS.retained.name;
    this.watches = [`STREAM.MSG.DELETE.${stream}`, `STREAM.PURGE.${stream}`].map((op) => client.subscribe(api.apiSubject(op), (_s, reply) => this.afterAnswer(reply)));
  }

  /**
   * The stream is read again now (the request may have run already: JetStream may answer before
   * this handler sees it) and once JetStream's answer passes through this account.
   */
  private afterAnswer(reply: string | undefined): void {
    // This server's own deletes (of its removal markers) change nothing the map does not know.
    if (reply !== undefined && this.api.ownsReply(reply)) return;
    this.scheduleResync(0);
    if (reply === undefined || reply === "") return;
    const answer = this.client.subscribe(reply, () => {
      this.client.removeSub(answer);
      this.scheduleResync(0);
    });
    setTimeout(() => this.client.removeSub(answer), RESYNC_WAIT_MS).unref();
  }

  private scheduleResync(delayMs: number): void {
    if (this.resyncTimer !== undefined) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (this.resyncing) return this.scheduleResync(10);
      this.resyncing = true;
      this.resync()
        .catch((e: unknown) => this.log.warn(`Unable to read MQTT retained messages again: ${(e as Error).message}`))
        .finally(() => (this.resyncing = false));
    }, delayMs);
    this.resyncTimer.unref();
  }

  private async resync(): Promise<void> {
    const snapshotSeq = (await streamInfo(this.api, MQTT_STREAMS.retained.name)).lastSeq;
    this.retained.resync(await loadRetained(this.api), snapshotSeq);
  }

  /**
   * Loads the stream into `retained` and follows it. A removal marker this server (`origin`)
   * wrote is deleted from the stream soon after, as Go does: the subject then has no message.
   */
  static async start(api: JsApi, client: InternalClient, retained: RetainedMessages, origin: string, log: Logger): Promise<RetainedFeed> {
    const stream = MQTT_STREAMS.retained;
    const { lastSeq } = await streamInfo(api, stream.name);
    for (const m of await loadRetained(api)) retained.set(m);
    const token = randomBytes(12).toString("base64url").replace(/[-_]/g, "x");
    const deliver = DELIVER_PREFIX + token;
    let feed: RetainedFeed | undefined;
    const sub = client.subscribe(deliver, (subject, reply, headerSize, msg) => {
      if (reply === undefined) return;
      const r = decodeRetainedRecord(subject, msg.toString("utf8", 0, headerSize), Buffer.from(msg.subarray(headerSize)));
      if (r === undefined) {
        log.warn(`Ignoring invalid MQTT retained message at sequence ${ackReplyInfo(reply).sseq}`);
        return;
      }
      const seq = ackReplyInfo(reply).sseq;
      retained.fromStream({ ...r.msg, seq });
      if (r.msg.payload.length === 0 && r.origin === origin && seq > 0) feed?.deleteMarker(seq);
    });
    const name = `${stream.name}_${token}`;
    const config = {
      name,
      deliver_subject: deliver,
      filter_subject: `${stream.subject}>`,
      deliver_policy: "by_start_sequence",
      opt_start_seq: lastSeq + 1,
      ack_policy: "none",
      replay_policy: "instant",
      inactive_threshold: INACTIVE_THRESHOLD_NS,
    };
    try {
      await api.request(`CONSUMER.CREATE.${stream.name}.${name}`, { stream_name: stream.name, config });
    } catch (e) {
      client.removeSub(sub);
      throw e;
    }
    feed = new RetainedFeed(api, client, sub, name, retained, log);
    return feed;
  }

  private deleteMarker(seq: number): void {
    const timer = setTimeout(() => {
      this.markerTimers.delete(timer);
      this.api.request(`STREAM.MSG.DELETE.${MQTT_STREAMS.retained.name}`, { seq, no_erase: true }).catch(() => undefined);
    }, MARKER_DELETE_DELAY_MS);
    timer.unref();
    this.markerTimers.add(timer);
  }

  /** Stops following (server shutdown): the consumer is deleted. */
  close(): void {
    for (const t of this.markerTimers) clearTimeout(t);
    this.markerTimers.clear();
    if (this.resyncTimer !== undefined) clearTimeout(this.resyncTimer);
    for (const w of this.watches) this.client.removeSub(w);
    this.client.removeSub(this.sub);
    this.api.request(`CONSUMER.DELETE.${MQTT_STREAMS.retained.name}.${this.consumer}`, undefined).catch(() => undefined);
  }
}
