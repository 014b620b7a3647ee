export { MonitorPlugin, monitorPlugin, type MonitorOptions } from "./plugin.js";
export { MonitorContext } from "./context.js";
export {
  isJetStreamStatsProvider,
  type JetStreamStatsProvider,
  type JetStreamConfigJson,
  type JetStreamStatsJson,
  type JetStreamAccountJson,
  type JetStreamStreamJson,
  type JetStreamConsumerJson,
} from "./jetstream-provider.js";
export type { ClusterMonitorProvider, ClusterVarz, RoutezOptions, LeafzOptions, GatewayzOptions } from "./cluster-provider.js";
export { connz, CONNZ_SORTS, type ConnzOptions, type ConnzJson, type ConnInfoJson, type ConnState, type SubDetailJson } from "./endpoints/connz.js";
export { varz } from "./endpoints/varz.js";
export { subsz, type SubszOptions } from "./endpoints/subsz.js";
export { accountz, accstatz, accountInfo, type AccountStatzOptions } from "./endpoints/accounts.js";
export { jsz, jszAccount, type JszOptions } from "./endpoints/jsz.js";
export { healthz, type HealthzOptions, type HealthStatusJson } from "./endpoints/healthz.js";
export { routez, gatewayz, leafz } from "./endpoints/cluster.js";
export { goTime, goUptime, goDurationString } from "./format.js";
