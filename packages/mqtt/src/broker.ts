import { randomBytes } from "node:crypto";
import { DEFAULTS, type Account, type InternalClient, type Logger, type NatsServer } from "@nats-ts/core";
import { isValidSubject } from "@nats-ts/wire";
import { DormantSessions } from "./dormant-sessions.js";
import { SharedSubscriptions } from "./shared-subscriptions.js";
import { authenticateMqtt, mqttIdentityOf, type MqttIdentity } from "./auth.js";
import type { MqttConnection } from "./connection.js";
import type { Will } from "./connect-request.js";
import { JetStreamOutbound } from "./js-outbound.js";
import { MemoryOutbound } from "./memory-outbound.js";
import { mqttPubHeader, mqttPubHeaderWith } from "./nats-headers.js";
import type { EnhancedAuthMethod, MqttOptions } from "./options.js";
import { JsApi } from "./js-api.js";
import { forgetQos2, holdQos2, releaseQos2 } from "./qos2-incoming.js";
import { RetainedMessages, type RetainedMessage } from "./retained.js";
import { RetainedFeed } from "./retained-feed.js";
import { encodeRetained, ensureMqttStreams, migrateRetainedStream, MQTT_STREAMS } from "./streams.js";
import { Session, type QoS, type SubscriptionOptions } from "./session.js";
import { parseSharedFilter, REASON, type PublishExtras } from "./v5.js";
import { mqttFilterToNatsSubject, natsSubjectToMqttTopic, needsParentLevelSubject } from "./topic.js";
import { SessionStore, sessionHash, type PersistedSession, type StoredSubscriptionOptions, type StoredWill } from "./session-store.js";

/** Go's mqttDefaultAckWait. */
const DEFAULT_ACK_WAIT_MS = 30_000;
/** Go's mqttDefaultMaxAckPending. */
const DEFAULT_MAX_ACK_PENDING = 1024;
/** Go's mqttSessJailDur: a client id that just took over a session waits this long before it may again. */
const FLAPPER_JAIL_MS = 1000;
const SUBACK_FAILURE = 0x80;
const SUBACK_NOT_AUTHORIZED = 0x87;
const SUBACK_FILTER_INVALID = 0x8f;

/** How a CONNECT starts its session: MQTT 3.1.1's clean session, or MQTT 5.0's clean start and expiry. */
export interface SessionStart {
  /** Discard any existing session. */
  cleanStart: boolean;
  /** The session outlives the connection (clean session 0, or an expiry interval above 0). */
  persistent: boolean;
  /** How long it outlives it (ms); infinite for MQTT 3.1.1. */
  expiryMs: number;
}

interface AccountState {
  sessions: Map<string, Session>;
  retained: RetainedMessages;
  /** The account, once set up. */
  account?: Account;
  /** Follows `$MQTT_rmsgs`, so retained messages stored by others show here too. */
  feed?: RetainedFeed;
  /** Shared subscriptions' group consumers and their members. */
  shared?: SharedSubscriptions;
  /** Stored sessions without a client that have a deadline (will delay, session expiry). */
  dormant?: DormantSessions;
  /** Publishes the delayed wills of dormant sessions. */
  willPublisher?: InternalClient;
  /** Client ids that recently replaced a live connection, and when. */
  flappers: Map<string, number>;
  /** The account's JetStream API, once its MQTT streams exist and retained messages are loaded. */
  api?: JsApi;
  /** The account's persistent sessions in `$MQTT_sess`, and records read at CONNECT not yet resumed. */
  store?: SessionStore;
  stored: Map<string, PersistedSession>;
  preparing?: Promise<void>;
}

/** Go's mqttJSAPITimeout default. */
const DEFAULT_JS_API_TIMEOUT_MS = 5000;

/**
 * The session a CONNECT resumes or starts, whether it existed (CONNACK's session present flag),
 * and, for a session restored from `$MQTT_sess` after a restart, the setup of its consumers.
 */
export type Acquired = { session: Session; present: boolean; restoring?: Promise<void> } | "jailed" | "collision";

/**
 * What MQTT connections share: per-account sessions and retained messages, authentication and
 * the path from an MQTT PUBLISH into NATS and JetStream.
 */
