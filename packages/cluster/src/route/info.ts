import { parseProtoJson, type PeerInfo } from "../shared/info.js";

/** The INFO fields servers exchange on routes (Go's Info, route subset), snake_case as on the wire. */
export interface RouteInfo extends PeerInfo {
  server_id: string;
  cluster_dynamic?: boolean;
  /** The sender's client URLs (`host:port`), for clients' connect_urls. */
  connect_urls?: string[];
  ws_connect_urls?: string[];
  /** The sender entered lame duck mode. */
  ldm?: boolean;
  compression?: string;
  lnoc?: boolean;
  lnocu?: boolean;
  route_pool_size?: number;
  route_pool_idx?: number;
  route_account?: string;
  /** The sender's gateway URL (`host:port`), so our gateways announce every server of the cluster. */
  gateway_url?: string;
  [field: string]: unknown;
}

/** CONNECT a soliciting server sends on a route (Go's connectInfo). */
export interface RouteConnectInfo {
  echo?: boolean;
  verbose?: boolean;
  pedantic?: boolean;
  user?: string;
  pass?: string;
  tls_required?: boolean;
  headers?: boolean;
  /** The soliciting server's id. */
  name?: string;
  cluster?: string;
  cluster_dynamic?: boolean;
  lnoc?: boolean;
  lnocu?: boolean;
  gateway?: string;
  /** Clients send it; a route never does (Go's way to spot a client on the route port). */
  lang?: string;
  [field: string]: unknown;
}

/**
 * Reads INFO JSON; undefined when it is not a JSON object. A missing server id reads as "" (Go's
 * gateway INFO relayed over routes may carry none).
 */
export function parseRouteInfo(json: string): RouteInfo | undefined {
  const info = parseProtoJson(json) as RouteInfo | undefined;
  if (info !== undefined && typeof info.server_id !== "string") info.server_id = "";
  return info;
}

export function parseRouteConnect(json: string): RouteConnectInfo | undefined {
  return parseProtoJson(json) as RouteConnectInfo | undefined;
}
