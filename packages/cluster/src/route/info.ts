import type { SubjectPermission } from "@nats-ts/core";

/** The INFO fields servers exchange on routes (Go's Info struct, route subset), snake_case as on the wire. */
export interface RouteInfo {
  server_id: string;
  server_name?: string;
  version?: string;
  proto?: number;
  go?: string;
  host?: string;
  port?: number;
  headers?: boolean;
  auth_required?: boolean;
  tls_required?: boolean;
  tls_verify?: boolean;
  max_payload?: number;
  jetstream?: boolean;
  /** `nats-route://host:port/` where the sender can be reached (gossip uses it). */
  ip?: string;
  nonce?: string;
  cluster?: string;
  cluster_dynamic?: boolean;
  domain?: string;
  /** The sender's client URLs (`host:port`), for clients' connect_urls. */
  connect_urls?: string[];
  ws_connect_urls?: string[];
  /** The sender entered lame duck mode. */
  ldm?: boolean;
  compression?: string;
  import?: SubjectPermission;
  export?: SubjectPermission;
  lnoc?: boolean;
  lnocu?: boolean;
  route_pool_size?: number;
  route_pool_idx?: number;
  route_account?: string;
  gateway?: string;
  gateway_url?: string;
  leafnode_urls?: string[];
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
  try {
    const v = JSON.parse(json) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
    const info = v as RouteInfo;
    if (typeof info.server_id !== "string") info.server_id = "";
    return info;
  } catch {
    return undefined;
  }
}

export function parseRouteConnect(json: string): RouteConnectInfo | undefined {
  try {
    const v = JSON.parse(json) as unknown;
    if (v === null) return {};
    if (typeof v !== "object" || Array.isArray(v)) return undefined;
    return v as RouteConnectInfo;
  } catch {
    return undefined;
  }
}
