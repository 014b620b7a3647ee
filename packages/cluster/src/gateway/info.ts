import { PROTO_VERSION, type Logger, type NatsServer } from "@nats-ts/core";
import { firstNonLocalAddress, hostPortError, isAnyHost, joinHostPort, parseHostPort } from "../shared/addresses.js";
import { infoHead, protoLine } from "../shared/info.js";
import type { GatewayOptions } from "./options.js";
import { gatewayTuning } from "./tuning.js";

/**
 * The host and port this server announces to other clusters (Go's setGatewayInfoHostPort): the
 * advertise address, or the listen address with "any" replaced by a non-local IP. Throws Go's
 * startup error for a bad advertise value.
 */
export function announcedHostPort(opts: GatewayOptions, boundPort: number, log: Logger): { host: string; port: number } {
  if (opts.advertise !== undefined && opts.advertise !== "") {
    const hp = parseHostPort(opts.advertise, boundPort);
    if (hp === undefined) {
      throw new Error(`Error setting gateway INFO with Gateway.Advertise value of ${opts.advertise}, err=${hostPortError(opts.advertise)}`);
    }
    log.info(`Advertise address for gateway "${opts.name}" is set to ${joinHostPort(hp.host, hp.port)}`);
    return hp;
  }
  let host = opts.host;
  if (isAnyHost(host)) {
    const ip = firstNonLocalAddress(host);
    if (ip === undefined) log.error(`Could not find any non-local IP for gateway "${opts.name}" with listen specification "${host}"`);
    else host = ip;
  }
  log.info(`Address for gateway "${opts.name}" is ${joinHostPort(host, boundPort)}`);
  return { host, port: boundPort };
}

/** The INFO the gateway listener sends (Go's gateway Info, fields in Go's order). */
export function gatewayInfoLine(server: NatsServer, opts: GatewayOptions, host: string, port: number, clusterUrls: string[]): string {
  const tls = opts.tls !== undefined;
  return protoLine("INFO", {
    ...infoHead(server, { proto: PROTO_VERSION, host, port, authRequired: opts.username !== undefined, tlsRequired: tls, tlsVerify: tls }),
    gateway: opts.name,
    gateway_urls: clusterUrls,
    gateway_url: joinHostPort(host, port),
    gateway_nrp: true,
    gateway_iom: gatewayTuning.doNotForceInterestOnly ? undefined : true,
  });
}
