/**
 * MQTT topic <-> NATS subject conversion, byte for byte as the Go server does it, so MQTT and
 * NATS clients of either server meet on the same subjects:
 * `/` becomes `.`, an empty level becomes `/` (leading `/` -> `/.`, `a//b` -> `a./.b`, trailing
 * `/` -> `./`), a literal `.` becomes `//`, and in filters `+` -> `*`, `#` -> `>`.
 */

/** A topic or filter that has no NATS subject (whitespace, DEL, wildcards in a topic name). */
export class TopicError extends Error {}

const SLASH = 0x2f;
const DOT = 0x2e;
const PLUS = 0x2b;
const HASH = 0x23;

/** Go's errMQTTUnsupportedCharacters. */
export const UNSUPPORTED_CHARACTERS = "character not supported for MQTT topics";

function convert(topic: string, wildcardsAllowed: boolean): string {
  let out = "";
  const end = topic.length - 1;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    switch (c) {
      case SLASH:
        if (i === 0 || out.charCodeAt(out.length - 1) === DOT) out += "/.";
        else if (i === end || topic.charCodeAt(i + 1) === SLASH) out += "./";
        else out += ".";
        break;
      case DOT:
        out += "//";
        break;
      case 0x20: // space, \t, \n, \r, \f would split a NATS control line; DEL is the subject tree's pivot
      case 0x09:
      case 0x0a:
      case 0x0d:
      case 0x0c:
      case 0x7f:
        throw new TopicError(UNSUPPORTED_CHARACTERS);
      case PLUS:
      case HASH:
        if (!wildcardsAllowed) throw new TopicError(`wildcards not allowed in publish's topic: ${JSON.stringify(topic)}`);
        out += c === PLUS ? "*" : ">";
        break;
      default:
        out += topic[i];
    }
  }
  // An empty last level ("a/" or "a." ending in a separator) keeps a trailing "/" token.
  if (out.charCodeAt(out.length - 1) === DOT) out += "/";
  return out;
}

/**
 * The NATS subject an MQTT PUBLISH topic name is published on (Go's mqttTopicToNATSPubSubject).
 * Throws {@link TopicError} for wildcards or unsupported characters.
 *
 * @example
 * mqttTopicToNatsSubject("/sensors/temp.c"); // "/.sensors.temp//c"
 */
export function mqttTopicToNatsSubject(topic: string): string {
  return convert(topic, false);
}

/**
 * The NATS subject a SUBSCRIBE topic filter listens on (Go's mqttFilterToNATSSubject).
 *
 * @example
 * mqttFilterToNatsSubject("home/+/temp/#"); // "home.*.temp.>"
 */
export function mqttFilterToNatsSubject(filter: string): string {
  return convert(filter, true);
}

/**
 * The MQTT topic a message on a NATS subject is delivered with (Go's natsSubjectToMQTTTopic).
 *
 * @example
 * natsSubjectToMqttTopic("/.sensors.temp//c"); // "/sensors/temp.c"
 */
export function natsSubjectToMqttTopic(subject: string): string {
  let out = "";
  const end = subject.length - 1;
  for (let i = 0; i < subject.length; i++) {
    const c = subject.charCodeAt(i);
    if (c === SLASH) {
      if (i < end) {
        const next = subject.charCodeAt(i + 1);
        if (next === DOT) {
          out += "/";
          i++;
        } else if (next === SLASH) {
          out += ".";
          i++;
        }
      }
    } else if (c === DOT) {
      out += "/";
    } else {
      out += subject[i];
    }
  }
  return out;
}

/** A filter starting with a wildcard, which must not match topics starting with `$` (MQTT-4.7.2-1). */
export function isReservedWildcardSubject(subject: string): boolean {
  if (subject.length === 1) return subject === ">" || subject === "*";
  return subject.length > 1 && subject.charCodeAt(0) === 0x2a && subject.charCodeAt(1) === DOT;
}

/** Whether a `foo.>` subscription also needs `foo` so that `foo/#` matches the parent level (MQTT-4.7.1-2). */
export function needsParentLevelSubject(subject: string): boolean {
  return subject.length >= 3 && subject.endsWith(".>");
}
