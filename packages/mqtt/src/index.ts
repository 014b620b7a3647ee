export { MqttPlugin, mqttPlugin, type MqttClientInfo } from "./plugin.js";
export {
  mqttOptionsFromConf,
  validateMqttOptions,
  type MqttOptions,
  type MqttAuthorization,
  type MqttValidationContext,
  type EnhancedAuthMethod,
  type EnhancedAuthContext,
  type EnhancedAuthResult,
} from "./options.js";
export {
  mqttTopicToNatsSubject,
  mqttFilterToNatsSubject,
  natsSubjectToMqttTopic,
  TopicError,
} from "./topic.js";
export { MQTT_PUB_HEADER } from "./nats-headers.js";
export { type MqttTlsOptions } from "./tls.js";
