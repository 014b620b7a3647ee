import { clusterPlugin } from "@nats-ts/cluster";
import type { ServerPlugin } from "@nats-ts/core";
import { jetstreamPlugin } from "@nats-ts/jetstream";
import { monitorPlugin } from "@nats-ts/monitor";
import { mqttPlugin } from "@nats-ts/mqtt";
import { websocketPlugin } from "@nats-ts/ws";

/**
 * The packages the executable composes. Each one stays idle unless its options ask for it
 * (JetStream when `jetstream` is on, the HTTP endpoints when `http_port` is set, WebSocket when a
 * `websocket {}` block is present, MQTT when an `mqtt {}` block is present; it comes after WebSocket
 * so MQTT over WebSocket can use that listener; routes, gateways and leaf nodes when their `cluster {}`,
 * `gateway {}` and `leafnodes {}` blocks are present, last so that every local subscriber exists before
 * interest is sent to other servers); system events run always, as in the Go server. `reload`
 * serves `$SYS.REQ.SERVER.<id>.RELOAD` (given only when there is a config file to re-read).
 */
export function serverPlugins(reload?: () => void): ServerPlugin[] {
  return [jetstreamPlugin(), monitorPlugin({ reload }), websocketPlugin(), mqttPlugin(), clusterPlugin()];
}
