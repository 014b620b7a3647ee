import { randomBytes } from "node:crypto";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { createServer as createServerKey } from "@nats-io/nkeys";
import { Account, GLOBAL_ACCOUNT, SYSTEM_ACCOUNT } from "../account.js";
import { configAuthenticator, type Authenticator, type AuthResult } from "../auth.js";
import type { Permissions } from "../auth-options.js";
import { ClientPermissions } from "../auth/permissions.js";
import { planAuth, type AuthPlan } from "../accounts/plan.js";
import { ClosedReason } from "../client/closed-reason.js";
import { ClientConnection, type ClientHost, type ConnectionEndpoint, type ConnectionSnapshot } from "../client/connection.js";
import { InternalClient } from "../internal-client.js";
import { silentLogger, type Logger } from "../logger.js";
import { resolveOptions, type ServerOptions, type ServerOptionsInput } from "../options.js";
import { countsInServerStats, isRemoteKind, type ClientKind, type MessageSink } from "../sublist/subscription.js";
import { GO_COMPAT_VERSION, NATS_TS_VERSION, PROTO_VERSION } from "../version.js";
import { RecentRing } from "./recent-ring.js";
import { ForeignConnections } from "./foreign-connections.js";
import { formatUrl, listenerUrls } from "./listen-urls.js";
import { routeMessage, type TrafficStats } from "./router.js";
import { describeTls, loadClientTls, serveTls, type ClientTls } from "./tls.js";
import { checkReloadable, describeChanges } from "./reload.js";

/**
 * What the server announces to plugins (system events, monitoring):
 * - "clientConnected": a client authenticated and bound to its account;
 * - "clientClosed": a client connection closed (with its snapshot);
 * - "authError": a client failed authentication (with its snapshot);
 * - "foreignClientConnected": a client served by a plugin (MQTT ...) authenticated, see
 *   {@link ForeignConnections} (with its snapshot);
 * - "lameDuck": lame duck mode began; clients are still connected;
 * - "shuttingDown": shutdown began; clients are still connected (and internal clients can
 *   still reach them), plugins not yet stopped;
 * - "accountRegistered": an account was added (at reload or on first use), so routes and leaf
 *   nodes can follow its interest.
 *
 * @example
 * server.events.on("shuttingDown", () => sys.publish(`$SYS.SERVER.${server.id}.SHUTDOWN`, body));
 */
export interface ServerEvents {
  clientConnected: [client: ClientConnection];
  clientClosed: [snapshot: ConnectionSnapshot];
  authError: [snapshot: ConnectionSnapshot];
  foreignClientConnected: [snapshot: ConnectionSnapshot];
  lameDuck: [];
  shuttingDown: [];
  accountRegistered: [account: Account];
}

/** A package that plugs into the server (JetStream, monitoring, WebSocket, cluster ...). */
export interface ServerPlugin {
  readonly name: string;
  /** Conf-file blocks this plugin reads from `opts.blocks`, so the server does not warn about them. */
  readonly blocks?: readonly string[];
  start(server: NatsServer): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export interface NatsServerConfig {
  /** Where log lines go; defaults to silent for an embedded server. */
  logger?: Logger;
  /** Replaces the options-based authentication (users, nkeys, tokens, accounts). */
  authenticator?: Authenticator;
  plugins?: ServerPlugin[];
}

/**
 * The embeddable NATS server.
 *
 * @example
 * const server = new NatsServer({ port: 0 });
 * await server.start();
 * console.log(server.clientURL); // nats://127.0.0.1:40123
 * await server.shutdown();
 */
export class NatsServer implements ClientHost {
  private options: ServerOptions;
  /** Where log lines go; replaced on reload when logging options change. */
  log: Logger;
  readonly id: string;
  readonly name: string;
  readonly startTime = new Date();
  authenticator: Authenticator;
  /**
   * Server-wide counters like Go's: in_msgs counts what connections (clients, and routes or leaf
   * nodes when they exist) published, out_msgs what was delivered to them; server-internal
   * publishers and subscribers (system, JetStream, account imports) are not counted.
   */
  readonly stats: TrafficStats & { slowConsumers: number; totalConnections: number } = {
    inMsgs: 0,
    inBytes: 0,
    outMsgs: 0,
    outBytes: 0,
    peerInMsgs: 0,
    peerInBytes: 0,
    peerOutMsgs: 0,
    peerOutBytes: 0,
    slowConsumers: 0,
    totalConnections: 0,
  };
  /** Recently closed client connections, newest last (for /connz?state=closed). */
  readonly closedConnections = new RecentRing<ConnectionSnapshot>(10_000);
  /** Listener URLs by kind ("nats", "monitoring", "websocket" ...), as written to the ports file. */
  readonly listeners: Record<string, string[]> = {};
  /** Connection lifecycle events for plugins; see {@link ServerEvents}. */
  readonly events = new EventEmitter<ServerEvents>();
  /** Client connections plugins serve themselves (MQTT ...), listed and counted with core's. */
  readonly foreignConnections: ForeignConnections = new ForeignConnections(this);

