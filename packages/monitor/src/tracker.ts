import { ClosedReason, type ConnectionSnapshot, type NatsServer } from "@nats-ts/core";

/** Message and byte counters as Go's DataStats carries them. */
export interface Traffic {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
}

/** What one account has done on this server (Go's AccountStat, before JSON). */
export interface AccountUsage {
  name: string;
  conns: number;
  totalConns: number;
  numSubs: number;
  traffic: Traffic;
  slowConsumers: number;
}

const zeroTraffic = (): Traffic => ({ inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 });

/** Counts what core does not keep: per-account traffic of closed connections, stale connections. */
export class UsageTracker {
  private readonly closedTraffic = new Map<string, Traffic>();
  private readonly slowByAccount = new Map<string, number>();
  staleConnections = 0;
  readonly startTime = new Date();
  /** When the configuration was last loaded (Go's config_load_time). */
  configLoadTime = new Date();

  constructor(private readonly server: NatsServer) {}

  onClosed(s: ConnectionSnapshot): void {
    if (s.reason === ClosedReason.StaleConnection) this.staleConnections++;
    if (s.account === undefined) return;
    let t = this.closedTraffic.get(s.account);
    if (t === undefined) this.closedTraffic.set(s.account, (t = zeroTraffic()));
    t.inMsgs += s.stats.inMsgs;
    t.inBytes += s.stats.inBytes;
    t.outMsgs += s.stats.outMsgs;
    t.outBytes += s.stats.outBytes;
    if (s.reason === ClosedReason.SlowConsumerPendingBytes || s.reason === ClosedReason.SlowConsumerWriteDeadline) {
      this.slowByAccount.set(s.account, (this.slowByAccount.get(s.account) ?? 0) + 1);
    }
  }

  /** Every account this server knows of, global account first. */
  accounts(): string[] {
    return this.server.accountNames();
  }

  usage(name: string): AccountUsage | undefined {
    const acc = this.server.lookupAccount(name);
    if (acc === undefined) return undefined;
    const traffic = { ...(this.closedTraffic.get(name) ?? zeroTraffic()) };
    let conns = 0;
    const count = (t: Traffic) => {
      conns++;
      traffic.inMsgs += t.inMsgs;
      traffic.inBytes += t.inBytes;
      traffic.outMsgs += t.outMsgs;
      traffic.outBytes += t.outBytes;
    };
    for (const c of this.server.connections.values()) if (c.account === acc) count(c.stats);
    // Clients a plugin serves (MQTT) belong to their account as core's do.
    for (const f of this.server.foreignConnections.values()) {
      const s = f.snapshot();
      if (s.account === name) count(s.stats);
    }
    return { name, conns, totalConns: conns, numSubs: acc.sublist.count, traffic, slowConsumers: this.slowByAccount.get(name) ?? 0 };
  }

  /** Accounts with at least one client connected (Go's active_accounts). */
  activeAccounts(): number {
    const active = new Set<string>();
    for (const c of this.server.connections.values()) if (c.account !== undefined) active.add(c.account.name);
    for (const f of this.server.foreignConnections.values()) {
      const account = f.snapshot().account;
      if (account !== undefined) active.add(account);
    }
    return active.size;
  }

  /** Subscriptions across every account (Go's varz subscriptions). */
  totalSubscriptions(): number {
    let n = 0;
    for (const name of this.accounts()) n += this.server.lookupAccount(name)!.sublist.count;
    return n;
  }
}
