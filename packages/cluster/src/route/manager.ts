import type { Server as NetServer, Socket } from "node:net";
import { networkInterfaces } from "node:os";
import type { Duplex } from "node:stream";
import { configAuthenticator, listenerUrls, resolveOptions, type Authenticator, type ConnectInfo, type NatsServer } from "@nats-ts/core";
import { RouteClosed, RouteConnection, type RouteClosedReason, type RouteHost, type RouteType } from "./connection.js";
import type { RouteConnectInfo, RouteInfo } from "./info.js";
import { interestProto, LocalInterestTracker, type LocalInterest } from "./interest.js";
import type { RouteOptions } from "./options.js";
import { permissionCheck } from "./permissions.js";
import { RouteTable, type RemoteServer } from "./pool.js";
import { joinHostPort, parseHostPort } from "../shared/addresses.js";
import { clusterUrls, type ClusterUrls } from "../shared/cluster-urls.js";
import { infoHead, protoLine } from "../shared/info.js";
import { backoffDelay, dialTcp, shouldReportConnectError } from "../shared/reconnect.js";
import { closeListener, listenForPeers } from "../shared/listener.js";
import { randomNonce, randomNuid } from "../shared/nuid.js";
import { Timers } from "../shared/timers.js";
import { PeerTls } from "../shared/tls.js";
import { connectUrls, parseRouteUrl, redacted, sameRouteUrl, type RouteUrl } from "./urls.js";
import { needsCompression } from "../shared/compression/index.js";
import { announcedCompression, compressionWithoutNegotiation, switchToCompression } from "./compression.js";

/** Go's DEFAULT_ROUTE_CONNECT, DEFAULT_ROUTE_CONNECT_MAX, DEFAULT_ROUTE_RECONNECT and DEFAULT_ROUTE_DIAL. */
const CONNECT_DELAY = 1000;
const CONNECT_MAX_DELAY = 30_000;
const RECONNECT_DELAY = 1000;
const DIAL_TIMEOUT = 1000;
/**
 * Go's RouteProtoV2 (routes that name the account). Not MsgTraceProto: nats-ts does not trace
 * messages across servers.
 */
const ROUTE_PROTO_V2 = 2;
/** The largest pool size a remote may announce (Go has no bound; real pools are a handful of connections). */
const MAX_POOL_SIZE = 1024;
/** Go's routeMaxPingInterval. */
const MAX_PING_INTERVAL = 30_000;

/**
 * Marks a route as one this server dialled, taking the URL of the connection that proves it
 * (Go's upgradeRouteToSolicited): an explicit route reconnects only to a configured URL.
 */
function upgradeToSolicited(r: RouteConnection, url: RouteUrl | undefined, type: RouteType): void {
  if (!r.didSolicit || (type === "explicit" && r.routeType !== "explicit")) r.url = url;
  r.didSolicit = true;
  if (type === "explicit") r.routeType = "explicit";
}

/** A route CONNECT's credentials in the shape core's authenticator reads. */
function credentials(connect: RouteConnectInfo): ConnectInfo {
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    verbose: false,
    pedantic: false,
    echo: true,
    headers: true,
    noResponders: false,
    protocol: 1,
    tlsRequired: connect.tls_required === true,
    name: str(connect.name) ?? "",
    lang: "",
    version: "",
    user: str(connect.user),
    pass: str(connect.pass) ?? "",
  };
}

/**
 * Routes of one server (Go's route.go): the route listener, explicit routes solicited and
 * retried forever, implicit routes learned from gossip, a pool of route connections per remote
 * server plus one per pinned account (duplicates resolved as Go does), the interest exchange and
 * the clients' view of the cluster.
 */
export class RouteManager implements RouteHost {
  /** Registered route connections: each remote server's pool and the pinned accounts' routes. */
  readonly table: RouteTable;
  /** Connections still in their handshake. */
  private readonly pending = new Set<RouteConnection>();
  private listener: NetServer | undefined;
  private boundPort = 0;
  private running = false;
  private clusterName: string;
  private dynamic: boolean;
  private nextCid = 1;
  private readonly timers = new Timers();
  private readonly sockets = new Set<Socket>();
  private interest: LocalInterestTracker | undefined;
  private readonly tls: PeerTls | undefined;
  /** Route credentials checked like client ones (plain or bcrypt password), by core's authenticator. */
  private readonly routeAuth: Authenticator | undefined;
  private readonly importCheck: (subject: string) => boolean;
  private readonly exportCheck: (subject: string) => boolean;
  /** Remote servers' client URLs, counted by how many routes advertised each (Go's clientConnectURLsMap). */
  private readonly remoteClientUrls = new Map<string, number>();
  private ownClientUrls: string[] = [];
  private lameDuck = false;
  private excludedAddresses = new Set<string>();
  private readonly onLameDuck = () => this.enterLameDuck();
  /** This server's leaf node URL for the other members, and theirs for the leaf node service. */
  private readonly leafUrls: ClusterUrls;
  private readonly gatewayUrls: ClusterUrls;

