import type { RouteConnection } from "./connection.js";

/** Go's DEFAULT_ROUTE_POOL_SIZE: route connections per remote server when `pool_size` is not set. */
export const DEFAULT_ROUTE_POOL_SIZE = 3;

/**
 * The pool index of an account's route connection: FNV-1a (32 bits) of the account name modulo
 * the pool size, 0 when the pool has at most one connection. Go computes the same (its
 * computeRoutePoolIdx), so servers of both kinds put an account on the same connection.
 *
 * @example
 * routePoolIndex(3, "A"); // 0
 */
export function routePoolIndex(poolSize: number, account: string): number {
  if (poolSize <= 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(account, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % poolSize;
}

/** One remote server's pooled route connections (Go's `s.routes[remoteID]` slice). */
export interface RemoteServer {
  readonly id: string;
  /** Connections by pool index; holes while a connection is being (re)made. */
  readonly conns: (RouteConnection | undefined)[];
  /** The remote's configured pool size, known once its connection at index 0 registered. */
  poolSize: number | undefined;
  /** Client URLs the remote advertised (gone from ours when it goes away or into lame duck). */
  connectUrls: string[];
}

/**
 * Every registered route connection of a server: the pool of connections to each remote server,
 * and the dedicated connections of pinned accounts (Go's `s.routes` and `s.accRoutes`).
 */
export class RouteTable {
  /** Remote servers by id. */
  readonly remotes = new Map<string, RemoteServer>();
  /** Pinned account -> remote server id -> its dedicated connection. Every pinned account has an entry. */
  readonly pinned = new Map<string, Map<string, RouteConnection>>();
  private readonly poolIndexes = new Map<string, number>();

  constructor(
    /** This server's pool size (1 when pooling is off). */
    readonly poolSize: number,
    pinnedAccounts: readonly string[],
  ) {
    for (const a of pinnedAccounts) this.pinned.set(a, new Map());
  }

  /** The pool index an account's traffic uses, -1 for a pinned account (Go's acc.routePoolIdx). */
  accountPoolIndex(account: string): number {
    if (this.pinned.has(account)) return -1;
    let idx = this.poolIndexes.get(account);
    if (idx === undefined) this.poolIndexes.set(account, (idx = routePoolIndex(this.poolSize, account)));
    return idx;
  }

  /** Every registered connection: the pools, then the pinned-account ones (Go's forEachRoute). */
  *connections(): Iterable<RouteConnection> {
    for (const r of this.remotes.values()) for (const c of r.conns) if (c !== undefined) yield c;
    for (const conns of this.pinned.values()) yield* conns.values();
  }

  /** How many connections are registered (Go's NumRoutes). */
  get size(): number {
    let n = 0;
    for (const _ of this.connections()) n++;
    return n;
  }

  /** The first registered connection of each remote server (Go's forEachRemote). */
  *firstOfEachRemote(): Iterable<RouteConnection> {
    for (const r of this.remotes.values()) {
      const c = r.conns.find((x) => x !== undefined);
      if (c !== undefined) yield c;
    }
  }

  /** Whether `id` is a remote server we have a connection to (its pool, or a pinned account's). */
  knows(id: string, account?: string): boolean {
    if (account !== undefined) return this.pinned.get(account)?.has(id) ?? false;
    return this.remotes.has(id);
  }

  /**
   * The connections that carry an account's interest (Go's updateRouteSubscriptionMap): for a
   * pinned account its dedicated connections, otherwise the connection at the account's pool index
   * of each remote; a remote without pooling gets everything on its single connection.
   */
  interestRoutes(account: string): RouteConnection[] {
    const out: RouteConnection[] = [];
    const idx = this.accountPoolIndex(account);
    if (idx < 0) {
      out.push(...(this.pinned.get(account)?.values() ?? []));
      for (const r of this.remotes.values()) if (r.conns[0]?.noPool) out.push(r.conns[0]);
      return out;
    }
    for (const r of this.remotes.values()) {
      const c = r.conns[idx] ?? (r.conns[0]?.noPool ? r.conns[0] : undefined);
      if (c !== undefined) out.push(c);
    }
    return out;
  }

  /** Whether a route connection carries this account's traffic in its initial interest burst (Go's sendSubsToRoute). */
  carries(c: RouteConnection, account: string): boolean {
    if (c.account !== undefined) return c.account === account;
    return c.noPool || this.accountPoolIndex(account) === c.poolIdx;
  }
}
