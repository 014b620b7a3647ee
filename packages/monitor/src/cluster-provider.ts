/**
 * What monitoring needs from routes, leaf nodes and gateways. The @nats-ts/cluster plugin
 * implements it; each method returns the Go endpoint's fields after `server_id`
 * (and `server_name` for routez) and `now`: Go's Routez, Leafz and Gatewayz JSON, snake_case.
 */
export interface RoutezOptions {
  subscriptions: boolean;
  subscriptionsDetail: boolean;
}

export interface LeafzOptions {
  subscriptions: boolean;
  /** Only leaf connections bound to this account ("" for all). */
  account: string;
}

export interface GatewayzOptions {
  /** Only this remote gateway ("" for all). */
  name: string;
  accounts: boolean;
  /** Only this account's interest ("" for all). */
  accountName: string;
  subscriptions: boolean;
  subscriptionsDetail: boolean;
}

/** The /varz fields routes, gateways and leaf nodes fill in (Go's names); absent ones keep their defaults. */
export interface ClusterVarz {
  cluster?: Record<string, unknown>;
  gateway?: Record<string, unknown>;
  leaf?: Record<string, unknown>;
  routes?: number;
  remotes?: number;
  leafnodes?: number;
}

export interface ClusterMonitorProvider {
  varz?(): ClusterVarz;
  routez?(opts: RoutezOptions): Record<string, unknown>;
  leafz?(opts: LeafzOptions): Record<string, unknown>;
  gatewayz?(opts: GatewayzOptions): Record<string, unknown>;
}