  constructor(
    readonly server: NatsServer,
    readonly opts: RouteOptions,
  ) {
    this.dynamic = opts.name === undefined;
    this.leafUrls = clusterUrls(server, "leafnode");
    this.gatewayUrls = clusterUrls(server, "gateway");
    this.clusterName = opts.name ?? randomNuid();
    this.tls = opts.tls === undefined ? undefined : new PeerTls(opts.tls);
    this.routeAuth =
      opts.username === undefined || opts.username === ""
        ? undefined
        : configAuthenticator(resolveOptions({ authorization: { user: opts.username, password: opts.password ?? "" } }));
    this.importCheck = permissionCheck(opts.permissions?.import);
    this.exportCheck = permissionCheck(opts.permissions?.export);
    // Go pins the system account whenever routes are pooled.
    const pinned = [...opts.pinnedAccounts];
    const sys = server.systemAccount.name;
    if (opts.poolSize > 0 && !pinned.includes(sys)) pinned.push(sys);
    this.table = new RouteTable(opts.poolSize > 0 ? opts.poolSize : 1, pinned);
  }

  get authRequired(): boolean {
    return this.opts.username !== undefined && this.opts.username !== "";
  }

  get name(): string {
    return this.clusterName;
  }

  /** The route listener's port. */
  get port(): number {
    return this.boundPort;
  }

  /** Routes closed as slow consumers (Go's slow_consumer_stats.routes). */
  slowConsumers = 0;

  onSlowConsumer(): void {
    this.slowConsumers++;
    this.server.countSlowConsumer();
  }

  canImport(subject: string): boolean {
    return this.importCheck(subject);
  }

  canExport(subject: string): boolean {
    return this.exportCheck(subject);
  }

  async start(): Promise<void> {
    const { server, opts } = this;
    const log = server.log;
    log.info(`Cluster name is ${this.clusterName}`);
    if (this.dynamic) log.warn("Cluster name was dynamically generated, consider setting one");
    const words = { port: "router", connection: "route", connections: "route" };
    const { server: listener, port } = await listenForPeers(log, opts.host, opts.port, words, (socket) => this.accept(socket));
    this.listener = listener;
    this.boundPort = port;
    // Go's ports file lists the cluster listener as nats:// URLs.
    this.server.listeners.cluster = listenerUrls("nats", opts.host, this.boundPort);
    if (opts.advertise !== undefined && parseHostPort(opts.advertise, this.boundPort) === undefined) {
      await this.closeListener();
      throw new Error(`Error setting route INFO with Cluster.Advertise value of ${opts.advertise}, err=address ${opts.advertise}: too many colons in address`);
    }
    if (this.tls?.opts.insecure) log.warn("TLS certificate chain and hostname of solicited routes will not be verified. DO NOT USE IN PRODUCTION!");
    this.excludedAddresses = this.selfAddresses();
    this.ownClientUrls = connectUrls(undefined, server.opts.host, server.port);
    this.running = true;
    // Gateway gossip rides on the routes (Go's forwardNewGatewayToLocalCluster).
    this.gatewayUrls.setRouteSender((line) => {
      for (const r of this.table.firstOfEachRemote()) r.sendProto(line);
    });
    server.setClusterInfo({ cluster: this.clusterName }, true);
    server.events.on("lameDuck", this.onLameDuck);
    this.interest = new LocalInterestTracker(server, (i, add) => this.broadcastInterest(i, add));
    for (const url of opts.routes) this.connectToRoute(url, "explicit", true);
    for (const account of this.table.pinned.keys()) for (const url of opts.routes) this.connectToRoute(url, "explicit", true, account);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.server.events.off("lameDuck", this.onLameDuck);
    this.interest?.stop();
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    for (const c of [...this.pending, ...this.table.connections()]) c.close(RouteClosed.ServerShutdown);
    this.leafUrls.forgetMembers();
    this.gatewayUrls.forgetMembers();
    this.gatewayUrls.setRouteSender(undefined);
    await this.closeListener();
  }

  private closeListener(): Promise<void> {
    const l = this.listener;
    this.listener = undefined;
    return closeListener(l);
  }

