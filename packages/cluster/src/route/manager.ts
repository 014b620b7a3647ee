import type { Server as NetServer, Socket } from "node:net";
import { networkInterfaces } from "node:os";
import type { Duplex } from "node:stream";
import { configAuthenticator, listenerUrls, resolveOptions, type Authenticator, type ConnectInfo, type NatsServer } from "@nats-ts/core";
import { RouteClosed, RouteConnection, type RouteHost, type RouteType } from "./connection.js";
import type { RouteConnectInfo, RouteInfo } from "./info.js";
import { interestProto, LocalInterestTracker, type LocalInterest } from "./interest.js";
import type { RouteOptions } from "./options.js";
import { permissionCheck } from "./permissions.js";
import { joinHostPort, parseHostPort } from "../shared/addresses.js";
import { clusterUrls, type ClusterUrls } from "../shared/cluster-urls.js";
import { infoHead, protoLine } from "../shared/info.js";
import { backoffDelay, dialTcp, shouldReportConnectError } from "../shared/reconnect.js";
import { closeListener, listenForPeers } from "../shared/listener.js";
import { randomNonce, randomNuid } from "../shared/nuid.js";
import { Timers } from "../shared/timers.js";
import { PeerTls } from "../shared/tls.js";
import { connectUrls, parseRouteUrl, redacted, sameRouteUrl, type RouteUrl } from "./urls.js";

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
/** Go's routeMaxPingInterval. */
const MAX_PING_INTERVAL = 30_000;

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
 * retried forever, implicit routes learned from gossip, one route per remote server (duplicates
 * resolved as Go does), the interest exchange and the clients' view of the cluster.
 */
export class RouteManager implements RouteHost {
  /** Registered routes by remote server id. */
  readonly routes = new Map<string, RouteConnection>();
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
    if (!["", "off", "not supported", "accept"].includes(opts.compression)) {
      log.warn(`Route compression "${opts.compression}" is not supported by nats-ts: routes are not compressed`);
    }
    if (opts.poolSize > 1 || opts.pinnedAccounts.length > 0) {
      log.warn("Route pooling and pinned accounts are not supported by nats-ts: one route per remote server");
    }
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
    server.setClusterInfo({ cluster: this.clusterName }, true);
    server.events.on("lameDuck", this.onLameDuck);
    this.interest = new LocalInterestTracker(server, (i, add) => this.broadcastInterest(i, add));
    for (const url of opts.routes) this.connectToRoute(url, "explicit", true);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.server.events.off("lameDuck", this.onLameDuck);
    this.interest?.stop();
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    for (const c of [...this.pending, ...this.routes.values()]) c.close(RouteClosed.ServerShutdown);
    this.leafUrls.forgetMembers();
    this.gatewayUrls.forgetMembers();
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

  /** This server's route INFO, in Go's field order. */
  routeInfo(extra: { nonce?: string; ldm?: boolean } = {}): RouteInfo {
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
      import: opts.permissions?.import,
      export: opts.permissions?.export,
      lnoc: true,
      lnocu: true,
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
    this.upgrade(socket, undefined, "implicit");
  }

  /** TLS first when configured, then the route handshake. */
  private upgrade(socket: Socket, url: RouteUrl | undefined, type: RouteType): void {
    const address = socket.remoteAddress ?? "";
    const port = socket.remotePort ?? 0;
    if (this.tls === undefined) return this.createRoute(socket, address, port, url, type);
    this.sockets.add(socket);
    socket.on("error", () => {});
    const handshake = url === undefined ? this.tls.accept(socket, this.tls.opts.verify) : this.tls.solicit(socket, url.host);
    handshake.then(
      (secure) => {
        this.sockets.delete(socket);
        if (!this.running) return secure.destroy();
        this.createRoute(secure, address, port, url, type);
      },
      (err: Error) => {
        this.sockets.delete(socket);
        this.server.log.error(`${joinHostPort(address, port)} - rid:${this.nextCid++} - TLS route handshake error: ${err.message}`);
        if (url !== undefined && type === "explicit" && this.running) this.scheduleConnect(url, type, RECONNECT_DELAY);
      },
    );
  }

  private createRoute(socket: Duplex, address: string, port: number, url: RouteUrl | undefined, type: RouteType): void {
    const c = new RouteConnection(this, socket, this.nextCid++, address, port, url, type);
    this.pending.add(c);
    const nonce = randomNonce();
    const info = protoLine("INFO", this.routeInfo({ nonce }));
    if (url !== undefined) this.server.log.debug(`${c} - Route connect msg sent`);
    c.begin(url === undefined ? info : this.connectProto(url) + info, this.opts.authTimeout);
  }

