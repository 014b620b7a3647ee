import type { Server as NetServer, Socket } from "node:net";
import { passwordMatches, type Account, type NatsServer } from "@nats-ts/core";
import type { PeerInterestOp, PeerMessageOp } from "@nats-ts/wire";
import type { ClusterService, GatewayzOptions } from "../plugin.js";
import { clusterUrls, type ClusterUrls } from "../shared/cluster-urls.js";
import { ClusterInterest } from "./cluster-interest.js";
import { GatewayClosed, GatewayConnection, type GatewayConnectionHandler } from "./connection.js";
import { gatewayz, varzGateway } from "./gatewayz.js";
import { announcedHostPort, gatewayInfoLine } from "./info.js";
import { joinHostPort } from "../shared/addresses.js";
import { closeListener, listenForPeers } from "../shared/listener.js";
import { backoffDelay, dialTcp, goDialError, shouldReportConnectError } from "../shared/reconnect.js";
import { Timers } from "../shared/timers.js";
import { PeerTls } from "../shared/tls.js";
import { inboundGossipLine, infoGatewayUrls, routeGossipLine } from "./gossip.js";
import { GATEWAY_CMD_ALL_SUBS_COMPLETE, GATEWAY_CMD_ALL_SUBS_START, GATEWAY_CMD_GOSSIP, InboundInterest } from "./inbound-interest.js";
import { handleGatewayMessage } from "./inbound-messages.js";
import type { GatewayOptions } from "./options.js";
import { OutboundAccountInterest } from "./outbound-interest.js";
import { RemoteGateway } from "./remotes.js";
import { gatewayHash, gatewayReplyPrefix, isGatewayRoutedReply } from "./reply-prefix.js";
import { gatewayTuning } from "./tuning.js";

/** Go's DEFAULT_ROUTE_DIAL: how long one TCP connect to a remote gateway may take. */
const DIAL_TIMEOUT = 1_000;
/** The port of a gateway URL that names none (Go's DEFAULT_GATEWAY_PORT). */
const DEFAULT_GATEWAY_PORT = 7222;

/**
 * The gateways of this server (Go's srvGateway): the listener for other clusters' outbound
 * connections, one outbound connection per remote cluster, interest bookkeeping both ways, and
 * /gatewayz.
 */
export class GatewayService implements ClusterService, GatewayConnectionHandler {
  readonly remotes = new Map<string, RemoteGateway>();
  readonly outbound = new Map<string, GatewayConnection>();
  readonly inbound = new Map<number, GatewayConnection>();
  /** Per outbound connection, what it knows of the remote's interest, per account. */
  readonly outboundInterest = new Map<GatewayConnection, Map<string, OutboundAccountInterest>>();
  readonly inboundInterest = new Map<GatewayConnection, InboundInterest>();
  /** This server's gateway host and port as announced (after advertise / random port). */
  host = "";
  port = 0;
  /** The port the gateway listener is bound to. */
  listenPort = 0;
  /** host:port of every gateway listener of this cluster (ours, plus what routes tell). */
  readonly clusterUrls = new Set<string>();
  /**
   * What routes exchange for gateways: every member's gateway URL, and the gossip INFO lines
   * that make the other members connect to the remote clusters this server reaches.
   */
  private readonly members: ClusterUrls;
  private stopFollowingMembers: (() => void) | undefined;
  readonly clusterHash: string;
  private readonly replyPrefix: string;
  private readonly interest: ClusterInterest;
  private readonly pending = new Set<GatewayConnection>();
  /** Sockets still connecting or in their TLS handshake (not connections yet). */
  private readonly connecting = new Set<Socket>();
  private readonly timers = new Timers();
  private netServer: NetServer | undefined;
  /** The listener's TLS, also used for remotes without their own `tls {}` block. */
  private readonly tls: PeerTls | undefined;
  private infoJson = "";
  private stopped = false;
  private readonly onAccount = (acc: Account) => this.accountAdded(acc);

