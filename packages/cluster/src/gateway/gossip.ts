import { protoLine } from "../shared/info.js";
import { GATEWAY_CMD_GOSSIP } from "./inbound-interest.js";

// The INFO lines that spread knowledge of clusters (Go's gatewayCmdGossip): to the other
// servers of this cluster over routes, and back to a remote cluster's server that connected in.

/**
 * What a route carries about a remote cluster this server reaches (Go's
 * forwardNewGatewayToLocalCluster and sendGatewayConfigsToRoute). The server id is ours with a
 * `GW` prefix so that an old server, reading it as route gossip, does not take it for ours and
 * finds no address to connect to.
 */
export function routeGossipLine(serverId: string, serverName: string | undefined, gateway: string, urls: readonly string[]): string {
  return protoLine("INFO", { server_id: `GW${serverId}`, server_name: serverName, gateway, gateway_urls: urls, gateway_cmd: GATEWAY_CMD_GOSSIP });
}

/** What an inbound connection from another cluster is told of a third one (Go's gossipGatewaysToInboundGateway). */
export function inboundGossipLine(serverId: string, gateway: string, urls: readonly string[]): string {
  return protoLine("INFO", { server_id: serverId, gateway, gateway_urls: urls, gateway_cmd: GATEWAY_CMD_GOSSIP });
}

/** The `gateway_urls` of an INFO: the strings among them (anything else is ignored). */
export function infoGatewayUrls(info: Record<string, unknown>): string[] {
  return Array.isArray(info.gateway_urls) ? info.gateway_urls.filter((u): u is string => typeof u === "string") : [];
}
