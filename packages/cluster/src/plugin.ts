import type { NatsServer, ServerPlugin } from "@nats-ts/core";
import { startRoutes } from "./route/index.js";
import { startLeafNodes } from "./leaf/index.js";
import { startGateways } from "./gateway/index.js";

/** Options of /routez (and $SYS ...ROUTEZ), as @nats-ts/monitor passes them. */
export interface RoutezOptions {
  subscriptions: boolean;
  subscriptionsDetail: boolean;
}

/** Options of /leafz. */
export interface LeafzOptions {
  subscriptions: boolean;
  /** Only leaf connections bound to this account ("" for all). */
  account: string;
}

/** Options of /gatewayz. */
export interface GatewayzOptions {
  name: string;
  accounts: boolean;
  accountName: string;
  subscriptions: boolean;
  subscriptionsDetail: boolean;
}

/** The /varz fields a part fills in (Go's names: `cluster`, `routes`, `remotes`, `gateway`, `leaf`, `leafnodes`). */
export type VarzFields = Record<string, unknown>;

/**
 * One running part of the cluster plugin (routes, leaf nodes, gateways). The monitoring methods
 * return the Go endpoint's fields after `server_id`/`server_name`/`now`.
 */
export interface ClusterService {
  stop(): Promise<void> | void;
  varz?(): VarzFields;
  routez?(opts: RoutezOptions): Record<string, unknown>;
  leafz?(opts: LeafzOptions): Record<string, unknown>;
  gatewayz?(opts: GatewayzOptions): Record<string, unknown>;
}

type Starter = (server: NatsServer) => Promise<ClusterService | undefined>;

/**
 * The "cluster" server plugin: routes from the `cluster {}` block, leaf nodes from `leafnodes {}`,
 * gateways from `gateway {}`; each part starts only when its block is configured. @nats-ts/monitor
 * reads /routez, /leafz and /gatewayz from it.
 *
 * @example
 * const server = new NatsServer(options, { plugins: [new ClusterPlugin()] });
 */
export class ClusterPlugin implements ServerPlugin {
  readonly name = "cluster";
  readonly blocks = ["cluster", "leafnodes", "leaf", "gateway"];
  private services: ClusterService[] = [];

  async start(server: NatsServer): Promise<void> {
    // Go's order: gateways, leaf nodes, then routes, whose first INFO carries the gateway and leaf URLs.
    const starters: Starter[] = [startGateways, startLeafNodes, startRoutes];
    for (const start of starters) {
      const service = await start(server);
      if (service !== undefined) this.services.push(service);
    }
  }

  async stop(): Promise<void> {
    const running = this.services;
    this.services = [];
    for (const s of running.reverse()) await s.stop();
  }

  /** What routes, gateways and leaf nodes add to /varz. */
  varz(): VarzFields {
    return Object.assign({}, ...this.services.map((s) => s.varz?.() ?? {}));
  }

  routez(opts: RoutezOptions): Record<string, unknown> | undefined {
    return this.first((s) => s.routez?.(opts));
  }

  leafz(opts: LeafzOptions): Record<string, unknown> | undefined {
    return this.first((s) => s.leafz?.(opts));
  }

  gatewayz(opts: GatewayzOptions): Record<string, unknown> | undefined {
    return this.first((s) => s.gatewayz?.(opts));
  }

  private first(read: (s: ClusterService) => Record<string, unknown> | undefined): Record<string, unknown> | undefined {
    for (const s of this.services) {
      const r = read(s);
      if (r !== undefined) return r;
    }
    return undefined;
  }
}

/** The cluster plugin, ready to compose into a server. */
export function clusterPlugin(): ClusterPlugin {
  return new ClusterPlugin();
}