  constructor(
    readonly server: NatsServer,
    readonly opts: GatewayOptions,
  ) {
    this.clusterHash = gatewayHash(opts.name);
    this.members = clusterUrls(server, "gateway");
    this.replyPrefix = gatewayReplyPrefix(opts.name, server.id);
    this.tls = opts.tls === undefined ? undefined : new PeerTls(opts.tls);
    for (const r of opts.gateways) {
      if (r.name === opts.name) continue;
      this.remotes.set(r.name, RemoteGateway.fromOptions(r, this.tls));
    }
    this.interest = new ClusterInterest((acc, subject, queue, added) => this.localInterestChanged(acc, subject, queue, added));
  }

  get name(): string {
    return this.opts.name;
  }

  get gatewayUrl(): string {
    return joinHostPort(this.host, this.port);
  }

  async start(): Promise<void> {
    const { opts, server } = this;
    server.log.info(`Gateway name is ${opts.name}`);
    const words = { port: "gateway", connection: "gateway", connections: "gateways" };
    const { server: netServer, port: boundPort } = await listenForPeers(server.log, opts.host, opts.port, words, (socket) => this.accept(socket));
    this.netServer = netServer;
    this.listenPort = boundPort;
    this.setHostPort(boundPort);
    // Routes carry our gateway URL to the other members and tell us theirs (Go's route INFO gateway_url),
    // and relay gossip about remote clusters both ways.
    const members = this.members;
    members.setLocal(this.gatewayUrl);
    this.stopFollowingMembers = members.onMembersChanged((urls) => this.setClusterGatewayUrls(urls));
    members.setNewRouteLines(() => this.routeGossip());
    members.setRouteInfoHandler((info, from) => this.infoFromRoute(info, from));
    for (const name of server.accountNames()) this.interest.follow(server.lookupAccount(name)!);
    server.events.on("accountRegistered", this.onAccount);
    this.timers.after(gatewayTuning.solicitDelay, () => {
      for (const cfg of this.remotes.values()) if (!cfg.implicit) void this.solicit(cfg, true);
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopFollowingMembers?.();
    this.members.setNewRouteLines(undefined);
    this.members.setRouteInfoHandler(undefined);
    this.server.events.off("accountRegistered", this.onAccount);
    this.timers.clear();
    this.interest.stop();
    for (const socket of this.connecting) socket.destroy();
    this.connecting.clear();
    const conns = [...this.pending, ...this.outbound.values(), ...this.inbound.values()];
    for (const c of conns) c.close(GatewayClosed.ServerShutdown);
    const netServer = this.netServer;
    this.netServer = undefined;
    await closeListener(netServer);
  }

  gatewayz(opts: GatewayzOptions): Record<string, unknown> {
    return gatewayz(this, opts);
  }

  /** What /varz needs from gateways: the `gateway` object (Go's GatewayOptsVarz). */
  varz(): { gateway: Record<string, unknown> } {
    return { gateway: varzGateway(this) };
  }

  /** INFO lines for a new route, one per remote cluster we are connected to (Go's sendGatewayConfigsToRoute). */
  routeGossip(): string[] {
    const out: string[] = [];
    for (const name of this.outbound.keys()) {
      const cfg = this.remotes.get(name);
      if (cfg !== undefined && cfg.urls.size > 0) out.push(routeGossipLine(this.server.id, undefined, cfg.name, cfg.hostPorts()));
    }
    return out;
  }

  /** A gateway INFO another server of this cluster sent over its route (Go's processGatewayInfoFromRoute). */
  private infoFromRoute(info: Record<string, unknown>, fromServerId: string): void {
    if (info.gateway_cmd === GATEWAY_CMD_GOSSIP) this.implicitGateway(info);
    else this.server.log.error(`Unknown command ${String(info.gateway_cmd ?? 0)} from server ${fromServerId}`);
  }

  /**
   * Gateway URLs of other servers of this cluster (routes learn them from each other's INFO
   * `gateway_url`): they go into the `gateway_urls` we announce, so remote clusters can reach
   * every server of ours.
   */
  setClusterGatewayUrls(urls: readonly string[]): void {
    const next = new Set([this.gatewayUrl, ...urls]);
    // Members may advertise the same address: only a change of the list is news (Go counts each URL's references).
    if (next.size === this.clusterUrls.size && [...next].every((u) => this.clusterUrls.has(u))) return;
    this.clusterUrls.clear();
    for (const u of next) this.clusterUrls.add(u);
    this.buildInfo();
    for (const c of this.inbound.values()) c.send(this.infoJson);
  }

  /**
   * The reply to send: prefixed with `_GR_.<cluster>.<server>.` when its subscription is recent
   * (the remote may not know of it yet), and always for service-import replies (`_R_.`), whose
   * subscription is import plumbing no cluster announces.
   */
  mapReply(account: string, reply: string): string {
    // Acks keep their subject: clients read the message's metadata from it.
    if (isGatewayRoutedReply(reply) || reply.startsWith("$JS.ACK.")) return reply;
    if (!reply.startsWith("_R_.") && !this.interest.isRecentReply(account, reply)) return reply;
    return this.replyPrefix + reply;
  }

  /** Whether the account has any subscription in this cluster (Go's acc.sl.Count() > 0). */
  accountHasInterest(account: string): boolean {
    return this.interest.hasAny(account);
  }

  // ---- connections ---------------------------------------------------------------------------

  private accept(socket: Socket): void {
    if (this.stopped) {
      socket.destroy();
      return;
    }
    const ready = (s: Socket) => {
      const c = this.newConnection(s, false, "", undefined);
      this.server.log.info(`${c.label} - Processing inbound gateway connection`);
      c.send(this.infoJson);
      c.startAuthTimer(this.opts.authTimeout);
    };
    if (this.tls === undefined) return ready(socket);
    // Go makes gateways verify each other's certificates whatever `verify` says.
    this.handshake(socket, this.tls.accept(socket, true), ready, (err) => this.server.log.error(`TLS gateway handshake error: ${err.message}`));
  }

  /** Follows a TLS handshake that {@link stop} can cut short; `ready` only runs while the service is up. */
  private handshake(socket: Socket, secured: Promise<Socket>, ready: (s: Socket) => void, failed: (err: Error) => void): void {
    this.connecting.add(socket);
    secured.then(
      (s) => {
        this.connecting.delete(socket);
        if (this.stopped) s.destroy();
        else ready(s);
      },
      (err: Error) => {
        this.connecting.delete(socket);
        socket.destroy();
        failed(err);
      },
    );
  }

  /** TCP connect to a remote's URL (Go's DEFAULT_ROUTE_DIAL deadline), failing in Go's words. */
  private dial(u: URL): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const host = u.hostname.replace(/^\[|\]$/g, "");
      const socket = dialTcp(host, Number(u.port || DEFAULT_GATEWAY_PORT), DIAL_TIMEOUT, (err, s) => {
        this.connecting.delete(socket);
        if (err === undefined) resolve(s);
        else reject(goDialError(u.host, err));
      });
      this.connecting.add(socket);
    });
  }

  private newConnection(socket: Socket, outbound: boolean, name: string, url: URL | undefined): GatewayConnection {
    const cid = this.server.allocateCid();
    const c = new GatewayConnection(cid, socket, outbound, name, this, this.server.log, url);
    this.pending.add(c);
    return c;
  }

  /** Go's solicitGateway: tries every URL of the remote, round after round, until one connects. */
  private async solicit(cfg: RemoteGateway, firstConnect: boolean): Promise<void> {
    const log = this.server.log;
    const kind = cfg.implicit ? "implicit" : "explicit";
    let attempts = 0;
    while (!this.stopped) {
      const urls = cfg.shuffledUrls();
      if (urls.length === 0) return;
      attempts++;
      const report = shouldReportConnectError(firstConnect, attempts);
      for (const u of urls) {
        const msg = `Connecting to ${kind} gateway "${cfg.name}" (${u.host}) at ${u.host} (attempt ${attempts})`;
        if (report) log.info(msg);
        else log.debug(msg);
        try {
          const socket = await this.dial(u);
          if (this.stopped) {
            socket.destroy();
            return;
          }
          this.createOutbound(cfg, u, socket);
          return;
        } catch (err) {
          const text = `Error connecting to ${kind} gateway "${cfg.name}" (${u.host}) at ${u.host} (attempt ${attempts}): ${(err as Error).message}`;
          if (report) log.error(text);
          else log.debug(text);
        }
        if (this.stopped) return;
      }
      if (cfg.implicit && (this.opts.connectRetries === 0 || attempts > this.opts.connectRetries)) {
        if (!this.hasInbound(cfg.name)) {
          this.remotes.delete(cfg.name);
          return;
        }
      }
      const { connectDelay, connectMaxDelay } = gatewayTuning;
      const delay = this.opts.connectBackoff ? backoffDelay(connectDelay, attempts - 1, connectMaxDelay) : connectDelay;
      await new Promise<void>((resolve) => this.timers.after(delay, resolve));
    }
  }

  private createOutbound(cfg: RemoteGateway, url: URL, socket: Socket): void {
    cfg.connectAttempts++;
    const ready = (s: Socket) => {
      const c = this.newConnection(s, true, cfg.name, url);
      this.server.log.info(`${c.label} - Creating outbound gateway connection to "${cfg.name}"`);
      c.startInfoTimer(this.pingInterval() * this.server.opts.pingMax);
    };
    if (cfg.tls === undefined) return ready(socket);
    this.handshake(
      socket,
      cfg.tls.solicit(socket, url.hostname.replace(/^\[|\]$/g, "")),
      ready,
      (err) => {
        this.server.log.error(`TLS gateway handshake error: ${err.message}`);
        this.reconnect(cfg);
      },
    );
  }

  private reconnect(cfg: RemoteGateway): void {
    if (this.stopped || this.remotes.get(cfg.name) !== cfg) return;
    const delay = Math.floor(Math.random() * 100) + (cfg.implicit ? 0 : gatewayTuning.reconnectDelay);
    this.timers.after(delay, () => void this.solicit(cfg, false));
  }

  private hasInbound(name: string): boolean {
    for (const c of this.inbound.values()) if (c.name === name) return true;
    return false;
  }

  /**
   * Go's processImplicitGateway: connect to a cluster we learned of (from an inbound gateway,
   * gossip, or a route's INFO with `gateway_cmd` 1), or learn more of its URLs.
   */
  implicitGateway(info: Record<string, unknown>): void {
    const name = info.gateway;
    if (typeof name !== "string" || name === "" || name === this.opts.name) return;
    const urls = infoGatewayUrls(info);
    const known = this.remotes.get(name);
    if (known !== undefined) {
      known.addUrls(urls);
      return;
    }
    const cfg = new RemoteGateway(name, true, [], this.tls);
    cfg.addUrls(urls);
    if (cfg.urls.size === 0) return;
    this.remotes.set(name, cfg);
    void this.solicit(cfg, true);
  }

  // ---- GatewayConnectionHandler ----------------------------------------------------------------

  onConnect(c: GatewayConnection, connect: Record<string, unknown>): void {
    if (c.outbound || c.handshakeDone) return;
    const log = this.server.log;
    const gateway = typeof connect.gateway === "string" ? connect.gateway : "";
    if (gateway === "") {
      c.sendErr("attempted to connect to gateway port");
      c.close(GatewayClosed.WrongPort);
      return;
    }
    const { username, password } = this.opts;
    if (username !== undefined && (connect.user !== username || !passwordMatches(typeof connect.pass === "string" ? connect.pass : "", password ?? ""))) {
      log.error(`${c.label} - Gateway authentication error`);
      c.sendErr("Authorization Violation");
      c.close(GatewayClosed.AuthenticationViolation);
      return;
    }
    if (this.opts.rejectUnknown && !this.remotes.has(gateway)) {
      log.error(`${c.label} - Rejecting connection from gateway "${gateway}"`);
      c.sendErr(`Connection to gateway "${this.opts.name}" rejected`);
      c.close(GatewayClosed.WrongGateway);
      return;
    }
    c.name = gateway;
    c.handshakeDone = true;
    c.startPings(this.pingInterval(), this.server.opts.pingMax);
  }

  onInfo(c: GatewayConnection, info: Record<string, unknown>): void {
    if (c.outbound) this.outboundInfo(c, info);
    else if (!c.registered) this.registerInbound(c, info);
  }

  onInterest(c: GatewayConnection, op: PeerInterestOp, args: string[]): void {
    const log = this.server.log;
    if (!c.outbound) {
      log.error(`${c.label} - Received ${op} from gateway on inbound connection`);
      c.close(GatewayClosed.ProtocolViolation);
      return;
    }
    const plus = op.endsWith("+");
    if (op === "A+" || op === "A-") {
      if (args.length !== 1) return this.protocolError(c, `processGatewayAccount${plus ? "Sub" : "Unsub"} Parse Error: '${args.join(" ")}'`);
      const e = this.outboundFor(c, args[0]);
      if (plus) e.accountSubscribed();
      else e.accountUnsubscribed();
      return;
    }
    const valid = plus ? args.length === 2 || args.length === 4 : args.length === 2 || args.length === 3;
    if (!valid) {
      const fn = plus ? "processGatewaySubjectSub" : "processGatewaySubjectUnsub";
      return this.protocolError(c, `${fn} Parse Error: '${args.join(" ")}'`);
    }
    const [account, subject, queue] = args;
    const e = this.outboundFor(c, account);
    if (plus) e.addInterest(subject, queue);
    else e.removeInterest(subject, queue);
  }

  onMessage(c: GatewayConnection, op: PeerMessageOp, args: string[], headerSize: number, msg: Buffer): void {
    handleGatewayMessage(this, c, op, args, headerSize, msg);
  }

  onClosed(c: GatewayConnection, reason: string): void {
    this.pending.delete(c);
    if (c.registered || c.handshakeDone) this.server.log.info(`${c.label} - Gateway connection closed: ${reason}`);
    else this.server.log.debug(`${c.label} - Gateway connection closed: ${reason}`);
    if (!c.outbound) {
      this.inbound.delete(c.cid);
      this.inboundInterest.delete(c);
      return;
    }
    if (this.outbound.get(c.name) === c) this.outbound.delete(c.name);
    const accounts = this.outboundInterest.get(c);
    this.outboundInterest.delete(c);
    for (const e of accounts?.values() ?? []) e.detach();
    const cfg = this.remotes.get(c.name);
    if (!c.noReconnect && cfg !== undefined) this.reconnect(cfg);
  }

  /** Logs and closes a connection that broke the protocol. */
  protocolError(c: GatewayConnection, text: string): void {
    this.server.log.error(`${c.label} - ${text}`);
    c.close(GatewayClosed.ProtocolViolation);
  }

  // ---- handshake -----------------------------------------------------------------------------

  private outboundInfo(c: GatewayConnection, info: Record<string, unknown>): void {
    const log = this.server.log;
    const first = !c.handshakeDone;
    const gateway = typeof info.gateway === "string" ? info.gateway : "";
    const cmd = typeof info.gateway_cmd === "number" ? info.gateway_cmd : 0;
    if (gateway === "") {
      c.sendErr(`Attempt to connect to gateway "${c.name}" using wrong port`);
      c.close(GatewayClosed.WrongPort);
      return;
    }
    if (gateway !== c.name) {
      if (!first && cmd === GATEWAY_CMD_GOSSIP) {
        if (this.opts.rejectUnknown && !this.remotes.has(gateway)) return;
        this.implicitGateway(info);
        return;
      }
      log.error(`${c.label} - Failing connection to gateway "${c.name}", remote gateway name is "${gateway}"`);
      c.sendErr(`Connection from "${this.opts.name}" rejected, wanted to connect to "${c.name}", this is "${gateway}"`);
      c.close(GatewayClosed.WrongGateway);
      return;
    }
    const cfg = this.remotes.get(c.name);
    const urls = infoGatewayUrls(info);
    if (urls.length > 0) cfg?.replaceUrls(urls);
    if (first) {
      c.handshakeDone = true;
      c.remoteId = typeof info.server_id === "string" ? info.server_id : "";
      c.remoteInterestOnly = info.gateway_iom === true;
      c.headers = info.headers === true;
      c.send(this.connectProto(c));
      log.debug(`${c.label} - Gateway connect protocol sent to "${c.name}"`);
      c.send(this.infoJson);
      if (this.registerOutbound(c)) this.forwardToCluster(info);
      return;
    }
    if (cmd === GATEWAY_CMD_ALL_SUBS_START || cmd === GATEWAY_CMD_ALL_SUBS_COMPLETE) {
      const what = cmd === GATEWAY_CMD_ALL_SUBS_START ? "start" : "complete";
      const payload = typeof info.gateway_cmd_payload === "string" ? Buffer.from(info.gateway_cmd_payload, "base64").toString() : "";
      if (payload === "") {
        c.sendErr(`Account absent from receive-all-subscriptions-${what} command`);
        c.close(GatewayClosed.ProtocolViolation);
        return;
      }
      const e = this.outboundFor(c, payload);
      log.debug(`${c.label} - Gateway "${gateway}": switching account "${payload}" to Interest-Only mode${what === "complete" ? " complete" : ""}`);
      if (cmd === GATEWAY_CMD_ALL_SUBS_START) e.startInterestOnly();
      else e.completeInterestOnly();
    } else if (cmd > 0) {
      log.warn(`Received unknown command ${cmd} from gateway "${c.name}"`);
    } else {
      this.forwardToCluster(info);
    }
  }

  /**
   * Tells the other servers of this cluster about a remote cluster's gateway URLs, so that each
   * has (or creates) its own outbound connection there (Go's forwardNewGatewayToLocalCluster).
   */
  private forwardToCluster(info: Record<string, unknown>): void {
    const line = routeGossipLine(this.server.id, this.server.name, String(info.gateway), infoGatewayUrls(info));
    this.members.sendToRoutes(line);
  }

  /** False when there already is an outbound connection to that cluster (this one is closed for good). */
  private registerOutbound(c: GatewayConnection): boolean {
    this.pending.delete(c);
    if (this.outbound.has(c.name)) {
      c.noReconnect = true;
      c.close(GatewayClosed.WrongGateway);
      return false;
    }
    this.outbound.set(c.name, c);
    c.registered = true;
    this.outboundInterest.set(c, new Map());
    this.server.log.info(`${c.label} - Outbound gateway connection to "${c.name}" (${c.remoteId}) registered`);
    c.startPings(this.pingInterval(), this.server.opts.pingMax);
    // Every account gets its sink now: optimistic mode sends everything until told otherwise,
    // and routed replies go out in any mode.
    for (const name of this.server.accountNames()) this.outboundFor(c, name);
    return true;
  }

  private registerInbound(c: GatewayConnection, info: Record<string, unknown>): void {
    this.pending.delete(c);
    if (typeof info.gateway === "string" && info.gateway !== "") c.name = info.gateway;
    c.remoteId = typeof info.server_id === "string" ? info.server_id : "";
    c.registered = true;
    this.inbound.set(c.cid, c);
    const interest = new InboundInterest(c, this.opts.name, (acc) => this.interest.entries(acc, false).map((e) => e.subject));
    this.inboundInterest.set(c, interest);
    this.server.log.info(`${c.label} - Inbound gateway connection from "${c.name}" (${c.remoteId}) registered`);
    let queues = "";
    for (const acc of this.interest.accountNames()) {
      for (const q of this.interest.entries(acc, true)) queues += `RS+ ${acc} ${q.subject} ${q.queue} 1\r\n`;
    }
    if (queues !== "") c.send(queues);
    this.implicitGateway(info);
    this.gossipTo(c);
    if (!gatewayTuning.doNotForceInterestOnly) {
      for (const acc of this.server.accountNames()) interest.switchToInterestOnly(acc);
    }
  }

  /** Tells a new inbound connection about every other cluster we know (Go's gossipGatewaysToInboundGateway). */
  private gossipTo(c: GatewayConnection): void {
    for (const cfg of this.remotes.values()) {
      if (cfg.name === c.name || cfg.urls.size === 0) continue;
      c.send(inboundGossipLine(this.server.id, cfg.name, cfg.hostPorts()));
    }
  }

  private connectProto(c: GatewayConnection): string {
    const user = c.url?.username ? decodeURIComponent(c.url.username) : this.opts.username;
    const pass = c.url?.username ? decodeURIComponent(c.url.password) : this.opts.password;
    const connect = {
      echo: false,
      verbose: false,
      pedantic: false,
      user: user || undefined,
      pass: pass || undefined,
      tls_required: this.remotes.get(c.name)?.tls !== undefined,
      headers: false,
      name: this.server.id,
      cluster: "",
      gateway: this.opts.name,
    };
    return `CONNECT ${JSON.stringify(connect)}\r\n`;
  }

  private setHostPort(boundPort: number): void {
    const { host, port } = announcedHostPort(this.opts, boundPort, this.server.log);
    this.host = host;
    this.port = port;
    this.clusterUrls.add(this.gatewayUrl);
    this.buildInfo();
  }

  private buildInfo(): void {
    this.infoJson = gatewayInfoLine(this.server, this.opts, this.host, this.port, [...this.clusterUrls]);
  }

  private pingInterval(): number {
    return Math.min(this.server.opts.pingInterval, gatewayTuning.maxPingInterval);
  }

  // ---- interest ------------------------------------------------------------------------------

  /** The outbound interest of an account on a connection, created (and attached) on first use. */
  outboundFor(c: GatewayConnection, account: string): OutboundAccountInterest {
    let m = this.outboundInterest.get(c);
    if (m === undefined) this.outboundInterest.set(c, (m = new Map()));
    let e = m.get(account);
    if (e === undefined) {
      const hash = this.remotes.get(c.name)?.hash ?? gatewayHash(c.name);
      m.set(account, (e = new OutboundAccountInterest(account, c, hash, this)));
      const acc = this.server.lookupAccount(account);
      if (acc !== undefined) e.attach(acc);
    }
    return e;
  }

  private accountAdded(acc: Account): void {
    this.interest.follow(acc);
    for (const [c, m] of this.outboundInterest) {
      const e = m.get(acc.name);
      if (e !== undefined) e.attach(acc);
      else this.outboundFor(c, acc.name);
    }
    if (!gatewayTuning.doNotForceInterestOnly) {
      for (const interest of this.inboundInterest.values()) interest.switchToInterestOnly(acc.name);
    }
  }

  private localInterestChanged(account: string, subject: string, queue: string | undefined, added: boolean): void {
    for (const interest of this.inboundInterest.values()) {
      if (queue !== undefined) interest.queueChanged(account, subject, queue, added);
      else interest.plainChanged(account, subject, added);
    }
  }
}
