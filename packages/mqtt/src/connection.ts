import { generate, parser as createParser, type IConnectPacket, type IDisconnectPacket, type IPublishPacket, type ISubscribePacket, type IUnsubscribePacket, type Packet, type Parser } from "mqtt-packet";
import { isValidPublishSubject } from "@nats-ts/wire";
import type { MqttIdentity } from "./auth.js";
import type { MqttBroker } from "./broker.js";
import { CONNACK } from "./connack.js";
import { readConnect, type ConnectRequest, type EnhancedAuthOutcome, type Will } from "./connect-request.js";
import { EnhancedAuthExchange } from "./enhanced-auth.js";
import { PacketFramer } from "./framer.js";
import type { MqttConnectionObserver } from "./monitoring.js";
import type { MqttTransport } from "./transport.js";
import { decodePublish, encodePublish, HAS_PROPERTIES } from "./publish-codec.js";
import type { OutgoingMessage, QoS, Session, SessionOutput, SubscriptionOptions } from "./session.js";
import { mqttFilterToNatsSubject, mqttTopicToNatsSubject, natsSubjectToMqttTopic } from "./topic.js";
import { CONNACK_V5, deliveryProperties, parseSharedFilter, publishExtras, REASON, OutboundTopicAliases, TOPIC_ALIAS_MAXIMUM, TopicAliases, type PublishExtras } from "./v5.js";

/** SUBACK return code for a refused filter (MQTT 3.1.1 has only this one). */
const SUBACK_FAILURE = 0x80;
const CONNECT_TYPE = 1;
const PUBLISH_TYPE = 3;
const PUBACK = 0x40;
const PUBREC = 0x50;
/** MQTT 5.0 DISCONNECT reason "disconnect with will message". */
const DISCONNECT_WITH_WILL = 0x04;

/** An acknowledgement waiting for JetStream: PUBACKs and PUBRECs leave in the order of their PUBLISHes (MQTT-4.6.0-2, -3). */
interface AckSlot {
  bytes: Buffer;
  ready: boolean;
}

/**
 * One MQTT 3.1.1 or 5.0 client connection: frames the byte stream itself, decodes PUBLISH itself
 * and the other packets with mqtt-packet, enforces the protocol's rules (CONNECT first, keep
 * alive at 1.5x, packet identifiers, topic aliases), and hands publishes and subscriptions to
 * the broker and the client's session. A protocol violation closes this connection only (with
 * a DISCONNECT and its reason code for MQTT 5.0 clients).
 */