  private readonly accounts = new Map<string, Account>();
  private readonly clients = new Map<number, ClientConnection>();
  private readonly plugins: ServerPlugin[];
  private readonly customAuthenticator: boolean;
  private readonly compiledPermissions = new WeakMap<Permissions, ClientPermissions>();
  private clientTls: ClientTls | undefined;
  private configuredAccounts = new Set<string>();
  private netServer: NetServer | undefined;
  private boundPort = 0;
  private nextCid = 1;
  private flushList: ClientConnection[] = [];
  private flushScheduled = false;
  private running = false;
  private lameDuck = false;
  /** The server's INFO fields before the per-connection ones, in Go's order. */
  private infoFields: Record<string, unknown> = {};
  private infoPrefix = "";
  /** INFO fields a cluster sets (cluster name, connect_urls ...), see {@link setClusterInfo}. */
  private clusterInfo: Record<string, unknown> = {};
  private shutdownPromise: Promise<void> | undefined;
  private readonly runFlush = () => this.flushAll();

  constructor(options: ServerOptionsInput = {}, config: NatsServerConfig = {}) {
    this.options = resolveOptions(options);
    this.log = config.logger ?? silentLogger;
    this.customAuthenticator = config.authenticator !== undefined;
    const { plan } = planAuth(this.options);
    this.authenticator = config.authenticator ?? configAuthenticator(this.options, plan);
    this.plugins = config.plugins ?? [];
    this.id = createServerKey().getPublicKey();
    this.name = this.options.serverName ?? this.id;
    this.accounts.set(GLOBAL_ACCOUNT, new Account(GLOBAL_ACCOUNT));
    this.accounts.set(SYSTEM_ACCOUNT, new Account(SYSTEM_ACCOUNT));
    this.applyAccounts(plan);
    if (this.options.tls !== undefined) this.clientTls = loadClientTls(this.options.tls);
  }

  /** The options in force (replaced as a whole by {@link reload}). */
  get opts(): ServerOptions {
    return this.options;
  }

  /** The client port actually bound (useful when port 0 or -1 asked for a random one). */
  get port(): number {
    return this.boundPort;
  }

  /** A URL clients on this machine can connect to. */
  get clientURL(): string {
    const h = this.opts.host;
    return formatUrl("nats", h === "0.0.0.0" || h === "" ? "127.0.0.1" : h === "::" ? "::1" : h, this.boundPort);
  }

  get isRunning(): boolean {
    return this.running;
  }

  get isLameDuck(): boolean {
    return this.lameDuck;
  }

  /** Open client connections served by core (see {@link foreignConnections} for the others). */
  get connections(): ReadonlyMap<number, ClientConnection> {
    return this.clients;
  }

  /** Open client connections of every kind: core's and the plugins' (Go's varz `connections`). */
  get clientCount(): number {
    return this.clients.size + this.foreignConnections.size;
  }

  get globalAccount(): Account {
    return this.accounts.get(GLOBAL_ACCOUNT)!;
  }

  get systemAccount(): Account {
    return this.accounts.get(this.options.systemAccount) ?? this.accounts.get(SYSTEM_ACCOUNT)!;
  }

  /** Every account's name: the global and system accounts and the configured ones. */
  accountNames(): string[] {
    return [...this.accounts.keys()];
  }

  lookupAccount(name: string): Account | undefined {
    return this.accounts.get(name);
  }

