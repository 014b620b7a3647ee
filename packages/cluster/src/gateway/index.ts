import type { NatsServer } from "@nats-ts/core";
import type { ClusterService } from "../plugin.js";
import { gatewayOptionsFromConf } from "./options.js";
import { GatewayService } from "./service.js";

export { GatewayService } from "./service.js";
export { gatewayOptionsFromConf, type GatewayOptions, type RemoteGatewayOptions, type GatewayTlsOptions } from "./options.js";
export { gatewayTuning } from "./tuning.js";
export { gatewayHash } from "./reply-prefix.js";

/**
 * Starts the gateway listener and the connections to the remote clusters of the `gateway {}`
 * block; undefined when there is none. Bad values fail with Go's startup errors.
 *
 * @example
 * // gateway { name: "A", port: 7222, gateways: [ { name: "B", url: "nats://10.0.0.2:7222" } ] }
 * const service = await startGateways(server);
 * service?.gatewayz({ name: "", accounts: false, accountName: "", subscriptions: false, subscriptionsDetail: false });
 */
export async function startGateways(server: NatsServer): Promise<GatewayService | undefined> {
  const block = server.opts.blocks.gateway;
  if (block === undefined) return undefined;
  const opts = gatewayOptionsFromConf(block);
  if (opts === undefined) return undefined;
  const clusterName = clusterBlockName(server.opts.blocks.cluster);
  if (clusterName !== undefined && clusterName !== opts.name) {
    throw new Error("cluster name conflicts between cluster and gateway definitions");
  }
  const service = new GatewayService(server, opts);
  try {
    await service.start();
  } catch (e) {
    await service.stop();
    throw e;
  }
  return service;
}

/** The `name` of the `cluster {}` block, if any (keys are case-insensitive, as in Go). */
function clusterBlockName(block: unknown): string | undefined {
  if (typeof block !== "object" || block === null) return undefined;
  for (const [k, v] of Object.entries(block)) if (k.toLowerCase() === "name" && typeof v === "string" && v !== "") return v;
  return undefined;
}
