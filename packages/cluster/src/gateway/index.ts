import type { NatsServer } from "@nats-ts/core";
import type { ClusterService } from "../plugin.js";

/** Starts the gateway listener and remotes of the `gateway {}` block; undefined when there is none. */
export async function startGateways(server: NatsServer): Promise<ClusterService | undefined> {
  if (server.opts.blocks.gateway === undefined) return undefined;
  throw new Error("gateways are not implemented yet");
}