  /** Dials a route until it connects: forever for explicit routes, `connect_retries` more times for implicit ones. */
  private connectToRoute(url: RouteUrl, type: RouteType, firstConnect: boolean, attempts = 0): void {
    if (!this.running) return;
    if (this.excludedAddresses.has(joinHostPort(url.host, url.port).toLowerCase())) return;
    this.server.log.debug(`Trying to connect to route on ${joinHostPort(url.host, url.port)}`);
    const socket = dialTcp(url.host, url.port, DIAL_TIMEOUT, (err) => {
      this.sockets.delete(socket);
      if (!this.running) return socket.destroy();
      if (err === undefined) return this.upgrade(socket, url, type);
      attempts++;
      const text = `Error trying to connect to route (attempt ${attempts}): ${err.message}`;
      if (shouldReportConnectError(firstConnect, attempts)) this.server.log.error(text);
      else this.server.log.debug(text);
      if (type === "implicit" && (this.opts.connectRetries <= 0 || attempts > this.opts.connectRetries)) return;
      const delay = this.opts.connectBackoff ? backoffDelay(CONNECT_DELAY, attempts - 1, CONNECT_MAX_DELAY) : CONNECT_DELAY;
      this.timers.after(delay, () => this.connectToRoute(url, type, firstConnect, attempts));
    });
    this.sockets.add(socket);
  }

