import { PROTO_VERSION, type NatsServer } from "@nats-ts/core";
import { confBlockString } from "../shared/conf.js";
import { firstNonLocalAddress, isAnyHost, joinHostPort, parseHostPort } from "../shared/addresses.js";
import { infoHead, type PeerInfo } from "../shared/info.js";
import type { LeafNodeOptions } from "./options.js";

/** The INFO a leaf connection sends or receives (the fields of Go's Info that leaf nodes use). */
export interface LeafInfo extends PeerInfo {
  client_id?: number;
  connect_info?: boolean;
  remote_account?: string;
  acc_is_sys?: boolean;
  info_on_connect?: boolean;
  /** The sender's compression mode (Go 2.10+; absent from older servers). */
  compression?: string;
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
  /** The soliciting side's negotiated compression (Go's `compress_mode`; `compression` was an unused boolean). */
  compress_mode?: string;
  gateway?: string;
  remote_account?: string;
  protocol?: number;
  /** Only clients send it: a leaf CONNECT with `lang` came from a client on the wrong port. */
  lang?: string;
}

/** This server's cluster name (`cluster { name }`), if it is in a cluster. */
export function clusterName(server: NatsServer): string | undefined {
  return confBlockString(server.opts.blocks.cluster, "name");
}

/** Whether JetStream is enabled and its domain (`jetstream { domain }`). */
export function jetStreamSettings(server: NatsServer): { enabled: boolean; domain: string } {
  const js = server.opts.jetstream;
  if (js === false) return { enabled: false, domain: "" };
  return { enabled: true, domain: confBlockString(js, "domain") ?? "" };
}

/** Host and port this server's leaf listener announces (advertise wins). */
export function leafAdvertise(opts: LeafNodeOptions, boundPort: number): { host: string; port: number } {
  if (opts.advertise !== undefined) {
    const hp = parseHostPort(opts.advertise, boundPort);
    if (hp !== undefined) return hp;
  }
  // Go resolves a listen-on-any host to one of the machine's addresses.
  const host = isAnyHost(opts.host) ? (firstNonLocalAddress(opts.host) ?? "127.0.0.1") : opts.host;
  return { host, port: boundPort };
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
    ...infoHead(server, { proto: PROTO_VERSION, host, port, authRequired: true, tlsRequired, tlsVerify: tlsRequired && opts.tls?.verify }),
    jetstream: js.enabled || undefined,
    ip,
    cluster: clusterName(server),
    domain: js.domain || undefined,
    info_on_connect: true,
    leafnode_urls: [ip],
  };
}
