/**
 * Encodes an MQTT 3.1.1 PUBLISH in one allocation: the delivery hot path, where mqtt-packet's
 * general encoder costs several buffers per message. Other packets go through mqtt-packet.
 */
export function encodePublish(topic: string, payload: Buffer, qos: number, retain: boolean, dup: boolean, messageId?: number): Buffer {
  const topicLen = Buffer.byteLength(topic);
  const remaining = 2 + topicLen + (qos > 0 ? 2 : 0) + payload.length;
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
  payload.copy(out, pos);
  return out;
}
