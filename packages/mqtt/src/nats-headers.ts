/**
 * The NATS header MQTT publications carry so that NATS subscribers (and MQTT subscribers behind
 * another server) know the message came from MQTT and with which QoS: `Nmqtt-Pub:<qos>`, as Go
 * writes it (mqttNewDeliverableMessage).
 */
export const MQTT_PUB_HEADER = "Nmqtt-Pub";

const HEADER_BLOCKS = [0, 1, 2].map((qos) => Buffer.from(`NATS/1.0\r\n${MQTT_PUB_HEADER}:${qos}\r\n\r\n`));

/** The encoded header block for a message published by an MQTT client with this QoS. */
export function mqttPubHeader(qos: 0 | 1 | 2): Buffer {
  return HEADER_BLOCKS[qos]!;
}

const NEEDLE = Buffer.from(`\r\n${MQTT_PUB_HEADER}:`);

/**
 * The QoS an MQTT publisher used, read from a NATS header block; undefined when the message did
 * not come from MQTT (a plain NATS publisher), which MQTT subscribers receive at QoS 0.
 */
export function publishedQos(msg: Buffer, headerSize: number): 0 | 1 | 2 | undefined {
  if (headerSize === 0) return undefined;
  const at = msg.subarray(0, headerSize).indexOf(NEEDLE);
  if (at < 0) return undefined;
  const c = msg[at + NEEDLE.length];
  return c === 0x30 ? 0 : c === 0x31 ? 1 : c === 0x32 ? 2 : undefined;
}