  /** Adds (or returns the existing) account with this name. */
  registerAccount(name: string): Account {
    let acc = this.accounts.get(name);
    if (acc === undefined) {
      this.accounts.set(name, (acc = new Account(name)));
      this.events.emit("accountRegistered", acc);
    }
    return acc;
  }

  /** Starts listening for clients, then starts the plugins. */
  async start(): Promise<void> {
    if (this.running) return;
    const { opts, log } = this;
    log.info(`Starting nats-server`);
    log.info(`  Version:  ${GO_COMPAT_VERSION} (nats-ts ${NATS_TS_VERSION})`);
    log.info(`  Name:     ${this.name}`);
    log.info(`  ID:       ${this.id}`);
    this.warnUnclaimedBlocks();
    const netServer = createNetServer({ noDelay: true }, (socket) => this.accept(socket));
    this.netServer = netServer;
    await new Promise<void>((resolve, reject) => {
      netServer.once("error", reject);
      netServer.listen({ host: opts.host, port: opts.port === -1 ? 0 : opts.port }, () => {
        netServer.off("error", reject);
        resolve();
      });
    });
    netServer.on("error", (err) => log.error(`Error accepting client connection: ${err.message}`));
    const addr = netServer.address();
    this.boundPort = typeof addr === "object" && addr !== null ? addr.port : opts.port;
    this.listeners.nats = listenerUrls("nats", opts.host, this.boundPort);
    this.buildInfo();
    this.running = true;
    log.info(`Listening for client connections on ${formatUrl("", opts.host, this.boundPort).slice(3)}`);
    if (this.clientTls !== undefined) log.info("TLS required for client connections");
    for (const plugin of this.plugins) await plugin.start(this);
    log.info("Server is ready");
  }

  /** Stops accepting, closes every connection (flushing what was queued) and stops the plugins. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.doShutdown();
    return this.shutdownPromise;
  }

  /**
   * Lame duck mode: stop accepting clients, tell connected clients (INFO with `"ldm": true`) so
   * they move elsewhere, then close them gradually over lame_duck_duration and shut down.
   */
  async enterLameDuckMode(): Promise<void> {
    if (this.lameDuck || !this.running) return;
    this.lameDuck = true;
    this.events.emit("lameDuck");
    const { opts, log } = this;
    log.info("Entering lame duck mode, stop accepting new clients");
    this.closeListener();
    this.buildInfo();
    for (const c of this.clients.values()) c.queueProto(this.infoLine(c));
    this.flushAll();
    await sleep(opts.lameDuckGracePeriod);
    // MQTT and other clients plugins serve go the same way, as Go closes every client.
    const clients: { close(reason: ClosedReason): void }[] = [...this.clients.values(), ...this.foreignConnections.values()];
    const window = Math.max(0, opts.lameDuckDuration - opts.lameDuckGracePeriod);
    const batches = Math.max(1, Math.min(clients.length, Math.ceil(window / 10)));
    const perBatch = Math.ceil(clients.length / batches);
    for (let i = 0; i < clients.length; i += perBatch) {
      for (const c of clients.slice(i, i + perBatch)) c.close(ClosedReason.ServerShutdown);
      if (i + perBatch < clients.length) await sleep(window / batches);
    }
    await this.shutdown();
  }

  /**
   * Sets the INFO fields that describe this server's cluster (Go's `cluster`, `cluster_dynamic`,
   * `connect_urls`, `ws_connect_urls`, `domain` ...; undefined removes one). With `notify`,
   * connected clients get the new INFO at once, as Go sends it when the cluster changes.
   *
   * @example
   * server.setClusterInfo({ cluster: "east", connect_urls: ["10.0.0.2:4222"] }, true);
   */
  setClusterInfo(fields: Record<string, unknown>, notify = false): void {
    this.clusterInfo = { ...this.clusterInfo, ...fields };
    if (!this.running) return;
    this.buildInfo();
    if (!notify) return;
    for (const c of this.clients.values()) {
      if (c.connect.protocol >= 1) c.queueProto(this.infoLine(c));
    }
    this.flushAll();
  }

  /** A connection id no other connection of this server has (for routes, leaf nodes, gateways). */
  allocateCid(): number {
    return this.nextCid++;
  }