  private scheduleConnect(url: RouteUrl, type: RouteType, extra: number): void {
    // Random delay so two servers that lost both their connections to each other do not collide again.
    this.timers.after(Math.floor(Math.random() * 100) + extra, () => this.connectToRoute(url, type, false));
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

  onFirstInfo(c: RouteConnection, info: RouteInfo): void {
    const { server } = this;
    if (info.server_id === server.id) {
      c.remoteId = info.server_id;
      c.close(RouteClosed.DuplicateRoute);
      return;
    }
    if (info.cluster !== undefined && info.cluster !== "" && info.cluster !== this.clusterName) {
      if (this.dynamic && (info.cluster_dynamic !== true || this.clusterName < info.cluster)) {
        this.setClusterName(info.cluster, info.cluster_dynamic === true);
        this.removeAllRoutesExcept(info.server_id);
      } else {
        c.close(RouteClosed.ClusterNameConflict);
        return;
      }
    }
    if (!c.didSolicit && info.server_name !== undefined && info.server_name === server.name) {
      server.log.error(`${c} - Remote server has a duplicate name: "${info.server_name}"`);
      c.close(RouteClosed.DuplicateServerName);
      return;
    }
    c.remoteId = info.server_id;
    c.remoteName = info.server_name ?? "";
    if (c.url === undefined) c.url = parseRouteUrl(`nats-route://${joinHostPort(info.host ?? "", info.port ?? 0)}/`);
    // Where the remote can be reached: its advertised address, else the address it connected from.
    if (info.ip === undefined || info.ip === "") info.ip = `nats-route://${joinHostPort(c.remoteAddress, info.port ?? 0)}/`;
    this.addRoute(c, info);
  }

  onAsyncInfo(c: RouteConnection, info: RouteInfo): void {
    // Gateway information relayed by a route is the gateways' business, not a new route.
    if (typeof info.gateway === "string" && info.gateway !== "") {
      this.server.log.debug(`${c} - Ignoring gateway INFO "${info.gateway}" received on a route`);
      return;
    }
    if (info.server_id === "") return;
    if (c.remoteId !== "" && info.server_id !== c.remoteId) {
      this.processImplicitRoute(info);
      return;
    }
    if (info.ldm === true && c.connectUrls.length > 0) {
      const urls = c.connectUrls;
      c.connectUrls = [];
      if (!this.opts.noAdvertise && this.removeClientUrls(urls)) this.publishClientUrls();
    }
  }

  /** Registers the connection as the route to its server, or drops it as a duplicate (Go's addRoute). */
  private addRoute(c: RouteConnection, info: RouteInfo): void {
    if (c.closed) return;
    if (!this.running) {
      c.close(RouteClosed.ServerShutdown);
      return;
    }
    const existing = this.routes.get(info.server_id);
    if (existing !== undefined) {
      this.server.log.debug(`${c} - Detected duplicate remote route "${info.server_id}"`);
      if (c.didSolicit && !existing.didSolicit) {
        existing.didSolicit = true;
        existing.url = c.url;
      }
      if (c.routeType === "explicit") existing.routeType = "explicit";
      existing.retry = true;
      c.close(RouteClosed.DuplicateRoute);
      return;
    }
    this.pending.delete(c);
    this.routes.set(info.server_id, c);
    c.registered = true;
    c.connectUrls = info.connect_urls ?? [];
    this.server.log.debug(`${c} - Registering remote route "${info.server_id}"`);
    if (this.routes.size > 1) this.forwardNewRouteInfo(info);
    if (!this.opts.noAdvertise && this.addClientUrls(c.connectUrls)) this.publishClientUrls();
    // A route INFO names at most the sender's own leaf URL (Go's addLeafNodeURL).
    const leafUrls = info.leafnode_urls;
    if (Array.isArray(leafUrls) && leafUrls.length === 1 && typeof leafUrls[0] === "string") this.leafUrls.setMember(info.server_id, leafUrls[0]);
    if (typeof info.gateway_url === "string" && info.gateway_url !== "") this.gatewayUrls.setMember(info.server_id, info.gateway_url);
    this.sendSubsToRoute(c);
    const so = this.server.opts;
    c.startPings(Math.min(this.opts.pingInterval ?? so.pingInterval, MAX_PING_INTERVAL), this.opts.pingMax ?? so.pingMax);
  }

  /** Gossip: tell every other route about the new one so its server connects to it (Go's forwardNewRouteInfoToKnownServers). */
  private forwardNewRouteInfo(info: RouteInfo): void {
    const proto = protoLine("INFO", { ...info, nonce: undefined });
    for (const r of this.routes.values()) if (r.remoteId !== info.server_id) r.sendProto(proto);
  }

  /** A server we heard about through gossip: connect unless we already do, or it is configured. */
  private processImplicitRoute(info: RouteInfo): void {
    const id = info.server_id;
    if (id === this.server.id || this.routes.has(id) || this.hasThisRouteConfigured(info)) return;
    const url = parseRouteUrl(info.ip ?? "");
    if (url === undefined) {
      this.server.log.error(`Error parsing URL from INFO: ${info.ip}`);
      return;
    }
    const withAuth: RouteUrl = info.auth_required === true ? { ...url, user: this.opts.username, password: this.opts.password } : url;
    this.connectToRoute(withAuth, "implicit", true);
  }

  private hasThisRouteConfigured(info: RouteInfo): boolean {
    const port = info.port ?? 0;
    const candidates = [{ host: info.host ?? "", port }];
    const fromIp = parseRouteUrl(info.ip ?? "");
    if (fromIp !== undefined) candidates.push({ host: fromIp.host, port });
    return this.opts.routes.some((r) => candidates.some((c) => sameRouteUrl(r, { ...c, text: "" })));
  }

  onClosed(c: RouteConnection): void {
    this.pending.delete(c);
    if (c.registered && this.routes.get(c.remoteId) === c) {
      this.routes.delete(c.remoteId);
      if (!this.opts.noAdvertise && this.removeClientUrls(c.connectUrls)) this.publishClientUrls();
      // At shutdown the leaf nodes keep the other members' URLs to fail over to (Go's removeLeafNodeURL).
      if (this.running) this.leafUrls.setMember(c.remoteId, undefined);
      if (this.running) this.gatewayUrls.setMember(c.remoteId, undefined);
    }
    if (this.running) this.maybeReconnect(c);
  }

  /** Go's reconnect rules for a closed route connection. */
  private maybeReconnect(c: RouteConnection): void {
    if (c.noReconnect || c.url === undefined) return;
    const retryImplicit = c.retry || (c.didSolicit && c.routeType === "implicit");
    if (!c.didSolicit && !retryImplicit) return;
    const log = this.server.log;
    const existing = c.remoteId === "" ? undefined : this.routes.get(c.remoteId);
    if (existing !== undefined) {
      if (c.didSolicit) {
        if (!existing.didSolicit || (c.routeType === "explicit" && existing.routeType !== "explicit")) existing.url = c.url;
        existing.didSolicit = true;
        if (c.routeType === "explicit") existing.routeType = "explicit";
      }
      log.debug(`Not attempting reconnect for solicited route, already connected to "${c.remoteId}"`);
      return;
    }
    if (c.remoteId === this.server.id) {
      log.debug(`Detected route to self, ignoring "${redacted(c.url)}"`);
      return;
    }
    if (c.routeType !== "implicit" || retryImplicit) {
      log.debug(`Attempting reconnect for solicited route "${redacted(c.url)}"`);
      const url = c.url;
      const type = c.routeType;
      this.scheduleConnect(url, type, type === "explicit" ? RECONNECT_DELAY : 0);
    }
  }

  private setClusterName(name: string, dynamic: boolean): void {
    this.clusterName = name;
    if (!dynamic) this.dynamic = false;
    this.server.log.info(`Cluster name updated to ${name}`);
    this.server.setClusterInfo({ cluster: name }, true);
  }

  private removeAllRoutesExcept(remoteId: string): void {
    for (const r of [...this.routes.values()]) {
      if (r.remoteId !== remoteId) r.close(RouteClosed.ClusterNameConflict);
    }
  }

  // ---- interest ----------------------------------------------------------------------------

  /** The whole local interest to a new route (Go's sendSubsToRoute). */
  private sendSubsToRoute(c: RouteConnection): void {
    const lines: string[] = [];
    for (const i of this.interest?.all() ?? []) if (this.canImport(i.subject)) lines.push(interestProto(i, true));
    if (lines.length > 0) c.sendProto(lines.join(""));
    this.server.log.debug(`${c} - Sent local subscriptions to route`);
  }

  private broadcastInterest(i: LocalInterest, add: boolean): void {
    if (this.routes.size === 0 || !this.canImport(i.subject)) return;
    const line = interestProto(i, add);
    for (const r of this.routes.values()) r.sendProto(line);
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
    for (const r of this.routes.values()) r.sendProto(proto);
  }
}
