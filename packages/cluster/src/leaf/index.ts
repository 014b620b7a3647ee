import type { NatsServer } from "@nats-ts/core";
import type { ClusterService } from "../plugin.js";
import { leafNodeOptionsFromConf, validateLeafNodeOptions } from "./options.js";
import { LeafNodeService } from "./service.js";

export { LeafNodeService } from "./service.js";
export { leafNodeOptionsFromConf, type LeafNodeOptions, type RemoteLeafOptions } from "./options.js";

/**
 * Starts the leaf node listener and remotes of the `leafnodes {}` block; undefined when there is
 * none. Bad options throw Go's startup error, so the server refuses to start.
 */
export async function startLeafNodes(server: NatsServer): Promise<(ClusterService & LeafNodeService) | undefined> {
  const block = server.opts.blocks.leafnodes ?? server.opts.blocks.leaf;
  if (block === undefined) return undefined;
  const opts = leafNodeOptionsFromConf(block);
  const problem = validateLeafNodeOptions(opts, server.opts);
  if (problem !== undefined) throw new Error(problem);
  const service = new LeafNodeService(server, opts);
  await service.start();
  return service;
}
