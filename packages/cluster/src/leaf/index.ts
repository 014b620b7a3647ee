import type { NatsServer } from "@nats-ts/core";
import type { ClusterService } from "../plugin.js";

/** Starts the leaf node listener and remotes of the `leafnodes {}` block; undefined when there is none. */
export async function startLeafNodes(server: NatsServer): Promise<ClusterService | undefined> {
  if (server.opts.blocks.leafnodes === undefined && server.opts.blocks.leaf === undefined) return undefined;
  throw new Error("leaf nodes are not implemented yet");
}
