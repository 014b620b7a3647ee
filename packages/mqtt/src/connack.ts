/** CONNACK return codes of MQTT 3.1.1 (Go's mqttConnAckRC*). */
export const CONNACK = {
  ACCEPTED: 0x00,
  UNACCEPTABLE_PROTOCOL_VERSION: 0x01,
  IDENTIFIER_REJECTED: 0x02,
  SERVER_UNAVAILABLE: 0x03,
  BAD_USER_OR_PASSWORD: 0x04,
  NOT_AUTHORIZED: 0x05,
  /** Go's answer to a QoS 2 will when reject_qos2_publish is set. */
  QOS2_WILL_REJECTED: 0x10,
} as const;
