import { GO_COMPAT_VERSION, type NatsServer, type SubjectPermission } from "@nats-ts/core";

/** The INFO fields servers send each other on routes, leaf and gateway connections (Go's Info), snake_case as on the wire. */
export interface PeerInfo {
  server_id?: string;
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
  /** Where the sender can be reached (`nats-route://host:port/` on routes, `host:port` on leaf connections). */
  ip?: string;
  nonce?: string;
  cluster?: string;
  domain?: string;
  import?: SubjectPermission;
  export?: SubjectPermission;
  /** Leaf node listener URLs (`host:port`): this server's on a route, the whole cluster's on a leaf connection. */
  leafnode_urls?: string[];
  gateway?: string;
  gateway_url?: string;
}

/** What differs between the INFOs of the listeners in the fields every INFO starts with. */
export interface InfoHeadFields {
  proto: number;
  host: string;
  port: number;
  authRequired?: boolean;
  tlsRequired?: boolean;
  tlsVerify?: boolean;
}

/**
 * The fields every server-to-server INFO starts with, in Go's order (false flags left out, as
 * Go's omitempty does); each kind of connection adds its own after them.
 *
 * @example
 * const info = { ...infoHead(server, { proto: 1, host, port }), cluster: "east" };
 */
export function infoHead(server: NatsServer, f: InfoHeadFields): PeerInfo {
  return {
    server_id: server.id,
    server_name: server.name,
    version: GO_COMPAT_VERSION,
    proto: f.proto,
    go: `node${process.version}`,
    host: f.host,
    port: f.port,
    headers: true,
    auth_required: f.authRequired || undefined,
    tls_required: f.tlsRequired || undefined,
    tls_verify: f.tlsVerify || undefined,
    max_payload: server.opts.maxPayload,
  };
}

/** An INFO or CONNECT line; fields left undefined are not written (Go's omitempty). */
export function protoLine(op: "INFO" | "CONNECT", fields: object): string {
  return `${op} ${JSON.stringify(fields)}\r\n`;
}

/**
 * The JSON object of an INFO or CONNECT a peer sent; undefined when it is not a JSON object
 * (`null` reads as an empty CONNECT, as Go's json.Unmarshal leaves the struct empty).
 */
export function parseProtoJson(json: string): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (v === null) return {};
  return typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
