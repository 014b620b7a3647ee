import { connect as netConnect, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { GO_COMPAT_VERSION, PROTO_VERSION, type Logger, type NatsServer } from "@nats-ts/core";
import { joinHostPort } from "../shared/addresses.js";
import type { GatewayOptions } from "./options.js";
import { gatewayTuning } from "./tuning.js";

/** Go's DEFAULT_ROUTE_DIAL: how long one TCP connect may take. */
const DIAL_TIMEOUT = 1_000;

/**
 * The host and port this server announces to other clusters (Go's setGatewayInfoHostPort): the
 * advertise address, or the listen address with "any" replaced by a non-local IP. Throws Go's
 * startup error for a bad advertise value.
 */
export function announcedHostPort(opts: GatewayOptions, boundPort: number, log: Logger): { host: string; port: number } {
  let host = opts.host;
  let port = boundPort;
  if (opts.advertise !== undefined && opts.advertise !== "") {
    try {
      ({ host, port } = parseHostPort(opts.advertise, boundPort));
    } catch (e) {
      throw new Error(`Error setting gateway INFO with Gateway.Advertise value of ${opts.advertise}, err=${(e as Error).message}`);
    }
    log.info(`Advertise address for gateway "${opts.name}" is set to ${joinHostPort(host, port)}`);
    return { host, port };
  }
  if (host === "0.0.0.0" || host === "::") {
    const ip = firstNonLocalIp(host === "::");
    if (ip === undefined) log.error(`Could not find any non-local IP for gateway "${opts.name}" with listen specification "${host}"`);
    else host = ip;
  }
  log.info(`Address for gateway "${opts.name}" is ${joinHostPort(host, port)}`);
  return { host, port };
}

/** The INFO the gateway listener sends (Go's gateway Info, fields in Go's order). */
export function gatewayInfoLine(server: NatsServer, opts: GatewayOptions, host: string, port: number, clusterUrls: string[]): string {
  const info = {
    server_id: server.id,
    server_name: server.name,
    version: GO_COMPAT_VERSION,
    proto: PROTO_VERSION,
    go: "",
    host,
    port,
    headers: true,
    auth_required: opts.username !== undefined || undefined,
    tls_required: opts.tls !== undefined || undefined,
    tls_verify: opts.tls !== undefined || undefined,
    max_payload: server.opts.maxPayload,
    gateway: opts.name,
    gateway_urls: clusterUrls,
    gateway_url: joinHostPort(host, port),
    gateway_nrp: true,
    gateway_iom: gatewayTuning.doNotForceInterestOnly ? undefined : true,
  };
  return `INFO ${JSON.stringify(info)}\r\n`;
}

/** TCP connect with a timeout, rejecting with Go-like wording. */
export function dial(u: URL, timeout = DIAL_TIMEOUT): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const host = u.hostname.replace(/^\[|\]$/g, "");
    const socket = netConnect({ host, port: Number(u.port || 7222) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`dial tcp ${u.host}: i/o timeout`));
    }, timeout);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = err.code === "ECONNREFUSED" ? "connect: connection refused" : err.message;
      reject(new Error(`dial tcp ${u.host}: ${why}`));
    });
  });
}

function firstNonLocalIp(v6: boolean): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === "IPv4" || v6) return a.address;
    }
  }
  return undefined;
}

/** Go's parseHostPort: `host[:port]`, the default port when none (or 0 / -1) is given. */
function parseHostPort(hostPort: string, defaultPort: number): { host: string; port: number } {
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(hostPort);
  if (bracketed !== null) {
    host = bracketed[1];
    portText = bracketed[2] ?? String(defaultPort);
  } else {
    const colons = hostPort.split(":").length - 1;
    if (colons > 1) throw new Error(`address ${hostPort}: too many colons in address`);
    [host, portText] = colons === 0 ? [hostPort, String(defaultPort)] : (hostPort.split(":") as [string, string]);
  }
  const trimmed = portText.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) throw new Error(`strconv.Atoi: parsing "${trimmed}": invalid syntax`);
  const port = Number(trimmed);
  return { host: host.trim(), port: port === 0 || port === -1 ? defaultPort : port };
}
