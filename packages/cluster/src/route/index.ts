import type { NatsServer } from "@nats-ts/core";
import type { ClusterService } from "../plugin.js";

/** Starts the routes of the `cluster {}` block; undefined when there is none. */
export async function startRoutes(server: NatsServer): Promise<ClusterService | undefined> {
  if (server.opts.blocks.cluster === undefined) return undefined;
  throw new Error("routes are not implemented yet");
}
