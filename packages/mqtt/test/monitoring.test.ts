import { describe, expect, test } from "vitest";
import { ClosedReason } from "@nats-ts/core";
import { closedReasonOf } from "../src/monitoring.js";
import { REASON } from "../src/v5.js";

describe("closed reasons of MQTT connections, as Go's /connz words them", () => {
  test.each([
    ["client sent DISCONNECT", undefined, ClosedReason.ClientClosed],
    ["client closed", undefined, ClosedReason.ClientClosed],
    ["keep alive timeout", REASON.KEEP_ALIVE_TIMEOUT, ClosedReason.ReadError],
    ["socket error", undefined, ClosedReason.ReadError],
    ["authentication timeout", REASON.UNSPECIFIED_ERROR, ClosedReason.AuthenticationTimeout],
    ["Authorization Violation", REASON.UNSPECIFIED_ERROR, ClosedReason.AuthenticationViolation],
    ["unsupported authentication method \"x\"", REASON.BAD_AUTHENTICATION_METHOD, ClosedReason.AuthenticationViolation],
    ["duplicate client id", REASON.SESSION_TAKEN_OVER, ClosedReason.DuplicateClientId],
    ["server shutdown", REASON.SERVER_SHUTTING_DOWN, ClosedReason.ServerShutdown],
    ["slow consumer detected", REASON.UNSPECIFIED_ERROR, ClosedReason.SlowConsumerPendingBytes],
    ["maximum payload exceeded: 10 > 5", REASON.PACKET_TOO_LARGE, ClosedReason.MaxPayloadExceeded],
    [ClosedReason.Kicked, undefined, ClosedReason.Kicked],
    ["received a second CONNECT packet", REASON.PROTOCOL_ERROR, ClosedReason.ProtocolViolation],
    ["topic cannot be empty", REASON.PROTOCOL_ERROR, ClosedReason.ProtocolViolation],
  ])("%s -> %s", (text, code, expected) => {
    expect(closedReasonOf(text, code)).toBe(expected);
  });
});