  /** Creates a socketless connection for server-side subscribers and publishers. */
  createInternalClient(kind: ClientKind, account: Account = this.globalAccount): InternalClient {
    return new InternalClient(this.nextCid++, kind, account, this);
  }

  // ---- ClientHost ---------------------------------------------------------------------------

  /**
   * The publish path every connection shares. Routes and leaf nodes pass `queues`: the queue
   * groups the sending server picked this server for (see {@link routeMessage}).
   */
  publish(
    from: MessageSink | undefined,
    account: Account,
    subject: string,
    reply: string | undefined,
    headerSize: number,
    msg: Buffer,
    queues?: readonly string[],
  ): void {
    if (from !== undefined && countsInServerStats(from.kind)) {
      this.stats.inMsgs++;
      this.stats.inBytes += msg.length;
      if (isRemoteKind(from.kind)) {
        this.stats.peerInMsgs++;
        this.stats.peerInBytes += msg.length;
      }
    }
    const flags = from instanceof ClientConnection ? from.connect : undefined;
    routeMessage(this.stats, from, flags, account, subject, reply, headerSize, msg, queues);
  }

  deliverAs(from: MessageSink, account: Account, target: string, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): boolean {
    return routeMessage(this.stats, from, undefined, account, target, reply, headerSize, msg, undefined, subject) > 0;
  }

  /** Routes a message that crossed accounts (imports, service responses); says how many it reached. */
  route(account: Account, subject: string, reply: string | undefined, headerSize: number, msg: Buffer, shown?: string, localOnly = false): number {
    return routeMessage(this.stats, undefined, undefined, account, subject, reply, headerSize, msg, undefined, shown, localOnly);
  }

  compilePermissions(result: AuthResult): ClientPermissions | undefined {
    const p = result.permissions;
    if (p === undefined) return undefined;
    let compiled = this.compiledPermissions.get(p);
    if (compiled === undefined) this.compiledPermissions.set(p, (compiled = new ClientPermissions(p)));
    return compiled;
  }

  scheduleFlush(c: ClientConnection): void {
    this.flushList.push(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.runFlush);
    }
  }

  infoLine(c: ClientConnection): string {
    const overrides = c.infoOverrides;
    const authRequired = c.authenticator.required;
    if (overrides === undefined && authRequired === this.authenticator.required) return this.infoFor(c.cid, c.host, c.nonce);
    // A listener with its own INFO fields or authentication: built per connection, off the hot path.
    const fields: Record<string, unknown> = { ...this.infoFields, auth_required: authRequired || undefined, ...overrides };
    return this.infoFor(c.cid, c.host, c.nonce, `INFO ${JSON.stringify(fields).slice(0, -1)}`);
  }

  onClosed(c: ClientConnection): void {
    this.clients.delete(c.cid);
    const snapshot = c.snapshot();
    this.closedConnections.add(snapshot);
    if (snapshot.reason === ClosedReason.AuthenticationViolation) this.events.emit("authError", snapshot);
    this.events.emit("clientClosed", snapshot);
  }

  onAuthenticated(c: ClientConnection): void {
    this.events.emit("clientConnected", c);
  }

  countSlowConsumer(): void {
    this.stats.slowConsumers++;
  }

  /**
   * Serves a NATS client over any byte stream: how listeners other than the TCP one (WebSocket,
   * TLS wrappers, tests) hand connections to core. Returns undefined when the server is not
   * accepting (stopped or in lame duck mode); the stream is destroyed then.
   */
  acceptConnection(stream: Duplex, endpoint: ConnectionEndpoint): ClientConnection | undefined {
    return this.serve(stream, endpoint, this.nextCid++);
  }

