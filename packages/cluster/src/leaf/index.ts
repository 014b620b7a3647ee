/**
 * Leaf nodes (Go's leafnode.go), in files by responsibility:
 * - options.ts: the `leafnodes {}` block and Go's startup checks;
 * - service.ts: listener, remotes with reconnect, registration, interest per account, /leafz;
 * - connection.ts: one connection's protocol (LS+/LS-, LMSG/HMSG, PING/PONG) as a MessageSink;
 * - handshake.ts, info.ts: INFO/CONNECT on both sides, authentication;
 * - interest.ts, permissions.ts, jetstream-domain.ts: what crosses a connection;
 * - tls.ts, credentials.ts, urls.ts, monitoring.ts: the rest.
 */
import type { NatsServer } from "@nats-ts/core";
import { leafNodeOptionsFromConf, validateLeafNodeOptions } from "./options.js";
import { LeafNodeService } from "./service.js";

export { LeafNodeService } from "./service.js";
export { leafNodeOptionsFromConf, type LeafNodeOptions, type RemoteLeafOptions } from "./options.js";

/**
 * Starts the leaf node listener and remotes of the `leafnodes {}` (or `leaf {}`) block;
 * undefined when there is none. Bad options throw Go's startup error, so the server refuses to
 * start.
 */
export async function startLeafNodes(server: NatsServer): Promise<LeafNodeService | undefined> {
  const block = server.opts.blocks.leafnodes ?? server.opts.blocks.leaf;
  if (block === undefined) return undefined;
  const opts = leafNodeOptionsFromConf(block);
  const problem = validateLeafNodeOptions(opts, server.opts);
  if (problem !== undefined) throw new Error(problem);
  const service = new LeafNodeService(server, opts);
  await service.start();
  return service;
}
