import type { Account } from "../account.js";
import { ClosedReason } from "../client/closed-reason.js";
import type { ConnectionSnapshot } from "../client/connection.js";
import type { RecentRing } from "./recent-ring.js";

/**
 * A client connection that a plugin serves rather than core (an MQTT client, say). In Go these
 * are ordinary clients, so the server lists them in /connz, counts them in /varz and against
 * max_connections, and remembers them among the closed connections once they end.
 */
export interface ForeignConnection {
  /** Its connection id, from {@link ForeignConnections.allocateCid} (shared with core's clients). */
  readonly cid: number;
  /** What it looks like now; read by monitoring, never on a message path. */
  snapshot(): ConnectionSnapshot;
  /** Closes it from the server's side (a `$SYS` kick); it is removed from the register as it closes. */
  close(reason: ClosedReason): void;
}

/** The events a {@link ForeignConnections} registry emits on the server (a subset of ServerEvents). */
export interface ForeignConnectionEvents {
  foreignClientConnected: [snapshot: ConnectionSnapshot];
  clientClosed: [snapshot: ConnectionSnapshot];
  authError: [snapshot: ConnectionSnapshot];
}

/** What the registry needs from the server. */
export interface ForeignConnectionHost {
  readonly opts: { readonly maxConnections: number };
  readonly isRunning: boolean;
  readonly isLameDuck: boolean;
  /** Core's open client connections. */
  readonly connections: { readonly size: number };
  readonly stats: { totalConnections: number };
  readonly closedConnections: RecentRing<ConnectionSnapshot>;
  readonly events: { emit<K extends keyof ForeignConnectionEvents>(event: K, ...args: ForeignConnectionEvents[K]): boolean };
  lookupAccount(name: string): Account | undefined;
  allocateCid(): number;
}

/**
 * The server's register of {@link ForeignConnection}s. A plugin adds a connection as it accepts it
 * (refused past max_connections, as Go refuses clients), says when it authenticated (connect
 * event, account count), and removes it as it closes: its last snapshot joins the closed
 * connections and the disconnect (and auth error) events go out, as for core's clients.
 *
 * @example
 * const cid = server.foreignConnections.allocateCid();
 * const conn = { cid, snapshot: () => mqttSnapshot(cid, socket) };
 * if (!server.foreignConnections.add(conn)) return socket.destroy();
 * // ... once CONNECT is accepted:
 * server.foreignConnections.authenticated(conn);
 * // ... when the socket closes:
 * server.foreignConnections.remove(conn);
 */
export class ForeignConnections {
  private readonly open = new Map<number, ForeignConnection>();
  /** The account each authenticated connection counts in. */
  private readonly bound = new Map<number, Account>();

  constructor(private readonly host: ForeignConnectionHost) {}

  /** How many are open. */
  get size(): number {
    return this.open.size;
  }

  /** A connection id unique among every connection of the server. */
  allocateCid(): number {
    return this.host.allocateCid();
  }

  get(cid: number): ForeignConnection | undefined {
    return this.open.get(cid);
  }

  values(): IterableIterator<ForeignConnection> {
    return this.open.values();
  }

  /**
   * Registers a new connection. Returns false, registering nothing, when the server is not
   * accepting clients or max_connections (core's and foreign clients together) is reached.
   */
  add(c: ForeignConnection): boolean {
    const { host } = this;
    if (!host.isRunning || host.isLameDuck) return false;
    const max = host.opts.maxConnections;
    if (host.connections.size + this.open.size >= max) return false;
    this.open.set(c.cid, c);
    host.stats.totalConnections++;
    return true;
  }

  /**
   * The connection authenticated: it is bound to its snapshot's account and announced like a core
   * client. Returns false, binding nothing, when that account already has its max_connections
   * (the plugin then closes it with MaxAccountConnectionsExceeded, as Go does).
   */
  authenticated(c: ForeignConnection): boolean {
    if (!this.open.has(c.cid)) return false;
    if (this.bound.has(c.cid)) return true;
    const snapshot = c.snapshot();
    const account = snapshot.account === undefined ? undefined : this.host.lookupAccount(snapshot.account);
    if (account !== undefined) {
      const max = account.limits.maxConnections;
      if (max > 0 && account.connections >= max) return false;
      account.connections++;
      this.bound.set(c.cid, account);
    }
    this.host.events.emit("foreignClientConnected", snapshot);
    return true;
  }

  /**
   * The connection closed: its snapshot (with `stop` and `reason` set) becomes a closed connection.
   * Removing one twice, or one never added, does nothing.
   */
  remove(c: ForeignConnection): void {
    if (!this.open.delete(c.cid)) return;
    const account = this.bound.get(c.cid);
    if (account !== undefined) {
      account.connections--;
      this.bound.delete(c.cid);
    }
    const snapshot = c.snapshot();
    snapshot.stop ??= new Date();
    snapshot.reason ??= ClosedReason.ClientClosed;
    const { host } = this;
    host.closedConnections.add(snapshot);
    if (snapshot.reason === ClosedReason.AuthenticationViolation) host.events.emit("authError", snapshot);
    host.events.emit("clientClosed", snapshot);
  }
}
