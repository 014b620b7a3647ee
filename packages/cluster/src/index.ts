/**
 * @nats-ts/cluster: routes, leaf nodes and gateways, so nats-ts servers form clusters with each
 * other and with Go nats-servers.
 */
export {
  ClusterPlugin,
  clusterPlugin,
  type ClusterService,
  type VarzFields,
  type RoutezOptions,
  type LeafzOptions,
  type GatewayzOptions,
} from "./plugin.js";
export { LeafNodeService, leafNodeOptionsFromConf, type LeafNodeOptions, type RemoteLeafOptions } from "./leaf/index.js";
export { GatewayService, gatewayOptionsFromConf, type GatewayOptions, type RemoteGatewayOptions } from "./gateway/index.js";
export { startRoutes, routeOptionsFromConf, RouteConfigError, type RouteService, type RouteOptions, type RouteTlsOptions } from "./route/index.js";
