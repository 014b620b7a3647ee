import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { NatsServer } from "@nats-ts/core";
import type { ClusterPlugin } from "../../src/index.js";
import type { RawConn } from "../support/raw-conn.js";

export { RawConn } from "../support/raw-conn.js";
export { Topology } from "../support/topology.js";
export { waitFor } from "../support/wait.js";

export interface LeafzEntry {
  id: number;
  name: string;
  is_spoke: boolean;
  account: string;
  ip: string;
  port: number;
  rtt?: string;
  in_msgs: number;
  out_msgs: number;
  in_bytes: number;
  out_bytes: number;
  subscriptions: number;
  subscriptions_list?: string[];
  compression?: string;
}

/** /leafz of an in-process nats-ts server. */
export function leafzOf(server: NatsServer, subscriptions = false, account = ""): { leafnodes: number; leafs: LeafzEntry[] } {
  const plugin = server.plugin<ClusterPlugin>("cluster")!;
  return plugin.leafz({ subscriptions, account }) as { leafnodes: number; leafs: LeafzEntry[] };
}

export function numLeafs(server: NatsServer): number {
  return leafzOf(server).leafnodes;
}

/** Messages of one subscription, kept in order, with a way to wait for the next one. */
export class Inbox {
  readonly received: string[] = [];
  private read = 0;
  private waiters: (() => void)[] = [];
  private readonly sub: Subscription;

  constructor(nc: NatsConnection, subject: string, queue?: string) {
    this.sub = nc.subscribe(subject, {
      queue,
      callback: (_e, m) => {
        this.received.push(m.string());
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      },
    });
  }

  unsubscribe(): void {
    this.sub.unsubscribe();
  }

  /** The next message not read yet, or undefined after `ms`. */
  async next(ms = 1000): Promise<string | undefined> {
    if (this.read < this.received.length) return this.received[this.read++];
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    return this.read < this.received.length ? this.received[this.read++] : undefined;
  }
}

/** Reads the INFO a leaf listener sends first (Go ends it with a space before CRLF). */
export async function readInfo(c: RawConn): Promise<Record<string, unknown>> {
  const m = await c.expect(/^INFO (\{.*\}) ?\r\n/);
  return JSON.parse(m[1]) as Record<string, unknown>;
}