export class MqttConnection implements SessionOutput {
  private readonly parser: Parser;
  private readonly framer: PacketFramer;
  private session: Session | undefined;
  private will: Will | undefined;
  private connectSeen = false;
  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    this.transport.uncork();
  };
  private lastTopic = "";
  private lastSubject = "";
  /** Packets that arrived while an earlier one waited for JetStream (CONNECT, SUBSCRIBE, PUBREL), replayed afterwards. */
  private held: Packet[] | undefined;
  private acks: AckSlot[] = [];
  private acksHead = 0;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** 4 for MQTT 3.1.1, 5 for MQTT 5.0, once CONNECT told. */
  private protocolVersion: 4 | 5 = 4;
  private aliases: TopicAliases | undefined;
  /** MQTT 5.0 enhanced authentication of this client, and its CONNECT while the exchange runs. */
  private authExchange: EnhancedAuthExchange | undefined;
  private connectPacket: IConnectPacket | undefined;
  /** MQTT 5.0: topic aliases this server assigns, when the client accepts some. */
  private outAliases: OutboundTopicAliases | undefined;
  /** MQTT 5.0: the largest packet the client accepts. */
  private maxPacketSize = Number.MAX_SAFE_INTEGER;
  clientId = "";
  /** Who the client authenticated as, once CONNECT succeeded. */
  identity: MqttIdentity | undefined;
  /** Monitoring (/connz): told of CONNECT, authentication and close. */
  observer: MqttConnectionObserver | undefined;
  /** PUBLISH messages and payload bytes received and sent, for /connz. */
  readonly stats = { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 };
  /** When the client last sent something (ms). */
  lastActivity = Date.now();

  constructor(
    readonly id: number,
    private readonly transport: MqttTransport,
    private readonly broker: MqttBroker,
  ) {
    this.parser = createParser({ protocolVersion: 4 });
    this.parser.on("packet", (p: Packet) => this.onPacket(p));
    this.parser.on("error", (err: Error) => this.fail(err.message, REASON.MALFORMED_PACKET));
    this.framer = new PacketFramer(
      (packet, bodyStart) => this.onFrame(packet, bodyStart),
      (reason) => this.fail(reason, reason.startsWith("maximum payload") ? REASON.PACKET_TOO_LARGE : REASON.MALFORMED_PACKET),
    );
    this.framer.limit = broker.maxPayload;
    transport.onData((chunk) => this.onData(chunk));
    transport.onClose((reason) => this.close(reason));
    // Until CONNECT arrives, the client has the authorization timeout (Go's auth timer).
    this.timer = setTimeout(() => this.fail("authentication timeout"), broker.authTimeoutMs);
  }

  get remote(): string {
    return `${this.transport.remoteAddress}:${this.transport.remotePort}`;
  }

  toString(): string {
    return `${this.remote} - mid:${this.id}${this.clientId === "" ? "" : ` "${this.clientId}"`}`;
  }

  sendPubrel(messageId: number): void {
    this.write({ cmd: "pubrel", messageId });
  }

  sendPublish(msg: OutgoingMessage): boolean {
    if (this.closed) return false;
    let bytes: Buffer;
    let alias: { alias: number; known: boolean } | undefined;
    try {
      if (this.protocolVersion === 5) {
        const props = this.publishProperties(msg);
        if (props === "expired") return false;
        alias = this.outAliases?.pick(msg.topic);
        const topic = alias?.known === true ? "" : msg.topic;
        if (props === undefined) {
          bytes = encodePublish(topic, msg.payload, msg.qos, msg.retain, msg.dup, msg.messageId, true, alias?.alias);
        } else {
          if (alias !== undefined) props.topicAlias = alias.alias;
          bytes = generate({ cmd: "publish", topic, payload: msg.payload, qos: msg.qos, retain: msg.retain, dup: msg.dup, messageId: msg.messageId, properties: props }, { protocolVersion: 5 });
        }
      } else {
        bytes = encodePublish(msg.topic, msg.payload, msg.qos, msg.retain, msg.dup, msg.messageId);
      }
    } catch (e) {
      // One message MQTT cannot carry (a topic over 65535 bytes, a property out of range) is
      // dropped; what another client published must not close this one.
      this.broker.log.warn(`${this} - MQTT message on ${JSON.stringify(msg.topic.slice(0, 64))} not delivered: ${(e as Error).message}`);
      return false;
    }
    // MQTT-3.1.2-25: what the client cannot take is discarded, as if delivered.
    if (bytes.length > this.maxPacketSize) return false;
    if (alias !== undefined) this.outAliases!.commit(msg.topic, alias.alias, alias.known);
    this.writeBytes(bytes);
    this.stats.outMsgs++;
    this.stats.outBytes += msg.payload.length;
    return true;
  }

  /** The session it serves, once CONNECT was accepted. */
  get currentSession(): Session | undefined {
    return this.session;
  }

  /** MQTT 5.0 PUBLISH properties from the message's NATS side; "expired" when its expiry interval is over. */
  private publishProperties(msg: OutgoingMessage): IPublishPacket["properties"] | "expired" | undefined {
    const hasHeaders = msg.headers !== undefined && msg.headers.length > 0;
    if (!hasHeaders && msg.reply === undefined && msg.subscriptionId === undefined) return undefined;
    const d = hasHeaders ? deliveryProperties(msg.headers!) : undefined;
    const props: NonNullable<IPublishPacket["properties"]> = d?.properties ?? {};
    if (d?.expiry !== undefined) {
      const left = d.expiry - Math.floor((Date.now() - (msg.since ?? Date.now())) / 1000);
      if (left <= 0) return "expired";
      props.messageExpiryInterval = left;
    }
    const reply = msg.reply ?? d?.replySubject;
    if (reply !== undefined && reply !== "") {
      try {
        props.responseTopic = natsSubjectToMqttTopic(reply);
      } catch {
        // a reply subject MQTT cannot name: no response topic
      }
    }
    if (msg.subscriptionId !== undefined) props.subscriptionIdentifier = msg.subscriptionId;
    return Object.keys(props).length === 0 ? undefined : props;
  }

  /**
   * Closes the socket; a will is published unless the client said DISCONNECT or was replaced. An
   * MQTT 5.0 client is told why first when `reasonCode` is given.
   */
  close(reason: string, publishWill = true, reasonCode?: number): void {
    if (this.closed) return;
    if (reasonCode !== undefined && this.protocolVersion === 5 && this.session !== undefined) {
      this.write({ cmd: "disconnect", reasonCode });
    }
    this.closed = true;
    this.observer?.closed(reason, reasonCode);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.broker.log.debug(`${this} - MQTT connection closed: ${reason}`);
    // What was written this turn (a refusing CONNACK, a DISCONNECT) still goes out before the socket closes.
    if (this.corked) this.uncork();
    this.transport.destroy();
    this.framer.reset();
    const will = this.will;
    this.will = undefined;
    const session = this.session;
    if (session === undefined) return;
    // The will goes out through the session's client, so before a clean session is torn down.
    if (publishWill && will !== undefined) {
      if (will.delayMs > 0 && !session.clean) session.delayWill(will, () => this.publishWill(session, will));
      else this.publishWill(session, will);
    }
    this.broker.release(session, this);
  }

  private publishWill(session: Session, will: Will): void {
    const stored = this.broker.publish(session, will.topic, will.subject, will.payload, will.qos, will.retain, will.extras);
    if (stored) stored.catch((e: unknown) => this.broker.log.error(`${this} - unable to store will message: ${(e as Error).message}`));
  }

  private fail(reason: string, reasonCode: number = REASON.UNSPECIFIED_ERROR): void {
    if (this.closed) return;
    this.broker.log.error(`${this} - MQTT ${reason}`);
    this.close(reason, true, reasonCode);
  }

  /** Runs inside NATS deliveries too, so it never throws: a packet that cannot be sent closes this connection. */
  private write(p: Packet): void {
    if (this.closed) return;
    let bytes: Buffer;
    try {
      bytes = generate(p, { protocolVersion: this.protocolVersion });
    } catch (e) {
      this.fail(`cannot encode ${p.cmd}: ${(e as Error).message}`);
      return;
    }
    this.writeBytes(bytes);
  }

  private writeBytes(bytes: Buffer): void {
    if (this.closed) return;
    if (!this.corked) {
      // Everything written in this turn of the event loop goes out in one write.
      this.corked = true;
      this.transport.cork();
      process.nextTick(this.uncork);
    }
    this.transport.write(bytes);
    // A client that does not read is a slow consumer, as NATS clients are past max_pending.
    if (this.transport.pendingBytes > this.broker.maxPending) this.fail("slow consumer detected");
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastActivity = Date.now();
    if (!this.connectSeen && chunk.length > 0 && chunk[0]! >> 4 !== CONNECT_TYPE) {
      this.fail(
        chunk.subarray(0, 4).toString("latin1") === "GET "
          ? "MQTT clients over websocket must connect to the Websocket port, not the MQTT port"
          : `the first packet should be a CONNECT (${CONNECT_TYPE << 4}), got ${chunk[0]! & 0xf0}`,
      );
      return;
    }
    this.connectSeen = true;
    if (this.session !== undefined) this.timer?.refresh();
    this.framer.push(chunk);
  }

  private onFrame(packet: Buffer, bodyStart: number): void {
    if (this.closed) return;
    if (packet[0]! >> 4 === PUBLISH_TYPE && this.session !== undefined && this.held === undefined) {
      const p = decodePublish(packet, bodyStart, this.protocolVersion === 5);
      if (p !== HAS_PROPERTIES) {
        if (typeof p === "string") return this.fail(p, REASON.MALFORMED_PACKET);
        return this.onPublish(p);
      }
    }
    if (packet[0]! >> 4 === CONNECT_TYPE && this.unknownProtocolLevel(packet, bodyStart)) {
      return this.refuse({ returnCode: CONNACK.UNACCEPTABLE_PROTOCOL_VERSION, reason: `unacceptable protocol version of ${packet[bodyStart + 6]}` });
    }
    try {
      this.parser.parse(packet);
    } catch (e) {
      this.fail(`parse error: ${(e as Error).message}`, REASON.MALFORMED_PACKET);
    }
  }

  /** "MQTT" with a level mqtt-packet can not parse at all (not 3, 4 or 5): Go still answers CONNACK 0x01. */
  private unknownProtocolLevel(packet: Buffer, bodyStart: number): boolean {
    if (packet.length < bodyStart + 7 || packet.readUInt16BE(bodyStart) !== 4) return false;
    if (packet.toString("latin1", bodyStart + 2, bodyStart + 6) !== "MQTT") return false;
    const level = packet[bodyStart + 6]! & 0x7f;
    return level !== 3 && level !== 4 && level !== 5;
  }

  private onPacket(p: Packet): void {
    if (this.closed) return;
    if (this.held !== undefined) {
      this.held.push(p);
      return;
    }
    if (p.cmd === "connect") {
      if (this.session !== undefined || this.authExchange !== undefined) return this.fail("received a second CONNECT packet", REASON.PROTOCOL_ERROR);
      return this.onConnect(p);
    }
    if (p.cmd === "auth") return this.onAuth(p);
    if (this.session === undefined) return; // CONNECT still being processed
    switch (p.cmd) {
      case "publish":
        return this.onPublish(p);
      case "puback":
        this.session.acknowledge(p.messageId ?? 0);
        return;
      case "pubcomp":
        this.session.completed(p.messageId ?? 0);
        return;
      case "pubrec": {
        // MQTT 5.0: a PUBREC with an error reason ends the exchange (spec 4.3.3): the message is done with.
        if (p.reasonCode !== undefined && p.reasonCode >= 0x80) return this.session.acknowledge(p.messageId ?? 0);
        const stored = this.session.received(p.messageId ?? 0);
        stored?.catch((e: unknown) => this.fail(`unable to store PUBREL: ${(e as Error).message}`));
        return;
      }
      case "pubrel": {
        const messageId = p.messageId ?? 0;
        // Later packets wait, so the released message is published before anything sent after it.
        return this.holdWhile(
          this.broker.releaseQos2(this.session, messageId).then((found) => {
            this.write({ cmd: "pubcomp", messageId, reasonCode: found || this.protocolVersion === 4 ? undefined : REASON.PACKET_IDENTIFIER_NOT_FOUND });
          }),
        );
      }
      case "subscribe":
        return this.onSubscribe(p);
      case "unsubscribe":
        return this.onUnsubscribe(p);
      case "pingreq":
        this.write({ cmd: "pingresp" });
        return;
      case "disconnect":
        return this.onDisconnect(p);
      default:
        return this.fail(`unexpected packet ${p.cmd}`, REASON.PROTOCOL_ERROR);
    }
  }

  private onDisconnect(p: IDisconnectPacket): void {
    const expiry = p.properties?.sessionExpiryInterval;
    // MQTT 5.0: the session expiry may change at DISCONNECT, not from 0 (MQTT-3.14.2-2).
    if (this.protocolVersion === 5 && expiry !== undefined && this.session !== undefined && !this.session.clean) {
      this.session.expiryMs = expiry >= 0xffffffff ? Number.POSITIVE_INFINITY : expiry * 1000;
    }
    this.close("client sent DISCONNECT", this.protocolVersion === 5 && p.reasonCode === DISCONNECT_WITH_WILL);
  }

  private refuse(refusal: { returnCode?: number; reasonCode?: number; reason: string }): void {
    if (refusal.returnCode !== undefined) {
      if (this.protocolVersion === 5) {
        this.write({ cmd: "connack", reasonCode: refusal.reasonCode ?? CONNACK_V5[refusal.returnCode] ?? REASON.UNSPECIFIED_ERROR, sessionPresent: false });
      } else {
        this.write({ cmd: "connack", returnCode: refusal.returnCode, sessionPresent: false });
      }
    }
    this.fail(refusal.reason);
  }

  private onConnect(p: IConnectPacket): void {
    this.observer?.connecting(p);
    if (p.protocolVersion === 5) this.protocolVersion = 5;
    const method = p.protocolVersion === 5 ? p.properties?.authenticationMethod : undefined;
    const run = method === undefined ? undefined : this.broker.enhancedAuthMethod(method);
    if (method !== undefined && run !== undefined) {
      // MQTT 5.0 enhanced authentication: CONNECT goes on once the method accepts the client.
      this.connectPacket = p;
      this.authExchange = new EnhancedAuthExchange(method, run, { clientId: p.clientId, username: p.username, remote: this.remote });
      return this.authStep(p.properties?.authenticationData);
    }
    this.proceedConnect(p);
  }

  /** AUTH: the next step of the client's enhanced authentication, or a re-authentication (AUTH 0x19). */
  private onAuth(p: Extract<Packet, { cmd: "auth" }>): void {
    const exchange = this.authExchange;
    if (exchange === undefined || this.protocolVersion !== 5) return this.fail("AUTH packet without enhanced authentication", REASON.PROTOCOL_ERROR);
    if (p.properties?.authenticationMethod !== exchange.method) return this.fail("AUTH packet with another authentication method", REASON.PROTOCOL_ERROR);
    if (exchange.busy) return this.fail("AUTH packet before the previous one was answered", REASON.PROTOCOL_ERROR);
    const code = p.reasonCode ?? REASON.SUCCESS;
    if (code === REASON.REAUTHENTICATE && this.session !== undefined) exchange.restart();
    else if (code !== REASON.CONTINUE_AUTHENTICATION) return this.fail(`unexpected AUTH reason code ${code}`, REASON.PROTOCOL_ERROR);
    this.authStep(p.properties?.authenticationData);
  }

  private authStep(data: Buffer | undefined): void {
    const exchange = this.authExchange!;
    void exchange.next(data).then((step) => {
      if (this.closed) return;
      const method = exchange.method;
      if (step.kind === "continue") {
        this.write({ cmd: "auth", reasonCode: REASON.CONTINUE_AUTHENTICATION, properties: { authenticationMethod: method, authenticationData: step.data } });
      } else if (this.session !== undefined) {
        // A re-authentication: AUTH success, or DISCONNECT with the reason.
        if (step.kind === "success") this.write({ cmd: "auth", reasonCode: REASON.SUCCESS, properties: { authenticationMethod: method, authenticationData: step.data } });
        else this.close(`re-authentication with "${method}" failed`, true, step.reasonCode);
      } else if (step.kind === "success") {
        const connect = this.connectPacket!;
        this.connectPacket = undefined;
        this.proceedConnect(connect, { method, data: step.data, user: step.user });
      } else {
        this.refuse({ returnCode: CONNACK.NOT_AUTHORIZED, reasonCode: step.reasonCode, reason: `enhanced authentication with "${method}" failed` });
      }
    });
  }

  private proceedConnect(p: IConnectPacket, authentication?: EnhancedAuthOutcome): void {
    const req = readConnect(p, this.broker, authentication);
    if (!("auth" in req)) return this.refuse(req);
    if (this.observer?.admit(req.auth) === false) return this.refuse({ reason: "maximum account active connections exceeded" });
    this.clientId = req.clientId;
    const pending = this.broker.prepare(req.auth.account, req.clientId);
    if (pending === undefined) {
      const restoring = this.accept(req);
      if (restoring !== undefined) this.holdWhile(restoring);
      return;
    }
    this.holdWhile(
      pending.then(() => (this.closed ? undefined : this.accept(req))),
      (e) => this.refuse({ returnCode: CONNACK.SERVER_UNAVAILABLE, reason: `unable to set up MQTT for account "${req.auth.account.name}": ${e.message}` }),
    );
  }

  /** Later packets wait until `work` settles, then run in their order; a failure closes the connection. */
  private holdWhile(work: Promise<unknown>, onError: (e: Error) => void = (e) => this.fail(e.message)): void {
    this.held ??= [];
    work.then(
      () => this.release(),
      (e: unknown) => onError(e instanceof Error ? e : new Error(String(e))),
    );
  }

  private release(): void {
    if (this.closed) return;
    const queue = this.held ?? [];
    this.held = undefined;
    for (let i = 0; i < queue.length; i++) {
      if (this.closed) return;
      // A replayed packet may wait for JetStream in turn: the rest stay queued behind it.
      const again = this.held as Packet[] | undefined;
      if (again !== undefined) {
        again.push(...queue.slice(i));
        return;
      }
      this.onPacket(queue[i]!);
    }
  }

  /**
   * Sends PUBACK or PUBREC for `messageId` once `stored` settles (right away without it), keeping
   * the order of the PUBLISHes; a message JetStream could not store closes the connection (as Go).
   * MQTT 5.0 acknowledgements carry a reason code when it is not success.
   */
  private acknowledgePublish(type: number, messageId: number, stored: Promise<unknown> | undefined, reasonCode = 0): void {
    const bytes = reasonCode === 0 || this.protocolVersion === 4 ? Buffer.from([type, 2, messageId >> 8, messageId & 0xff]) : Buffer.from([type, 3, messageId >> 8, messageId & 0xff, reasonCode]);
    if (stored === undefined && this.acksHead === this.acks.length) return this.writeBytes(bytes);
    const slot: AckSlot = { bytes, ready: stored === undefined };
    this.acks.push(slot);
    if (stored === undefined) return this.flushAcks();
    stored.then(
      () => {
        slot.ready = true;
        this.flushAcks();
      },
      (e: unknown) => this.fail(`unable to store QoS ${type === PUBACK ? 1 : 2} message: ${(e as Error).message}`),
    );
  }

  private flushAcks(): void {
    while (this.acksHead < this.acks.length && this.acks[this.acksHead]!.ready) this.writeBytes(this.acks[this.acksHead++]!.bytes);
    if (this.acksHead === this.acks.length) {
      this.acks = [];
      this.acksHead = 0;
    }
  }

  /**
   * Takes the session and answers CONNACK, once the account is ready. A session restored after a
   * restart sets up its consumers after CONNACK (as Go): the returned work, which later packets wait for.
   */
  private accept(req: ConnectRequest): Promise<void> | undefined {
    const outcome = this.broker.acquire(req.auth, req.clientId, req.start, this);
    if (outcome === "collision") {
      this.refuse({ returnCode: CONNACK.IDENTIFIER_REJECTED, reason: "stored session does not match client ID" });
      return undefined;
    }
    if (outcome === "jailed") {
      // Like Go, hold the flapping client for the jail time before closing it, to slow it down.
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.close("flapping client, duplicate client id", false), this.broker.flapperJailMs);
      return undefined;
    }
    const { session, present, restoring } = outcome;
    this.session = session;
    this.identity = req.auth;
    this.will = req.will;
    this.framer.limit = Number.MAX_SAFE_INTEGER;
    session.protocolVersion = req.protocolVersion;
    session.outbound.setInflightLimit(req.receiveMaximum);
    this.maxPacketSize = req.maximumPacketSize;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // Keep alive: the client must send something every keepalive seconds; allow 1.5x (MQTT-3.1.2-24).
    const keepalive = req.keepalive;
    if (keepalive > 0) this.timer = setTimeout(() => this.fail("keep alive timeout", REASON.KEEP_ALIVE_TIMEOUT), Math.floor(keepalive * 1.5) * 1000);
    if (req.protocolVersion === 5) {
      this.aliases = new TopicAliases();
      if (req.topicAliasMaximum > 0) this.outAliases = new OutboundTopicAliases(Math.min(req.topicAliasMaximum, TOPIC_ALIAS_MAXIMUM));
      const properties: NonNullable<Extract<Packet, { cmd: "connack" }>["properties"]> = { topicAliasMaximum: TOPIC_ALIAS_MAXIMUM };
      // reject_qos2_publish: MQTT 5.0 clients are told not to send QoS 2 at all.
      if (this.broker.options.rejectQos2Publish === true) properties.maximumQoS = 1;
      if (req.assignedClientId) properties.assignedClientIdentifier = req.clientId;
      if (req.authentication !== undefined) {
        properties.authenticationMethod = req.authentication.method;
        if (req.authentication.data !== undefined) properties.authenticationData = req.authentication.data;
      }
      this.write({ cmd: "connack", reasonCode: 0, sessionPresent: present, properties });
    } else {
      this.write({ cmd: "connack", returnCode: CONNACK.ACCEPTED, sessionPresent: present });
    }
    if (restoring === undefined) {
      session.attach(this);
      return undefined;
    }
    return restoring.then(() => {
      if (!this.closed) session.attach(this);
    });
  }

  private onPublish(p: IPublishPacket): void {
    const session = this.session!;
    let topic = p.topic;
    if (this.aliases !== undefined && p.properties?.topicAlias !== undefined) {
      const resolved = this.aliases.resolve(topic, p.properties.topicAlias);
      if (typeof resolved === "number") return this.fail(`invalid topic alias ${p.properties.topicAlias}`, resolved);
      topic = resolved;
    }
    let subject = this.lastSubject;
    if (topic !== this.lastTopic || topic === "") {
      // Publishers mostly repeat a topic: only a new one is converted and validated.
      if (topic === "") return this.fail("topic cannot be empty", REASON.PROTOCOL_ERROR);
      try {
        subject = mqttTopicToNatsSubject(topic);
      } catch (e) {
        return this.fail((e as Error).message, REASON.TOPIC_NAME_INVALID);
      }
      if (!isValidPublishSubject(subject) || subject.includes("\u0000") || subject.includes("\ufffd")) {
        return this.fail(`invalid publish topic ${JSON.stringify(topic)}`, REASON.TOPIC_NAME_INVALID);
      }
      this.lastTopic = topic;
      this.lastSubject = subject;
    }
    const payload = typeof p.payload === "string" ? Buffer.from(p.payload) : p.payload;
    if (payload.length > this.broker.maxPayload) {
      return this.fail(`maximum payload exceeded: ${payload.length} > ${this.broker.maxPayload}`, REASON.PACKET_TOO_LARGE);
    }
    this.stats.inMsgs++;
    this.stats.inBytes += payload.length;
    let extras: PublishExtras | undefined;
    if (this.protocolVersion === 5) {
      const props = p.properties;
      let reply: string | undefined;
      if (props?.responseTopic !== undefined) {
        try {
          reply = mqttTopicToNatsSubject(props.responseTopic);
        } catch (e) {
          return this.fail(`invalid response topic: ${(e as Error).message}`, REASON.PROTOCOL_ERROR);
        }
      }
      const origin = session.hasNoLocal ? session.origin : undefined;
      if (props !== undefined || origin !== undefined) extras = publishExtras(props, reply, origin);
    }
    const messageId = p.messageId ?? 0;
    if (p.qos === 2) {
      if (this.broker.options.rejectQos2Publish === true) return this.fail("QoS2 publish rejected (reject_qos2_publish)", REASON.QOS_NOT_SUPPORTED);
      if (this.protocolVersion === 5 && !this.broker.mayPublish(session, topic, subject)) return this.acknowledgePublish(PUBREC, messageId, undefined, REASON.NOT_AUTHORIZED);
      // Stored until PUBREL: the payload must not keep the read buffer alive.
      const held = this.broker.holdQos2(session, messageId, subject, Buffer.from(payload), p.retain, extras);
      return this.acknowledgePublish(PUBREC, messageId, held);
    }
    const stored = this.broker.publish(session, topic, subject, payload, p.qos, p.retain, extras);
    if (p.qos === 1) {
      if (stored === false) this.acknowledgePublish(PUBACK, messageId, undefined, REASON.NOT_AUTHORIZED);
      else this.acknowledgePublish(PUBACK, messageId, stored);
    }
  }

  private onSubscribe(p: ISubscribePacket): void {
    const session = this.session!;
    const v5 = this.protocolVersion === 5;
    const subscriptionId = v5 ? p.properties?.subscriptionIdentifier : undefined;
    const results: (number | Promise<number>)[] = [];
    const retainedFor: { subject: string; send: boolean }[] = [];
    for (const s of p.subscriptions) {
      let filter = s.topic;
      const options: SubscriptionOptions = {};
      let sendRetained = true;
      if (v5) {
        const shared = parseSharedFilter(filter);
        if (shared === "invalid") {
          results.push(REASON.TOPIC_FILTER_INVALID);
          retainedFor.push({ subject: "", send: false });
          continue;
        }
        if (shared !== undefined) {
          // MQTT-3.8.3-4: no-local on a shared subscription is a protocol error.
          if (s.nl === true) return this.fail("no local set on a shared subscription", REASON.PROTOCOL_ERROR);
          options.group = shared.group;
          filter = shared.filter;
          sendRetained = false; // retained messages are not sent to shared subscriptions
        }
        if (s.nl === true) options.noLocal = true;
        if (s.rap === true) options.retainAsPublished = true;
        if (subscriptionId !== undefined) options.subscriptionId = subscriptionId;
        if (s.rh === 2) sendRetained = false;
      }
      let subject: string;
      try {
        if (filter === "") throw new Error("topic filter cannot be empty");
        subject = mqttFilterToNatsSubject(filter);
      } catch (e) {
        this.broker.log.error(`${this} - MQTT invalid topic filter ${JSON.stringify(s.topic)}: ${(e as Error).message}`);
        results.push(REASON.TOPIC_FILTER_INVALID);
        retainedFor.push({ subject: "", send: false });
        continue;
      }
      const { granted, created } = this.broker.subscribe(session, s.topic, subject, s.qos, options);
      results.push(granted);
      // MQTT 5.0 retain handling 1: only for a subscription that did not exist.
      retainedFor.push({ subject, send: sendRetained && (!v5 || s.rh !== 1 || created) });
    }
    const finish = (codes: number[]) => {
      const granted = v5 ? codes : codes.map((c) => (c >= 0x80 ? SUBACK_FAILURE : c));
      this.write({ cmd: "suback", messageId: p.messageId, granted });
      this.broker.persist(session);
      // Retained messages follow the SUBACK, with RETAIN set (MQTT-3.3.1-8).
      codes.forEach((g, i) => {
        const r = retainedFor[i]!;
        if (g >= 0x80 || !r.send) return;
        for (const m of this.broker.retainedFor(session, r.subject)) {
          const qos = (m.qos < g ? m.qos : g) as QoS;
          // reject_qos2_publish: a QoS 2 retained message (stored before it was set) is not sent, as Go.
          if (qos === 2 && this.broker.options.rejectQos2Publish === true) {
            this.broker.log.warn(`${this} - Rejecting retained message with QoS2 for subscription "${r.subject}", as configured`);
            continue;
          }
          session.send({ topic: m.topic, payload: m.payload, qos, retain: true, dup: false, subscriptionId });
        }
      });
    };
    if (results.every((r): r is number => typeof r === "number")) return finish(results);
    // A persistent session's consumers are being created: later packets wait for the SUBACK.
    this.holdWhile(Promise.all(results).then((codes) => (this.closed ? undefined : finish(codes))));
  }

  private onUnsubscribe(p: IUnsubscribePacket): void {
    const existed = this.broker.unsubscribe(this.session!, p.unsubscriptions);
    const granted = this.protocolVersion === 5 ? existed.map((e) => (e ? REASON.SUCCESS : REASON.NO_SUBSCRIPTION_EXISTED)) : [];
    this.write({ cmd: "unsuback", messageId: p.messageId, granted });
  }
}
