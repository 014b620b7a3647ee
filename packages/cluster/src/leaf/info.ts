import { networkInterfaces } from "node:os";
import { GO_COMPAT_VERSION, PROTO_VERSION, isConfMap, type ConfValue, type NatsServer, type SubjectPermission } from "@nats-ts/core";
import type { LeafNodeOptions } from "./options.js";

/** The INFO a leaf connection sends or receives (the fields of Go's Info that leaf nodes use). */
export interface LeafInfo {
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
  ip?: string;
  client_id?: number;
  nonce?: string;
  cluster?: string;
  domain?: string;
  connect_info?: boolean;
  remote_account?: string;
  acc_is_sys?: boolean;
  import?: SubjectPermission;
  export?: SubjectPermission;
  info_on_connect?: boolean;
  leafnode_urls?: string[];
}

/** The CONNECT a soliciting server sends (Go's leafConnectInfo), in Go's field order. */
export interface LeafConnectInfo {
  version?: string;
  nkey?: string;
  jwt?: string;
  sig?: string;
  user?: string;
  pass?: string;
  auth_token?: string;
  server_id?: string;
  domain?: string;
  name?: string;
  is_hub?: boolean;
  cluster?: string;
  headers?: boolean;
  jetstream?: boolean;
  deny_pub?: string[];
  isolate?: boolean;
  gateway?: string;
  remote_account?: string;
  protocol?: number;
  /** Only clients send it: a leaf CONNECT with `lang` came from a client on the wrong port. */
  lang?: string;
}

/** A key of a raw conf map, looked up case-insensitively as Go does. */
function confKey(block: unknown, key: string): ConfValue | undefined {
  if (!isConfMap(block as ConfValue)) return undefined;
  const m = block as Record<string, ConfValue>;
  const k = Object.keys(m).find((x) => x.toLowerCase() === key);
  return k === undefined ? undefined : m[k];
}

/** This server's cluster name (`cluster { name }`), if it is in a cluster. */
export function clusterName(server: NatsServer): string | undefined {
  const name = confKey(server.opts.blocks.cluster, "name");
  return typeof name === "string" && name !== "" ? name : undefined;
}

/** Whether JetStream is enabled and its domain (`jetstream { domain }`). */
export function jetStreamSettings(server: NatsServer): { enabled: boolean; domain: string } {
  const js = server.opts.jetstream;
  if (js === false) return { enabled: false, domain: "" };
  const domain = confKey(js, "domain");
  return { enabled: true, domain: typeof domain === "string" ? domain : "" };
}

/** Go resolves a listen-on-any host to one of the machine's addresses for INFO. */
function advertisedHost(host: string): string {
  if (host !== "0.0.0.0" && host !== "::" && host !== "") return host;
  for (const list of Object.values(networkInterfaces())) {
    const found = list?.find((a) => a.family === "IPv4" && !a.internal);
    if (found !== undefined) return found.address;
  }
  return "127.0.0.1";
}

/** host:port, with brackets for IPv6. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Host and port this server's leaf listener announces (advertise wins). */
export function leafAdvertise(opts: LeafNodeOptions, boundPort: number): { host: string; port: number } {
  if (opts.advertise !== undefined) {
    const i = opts.advertise.lastIndexOf(":");
    const host = i < 0 ? opts.advertise : opts.advertise.slice(0, i).replace(/^\[|\]$/g, "");
    const port = i < 0 ? boundPort : Number(opts.advertise.slice(i + 1));
    return { host, port: Number.isInteger(port) ? port : boundPort };
  }
  return { host: advertisedHost(opts.host), port: boundPort };
}

/**
 * The INFO an accepting server sends first (Go's leafNodeInfo): auth is always required so that
 * the leaf sends CONNECT, and `info_on_connect` tells it that an INFO answers its CONNECT.
 */
export function acceptInfo(server: NatsServer, opts: LeafNodeOptions, boundPort: number, tlsRequired: boolean): LeafInfo {
  const { host, port } = leafAdvertise(opts, boundPort);
  const js = jetStreamSettings(server);
  const ip = joinHostPort(host, port);
  return {
    server_id: server.id,
    server_name: server.name,
    version: GO_COMPAT_VERSION,
    proto: PROTO_VERSION,
    go: `node${process.version}`,
    host,
    port,
    headers: true,
    auth_required: true,
    tls_required: tlsRequired || undefined,
    tls_verify: (tlsRequired && opts.tls?.verify) || undefined,
    max_payload: server.opts.maxPayload,
    jetstream: js.enabled || undefined,
    ip,
    cluster: clusterName(server),
    domain: js.domain || undefined,
    info_on_connect: true,
    leafnode_urls: [ip],
  };
}

/** JSON without the fields left undefined, as Go's omitempty writes it. */
export function infoLine(op: "INFO" | "CONNECT", fields: object): string {
  return `${op} ${JSON.stringify(fields)}\r\n`;
}
