import type { NatsServer } from "@nats-ts/core";
import type { ClusterService, RoutezOptions } from "../plugin.js";
import { confBlockString } from "../shared/conf.js";
import { RouteManager } from "./manager.js";
import { routez, varzCluster } from "./monitor.js";
import { RouteConfigError, routeOptionsFromConf } from "./options.js";

export { routeOptionsFromConf, RouteConfigError, type RouteOptions, type RouteTlsOptions } from "./options.js";
export { parseRouteUrl, type RouteUrl } from "./urls.js";

/** The routes part of the cluster plugin, with what /routez and /varz read. */
export interface RouteService extends ClusterService {
  routez(opts: RoutezOptions): Record<string, unknown>;
  /** /varz `cluster` (Go's ClusterOptsVarz). */
  varzCluster(): Record<string, unknown>;
  /** The /varz fields routes own, ready to merge: `cluster`, `routes` and `remotes`. */
  varz(): Record<string, unknown>;
  /** /varz `routes`: how many route connections are up (pooled and pinned-account ones). */
  numRoutes(): number;
  /** /varz `remotes`: how many servers this one has routes to. */
  numRemotes(): number;
  /** Routes closed as slow consumers (/varz slow_consumer_stats.routes). */
  slowConsumers(): number;
  /** The route listener's port. */
  readonly port: number;
  /** The cluster name (it may change when a dynamic name meets a configured one). */
  readonly clusterName: string;
}

/**
 * Starts the routes of the `cluster {}` block; undefined when there is none, or when its port is
 * 0 (clustering off, as in Go). A bad block throws Go's startup error.
 *
 * @example
 * const routes = await startRoutes(server); // cluster { name: east, port: -1, routes: [...] }
 * routes?.routez({ subscriptions: false, subscriptionsDetail: false });
 */
export async function startRoutes(server: NatsServer): Promise<RouteService | undefined> {
  const block = server.opts.blocks.cluster;
  if (block === undefined) return undefined;
  const opts = routeOptionsFromConf(block);
  if (opts.port === 0) return undefined;
  // Go's validateCluster: a gateway's name is the cluster's name.
  const gatewayName = confBlockString(server.opts.blocks.gateway, "name");
  if (gatewayName !== undefined && gatewayName !== opts.name) {
    if (opts.name !== undefined) throw new RouteConfigError("cluster name conflicts between cluster and gateway definitions");
    opts.name = gatewayName;
  }
  const manager = new RouteManager(server, opts);
  await manager.start();
  return {
    stop: () => manager.stop(),
    routez: (o) => routez(manager, o),
    varzCluster: () => varzCluster(manager),
    varz: () => ({ cluster: varzCluster(manager), routes: manager.table.size, remotes: manager.table.remotes.size }),
    numRoutes: () => manager.table.size,
    numRemotes: () => manager.table.remotes.size,
    slowConsumers: () => manager.slowConsumers,
    get port() {
      return manager.port;
    },
    get clusterName() {
      return manager.name;
    },
  };
}
