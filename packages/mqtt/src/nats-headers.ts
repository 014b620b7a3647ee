/**
 * The NATS header MQTT publications carry so that NATS subscribers (and MQTT subscribers behind
 * another server) know the message came from MQTT and with which QoS: `Nmqtt-Pub:<qos>`, as Go
 * writes it (mqttNewDeliverableMessage). Go may add the PUBLISH flags as a hex digit after the
 * QoS (`Nmqtt-Pub:21` for a retained QoS 2 message); this server does so for retained ones.
 */
export const MQTT_PUB_HEADER = "Nmqtt-Pub";

const RETAIN_FLAG = 0x01;

function headerLine(qos: number, retain: boolean): string {
  return `${MQTT_PUB_HEADER}:${qos}${retain ? ((qos << 1) | RETAIN_FLAG).toString(16) : ""}`;
}

const HEADER_BLOCKS = [0, 1, 2].map((qos) => [false, true].map((retain) => Buffer.from(`NATS/1.0\r\n${headerLine(qos, retain)}\r\n\r\n`)));

/** The encoded header block for a message published by an MQTT client with this QoS. */
export function mqttPubHeader(qos: 0 | 1 | 2, retain = false): Buffer {
  return HEADER_BLOCKS[qos]![retain ? 1 : 0]!;
}

/** A header block with the `Nmqtt-Pub` line followed by `extraLines` (each `Key: value\r\n`). */
export function mqttPubHeaderWith(qos: 0 | 1 | 2, retain: boolean, extraLines: string): Buffer {
  if (extraLines === "") return mqttPubHeader(qos, retain);
  return Buffer.from(`NATS/1.0\r\n${headerLine(qos, retain)}\r\n${extraLines}\r\n`);
}

const NEEDLE = Buffer.from(`\r\n${MQTT_PUB_HEADER}:`);

/** Where the `Nmqtt-Pub` value starts in `msg`'s header block, or -1. */
function pubValueAt(msg: Buffer, headerSize: number): number {
  if (headerSize === 0) return -1;
  const at = msg.subarray(0, headerSize).indexOf(NEEDLE);
  if (at < 0) return -1;
  let i = at + NEEDLE.length;
  if (msg[i] === 0x20) i++;
  return i;
}

/**
 * The QoS an MQTT publisher used, read from a NATS header block; undefined when the message did
 * not come from MQTT (a plain NATS publisher), which MQTT subscribers receive at QoS 0.
 */
export function publishedQos(msg: Buffer, headerSize: number): 0 | 1 | 2 | undefined {
  const i = pubValueAt(msg, headerSize);
  if (i < 0) return undefined;
  const c = msg[i];
  return c === 0x30 ? 0 : c === 0x31 ? 1 : c === 0x32 ? 2 : undefined;
}

/** Whether the MQTT publisher set RETAIN (Go's flags digit after the QoS). */
export function publishedRetained(msg: Buffer, headerSize: number): boolean {
  const i = pubValueAt(msg, headerSize);
  if (i < 0) return false;
  const c = msg[i + 1] ?? 0;
  const flags = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x61 + 10 : 0;
  return (flags & RETAIN_FLAG) !== 0;
}
