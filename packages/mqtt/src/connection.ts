import { generate, parser as createParser, type IConnectPacket, type IPublishPacket, type ISubscribePacket, type IUnsubscribePacket, type Packet, type Parser } from "mqtt-packet";
import { isValidPublishSubject } from "@nats-ts/wire";
import type { MqttIdentity } from "./auth.js";
import type { MqttBroker } from "./broker.js";
import { CONNACK } from "./connack.js";
import { PacketFramer } from "./framer.js";
import type { MqttTransport } from "./transport.js";
import { decodePublish, encodePublish } from "./publish-codec.js";
import type { OutgoingMessage, QoS, Session, SessionOutput } from "./session.js";
import { mqttFilterToNatsSubject, mqttTopicToNatsSubject } from "./topic.js";

/** SUBACK return code for a refused filter. */
const SUBACK_FAILURE = 0x80;
const CONNECT_TYPE = 1;
const PUBLISH_TYPE = 3;
const PUBACK = 0x40;
const PUBREC = 0x50;

/** An acknowledgement waiting for JetStream: PUBACKs and PUBRECs leave in the order of their PUBLISHes (MQTT-4.6.0-2, -3). */
interface AckSlot {
  bytes: Buffer;
  ready: boolean;
}

/** The connection's will message (Go's mqttWill), published when the client vanishes without DISCONNECT. */
interface Will {
  topic: string;
  subject: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
}

