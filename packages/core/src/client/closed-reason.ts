/** Why a connection closed, in the words Go's /connz reports (monitor.go ClosedState). */
export const ClosedReason = {
  ClientClosed: "Client Closed",
  AuthenticationTimeout: "Authentication Timeout",
  AuthenticationViolation: "Authentication Failure",
  TLSHandshakeError: "TLS Handshake Failure",
  SlowConsumerPendingBytes: "Slow Consumer (Pending Bytes)",
  SlowConsumerWriteDeadline: "Slow Consumer (Write Deadline)",
  WriteError: "Write Error",
  ReadError: "Read Error",
  ParseError: "Parse Error",
  StaleConnection: "Stale Connection",
  ProtocolViolation: "Protocol Violation",
  BadClientProtocolVersion: "Bad Client Protocol Version",
  MaxConnectionsExceeded: "Maximum Connections Exceeded",
  MaxAccountConnectionsExceeded: "Maximum Account Connections Exceeded",
  MaxPayloadExceeded: "Maximum Message Payload Exceeded",
  MaxControlLineExceeded: "Maximum Control Line Exceeded",
  MaxSubscriptionsExceeded: "Maximum Subscriptions Exceeded",
  ServerShutdown: "Server Shutdown",
  AuthenticationExpired: "Authentication Expired",
  NoRespondersRequiresHeaders: "No Responders Requires Headers",
  Kicked: "Kicked",
  /** An MQTT client replaced by a newer connection with its client id. */
  DuplicateClientId: "Duplicate Client ID",
} as const;

export type ClosedReason = (typeof ClosedReason)[keyof typeof ClosedReason];