  /**
   * Re-applies configuration at runtime (Go's config reload): logging, authorization, users,
   * permissions, accounts, mappings, limits and TLS certificates for new connections. Options Go
   * can not change at runtime (the listen port, the server name ...) make it throw and leave the
   * running configuration as it was; so do invalid options. Connected clients are checked again:
   * those whose credentials no longer pass are closed with "Authorization Violation".
   * Returns the option names that changed.
   *
   * @example
   * const { options } = optionsFromConf(loadConfFile("nats.conf"));
   * try { server.reload(options); } catch (e) { log.error(`Failed to reload server configuration: ${e.message}`); }
   */
  reload(input: ServerOptionsInput, logger?: Logger): string[] {
    const next = resolveOptions(input);
    checkReloadable(this.options, next);
    const { plan } = planAuth(next);
    const tls = next.tls === undefined ? undefined : loadClientTls(next.tls);
    const changed = describeChanges(this.options, next);
    this.options = next;
    if (logger !== undefined) this.log = logger;
    this.clientTls = tls;
    if (!this.customAuthenticator) this.authenticator = configAuthenticator(next, plan);
    this.applyAccounts(plan);
    if (this.running) this.buildInfo();
    for (const c of [...this.clients.values()]) {
      c.applyLimits();
      c.recheckAuthorization();
    }
    // Go closes the newest connections when max_connections drops below the current count.
    const excess = this.clients.size - next.maxConnections;
    if (excess > 0) {
      for (const c of [...this.clients.values()].sort((a, b) => b.cid - a.cid).slice(0, excess)) {
        c.sendErr("maximum connections exceeded");
        c.close(ClosedReason.MaxConnectionsExceeded);
      }
    }
    for (const name of changed) this.log.info(`Reloaded: ${name}`);
    this.log.info("Reloaded server configuration");
    return changed;
  }

  // ---- internals ----------------------------------------------------------------------------

  /**
   * Creates, reconfigures and removes accounts to match the plan, then wires imports. Accounts
   * registered by code (plugins, embedders) rather than configured are left alone.
   */
  private applyAccounts(plan: AuthPlan): void {
    for (const name of this.configuredAccounts) {
      const acc = this.accounts.get(name);
      if (acc !== undefined && !plan.accounts.has(name) && name !== GLOBAL_ACCOUNT && name !== SYSTEM_ACCOUNT) {
        acc.close();
        this.accounts.delete(name);
      }
    }
    this.configuredAccounts = new Set(plan.accounts.keys());
    for (const p of plan.accounts.values()) this.registerAccount(p.name).configure(p);
    const lookup = (name: string) => this.accounts.get(name);
    for (const acc of this.accounts.values()) acc.wireImports(lookup, this);
  }

  private infoFor(cid: number, host: string, nonce: string | undefined, prefix = this.infoPrefix): string {
    const n = nonce === undefined ? "" : `,"nonce":"${nonce}"`;
    return `${prefix},"client_id":${cid},"client_ip":${JSON.stringify(host)}${n}${this.lameDuck ? ',"ldm":true' : ""}}\r\n`;
  }

  private serve(stream: Duplex, endpoint: ConnectionEndpoint, cid: number): ClientConnection | undefined {
    if (!this.running || this.lameDuck) {
      stream.destroy();
      return undefined;
    }
    const c = new ClientConnection(cid, stream, this, endpoint);
    this.stats.totalConnections++;
    this.clients.set(c.cid, c);
    c.begin();
    if (this.clientCount > this.opts.maxConnections) {
      this.log.error(`${c} - maximum connections exceeded`);
      c.sendErr("maximum connections exceeded");
      c.close(ClosedReason.MaxConnectionsExceeded);
    }
    return c;
  }

  /** A plugin started with this server, by name ("jetstream", "monitor" ...). */
  plugin<T extends ServerPlugin>(name: string): T | undefined {
    return this.plugins.find((p) => p.name === name) as T | undefined;
  }

  /**
   * A new TCP client. With TLS, Go sends INFO in the clear and then expects the handshake, unless
   * handshake_first asks for TLS before anything else.
   */
  private accept(socket: Socket): void {
    const endpoint: ConnectionEndpoint = { remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0 };
    const tls = this.clientTls;
    if (tls === undefined) {
      this.serve(socket, endpoint, this.nextCid++);
      return;
    }
    const cid = this.nextCid++;
    socket.on("error", () => {});
    const { handshakeFirst, handshakeFirstFallback } = tls.options;
    if (!handshakeFirst) return this.serveTlsAfterInfo(socket, tls, endpoint, cid);
    if (handshakeFirstFallback === 0) return this.serveTlsFirst(socket, tls, endpoint, cid);
    // "auto": a TLS-first client speaks first; one that waits for INFO gets it after the delay.
    const onData = (chunk: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      socket.unshift(chunk);
      this.serveTlsFirst(socket, tls, endpoint, cid);
    };
    const timer = setTimeout(() => {
      socket.off("data", onData);
      this.serveTlsAfterInfo(socket, tls, endpoint, cid);
    }, handshakeFirstFallback);
    socket.once("data", onData);
  }

