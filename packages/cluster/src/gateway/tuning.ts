/**
 * Gateway timings and thresholds, with Go's defaults (gateway.go). Go's own tests change them
 * (SetGatewaysSolicitDelay, GatewayDoNotForceInterestOnlyMode, gatewayMaxRUnsubBeforeSwitch);
 * ours do the same through this object. Durations are milliseconds.
 *
 * @example
 * gatewayTuning.solicitDelay = 10; // connect to remote gateways right after start
 */
export const gatewayTuning = {
  /** Wait before soliciting the configured gateways, so the local cluster can form first. */
  solicitDelay: 1_000,
  /** Between two rounds of connection attempts to a gateway. */
  connectDelay: 1_000,
  /** Cap of the delay when connect_backoff doubles it. */
  connectMaxDelay: 30_000,
  /** Before reconnecting an explicit gateway whose connection closed. */
  reconnectDelay: 1_000,
  /** The first PING after the handshake comes this soon (Go's firstPingInterval; its tests disable it). */
  firstPingDelay: 1_000,
  /** Gateways PING at most this often, whatever the server's ping_interval. */
  maxPingInterval: 15_000,
  /** How long a new subscription makes replies to it go out routed (Go's defaultGatewayRecentSubExpiration). */
  recentSubExpiration: 2_000,
  /** RS- sent for an account before it is switched to interest-only mode. */
  maxNoInterestBeforeSwitch: 1_000,
  /** Keep accounts optimistic instead of switching them all to interest-only (Go 2.9+ does). */
  doNotForceInterestOnly: false,
};
