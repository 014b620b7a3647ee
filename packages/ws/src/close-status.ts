import { ClosedReason } from "@nats-ts/core";
import type { CloseStatus } from "./stream.js";

const POLICY = new Set<string>([
  ClosedReason.AuthenticationTimeout,
  ClosedReason.AuthenticationViolation,
  ClosedReason.SlowConsumerPendingBytes,
  ClosedReason.SlowConsumerWriteDeadline,
  ClosedReason.MaxAccountConnectionsExceeded,
  ClosedReason.MaxConnectionsExceeded,
  ClosedReason.MaxControlLineExceeded,
  ClosedReason.MaxSubscriptionsExceeded,
  ClosedReason.AuthenticationExpired,
]);
const PROTOCOL = new Set<string>([ClosedReason.ParseError, ClosedReason.ProtocolViolation, ClosedReason.BadClientProtocolVersion]);
const GOING_AWAY = new Set<string>([ClosedReason.WriteError, ClosedReason.ReadError, ClosedReason.StaleConnection, ClosedReason.ServerShutdown]);

/**
 * The close frame Go sends when it closes a WebSocket client for `reason` (wsEnqueueCloseMessage):
 * the status code says what kind of failure it was and the reason text is the /connz reason.
 *
 * @example
 * closeStatusFor(ClosedReason.MaxPayloadExceeded); // { code: 1009, reason: "Maximum Message Payload Exceeded" }
 */
export function closeStatusFor(reason: ClosedReason | undefined): CloseStatus {
  if (reason === undefined || reason === ClosedReason.ClientClosed) return { code: 1000, reason: reason ?? "" };
  if (POLICY.has(reason)) return { code: 1008, reason };
  if (PROTOCOL.has(reason)) return { code: 1002, reason };
  if (reason === ClosedReason.MaxPayloadExceeded) return { code: 1009, reason };
  if (GOING_AWAY.has(reason)) return { code: 1001, reason };
  // Go sends 1015 for TLS handshake failures, a code RFC 6455 forbids on the wire; 1011 covers the rest.
  return { code: 1011, reason };
}