/**
 * One MQTT 3.1.1 client connection: frames the byte stream itself, decodes PUBLISH itself and
 * the other packets with mqtt-packet, enforces the protocol's
 * rules (CONNECT first, keep alive at 1.5x, packet identifiers), and hands publishes and
 * subscriptions to the broker and the client's session. A protocol violation closes this
 * connection only.
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
  clientId = "";
  /** Who the client authenticated as, once CONNECT succeeded. */
  identity: MqttIdentity | undefined;

  constructor(
    readonly id: number,
    private readonly transport: MqttTransport,
    private readonly broker: MqttBroker,
  ) {
    this.parser = createParser({ protocolVersion: 4 });
    this.parser.on("packet", (p: Packet) => this.onPacket(p));
    this.parser.on("error", (err: Error) => this.fail(err.message));
    this.framer = new PacketFramer(
      (packet, bodyStart) => this.onFrame(packet, bodyStart),
      (reason) => this.fail(reason),
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

  sendPublish(msg: OutgoingMessage): void {
    let bytes: Buffer;
    try {
      bytes = encodePublish(msg.topic, msg.payload, msg.qos, msg.retain, msg.dup, msg.messageId);
    } catch (e) {
      this.fail(`cannot encode publish: ${(e as Error).message}`);
      return;
    }
    this.writeBytes(bytes);
  }

  /** Closes the socket; a will is published unless the client said DISCONNECT or was replaced. */
  close(reason: string, publishWill = true): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.broker.log.debug(`${this} - MQTT connection closed: ${reason}`);
    // What was written this turn (a refusing CONNACK) still goes out before the socket closes.
    if (this.corked) this.uncork();
    this.transport.destroy();
    this.framer.reset();
    const will = this.will;
    this.will = undefined;
    if (this.session === undefined) return;
    // The will goes out through the session's client, so before a clean session is torn down.
    if (publishWill && will !== undefined) {
      this.broker.publish(this.session, will.topic, will.subject, will.payload, will.qos, will.retain)?.catch((e: unknown) => {
        this.broker.log.error(`${this} - unable to store will message: ${(e as Error).message}`);
      });
    }
    this.broker.release(this.session, this);
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.broker.log.error(`${this} - MQTT ${reason}`);
    this.close(reason);
  }

  /** Runs inside NATS deliveries too, so it never throws: a packet that cannot be sent closes this connection. */
  private write(p: Packet): void {
    if (this.closed) return;
    let bytes: Buffer;
    try {
      bytes = generate(p);
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
      const p = decodePublish(packet, bodyStart);
      if (typeof p === "string") return this.fail(p);
      return this.onPublish(p);
    }
    if (packet[0]! >> 4 === CONNECT_TYPE && this.unknownProtocolLevel(packet, bodyStart)) {
      return this.refuse(CONNACK.UNACCEPTABLE_PROTOCOL_VERSION, `unacceptable protocol version of ${packet[bodyStart + 6]}`);
    }
    try {
      this.parser.parse(packet);
    } catch (e) {
      this.fail(`parse error: ${(e as Error).message}`);
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
      if (this.session !== undefined) return this.fail("received a second CONNECT packet");
      return this.onConnect(p);
    }
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
        const stored = this.session.received(p.messageId ?? 0);
        stored?.catch((e: unknown) => this.fail(`unable to store PUBREL: ${(e as Error).message}`));
        return;
      }
      case "pubrel": {
        const messageId = p.messageId ?? 0;
        // Later packets wait, so the released message is published before anything sent after it.
        return this.holdWhile(this.broker.releaseQos2(this.session, messageId).then(() => this.write({ cmd: "pubcomp", messageId })));
      }
      case "subscribe":
        return this.onSubscribe(p);
      case "unsubscribe":
        return this.onUnsubscribe(p);
      case "pingreq":
        this.write({ cmd: "pingresp" });
        return;
      case "disconnect":
        return this.close("client sent DISCONNECT", false);
      default:
        return this.fail(`unexpected packet ${p.cmd}`);
    }
  }

  private refuse(returnCode: number, reason: string): void {
    this.write({ cmd: "connack", returnCode, sessionPresent: false });
    this.fail(reason);
  }

  private onConnect(p: IConnectPacket): void {
    if (p.protocolId !== "MQTT") return this.fail(`older protocol "${p.protocolId}" not supported`);
    if (p.protocolVersion !== 4) return this.refuse(CONNACK.UNACCEPTABLE_PROTOCOL_VERSION, `unacceptable protocol version of ${p.protocolVersion}`);
    const clean = p.clean === true;
    let clientId = p.clientId;
    if (clientId === "") {
      if (!clean) return this.refuse(CONNACK.IDENTIFIER_REJECTED, "when client ID is empty, clean session flag must be set to 1");
      clientId = this.broker.generateClientId();
    }
    if (clientId.includes("\u0000")) return this.refuse(CONNACK.IDENTIFIER_REJECTED, `invalid null character in client ID ${JSON.stringify(clientId)}`);
    if (/[ \t\r\n\f.*>]/.test(clientId)) return this.refuse(CONNACK.IDENTIFIER_REJECTED, `invalid character in client ID ${JSON.stringify(clientId)}`);
    this.clientId = clientId;
    let will: Will | undefined;
    if (p.will !== undefined) {
      if (p.will.qos === 2 && this.broker.options.rejectQos2Publish === true) {
        return this.refuse(CONNACK.QOS2_WILL_REJECTED, "server does not accept QoS2 for Will messages");
      }
      if (p.will.topic === "") return this.fail("empty Will topic not allowed");
      let subject: string;
      try {
        subject = mqttTopicToNatsSubject(p.will.topic);
      } catch (e) {
        return this.fail((e as Error).message);
      }
      const payload = typeof p.will.payload === "string" ? Buffer.from(p.will.payload) : Buffer.from(p.will.payload);
      will = { topic: p.will.topic, subject, payload, qos: p.will.qos ?? 0, retain: p.will.retain === true };
    }
    if (p.username === "") return this.refuse(CONNACK.BAD_USER_OR_PASSWORD, "empty user name not allowed");
    const auth = this.broker.authenticate(p.username, p.password === undefined ? undefined : p.password.toString("utf8"));
    if (auth === undefined) return this.refuse(CONNACK.NOT_AUTHORIZED, "Authorization Violation");
    if (will !== undefined && !auth.canPublish(will.subject)) {
      return this.refuse(CONNACK.NOT_AUTHORIZED, `Publish Violation - MQTT will topic "${will.topic}"`);
    }
    const keepalive = p.keepalive ?? 0;
    const pending = this.broker.prepare(auth.account);
    if (pending === undefined) {
      const restoring = this.accept(auth, clientId, clean, will, keepalive);
      if (restoring !== undefined) this.holdWhile(restoring);
      return;
    }
    this.holdWhile(
      pending.then(() => (this.closed ? undefined : this.accept(auth, clientId, clean, will, keepalive))),
      (e) => this.refuse(CONNACK.SERVER_UNAVAILABLE, `unable to set up MQTT for account "${auth.account.name}": ${e.message}`),
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
   */
  private acknowledgePublish(type: number, messageId: number, stored: Promise<unknown> | undefined): void {
    const bytes = Buffer.from([type, 2, messageId >> 8, messageId & 0xff]);
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
  private accept(auth: MqttIdentity, clientId: string, clean: boolean, will: Will | undefined, keepalive: number): Promise<void> | undefined {
    const outcome = this.broker.acquire(auth, clientId, clean, this);
    if (outcome === "collision") {
      this.refuse(CONNACK.IDENTIFIER_REJECTED, "stored session does not match client ID");
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
    this.identity = auth;
    this.will = will;
    this.framer.limit = Number.MAX_SAFE_INTEGER;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // Keep alive: the client must send something every keepalive seconds; allow 1.5x (MQTT-3.1.2-24).
    if (keepalive > 0) this.timer = setTimeout(() => this.fail("keep alive timeout"), Math.floor(keepalive * 1.5) * 1000);
    this.write({ cmd: "connack", returnCode: CONNACK.ACCEPTED, sessionPresent: present });
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
    let subject = this.lastSubject;
    if (p.topic !== this.lastTopic || p.topic === "") {
      // Publishers mostly repeat a topic: only a new one is converted and validated.
      if (p.topic === "") return this.fail("topic cannot be empty");
      try {
        subject = mqttTopicToNatsSubject(p.topic);
      } catch (e) {
        return this.fail((e as Error).message);
      }
      if (!isValidPublishSubject(subject) || subject.includes("\u0000") || subject.includes("\ufffd")) {
        return this.fail(`invalid publish topic ${JSON.stringify(p.topic)}`);
      }
      this.lastTopic = p.topic;
      this.lastSubject = subject;
    }
    const payload = typeof p.payload === "string" ? Buffer.from(p.payload) : p.payload;
    if (payload.length > this.broker.maxPayload) return this.fail(`maximum payload exceeded: ${payload.length} > ${this.broker.maxPayload}`);
    if (p.qos === 2) {
      if (this.broker.options.rejectQos2Publish === true) return this.fail("QoS2 publish rejected (reject_qos2_publish)");
      // Stored until PUBREL: the payload must not keep the read buffer alive.
      const held = this.broker.holdQos2(session, p.messageId ?? 0, subject, Buffer.from(payload), p.retain);
      return this.acknowledgePublish(PUBREC, p.messageId ?? 0, held);
    }
    const stored = this.broker.publish(session, p.topic, subject, payload, p.qos, p.retain);
    if (p.qos === 1) this.acknowledgePublish(PUBACK, p.messageId ?? 0, stored);
  }

  private onSubscribe(p: ISubscribePacket): void {
    const session = this.session!;
    const results: (number | Promise<number>)[] = [];
    const subjects: string[] = [];
    for (const { topic: filter, qos } of p.subscriptions) {
      let subject: string;
      try {
        if (filter === "") throw new Error("topic filter cannot be empty");
        subject = mqttFilterToNatsSubject(filter);
      } catch (e) {
        this.broker.log.error(`${this} - MQTT invalid topic filter ${JSON.stringify(filter)}: ${(e as Error).message}`);
        results.push(SUBACK_FAILURE);
        subjects.push("");
        continue;
      }
      results.push(this.broker.subscribe(session, filter, subject, qos));
      subjects.push(subject);
    }
    const finish = (granted: number[]) => {
      this.write({ cmd: "suback", messageId: p.messageId, granted });
      this.broker.persist(session);
      // Retained messages follow the SUBACK, with RETAIN set (MQTT-3.3.1-8).
      granted.forEach((g, i) => {
        if (g === SUBACK_FAILURE) return;
        for (const m of this.broker.retainedFor(session, subjects[i]!)) session.send(m.topic, m.payload, (m.qos < g ? m.qos : g) as QoS, true);
      });
    };
    if (results.every((r): r is number => typeof r === "number")) return finish(results);
    // A persistent session's consumers are being created: later packets wait for the SUBACK.
    this.holdWhile(Promise.all(results).then((granted) => (this.closed ? undefined : finish(granted))));
  }

  private onUnsubscribe(p: IUnsubscribePacket): void {
    this.broker.unsubscribe(this.session!, p.unsubscriptions);
    this.write({ cmd: "unsuback", messageId: p.messageId, granted: [] });
  }
}