  private serveTlsFirst(socket: Socket, tls: ClientTls, endpoint: ConnectionEndpoint, cid: number): void {
    serveTls(
      socket,
      tls,
      (secure, certificate) => this.serve(secure, { ...endpoint, certificate, tls: describeTls(secure, true) }, cid),
      (m) => this.tlsError(endpoint, cid, m),
    );
  }

  private serveTlsAfterInfo(socket: Socket, tls: ClientTls, endpoint: ConnectionEndpoint, cid: number): void {
    const nonce = this.authenticator.needsNonce ? randomBytes(11).toString("base64url") : undefined;
    socket.write(this.infoFor(cid, endpoint.remoteAddress, nonce));
    serveTls(
      socket,
      tls,
      (secure, certificate) => this.serve(secure, { ...endpoint, certificate, greeted: true, nonce, tls: describeTls(secure) }, cid),
      (m) => this.tlsError(endpoint, cid, m),
    );
  }

  private tlsError(endpoint: ConnectionEndpoint, cid: number, message: string): void {
    this.log.error(`${endpoint.remoteAddress}:${endpoint.remotePort} - cid:${cid} - TLS handshake error: ${message}`);
  }

  private flushAll(): void {
    this.flushScheduled = false;
    const list = this.flushList;
    this.flushList = [];
    for (let i = 0; i < list.length; i++) list[i].flush();
  }

  /** INFO fields up to the per-connection ones, in Go's field order, and their JSON prefix. */
  private buildInfo(): void {
    const { opts } = this;
    const info: Record<string, unknown> = {
      server_id: this.id,
      server_name: this.name,
      version: GO_COMPAT_VERSION,
      proto: PROTO_VERSION,
      go: `node${process.version}`,
      host: opts.host,
      port: this.boundPort,
      headers: true,
    };
    // Listed even when unset so that a listener's overrides keep Go's field order.
    info.auth_required = this.authenticator.required || undefined;
    info.tls_required = this.clientTls !== undefined || undefined;
    info.tls_verify = this.clientTls?.verifyClients || undefined;
    info.tls_available = undefined;
    info.max_payload = opts.maxPayload;
    if (opts.jetstream !== false) info.jetstream = true;
    Object.assign(info, this.clusterInfo);
    info.nats_ts_version = NATS_TS_VERSION;
    this.infoFields = info;
    this.infoPrefix = `INFO ${JSON.stringify(info).slice(0, -1)}`;
  }

  private warnUnclaimedBlocks(): void {
    const names = new Set(this.plugins.map((p) => p.name));
    if (this.opts.jetstream !== false && !names.has("jetstream")) {
      this.log.warn("JetStream was requested but this nats-ts build does not include it yet: running without JetStream");
    }
    if (this.opts.httpPort !== 0 && !names.has("monitor")) {
      this.log.warn("Monitoring was requested but this nats-ts build does not include it yet: no HTTP port opened");
    }
    const claimed = new Set(this.plugins.flatMap((p) => p.blocks ?? []));
    for (const block of Object.keys(this.opts.blocks)) {
      if (!claimed.has(block)) this.log.warn(`The "${block}" block is not supported by this nats-ts build yet: ignored`);
    }
  }

  /** Stops accepting. The port is released at once; close()'s callback would wait for every client. */
  private closeListener(): void {
    this.netServer?.close();
    this.netServer = undefined;
  }

  private async doShutdown(): Promise<void> {
    if (!this.running) return;
    this.events.emit("shuttingDown");
    this.running = false;
    this.closeListener();
    for (const c of [...this.clients.values()]) c.close(ClosedReason.ServerShutdown);
    for (const plugin of [...this.plugins].reverse()) await plugin.stop?.();
    for (const acc of this.accounts.values()) acc.close();
    this.log.info("Server Exiting..");
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
