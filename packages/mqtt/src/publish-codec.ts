import type { IPublishPacket } from "mqtt-packet";

// PUBLISH is the hot path both ways: mqtt-packet's general codec costs several buffers and
// objects per message, so PUBLISH is encoded and decoded here and other packets go through it.

/**
 * Encodes a PUBLISH in one allocation: MQTT 3.1.1, or MQTT 5.0 without properties (`v5` adds
 * the property length) but a topic alias when `topicAlias` is above 0.
 */
export function encodePublish(topic: string, payload: Buffer, qos: number, retain: boolean, dup: boolean, messageId?: number, v5 = false, topicAlias = 0): Buffer {
  const topicLen = Buffer.byteLength(topic);
  const propsLen = v5 ? (topicAlias > 0 ? 4 : 1) : 0;
  const remaining = 2 + topicLen + (qos > 0 ? 2 : 0) + propsLen + payload.length;
  let lenBytes = 1;
  for (let n = remaining; n >= 128; n = Math.floor(n / 128)) lenBytes++;
  const out = Buffer.allocUnsafe(1 + lenBytes + remaining);
  out[0] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  let pos = 1;
  let n = remaining;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out[pos++] = b;
  } while (n > 0);
  out.writeUInt16BE(topicLen, pos);
  pos += 2;
  pos += out.write(topic, pos, "utf8");
  if (qos > 0) {
    out.writeUInt16BE(messageId ?? 0, pos);
    pos += 2;
  }
  if (v5) {
    if (topicAlias > 0) {
      out[pos++] = 3;
      out[pos++] = TOPIC_ALIAS_PROPERTY;
      out.writeUInt16BE(topicAlias, pos);
      pos += 2;
    } else out[pos++] = 0;
  }
  payload.copy(out, pos);
  return out;
}

const TOPIC_ALIAS_PROPERTY = 0x23;

/** decodePublish's answer for an MQTT 5.0 PUBLISH with properties: mqtt-packet decodes those. */
export const HAS_PROPERTIES = "has properties";

/**
 * Decodes a whole PUBLISH packet (as framed by PacketFramer); the payload is a view of `packet`.
 * Returns an error text for what mqtt-packet would refuse too, or {@link HAS_PROPERTIES}.
 */
export function decodePublish(packet: Buffer, bodyStart: number, v5 = false): IPublishPacket | string {
  const b0 = packet[0]!;
  const qos = (b0 >> 1) & 0x03;
  if (qos === 3) return "Packet must not have both QoS bits set to 1";
  let pos = bodyStart;
  if (pos + 2 > packet.length) return "Cannot parse topic";
  const topicLen = packet.readUInt16BE(pos);
  pos += 2;
  if (pos + topicLen > packet.length) return "Cannot parse topic";
  const topic = packet.toString("utf8", pos, pos + topicLen);
  pos += topicLen;
  let messageId: number | undefined;
  if (qos > 0) {
    if (pos + 2 > packet.length) return "Cannot parse messageId";
    messageId = packet.readUInt16BE(pos);
    pos += 2;
  }
  if (v5) {
    if (pos >= packet.length) return "Cannot parse properties length";
    if (packet[pos] !== 0) return HAS_PROPERTIES;
    pos++;
  }
  return {
    cmd: "publish",
    topic,
    payload: packet.subarray(pos),
    qos: qos as 0 | 1 | 2,
    retain: (b0 & 0x01) !== 0,
    dup: (b0 & 0x08) !== 0,
    messageId,
  };
}