export class MqttBroker {
  private readonly accounts = new Map<string, AccountState>();
  private readonly owners = new WeakMap<Session, MqttConnection>();
  private readonly identities = new WeakMap<Session, MqttIdentity>();

  private closed = false;

  constructor(
    readonly server: NatsServer,
    readonly options: MqttOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts the deadlines of sessions stored before a restart (session expiry, delayed wills):
   * they must not wait for a first client of their account to connect. Runs in the background.
   */
  start(): void {
    void this.resumeStoredAccounts();
  }

  /** Sets up every account that has MQTT sessions in JetStream already (accounts are probed side by side). */
  private async resumeStoredAccounts(): Promise<void> {
    const resume = async (account: Account): Promise<void> => {
      const probe = new JsApi(this.server.createInternalClient("CLIENT", account), this.options.jsApiTimeout || DEFAULT_JS_API_TIMEOUT_MS, this.options.jsDomain);
      const found = await probe.request(`STREAM.INFO.${MQTT_STREAMS.sessions.name}`, undefined).then(
        () => true,
        () => false,
      );
      probe.close();
      if (found && !this.closed) await this.prepare(account, "")?.catch((e: unknown) => this.log.error(`Unable to resume MQTT sessions of account "${account.name}": ${(e as Error).message}`));
    };
    const accounts = this.server.accountNames().map((name) => this.server.lookupAccount(name));
    await Promise.all(accounts.filter((a): a is Account => a !== undefined && a !== this.server.systemAccount && !this.closed).map(resume));
  }

  get log(): Logger {
    return this.server.log;
  }

  get maxPayload(): number {
    return this.server.opts.maxPayload;
  }

  get maxPending(): number {
    return this.server.opts.maxPending;
  }

  get authTimeoutMs(): number {
    const t = this.options.authorization?.timeout;
    if (t !== undefined && t > 0) return t * 1000;
    const top = this.server.opts.authorization?.timeout;
    return top !== undefined && top > 0 ? top * 1000 : DEFAULTS.authTimeout;
  }

  private get maxAckPending(): number {
    return this.options.maxAckPending || DEFAULT_MAX_ACK_PENDING;
  }

  generateClientId(): string {
    return randomBytes(16).toString("base64url").replace(/[-_]/g, "x");
  }

  /**
   * Makes the account ready for MQTT (its streams exist, its retained messages are loaded) and
   * reads the stored session of `clientId` when it is not in memory. Returns undefined when
   * there is nothing to wait for, so reconnects of known sessions stay synchronous.
   */
  prepare(account: Account, clientId: string): Promise<void> | undefined {
    const state = this.stateFor(account.name);
    if (state.api === undefined) {
      state.preparing ??= this.bootstrap(account, state).catch((e: unknown) => {
        state.preparing = undefined;
        throw e;
      });
      return state.preparing.then(() => this.fetchSession(state, clientId));
    }
    return this.fetchSession(state, clientId);
  }

  /** Go reads the session record at every CONNECT of an id it does not hold: so do we. */
  private fetchSession(state: AccountState, clientId: string): Promise<void> | undefined {
    const store = state.store;
    if (store === undefined || clientId === "" || state.sessions.has(clientId) || state.stored.has(clientId)) return undefined;
    return store.fetch(clientId).then((rec) => {
      if (rec !== undefined && !state.sessions.has(clientId)) state.stored.set(clientId, rec);
    });
  }

  private async bootstrap(account: Account, state: AccountState): Promise<void> {
    const o = this.options;
    const api = new JsApi(this.server.createInternalClient("CLIENT", account), o.jsApiTimeout || DEFAULT_JS_API_TIMEOUT_MS, o.jsDomain);
    state.account = account;
    try {
      await ensureMqttStreams(api, o.streamReplicas || 1);
      await migrateRetainedStream(api, this.log);
      state.feed = await RetainedFeed.start(api, this.server.createInternalClient("CLIENT", account), state.retained, this.server.name, this.log);
      const shared = new SharedSubscriptions(api, this.consumerSettings, this.log);
      await shared.recover();
      state.shared = shared;
      const store = new SessionStore(api, this.server.name, this.log);
      const records = await store.loadAll();
      if (this.closed) throw new Error("server shutdown");
      state.store = store;
      state.dormant = new DormantSessions(store, {
        publishWill: (will) => this.publishStoredWill(state, will),
        end: (record) => this.endStored(state, api, record),
      });
      for (const record of records) state.dormant.schedule(record);
    } catch (e) {
      state.feed?.close();
      state.feed = undefined;
      api.close();
      throw e;
    }
    state.api = api;
  }

  authenticate(username: string | undefined, password: string | undefined): MqttIdentity | undefined {
    return authenticateMqtt(this.server, this.options.authorization, this.options.noAuthUser, username, password);
  }

  /** The identity of a user an enhanced authentication method vouched for. */
  identityOf(user: string): MqttIdentity | undefined {
    return mqttIdentityOf(this.server, this.options.authorization, user);
  }

  /** The enhanced authentication method of that name, if the options have one. */
  enhancedAuthMethod(name: string): EnhancedAuthMethod | undefined {
    const methods = this.options.enhancedAuth;
    return methods !== undefined && Object.hasOwn(methods, name) ? methods[name] : undefined;
  }

  /**
   * Gives `conn` the session of `clientId`: resumed when it exists and neither side asks for a
   * clean session, otherwise new. A connection already holding it is closed without its will
   * (session takeover, MQTT-3.1.4-2).
   */
  acquire(id: MqttIdentity, clientId: string, start: SessionStart, conn: MqttConnection): Acquired {
    const clean = start.cleanStart;
    const state = this.stateFor(id.account.name);
    if (state.store?.collides(clientId)) return "collision";
    const jailedAt = state.flappers.get(clientId);
    if (jailedAt !== undefined) {
      if (this.now() - jailedAt < FLAPPER_JAIL_MS) return "jailed";
      state.flappers.delete(clientId);
    }
    state.dormant?.take(clientId);
    let session = state.sessions.get(clientId);
    const previous = session === undefined ? undefined : this.owners.get(session);
    let present = false;
    if (session !== undefined) {
      if (previous !== undefined) {
        this.owners.delete(session);
        this.jail(state, clientId);
        this.log.warn(`${conn} - Replacing old client ${previous} since both have the same client ID "${clientId}"`);
        previous.close("duplicate client id", false, REASON.SESSION_TAKEN_OVER);
      }
      if (clean || session.clean) {
        this.end(session);
        session = undefined;
      } else {
        present = true;
        // MQTT 5.0: a session resumed with an expiry of 0 now ends with this connection.
        session.clean = !start.persistent;
      }
    }
    let restoring: Promise<void> | undefined;
    // consumer_inactive_threshold may have removed the consumers of an absent session: make them again.
    if (present && session?.jetstream !== undefined && (this.options.consumerInactiveThreshold ?? 0) > 0) {
      restoring = session.jetstream.recreateConsumers().catch((e: unknown) => {
        this.log.error(`Unable to recreate JetStream consumers of MQTT session "${clientId}": ${(e as Error).message}`);
      });
    }
    let stored = state.stored.get(clientId);
    state.stored.delete(clientId);
    // A session that expired while nobody was there to end it (the server was down) is gone.
    if (stored?.expires_at !== undefined && stored.expires_at <= this.now() && session === undefined && state.api !== undefined) {
      this.endStored(state, state.api, stored);
      stored = undefined;
    }
    if (clean && stored !== undefined) {
      this.newSession(state, id, clientId, false, stored).destroy(); // its consumers go too
      this.leaveStoredGroups(state, stored);
    }
    if (clean) {
      state.store?.remove(clientId);
      if (state.api !== undefined) forgetQos2(state.api, clientId).catch(() => undefined);
    }
    if (session === undefined) {
      const restore = !clean && stored !== undefined ? stored : undefined;
      session = this.newSession(state, id, clientId, !start.persistent && restore === undefined, restore);
      session.clean = !start.persistent;
      const created = session;
      session.onWillPublished = () => {
        if (!created.connected) this.persist(created);
      };
      state.sessions.set(clientId, session);
      if (restore !== undefined) {
        present = true;
        restoring = this.restoreSubscriptions(session, id, restore);
      }
    }
    session.expiryMs = start.expiryMs;
    session.resume();
    // A broad subscription may reach subjects a deny rule forbids: each delivery is checked then.
    session.mayReceive = id.restricted ? (subject) => id.canSubscribe(subject) : undefined;
    if (session.jetstream !== undefined) session.jetstream.mayReceive = session.mayReceive;
    this.owners.set(session, conn);
    this.identities.set(session, id);
    if (!session.clean && restoring === undefined) this.persist(session);
    return { session, present, restoring };
  }

  private get consumerSettings() {
    const o = this.options;
    return {
      ackWaitMs: o.ackWait || DEFAULT_ACK_WAIT_MS,
      maxAckPending: this.maxAckPending,
      memoryStorage: o.consumerMemoryStorage === true,
      inactiveThresholdMs: o.consumerInactiveThreshold ?? 0,
    };
  }

  private newSession(state: AccountState, id: MqttIdentity, clientId: string, clean: boolean, restore?: PersistedSession): Session {
    const client = this.server.createInternalClient("CLIENT", id.account);
    let session: Session;
    if (clean || state.api === undefined) {
      const memory = new MemoryOutbound(this.maxAckPending, this.options.ackWait || DEFAULT_ACK_WAIT_MS, state.api);
      session = new Session(clientId, id.account, true, client, memory, undefined, sessionHash(clientId));
    } else {
      const restored = restore === undefined ? undefined : { consumers: restore.cons, pubRel: restore.pubrel };
      const js = new JetStreamOutbound(state.api, client, sessionHash(clientId), this.consumerSettings, this.log, restored);
      session = new Session(clientId, id.account, false, client, js, js, sessionHash(clientId));
    }
    session.acker = state.api;
    session.sharedProgressMs = Math.floor((this.options.ackWait || DEFAULT_ACK_WAIT_MS) / 2);
    return session;
  }

  /** A session from before a restart: its subscriptions come back, checked against today's permissions. */
  private async restoreSubscriptions(session: Session, id: MqttIdentity, stored: PersistedSession): Promise<void> {
    for (const [key, qos] of Object.entries(stored.subs ?? {})) {
      const shared = parseSharedFilter(key);
      if (shared === "invalid") continue;
      const subject = shared === undefined ? key : shared.filter;
      let filter: string;
      try {
        filter = natsSubjectToMqttTopic(subject);
        if (mqttFilterToNatsSubject(filter) !== subject) continue;
      } catch {
        continue;
      }
      const options: SubscriptionOptions = { ...stored.sub_opts?.[key] };
      if (shared !== undefined) {
        options.group = shared.group;
        filter = `$share/${shared.group}/${filter}`;
      }
      const { granted } = this.subscribe(session, filter, subject, qos, options, true);
      if (typeof granted !== "number") await granted;
    }
    this.persist(session);
  }

  /** Writes a persistent session's subscriptions to `$MQTT_sess`. */
  persist(session: Session): void {
    if (session.clean) return;
    const state = this.accounts.get(session.account.name);
    if (state?.store === undefined) return;
    const subs: Record<string, QoS> = {};
    const opts: Record<string, StoredSubscriptionOptions> = {};
    for (const sub of session.subscriptions.values()) {
      // Go keys subscriptions by subject; a shared one keeps its group in the key.
      const { group, noLocal, retainAsPublished, subscriptionId } = sub.options;
      const key = group === undefined ? sub.subject : `$share/${group}/${sub.subject}`;
      subs[key] = sub.qos;
      if (noLocal || retainAsPublished || subscriptionId !== undefined) opts[key] = { noLocal, retainAsPublished, subscriptionId };
    }
    const js = session.jetstream;
    const delayed = session.delayedWill;
    state.store.save({
      id: session.clientId,
      subs,
      cons: js === undefined ? undefined : Object.fromEntries(js.consumers),
      pubrel: js?.pubRel,
      sub_opts: Object.keys(opts).length > 0 ? opts : undefined,
      expiry_ms: Number.isFinite(session.expiryMs) ? session.expiryMs : undefined,
      expires_at: session.expiresAt,
      will: delayed === undefined ? undefined : storedWill(delayed.will, delayed.at),
    });
  }

  /** UNSUBSCRIBE: removes the filters and updates the stored session. */
  unsubscribe(session: Session, filters: string[]): boolean[] {
    const existed = filters.map((f) => {
      const group = session.subscriptions.get(f)?.options.group;
      const subject = session.subscriptions.get(f)?.subject;
      if (!session.unsubscribe(f)) return false;
      if (group !== undefined && subject !== undefined) this.accounts.get(session.account.name)?.shared?.leave(group, subject, session.clientId);
      return true;
    });
    if (existed.includes(true)) this.persist(session);
    return existed;
  }

  /** A connection is gone: its clean session ends, a persistent one waits for the client. */
  release(session: Session, conn: MqttConnection): void {
    if (this.owners.get(session) !== conn) return;
    this.owners.delete(session);
    session.detach(conn);
    if (session.clean || session.expiryMs <= 0) return this.end(session);
    // MQTT 5.0 session expiry: the session goes once it stayed detached that long.
    session.startExpiry(() => !session.connected && this.end(session));
    // Its deadlines are kept in the record, to be met after a restart too.
    if (session.expiresAt !== undefined || session.delayedWill !== undefined) this.persist(session);
  }

  /** A stored session that expired without being in memory: its will goes out, its consumers and record go. */
  private endStored(state: AccountState, api: JsApi, record: PersistedSession): void {
    if (state.sessions.has(record.id)) return;
    if (record.will !== undefined) this.publishStoredWill(state, record.will);
    for (const cc of Object.values(record.cons ?? {})) void api.request(`CONSUMER.DELETE.${MQTT_STREAMS.messages.name}.${cc.durable_name}`, undefined).catch(() => undefined);
    if (record.pubrel !== undefined) void api.request(`CONSUMER.DELETE.${MQTT_STREAMS.out.name}.${record.pubrel.durable_name}`, undefined).catch(() => undefined);
    state.store?.remove(record.id);
    forgetQos2(api, record.id).catch(() => undefined);
    this.leaveStoredGroups(state, record);
  }

  /** A stored session that ends without being restored leaves the shared subscriptions its record has. */
  private leaveStoredGroups(state: AccountState, record: PersistedSession): void {
    for (const key of Object.keys(record.subs ?? {})) {
      const shared = parseSharedFilter(key);
      if (shared !== undefined && shared !== "invalid") state.shared?.leave(shared.group, shared.filter, record.id);
    }
  }

  /** The session is over: its state goes, from memory and from JetStream. */
  private end(session: Session): void {
    const state = this.accounts.get(session.account.name);
    const groups = [...session.subscriptions.values()].filter((e) => e.options.group !== undefined);
    session.destroy();
    // Its unacknowledged shared deliveries went back to their groups (in destroy()): now it leaves them.
    for (const e of groups) state?.shared?.leave(e.options.group!, e.subject, session.clientId);
    if (state?.sessions.get(session.clientId) !== session) return;
    state.sessions.delete(session.clientId);
    // A persistent session's record goes with it (its consumers went in destroy()).
    if (session.jetstream !== undefined) state.store?.remove(session.clientId);
  }

  /**
   * Subscribes a session's filter. `granted` is the QoS, or a failure reason code (0x87 denied by
   * permissions, 0x8F invalid, 0x80 the consumer of a persistent session could not be created),
   * once the subscription is ready; `created` tells a new filter from a replaced one.
   */
  subscribe(session: Session, filter: string, subject: string, qos: QoS, options: SubscriptionOptions = {}, recreate = false): { granted: number | Promise<number>; created: boolean } {
    const id = this.identities.get(session);
    // The server's own subjects ($MQTT.msgs.<subject> ...) would bypass subscribe permissions.
    if (subject.startsWith("$MQTT.")) {
      this.log.error(`Subscription Violation - MQTT filter "${filter}" names an internal subject`);
      return { granted: SUBACK_NOT_AUTHORIZED, created: false };
    }
    // "foo/#" also subscribes to "foo" (the parent level): both must be permitted, as in Go.
    const parentDenied = needsParentLevelSubject(subject) && id !== undefined && !id.canSubscribe(subject.slice(0, -2), options.group);
    if ((id !== undefined && !id.canSubscribe(subject, options.group)) || parentDenied) {
      this.log.error(`Subscription Violation - MQTT filter "${filter}" (subject "${subject}")`);
      return { granted: SUBACK_NOT_AUTHORIZED, created: false };
    }
    // "foo/#/bar" becomes "foo.>.bar", which NATS refuses: the filter is invalid.
    if (!isValidSubject(subject, true)) {
      this.log.error(`Invalid MQTT filter "${filter}" (subject "${subject}")`);
      return { granted: SUBACK_FILTER_INVALID, created: false };
    }
    const granted: QoS = qos === 2 && this.options.downgradeQos2Subscribe === true ? 1 : qos;
    const subscribed = session.subscribe(filter, subject, granted, options, recreate);
    const created = subscribed.created;
    let ready = subscribed.ready;
    const shared = this.accounts.get(session.account.name)?.shared;
    const group = options.group;
    if (group !== undefined && shared !== undefined) {
      const js = session.jetstream;
      const pubRel = granted === 2 && js !== undefined ? js.ensurePubRelConsumer(recreate) : Promise.resolve();
      ready = pubRel.then(() => shared.join(group, subject, session.clientId, !session.clean)).then(
        (deliver) => session.bindShared(filter, deliver),
        (e: unknown) => {
          if (created) session.unsubscribe(filter);
          throw e;
        },
      );
    }
    if (ready === undefined) return { granted, created };
    const done = ready.then(
      () => granted,
      (e: unknown) => {
        this.log.error(`Unable to add JetStream consumer for subscription on "${subject}": ${(e as Error).message}`);
        return SUBACK_FAILURE;
      },
    );
    return { granted: done, created };
  }

  /** The retained messages a new subscription on `subject` gets, without those its deny rules forbid. */
  retainedFor(session: Session, subject: string): RetainedMessage[] {
    const all = this.stateFor(session.account.name).retained.matching(subject);
    const id = this.identities.get(session);
    return id?.restricted ? all.filter((m) => id.canSubscribe(m.subject)) : all;
  }

  /**
   * Publishes an MQTT message into NATS (with the `Nmqtt-Pub` header) and, with RETAIN, keeps it
   * as the topic's retained message. QoS 1 and 2 messages are also stored in `$MQTT_msgs` for
   * the consumers of persistent sessions; the promise settles when JetStream has them (Go's
   * mqttInitiateMsgDelivery). Messages the client may not publish are dropped.
   */
  publish(session: Session, topic: string, subject: string, payload: Buffer, qos: QoS, retain: boolean, extras?: PublishExtras): Promise<unknown> | undefined | false {
    if (!this.mayPublish(session, topic, subject)) return false;
    return this.publishAs(session.account, session.publisher, topic, subject, payload, qos, retain, extras);
  }

  private publishAs(account: Account, publisher: InternalClient, topic: string, subject: string, payload: Buffer, qos: QoS, retain: boolean, extras?: PublishExtras): Promise<unknown> | undefined {
    const retained = retain ? this.retain(account.name, { topic, subject, payload: Buffer.from(payload), qos }) : undefined;
    // MQTT-3.3.1-12: an empty retained message clears the topic and is not forwarded with RETAIN, but is forwarded.
    const header = extras === undefined ? mqttPubHeader(qos, retain) : mqttPubHeaderWith(qos, retain, extras.headerLines);
    publisher.publish(subject, payload, extras?.reply, header);
    if (qos === 0) return undefined;
    const api = this.accounts.get(account.name)?.api;
    // Stored under the subject the account's mappings send it to, where the consumers look.
    const target = account.mappings?.map(subject) ?? subject;
    const stored = api?.store(MQTT_STREAMS.messages.subject + target, payload, header);
    // The PUBACK says the retained message is kept too.
    return retained === undefined ? stored : Promise.all([stored, retained]);
  }

  /** The delayed will of a session stored before a restart (its permissions were checked at CONNECT). */
  private publishStoredWill(state: AccountState, will: StoredWill): void {
    const account = state.account;
    if (account === undefined || this.closed) return;
    state.willPublisher ??= this.server.createInternalClient("CLIENT", account);
    const extras = will.headers === undefined && will.reply === undefined ? undefined : { headerLines: will.headers ?? "", reply: will.reply };
    this.publishAs(account, state.willPublisher, will.topic, will.subject, Buffer.from(will.payload, "base64"), will.qos, will.retain, extras)?.catch((e: unknown) => {
      this.log.error(`Unable to store will message on "${will.topic}": ${(e as Error).message}`);
    });
  }

  /** Publish permissions; a refused message is logged and dropped. */
  mayPublish(session: Session, topic: string, subject: string): boolean {
    const id = this.identities.get(session);
    if (id === undefined || id.canPublish(subject)) return true;
    this.log.error(`Publish Violation - MQTT topic "${topic}" (subject "${subject}")`);
    return false;
  }

  /** A QoS 2 PUBLISH waits in `$MQTT_qos2in` for its PUBREL; a re-sent one is not kept twice. */
  holdQos2(session: Session, pi: number, subject: string, payload: Buffer, retain: boolean, extras?: PublishExtras): Promise<void> | undefined {
    const api = this.accounts.get(session.account.name)?.api;
    return api === undefined ? undefined : holdQos2(api, session.clientId, pi, subject, payload, retain, extras?.headerLines ?? "");
  }

  /** PUBREL: the held QoS 2 message is published now, once (Go's mqttProcessPubRel); false when none was held. */
  async releaseQos2(session: Session, pi: number): Promise<boolean> {
    const api = this.accounts.get(session.account.name)?.api;
    if (api === undefined) return false;
    const held = await releaseQos2(api, session.clientId, pi);
    if (held === undefined) return false;
    let topic: string;
    try {
      topic = natsSubjectToMqttTopic(held.subject);
    } catch {
      return true;
    }
    await this.publish(session, topic, held.subject, held.payload, 2, held.retain, { headerLines: held.headerLines, reply: held.reply });
    return true;
  }

  /** Keeps the message in memory for new subscriptions and in `$MQTT_rmsgs` for restarts. */
  private retain(account: string, msg: RetainedMessage): Promise<unknown> | undefined {
    const state = this.stateFor(account);
    state.retained.set(msg, state.api !== undefined);
    if (state.api === undefined) return undefined;
    const { headers, payload } = encodeRetained(msg, this.server.name);
    return state.api.store(`${MQTT_STREAMS.retained.subject}${msg.subject}`, payload, headers).then(
      (ack) => state.retained.confirmed(msg, typeof ack.seq === "number" ? ack.seq : undefined),
      (e: unknown) => {
        state.retained.confirmed(msg, undefined);
        this.log.error(`Unable to persist retained message for topic "${msg.topic}": ${(e as Error).message}`);
      },
    );
  }

  /** Lets go of every session (server shutdown); persistent ones stay in JetStream. */
  closeAll(): void {
    this.closed = true;
    for (const state of this.accounts.values()) {
      state.dormant?.close();
      state.willPublisher?.close();
      state.feed?.close();
      state.api?.close();
      for (const s of state.sessions.values()) s.unload();
      state.sessions.clear();
    }
  }

  /** Go's mqttSessJailDur, for connections refused as flappers. */
  get flapperJailMs(): number {
    return FLAPPER_JAIL_MS;
  }

  /** Remembers a takeover; expired entries are swept so the map does not grow with old ids. */
  private jail(state: AccountState, clientId: string): void {
    const now = this.now();
    if (state.flappers.size >= 1024) {
      for (const [id, at] of state.flappers) if (now - at >= FLAPPER_JAIL_MS) state.flappers.delete(id);
    }
    state.flappers.set(clientId, now);
  }

  private stateFor(account: string): AccountState {
    let state = this.accounts.get(account);
    if (state === undefined) {
      state = { sessions: new Map(), retained: new RetainedMessages(), flappers: new Map(), stored: new Map() };
      this.accounts.set(account, state);
    }
    return state;
  }
}

/** The record form of a delayed will. */
function storedWill(will: Will, at: number): StoredWill {
  return {
    topic: will.topic,
    subject: will.subject,
    payload: will.payload.toString("base64"),
    qos: will.qos,
    retain: will.retain,
    headers: will.extras?.headerLines || undefined,
    reply: will.extras?.reply,
    at,
  };
}
