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
  /** Packets that arrived while CONNECT waited for the account's streams, replayed afterwards. */
  private held: Packet[] | undefined;
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
    if (publishWill && will !== undefined) this.broker.publish(this.session, will.topic, will.subject, will.payload, will.qos, will.retain);
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
      case "pubcomp":
        this.session.acknowledge(p.messageId ?? 0);
        return;
      case "pubrec":
        this.session.received(p.messageId ?? 0);
        return;
      case "pubrel":
        this.session.qos2Incoming.delete(p.messageId ?? 0);
        this.write({ cmd: "pubcomp", messageId: p.messageId });
        return;
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
    const pending = this.broker.prepare(auth.account);
    if (pending === undefined) return this.accept(auth, clientId, clean, will, p.keepalive ?? 0);
    this.held = [];
    pending.then(
      () => {
        if (this.closed) return;
        this.accept(auth, clientId, clean, will, p.keepalive ?? 0);
        const held = this.held ?? [];
        this.held = undefined;
        for (const q of held) this.onPacket(q);
      },
      (e: unknown) => this.refuse(CONNACK.SERVER_UNAVAILABLE, `unable to set up MQTT for account "${auth.account.name}": ${(e as Error).message}`),
    );
  }

  /** Takes the session and answers CONNACK, once the account is ready. */
  private accept(auth: MqttIdentity, clientId: string, clean: boolean, will: Will | undefined, keepalive: number): void {
    const outcome = this.broker.acquire(auth, clientId, clean, this);
    if (outcome === "collision") return this.refuse(CONNACK.IDENTIFIER_REJECTED, "stored session does not match client ID");
    if (outcome === "jailed") {
      // Like Go, hold the flapping client for the jail time before closing it, to slow it down.
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.close("flapping client, duplicate client id", false), this.broker.flapperJailMs);
      return;
    }
    const { session, present } = outcome;
    this.session = session;
    this.identity = auth;
    this.will = will;
    this.framer.limit = Number.MAX_SAFE_INTEGER;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // Keep alive: the client must send something every keepalive seconds; allow 1.5x (MQTT-3.1.2-24).
    if (keepalive > 0) this.timer = setTimeout(() => this.fail("keep alive timeout"), Math.floor(keepalive * 1.5) * 1000);
    this.write({ cmd: "connack", returnCode: CONNACK.ACCEPTED, sessionPresent: present });
    session.attach(this);
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
      const id = p.messageId ?? 0;
      if (!session.qos2Incoming.has(id)) {
        session.qos2Incoming.add(id);
        this.broker.publish(session, p.topic, subject, payload, 2, p.retain);
      }
      this.write({ cmd: "pubrec", messageId: id });
      return;
    }
    this.broker.publish(session, p.topic, subject, payload, p.qos, p.retain);
    if (p.qos === 1) this.write({ cmd: "puback", messageId: p.messageId });
  }

  private onSubscribe(p: ISubscribePacket): void {
    const session = this.session!;
    const granted: number[] = [];
    const retained: { topic: string; payload: Buffer; qos: QoS }[] = [];
    for (const { topic: filter, qos } of p.subscriptions) {
      let subject: string;
      try {
        if (filter === "") throw new Error("topic filter cannot be empty");
        subject = mqttFilterToNatsSubject(filter);
      } catch (e) {
        this.broker.log.error(`${this} - MQTT invalid topic filter ${JSON.stringify(filter)}: ${(e as Error).message}`);
        granted.push(SUBACK_FAILURE);
        continue;
      }
      const qosGranted = this.broker.subscribe(session, filter, subject, qos);
      granted.push(qosGranted);
      if (qosGranted === SUBACK_FAILURE) continue;
      for (const m of this.broker.retainedFor(session, subject)) {
        retained.push({ topic: m.topic, payload: m.payload, qos: (m.qos < qosGranted ? m.qos : qosGranted) as QoS });
      }
    }
    this.write({ cmd: "suback", messageId: p.messageId, granted });
    this.broker.persist(session);
    // Retained messages follow the SUBACK, with RETAIN set (MQTT-3.3.1-8).
    for (const m of retained) session.send(m.topic, m.payload, m.qos, true);
  }

  private onUnsubscribe(p: IUnsubscribePacket): void {
    this.broker.unsubscribe(this.session!, p.unsubscriptions);
    this.write({ cmd: "unsuback", messageId: p.messageId, granted: [] });
  }
}