  /** Every `ip:port` that reaches this server's route listener: never dialled (Go's routesToSelf). */
  private selfAddresses(): Set<string> {
    const out = new Set<string>([joinHostPort("localhost", this.boundPort)]);
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) out.add(joinHostPort(a.address, this.boundPort).toLowerCase());
    }
    return out;
  }

  // ---- INFO --------------------------------------------------------------------------------

  /**
   * This server's route INFO, in Go's field order; a new connection's names its pool index or
   * pinned account, and the compression mode (only the INFOs of the handshake carry one).
   */
  routeInfo(extra: { nonce?: string; ldm?: boolean; poolIdx?: number; account?: string; compression?: string } = {}): RouteInfo {
    const { server, opts } = this;
    let host = opts.host;
    let port = this.boundPort;
    let ip: string | undefined;
    if (opts.advertise !== undefined) {
      const hp = parseHostPort(opts.advertise, this.boundPort)!;
      host = hp.host;
      port = hp.port;
      ip = `nats-route://${joinHostPort(host, port)}/`;
    }
    const tls = this.tls !== undefined;
    const info: RouteInfo = {
      ...infoHead(server, { proto: ROUTE_PROTO_V2, host, port, authRequired: this.authRequired, tlsRequired: tls, tlsVerify: tls }),
      server_id: server.id,
      ip,
      nonce: extra.nonce,
      cluster: this.clusterName,
      cluster_dynamic: this.dynamic || undefined,
      connect_urls: opts.noAdvertise || this.ownClientUrls.length === 0 ? undefined : this.ownClientUrls,
      ldm: extra.ldm,
      compression: extra.compression,
      import: opts.permissions?.import,
      export: opts.permissions?.export,
      lnoc: true,
      lnocu: true,
      route_pool_size: opts.poolSize > 0 ? opts.poolSize : undefined,
      route_pool_idx: extra.poolIdx === 0 ? undefined : extra.poolIdx,
      route_account: extra.account,
      leafnode_urls: this.leafUrls.localUrl === undefined ? undefined : [this.leafUrls.localUrl],
      gateway_url: this.gatewayUrls.localUrl,
    };
    return info;
  }

  private connectProto(url: RouteUrl): string {
    const connect: RouteConnectInfo = {
      echo: true,
      verbose: false,
      pedantic: false,
      user: url.user ?? (url.password === undefined ? undefined : ""),
      pass: url.password,
      tls_required: this.tls !== undefined,
      headers: true,
      name: this.server.id,
      cluster: this.clusterName,
      cluster_dynamic: this.dynamic || undefined,
      lnoc: true,
      lnocu: true,
    };
    return protoLine("CONNECT", connect);
  }

  // ---- connections -------------------------------------------------------------------------

  private accept(socket: Socket): void {
    if (!this.running) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.upgrade(socket, undefined, "implicit", undefined);
  }

  /** TLS first when configured, then the route handshake. */
  private upgrade(socket: Socket, url: RouteUrl | undefined, type: RouteType, account: string | undefined): void {
    const address = socket.remoteAddress ?? "";
    const port = socket.remotePort ?? 0;
    if (this.tls === undefined) return this.createRoute(socket, address, port, url, type, account);
    this.sockets.add(socket);
    socket.on("error", () => {});
    const handshake = url === undefined ? this.tls.accept(socket, this.tls.opts.verify) : this.tls.solicit(socket, url.host);
    handshake.then(
      (secure) => {
        this.sockets.delete(socket);
        if (!this.running) return secure.destroy();
        this.createRoute(secure, address, port, url, type, account);
      },
      (err: Error) => {
        this.sockets.delete(socket);
        this.server.log.error(`${joinHostPort(address, port)} - rid:${this.nextCid++} - TLS route handshake error: ${err.message}`);
        if (url !== undefined && type === "explicit" && this.running) this.scheduleConnect(url, type, RECONNECT_DELAY, account);
      },
    );
  }

  private createRoute(socket: Duplex, address: string, port: number, url: RouteUrl | undefined, type: RouteType, account: string | undefined): void {
    const c = new RouteConnection(this, socket, this.nextCid++, address, port, url, type);
    c.account = account;
    this.pending.add(c);
    const compression = this.opts.compression;
    const negotiates = needsCompression(compression.mode);
    // A solicited pooled connection learns its pool index from the remote's INFO, and compression
    // is negotiated on the remote's INFO: ours goes after it (Go's routeShouldDelayInfo).
    c.infoDelayed = url !== undefined && (negotiates || (account === undefined && this.opts.poolSize >= 1));
    const info = c.infoDelayed ? "" : protoLine("INFO", this.routeInfo({ nonce: randomNonce(), account, compression: announcedCompression(compression) }));
    if (url !== undefined) this.server.log.debug(`${c} - Route connect msg sent`);
    c.begin(url === undefined ? info : this.connectProto(url) + info, this.opts.authTimeout, negotiates ? compression : undefined);
    const { interval, maxOut } = this.pings();
    c.watchHandshake(interval * (maxOut + 1));
  }

  /** The route ping interval (capped as Go's routeMaxPingInterval) and how many may go unanswered. */
  private pings(): { interval: number; maxOut: number } {
    const so = this.server.opts;
    return { interval: Math.min(this.opts.pingInterval ?? so.pingInterval, MAX_PING_INTERVAL), maxOut: this.opts.pingMax ?? so.pingMax };
  }

  /**
   * Dials a route until it connects: forever for explicit routes, `connect_retries` more times for
   * implicit ones. `account` makes it a pinned account's dedicated route.
   */
  private connectToRoute(url: RouteUrl, type: RouteType, firstConnect: boolean, account?: string, attempts = 0): void {
    if (!this.running) return;
    if (this.excludedAddresses.has(joinHostPort(url.host, url.port).toLowerCase())) return;
    this.server.log.debug(`Trying to connect to route on ${joinHostPort(url.host, url.port)}`);
    const socket = dialTcp(url.host, url.port, DIAL_TIMEOUT, (err) => {
      this.sockets.delete(socket);
      if (!this.running) return socket.destroy();
      if (err === undefined) return this.upgrade(socket, url, type, account);
      attempts++;
      const text = `Error trying to connect to route (attempt ${attempts}): ${err.message}`;
      if (shouldReportConnectError(firstConnect, attempts)) this.server.log.error(text);
      else this.server.log.debug(text);
      if (type === "implicit" && (this.opts.connectRetries <= 0 || attempts > this.opts.connectRetries)) return;
      const delay = this.opts.connectBackoff ? backoffDelay(CONNECT_DELAY, attempts - 1, CONNECT_MAX_DELAY) : CONNECT_DELAY;
      this.timers.after(delay, () => this.connectToRoute(url, type, firstConnect, account, attempts));
    });
    this.sockets.add(socket);
  }

  private scheduleConnect(url: RouteUrl, type: RouteType, extra: number, account: string | undefined): void {
    // Random delay so two servers that lost both their connections to each other do not collide again.
    this.timers.after(Math.floor(Math.random() * 100) + extra, () => this.connectToRoute(url, type, false, account));
  }


  // ---- handshake (RouteHost) ---------------------------------------------------------------

  onConnect(c: RouteConnection, connect: RouteConnectInfo): boolean {
    const log = this.server.log;
    if (this.routeAuth !== undefined && this.routeAuth.authenticate(credentials(connect), {}) === undefined) {
      log.error(`${c} - authentication error`);
      c.sendErr("Authorization Violation");
      c.close(RouteClosed.AuthenticationViolation);
      return false;
    }
    if (typeof connect.lang === "string" && connect.lang !== "") {
      log.error(`${c} - attempted to connect to route port`);
      c.sendErr("attempted to connect to route port");
      c.close(RouteClosed.WrongPort);
      return false;
    }
    if (typeof connect.gateway === "string" && connect.gateway !== "") {
      const text = `Rejecting connection from gateway "${connect.gateway}" on the Route port`;
      log.error(`${c} - ${text}`);
      c.sendErr(text);
      c.close(RouteClosed.WrongGateway);
      return false;
    }
    const theirs = typeof connect.cluster === "string" ? connect.cluster : "";
    if (theirs !== this.clusterName) {
      if (this.dynamic && (connect.cluster_dynamic !== true || this.clusterName < theirs)) {
        this.setClusterName(theirs, connect.cluster_dynamic === true);
        this.removeAllRoutesExcept(typeof connect.name === "string" ? connect.name : "");
      } else {
        const text = `Rejecting connection, cluster name "${theirs}" does not match "${this.clusterName}"`;
        log.error(`${c} - ${text}`);
        c.sendErr(text);
        c.close(RouteClosed.ClusterNameConflict);
        return false;
      }
    }
    return true;
  }

  onFirstInfo(c: RouteConnection, info: RouteInfo): boolean {
    const { server } = this;
    if (info.server_id === server.id) {
      c.remoteId = info.server_id;
      c.close(RouteClosed.DuplicateRoute);
      return true;
    }
    if (info.cluster !== undefined && info.cluster !== "" && info.cluster !== this.clusterName) {
      if (this.dynamic && (info.cluster_dynamic !== true || this.clusterName < info.cluster)) {
        this.setClusterName(info.cluster, info.cluster_dynamic === true);
        this.removeAllRoutesExcept(info.server_id);
      } else {
        c.close(RouteClosed.ClusterNameConflict);
        return true;
      }
    }
    if (!c.didSolicit && info.server_name !== undefined && info.server_name === server.name) {
      server.log.error(`${c} - Remote server has a duplicate name: "${info.server_name}"`);
      c.close(RouteClosed.DuplicateServerName);
      return true;
    }
    if (c.compressionOptions === undefined) c.compression = compressionWithoutNegotiation(this.opts.compression, info);
    else if (!c.compressionNegotiated) {
      const proto = (compression: string | undefined) => protoLine("INFO", this.routeInfo({ nonce: randomNonce(), account: c.account, compression }));
      try {
        if (switchToCompression(c, info, this.opts.compression, proto)) return false;
      } catch (e) {
        this.refuse(c, (e as Error).message);
        return true;
      }
      if (c.closed) return true;
    }
    c.remoteId = info.server_id;
    c.remoteName = info.server_name ?? "";
    if (c.url === undefined) c.url = parseRouteUrl(`nats-route://${joinHostPort(info.host ?? "", info.port ?? 0)}/`);
    // Where the remote can be reached: its advertised address, else the address it connected from.
    if (info.ip === undefined || info.ip === "") info.ip = `nats-route://${joinHostPort(c.remoteAddress, info.port ?? 0)}/`;
    // A pinned account's route: ours names the account when we dial, the remote's INFO when it dials.
    if (c.didSolicit && c.account !== undefined) info.route_account = c.account;
    else if (!c.didSolicit && typeof info.route_account === "string" && info.route_account !== "") c.account = info.route_account;
    if (this.addRoute(c, info)) {
      this.server.log.debug(`${c} - Registering remote route "${info.server_id}"${c.account === undefined ? "" : ` for account "${c.account}"`}`);
      this.sendSubsToRoute(c);
      const { interval, maxOut } = this.pings();
      c.startPings(interval, maxOut);
    } else if (!c.closed) {
      this.server.log.debug(`${c} - Detected duplicate remote route "${info.server_id}"`);
      c.close(RouteClosed.DuplicateRoute);
    }
    return true;
  }

  onAsyncInfo(c: RouteConnection, info: RouteInfo): void {
    // Gateway information relayed by a route is the gateways' business, not a new route.
    if (typeof info.gateway === "string" && info.gateway !== "") {
      if (!this.gatewayUrls.routeInfo(info as unknown as Record<string, unknown>, c.remoteId)) {
        this.server.log.error(`Received information about gateway "${info.gateway}" from ${c.remoteId}, but gateway is not configured`);
      }
      return;
    }
    if (info.server_id === "") return;
    if (c.remoteId !== "" && info.server_id !== c.remoteId) {
      this.processImplicitRoute(info, c.noPool);
      return;
    }
    const remote = this.table.remotes.get(c.remoteId);
    if (info.ldm === true && remote !== undefined && remote.connectUrls.length > 0) {
      const urls = remote.connectUrls;
      remote.connectUrls = [];
      if (!this.opts.noAdvertise && this.removeClientUrls(urls)) this.publishClientUrls();
    }
  }

  /** Sends `text` as -ERR, logs it and closes the connection (Go's sendErrAndErr then closeConnection). */
  private refuse(c: RouteConnection, text: string, reason: RouteClosedReason = RouteClosed.ProtocolViolation): false {
    c.sendErr(text);
    this.server.log.error(`${c} - ${text}`);
    c.close(reason);
    return false;
  }

  /**
   * Registers the connection in its remote's pool or as a pinned account's route; false when it
   * is not wanted (a duplicate, a full pool, a protocol error). Go's addRoute.
   */
  private addRoute(c: RouteConnection, info: RouteInfo): boolean {
    if (c.closed) return false;
    if (!this.running) {
      c.close(RouteClosed.ServerShutdown);
      return false;
    }
    const id = info.server_id;
    const account = c.account;
    if (account !== undefined && this.server.lookupAccount(account) === undefined) {
      return this.refuse(c, `Unable to lookup account "${account}": account missing`, RouteClosed.MissingAccount);
    }
    const remotePoolSize = typeof info.route_pool_size === "number" && info.route_pool_size > 0 ? info.route_pool_size : 0;
    // Go takes any size; a bound keeps a hostile INFO from making us allocate and scan a huge pool.
    if (!Number.isSafeInteger(remotePoolSize) || remotePoolSize > MAX_POOL_SIZE) return this.refuse(c, `Invalid route pool size: ${remotePoolSize}`);
    const remoteIdx = info.route_pool_idx ?? 0;
    // Servers with different pool sizes use the larger one between them (Go 2.11's rolling upgrades).
    const effective = Math.max(this.table.poolSize, remotePoolSize);
    let pool = remotePoolSize > 0;
    let noReconnectForOldServer = false;
    if (!pool || this.opts.poolSize < 0) {
      if (account !== undefined) {
        c.noReconnect = true;
        return this.refuse(c, `Not possible to have a dedicated route for account "${account}" between those servers`);
      }
      // An older server, or pooling off on either side: one connection carries every account.
      pool = false;
      noReconnectForOldServer = true;
      c.noPool = true;
    } else if (c.didSolicit) {
      if (remoteIdx !== 0) return this.refuse(c, `Route pool index should not be set but is set to ${remoteIdx}`);
    } else if (!Number.isInteger(remoteIdx) || remoteIdx < 0 || remoteIdx >= effective) {
      return this.refuse(c, `Invalid route pool index: ${remoteIdx} - pool size is ${remotePoolSize}`);
    }
    if (account !== undefined) return this.addPinnedRoute(c, info, account);

    let remote = this.table.remotes.get(id);
    const exists = remote !== undefined;
    let idx = -1;
    let size = 0;
    if (remote === undefined) {
      remote = { id, conns: new Array<RouteConnection | undefined>(effective).fill(undefined), poolSize: undefined, connectUrls: [] };
      this.table.remotes.set(id, remote);
      idx = pool ? remoteIdx : 0;
    } else if (pool) {
      // The remote may have grown its pool since its first connection.
      while (remote.conns.length < effective) remote.conns.push(undefined);
      if (!c.didSolicit) {
        idx = remoteIdx;
        const there = remote.conns[idx];
        if (there !== undefined) return this.keepExisting(there, c, false);
        const solicited = remote.conns.find((r) => r?.didSolicit);
        if (solicited !== undefined) upgradeToSolicited(c, solicited.url, solicited.routeType);
      } else {
        for (const r of remote.conns) if (r !== undefined) upgradeToSolicited(r, c.url, c.routeType);
      }
      for (let i = 0; i < remote.conns.length; i++) {
        if (remote.conns[i] !== undefined) size++;
        else if (idx === -1) idx = i;
      }
    }
    if (idx >= 0) this.registerPooled(c, remote, idx, ++size === 1 || !pool, info, pool && idx === 0 ? remotePoolSize : undefined);
    if (pool) {
      if (idx >= 0) {
        // The pool's next connection, once this one's first PONG shows the handshake (and credentials) work.
        if (c.didSolicit && size !== effective && c.url !== undefined) c.startNewRoute = { url: c.url, type: c.routeType };
        return true;
      }
      this.server.log.debug(`${c} - Route pool size reached, closing extra connection to "${id}"`);
      return this.keepExisting(undefined, c, true);
    }
    if (exists) return this.keepExisting(remote.conns[0], c, noReconnectForOldServer);
    return true;
  }

  /** A pinned account's dedicated route to one remote server. */
  private addPinnedRoute(c: RouteConnection, info: RouteInfo, account: string): boolean {
    const conns = this.table.pinned.get(account);
    if (conns === undefined) return this.refuse(c, `No route for account "${account}"`);
    const existing = conns.get(info.server_id);
    if (existing !== undefined) return this.keepExisting(existing, c, true);
    if (c.infoDelayed) c.sendProto(protoLine("INFO", this.routeInfo({ nonce: randomNonce(), account, compression: announcedCompression(this.opts.compression, c.compression) })));
    conns.set(info.server_id, c);
    this.pending.delete(c);
    c.registered = true;
    if (conns.size > 1) this.forwardNewRouteInfo(info);
    return true;
  }

  /** Puts a connection at `idx` of its remote's pool; the remote's first connection announces the server. */
  private registerPooled(c: RouteConnection, remote: RemoteServer, idx: number, first: boolean, info: RouteInfo, remotePoolSize: number | undefined): void {
    c.poolIdx = idx;
    if (c.infoDelayed) c.sendProto(protoLine("INFO", this.routeInfo({ nonce: randomNonce(), poolIdx: idx, compression: announcedCompression(this.opts.compression, c.compression) })));
    if (remotePoolSize !== undefined) remote.poolSize = remotePoolSize;
    remote.conns[idx] = c;
    this.pending.delete(c);
    c.registered = true;
    if (!first) return;
    remote.connectUrls = info.connect_urls ?? [];
    if (typeof info.gateway_url === "string" && info.gateway_url !== "") this.gatewayUrls.setMember(info.server_id, info.gateway_url);
    // The remote clusters this server reaches, so the new member connects there too (Go's sendGatewayConfigsToRoute).
    for (const line of this.gatewayUrls.linesForNewRoute()) c.sendProto(line);
    if (this.table.remotes.size > 1) this.forwardNewRouteInfo(info);
    if (!this.opts.noAdvertise && this.addClientUrls(remote.connectUrls)) this.publishClientUrls();
    // A route INFO names at most the sender's own leaf URL (Go's addLeafNodeURL).
    const leafUrls = info.leafnode_urls;
    if (Array.isArray(leafUrls) && leafUrls.length === 1 && typeof leafUrls[0] === "string") this.leafUrls.setMember(info.server_id, leafUrls[0]);
  }

  /**
   * Keeps `existing` (when there is one) over the new connection `c`, which the caller closes:
   * `existing` takes over the dialled URL and the duty to reconnect (Go's handleDuplicateRoute).
   */
  private keepExisting(existing: RouteConnection | undefined, c: RouteConnection, noReconnect: boolean): false {
    if (noReconnect) c.noReconnect = true;
    if (existing === undefined) return false;
    if (c.didSolicit && !existing.didSolicit) {
      existing.didSolicit = true;
      existing.url = c.url;
    }
    if (c.routeType === "explicit") existing.routeType = "explicit";
    // Both servers may have kept the opposite connection: the survivor must be able to reconnect.
    existing.retry = true;
    return false;
  }

  /**
   * Gossip: tell the other servers about the new route so they connect to it; a pinned account's
   * route goes through that account's routes where there are some, never to a server that does
   * not pool (Go's forwardNewRouteInfoToKnownServers).
   */
  private forwardNewRouteInfo(info: RouteInfo): void {
    const proto = protoLine("INFO", { ...info, nonce: undefined });
    const account = typeof info.route_account === "string" && info.route_account !== "" ? info.route_account : undefined;
    const told = new Set<string>();
    if (account !== undefined) {
      for (const [id, r] of this.table.pinned.get(account) ?? []) {
        told.add(id);
        if (id !== info.server_id) r.sendProto(proto);
      }
    }
    for (const r of this.table.firstOfEachRemote()) {
      if (told.has(r.remoteId) || r.remoteId === info.server_id) continue;
      if (account === undefined || !r.noPool) r.sendProto(proto);
    }
  }

  /** A server (or a pinned account's route to it) we heard about through gossip: connect unless we already do, or it is configured. */
  private processImplicitRoute(info: RouteInfo, fromNoPoolRoute: boolean): void {
    const id = info.server_id;
    if (id === this.server.id) return;
    const account = typeof info.route_account === "string" && info.route_account !== "" ? info.route_account : undefined;
    if (account !== undefined && this.opts.poolSize <= 0) return;
    if (this.table.knows(id, account) || this.hasThisRouteConfigured(info)) return;
    const url = parseRouteUrl(info.ip ?? "");
    if (url === undefined) {
      this.server.log.error(`Error parsing URL from INFO: ${info.ip}`);
      return;
    }
    const withAuth: RouteUrl = info.auth_required === true ? { ...url, user: this.opts.username, password: this.opts.password } : url;
    this.connectToRoute(withAuth, "implicit", true, account);
    // A server that does not pool never relays the pinned accounts' routes: make ours now.
    if (fromNoPoolRoute && account === undefined) for (const a of this.table.pinned.keys()) this.connectToRoute(withAuth, "implicit", true, a);
  }

  private hasThisRouteConfigured(info: RouteInfo): boolean {
    const port = info.port ?? 0;
    const candidates = [{ host: info.host ?? "", port }];
    const fromIp = parseRouteUrl(info.ip ?? "");
    if (fromIp !== undefined) candidates.push({ host: fromIp.host, port });
    return this.opts.routes.some((r) => candidates.some((c) => sameRouteUrl(r, { ...c, text: "" })));
  }

  onPong(c: RouteConnection): void {
    const next = c.startNewRoute;
    if (next === undefined || c.closed || !this.running) return;
    c.startNewRoute = undefined;
    this.connectToRoute(next.url, next.type, true);
  }

  onClosed(c: RouteConnection): void {
    this.pending.delete(c);
    if (c.registered) this.removeRoute(c);
    if (this.running) this.maybeReconnect(c);
  }

  /** Takes a closed connection out of the table; the remote's last one takes the server's URLs with it (Go's removeRoute). */
  private removeRoute(c: RouteConnection): void {
    const id = c.remoteId;
    if (c.account !== undefined) {
      const conns = this.table.pinned.get(c.account);
      if (conns?.get(id) === c) conns.delete(id);
      return;
    }
    const remote = this.table.remotes.get(id);
    if (remote === undefined || remote.conns[c.poolIdx] !== c) return;
    remote.conns[c.poolIdx] = undefined;
    if (remote.conns.some((r) => r !== undefined)) return;
    this.table.remotes.delete(id);
    if (!this.opts.noAdvertise && this.removeClientUrls(remote.connectUrls)) this.publishClientUrls();
    // At shutdown the leaf nodes keep the other members' URLs to fail over to (Go's removeLeafNodeURL).
    if (!this.running) return;
    this.leafUrls.setMember(id, undefined);
    this.gatewayUrls.setMember(id, undefined);
    // The remote may come back pooling (an upgraded server): dial the pool and the pinned routes too.
    if (c.noPool && c.url !== undefined) {
      if (this.table.poolSize > 1) this.connectToRoute(c.url, c.routeType, true);
      for (const a of this.table.pinned.keys()) this.connectToRoute(c.url, c.routeType, true, a);
    }
  }

  /** Go's reconnect rules for a closed route connection. */
  private maybeReconnect(c: RouteConnection): void {
    if (c.noReconnect || c.url === undefined) return;
    const retryImplicit = c.retry || (c.didSolicit && c.routeType === "implicit");
    if (!c.didSolicit && !retryImplicit) return;
    const log = this.server.log;
    // Without pooling one connection per remote is enough; with it, the lost slot must be refilled.
    const existing = c.account === undefined && this.opts.poolSize < 1 && c.remoteId !== "" ? this.table.remotes.get(c.remoteId)?.conns[0] : undefined;
    if (existing !== undefined) {
      if (c.didSolicit) upgradeToSolicited(existing, c.url, c.routeType);
      log.debug(`Not attempting reconnect for solicited route, already connected to "${c.remoteId}"`);
      return;
    }
    if (c.remoteId === this.server.id) {
      log.debug(`Detected route to self, ignoring "${redacted(c.url)}"`);
      return;
    }
    if (c.routeType !== "implicit" || retryImplicit) {
      log.debug(`Attempting reconnect for solicited route "${redacted(c.url)}"`);
      this.scheduleConnect(c.url, c.routeType, c.routeType === "explicit" ? RECONNECT_DELAY : 0, c.account);
    }
  }

  private setClusterName(name: string, dynamic: boolean): void {
    this.clusterName = name;
    if (!dynamic) this.dynamic = false;
    this.server.log.info(`Cluster name updated to ${name}`);
    this.server.setClusterInfo({ cluster: name }, true);
  }

  private removeAllRoutesExcept(remoteId: string): void {
    for (const r of [...this.table.connections()]) {
      if (r.remoteId !== remoteId) r.close(RouteClosed.ClusterNameConflict);
    }
  }

  // ---- interest ----------------------------------------------------------------------------

  /** The local interest of the accounts this connection carries, to a new route (Go's sendSubsToRoute). */
  private sendSubsToRoute(c: RouteConnection): void {
    const lines: string[] = [];
    for (const i of this.interest?.all() ?? []) {
      if (this.table.carries(c, i.account) && this.canImport(i.subject)) lines.push(interestProto(i, true, c.account === undefined));
    }
    if (lines.length > 0) c.sendProto(lines.join(""));
    this.server.log.debug(`${c} - Sent local subscriptions to route`);
  }

  private broadcastInterest(i: LocalInterest, add: boolean): void {
    if (!this.canImport(i.subject)) return;
    for (const r of this.table.interestRoutes(i.account)) r.sendProto(interestProto(i, add, r.account === undefined));
  }

  // ---- clients' view of the cluster --------------------------------------------------------

  private addClientUrls(urls: readonly string[]): boolean {
    let changed = false;
    for (const u of urls) {
      const n = this.remoteClientUrls.get(u) ?? 0;
      this.remoteClientUrls.set(u, n + 1);
      if (n === 0) changed = true;
    }
    return changed;
  }

  private removeClientUrls(urls: readonly string[]): boolean {
    let changed = false;
    for (const u of urls) {
      const n = this.remoteClientUrls.get(u);
      if (n === undefined) continue;
      if (n <= 1) {
        this.remoteClientUrls.delete(u);
        changed = true;
      } else this.remoteClientUrls.set(u, n - 1);
    }
    return changed;
  }

  /** Clients' connect_urls: this server's URLs first, then the other servers' (Go's updateServerINFOAndSendINFOToClients). */
  private publishClientUrls(): void {
    const urls = [...this.ownClientUrls, ...[...this.remoteClientUrls.keys()].filter((u) => !this.ownClientUrls.includes(u))];
    this.server.setClusterInfo({ connect_urls: urls }, true);
  }

  /** Lame duck: the other servers drop this server's URLs from what they tell their clients. */
  private enterLameDuck(): void {
    if (this.lameDuck) return;
    this.lameDuck = true;
    const proto = protoLine("INFO", this.routeInfo({ ldm: true }));
    for (const r of this.table.firstOfEachRemote()) r.sendProto(proto);
  }
}
