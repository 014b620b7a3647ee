import type { Server as NetServer, Socket } from "node:net";
import { PROTO_VERSION, formatGoDuration, type Account, type NatsServer, type Subscription } from "@nats-ts/core";
import { isLiteralSubject } from "@nats-ts/wire";
import type { ClusterService, LeafzOptions } from "../plugin.js";
import {
  DEFAULT_AUTH_TIMEOUT,
  ERR_AUTH_TIMEOUT,
  ERR_CLUSTER_NAME_SPACES,
  ERR_DUPLICATE_CONNECTION,
  LDS_PREFIX,
  MAX_RECONNECT_DELAY,
  RECONNECT_DELAY_AFTER_LOOP,
  RECONNECT_DELAY_AFTER_VIOLATION,
  SERVICE_REPLY_PREFIX,
} from "./constants.js";
import { LeafConnection } from "./connection.js";
import { interestKey } from "./interest.js";
import {
  applyConnect,
  applyHubInfo,
  applyHubUpdate,
  authenticateLeaf,
  connectInfoReply,
  leafConnect,
  refuseConnect,
  type Refusal,
} from "./handshake.js";
import type { LeafHost, RemoteState } from "./host.js";
import { joinHostPort } from "../shared/addresses.js";
import { clusterUrls, type ClusterUrls } from "../shared/cluster-urls.js";
import { infoHead, protoLine } from "../shared/info.js";
import { CompressionMode, compressionModeForInfo, needsCompression, negotiateCompression, type CompressionOptions } from "../shared/compression/index.js";
import { backoffDelay, dialTcp, shouldReportConnectError, shuffled } from "../shared/reconnect.js";
import { listenForPeers } from "../shared/listener.js";
import { randomNonce, randomNuid } from "../shared/nuid.js";
import { PeerTls } from "../shared/tls.js";
import { acceptInfo, type LeafConnectInfo, type LeafInfo } from "./info.js";
import { applyJetStreamDomain, jetStreamMappingSources } from "./jetstream-domain.js";
import type { LeafNodeOptions } from "./options.js";
import { bypassesPermissions } from "./permissions.js";
import { urlCredentials, urlHostPort } from "./urls.js";
import { leafzEntry, varzLeaf } from "./monitoring.js";

/** The leaf connections bound to one account, and the watcher that follows its interest. */
interface AccountLeafs {
  conns: Set<LeafConnection>;
  unwatch: () => void;
}

/**
 * Leaf nodes of one server (Go's leafnode.go): the listener that accepts leaf connections, the
 * remotes it solicits (with reconnect), and the interest each connection announces for its
 * bound account.
 *
 * @example
 * const leafs = new LeafNodeService(server, leafNodeOptionsFromConf(server.opts.blocks.leafnodes));
 * await leafs.start();
 */
export class LeafNodeService implements ClusterService, LeafHost {
  private listener: NetServer | undefined;
  private boundPort = 0;
  private readonly conns = new Map<number, LeafConnection>();
  private readonly pending = new Set<LeafConnection>();
  private readonly byAccount = new Map<string, AccountLeafs>();
  /** Each account's loop detection subject (Go's acc.lds), made once. */
  private readonly loopSubjects = new Map<string, string>();
  private readonly remotes: RemoteState[];
  private readonly authTimers = new WeakMap<LeafConnection, NodeJS.Timeout>();
  private stopped = false;
  /** Leaf URLs of the other members of this server's cluster. */
  private clusterLeafUrls: string[] = [];
  /** Key material of the listener's `tls {}` block (TLS required for accepted connections). */
  private readonly tls: PeerTls | undefined;
  /** Leaf URLs exchanged with the other cluster members over routes. */
  private readonly memberUrls: ClusterUrls;
  private stopFollowingMembers: (() => void) | undefined;

  constructor(
    readonly server: NatsServer,
    readonly opts: LeafNodeOptions,
  ) {
    this.memberUrls = clusterUrls(server, "leafnode");
    this.tls = opts.tls === undefined ? undefined : new PeerTls(opts.tls);
    if (this.tls !== undefined && !this.tls.canServe) throw new Error("missing 'cert_file' in TLS configuration");
    this.remotes = opts.remotes.map((r) => {
      const configured = r.urls.map((u) => urlCredentials(u)).find((x) => x !== undefined);
      const urls = r.noRandomize ? [...r.urls] : shuffled(r.urls);
      const tls = r.tls === undefined ? undefined : new PeerTls(r.tls);
      return { opts: r, urls, current: undefined, attempts: 0, connected: false, connectDelay: 0, timer: undefined, conn: undefined, user: configured?.user, password: configured?.password, tls };
    });
  }

  /** The leaf port actually bound (0 without a listener). */
  get port(): number {
    return this.boundPort;
  }

  /** Registered leaf connections. */
  connections(): LeafConnection[] {
    return [...this.conns.values()];
  }

  async start(): Promise<void> {
    const { opts, server } = this;
    if (opts.port !== 0) {
      const words = { port: "leafnode", connection: "leafnode", connections: "leafnode" };
      const { server: listener, port } = await listenForPeers(server.log, opts.host, opts.port, words, (socket) => this.accept(socket));
      this.listener = listener;
      this.boundPort = port;
      server.listeners.leafnode = [`nats-leaf://${joinHostPort(opts.host, this.boundPort)}`];
      if (opts.advertise !== undefined) server.log.info(`Advertise address for leafnode is set to ${opts.advertise}`);
      // Routes tell the other members where our leaf nodes can connect, and tell us theirs.
      this.memberUrls.setLocal(this.advertisedUrl());
      this.stopFollowingMembers = this.memberUrls.onMembersChanged((urls) => this.setClusterLeafUrls(urls));
      this.setClusterLeafUrls(this.memberUrls.memberUrls());
    }
    for (const r of this.remotes) if (!r.opts.disabled) this.connectRemote(r);
  }

  /**
   * This server's leaf node URL (`host:port`) for other cluster members to gossip to leaf nodes,
   * undefined without a listener or with `no_advertise` (what Go puts in a route INFO's
   * `leafnode_urls`).
   */
  advertisedUrl(): string | undefined {
    if (this.listener === undefined || this.opts.noAdvertise) return undefined;
    const info = this.baseInfo();
    return info.ip;
  }

  /**
   * Sets the leaf URLs of the other cluster members (learnt over routes): accepted leaf nodes get
   * them in an INFO, so that they can reconnect to another member (Go's sendAsyncLeafNodeInfo).
   */
  setClusterLeafUrls(urls: readonly string[]): void {
    const next = [...new Set(urls)].sort();
    if (next.join(",") === this.clusterLeafUrls.join(",")) return;
    this.clusterLeafUrls = next;
    for (const c of this.conns.values()) if (!c.solicited) c.send(protoLine("INFO", this.baseInfo()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopFollowingMembers?.();
    this.memberUrls.setLocal(undefined);
    for (const r of this.remotes) clearTimeout(r.timer);
    this.listener?.close();
    this.listener = undefined;
    for (const c of [...this.pending, ...this.conns.values()]) c.close("Server Shutdown");
  }

  leafz(opts: LeafzOptions): Record<string, unknown> {
    const list = this.connections().filter((c) => opts.account === "" || c.account?.name === opts.account);
    return { leafnodes: list.length, leafs: list.map((c) => leafzEntry(c, opts.subscriptions)) };
  }

  /** What /varz needs from leaf nodes: the `leafnodes` count and the `leaf` block. */
  varz(): { leafnodes: number; leaf: Record<string, unknown> } {
    return { leafnodes: this.conns.size, leaf: varzLeaf(this.opts, this.boundPort) };
  }

  // ---- accepting ---------------------------------------------------------------------------

  private accept(socket: Socket): void {
    if (this.stopped) return void socket.destroy();
    const c = new LeafConnection(this.server.allocateCid(), socket, socket.remoteAddress ?? "", socket.remotePort ?? 0, this, undefined);
    this.pending.add(c);
    c.isolated = this.opts.isolate;
    this.server.log.info(`${c.label} - Leafnode connection created`);
    c.nonce = randomNonce();
    const mode = this.opts.compression.mode;
    // A server configured as "not supported" behaves as one from before compression (Go's test hook).
    const announced = mode === CompressionMode.NotSupported ? undefined : mode;
    c.send(protoLine("INFO", { ...this.baseInfo(), client_id: c.cid, nonce: c.nonce, compression: announced }));
    if (needsCompression(mode)) c.expectCompressionInfo(this.opts.compression);
    if (this.tls !== undefined) {
      // Go sends INFO in the clear, then the leaf starts the TLS handshake.
      this.tls.accept(c.takeStream(), this.tls.opts.verify).then(
        (secure) => c.replaceStream(secure),
        (err: Error) => this.tlsFailed(c, err),
      );
    }
    this.armAuthTimer(c);
  }

  /** CONNECT must come within the auth timeout (started again once compression is negotiated, as Go does). */
  private armAuthTimer(c: LeafConnection): void {
    clearTimeout(this.authTimers.get(c));
    const timeout = (this.opts.authorization.timeout || DEFAULT_AUTH_TIMEOUT) * 1000;
    const timer = setTimeout(() => {
      if (c.registered || c.closedReason !== undefined) return;
      this.server.log.debug(`${c.label} - ${ERR_AUTH_TIMEOUT}`);
      c.sendErr(ERR_AUTH_TIMEOUT);
      c.close("Authentication Timeout");
    }, timeout);
    timer.unref();
    this.authTimers.set(c, timer);
  }

  private baseInfo(): LeafInfo {
    const info = acceptInfo(this.server, this.opts, this.boundPort, this.tls !== undefined);
    if (this.clusterLeafUrls.length > 0) info.leafnode_urls = [...new Set([...info.leafnode_urls!, ...this.clusterLeafUrls])];
    return info;
  }

  private tlsFailed(c: LeafConnection, err: Error): void {
    if (c.closedReason !== undefined) return;
    this.server.log.error(`${c.label} - TLS leafnode handshake error: ${err.message}`);
    c.close("TLS Handshake Error");
  }

  onConnect(c: LeafConnection, raw: Record<string, unknown>): void {
    if (c.solicited || c.registered || c.account !== undefined) return;
    clearTimeout(this.authTimers.get(c));
    const connect = raw as LeafConnectInfo;
    const refused = refuseConnect(this.server, this.opts, connect);
    if (refused !== undefined) return this.refuse(c, refused);
    const auth = authenticateLeaf(this.server, this.opts, raw, c.nonce);
    const account = auth === undefined ? undefined : this.server.lookupAccount(auth.account);
    if (auth === undefined || account === undefined) {
      if (auth !== undefined) this.server.log.error(`authentication of user ${JSON.stringify(connect.user ?? "")} failed, unable to lookup account ${JSON.stringify(auth.account)}`);
      return c.authViolation(typeof raw.user === "string" ? raw.user : "");
    }
    c.account = account;
    applyConnect(c, connect, auth);
    this.replaceDuplicate(c);
    c.send(protoLine("INFO", connectInfoReply(this.baseInfo(), c, account, this.server.systemAccount)));
    this.register(c);
  }

  /** Go keeps the newest of two connections from the same server and account (a stale one). */
  private replaceDuplicate(c: LeafConnection): void {
    if (c.remoteServer === "" || c.remoteAccount === "") return;
    for (const old of this.conns.values()) {
      if (old.solicited || old.remoteServer !== c.remoteServer || old.remoteCluster !== c.remoteCluster) continue;
      if (old.account !== c.account || old.remoteAccount !== c.remoteAccount) continue;
      old.sendErr(ERR_DUPLICATE_CONNECTION);
      this.server.log.error(`${old.label} - ${ERR_DUPLICATE_CONNECTION}`);
      old.close("Duplicate Remote LeafNode Connection");
      this.server.log.warn(`${c.label} - Replacing connection from same server`);
    }
  }

  private refuse(c: LeafConnection, r: Refusal): void {
    this.server.log.error(`${c.label} - ${r.text}`);
    if (r.sendErr) c.sendErr(r.text);
    c.close(r.reason);
  }

  // ---- soliciting --------------------------------------------------------------------------

  private connectRemote(r: RemoteState): void {
    if (this.stopped) return;
    const delay = r.connectDelay;
    if (delay > 0) {
      r.connectDelay = 0;
      r.timer = setTimeout(() => this.connectRemote(r), delay);
      return;
    }
    // Go rotates: the URL just used goes to the end of the list.
    if (r.current !== undefined && r.urls.length > 1 && r.urls[0].host === r.current.host) r.urls.push(r.urls.shift()!);
    const url = (r.current = r.urls[0]);
    const { host, port } = urlHostPort(url);
    this.server.log.debug(`Trying to connect as leafnode to remote server on ${JSON.stringify(url.host)}`);
    dialTcp(host, port, r.opts.dialTimeout || this.opts.dialTimeout, (err, socket) => {
      if (err === undefined) {
        if (this.stopped) return void socket.destroy();
        return this.solicited(r, socket);
      }
      r.attempts++;
      const text = `Error trying to connect as leafnode to remote server ${JSON.stringify(url.host)} (attempt ${r.attempts}): ${err.message}`;
      if (shouldReportConnectError(!r.connected, r.attempts)) this.server.log.error(text);
      else this.server.log.debug(text);
      this.scheduleReconnect(r, this.reconnectDelay(r.attempts - 1));
    });
  }

  /** The configured interval doubled on each failed attempt, capped, with 10% jitter so the leaf nodes of one hub do not reconnect in lock step. */
  private reconnectDelay(attempt: number): number {
    const interval = this.opts.reconnectInterval;
    return backoffDelay(interval, attempt, Math.max(MAX_RECONNECT_DELAY, interval), 0.1);
  }

  private solicited(r: RemoteState, socket: Socket): void {
    const account = this.server.lookupAccount(r.opts.account || "$G");
    const c = new LeafConnection(this.server.allocateCid(), socket, socket.remoteAddress ?? "", socket.remotePort ?? 0, this, r);
    r.conn = c;
    this.pending.add(c);
    if (account === undefined) {
      this.server.log.error(`Unable to lookup account ${r.opts.account || "$G"} for solicited leafnode connection: account missing`);
      return c.close("Missing Account");
    }
    c.account = account;
    if (needsCompression(r.opts.compression.mode)) c.expectCompressionInfo(r.opts.compression);
    c.leafSpoke = !r.opts.hub;
    c.isolated = this.opts.isolate || r.opts.isolate;
    c.perms.mergeDeny("publish", r.opts.denyExports);
    c.perms.mergeDeny("subscribe", r.opts.denyImports);
    this.server.log.info(`${c.label} - Leafnode connection created for account: ${account.name} `);
    const timer = setTimeout(() => {
      if (c.closedReason !== undefined || c.infoReceived) return;
      this.server.log.debug(`${c.label} - Timed out waiting for the hub's INFO`);
      c.close("Read Error");
    }, r.opts.firstInfoTimeout);
    timer.unref();
  }

  private scheduleReconnect(r: RemoteState, delay: number): void {
    if (this.stopped) return;
    clearTimeout(r.timer);
    r.timer = setTimeout(() => this.connectRemote(r), delay);
  }

  onInfo(c: LeafConnection, raw: Record<string, unknown>): void {
    const r = c.remote;
    const info = raw as LeafInfo;
    if (r === undefined) return this.onAcceptedInfo(c, info);
    if (c.awaitingHubInfo) {
      // The hub's first INFO over the compressed connection: the handshake goes on from here.
      c.awaitingHubInfo = false;
      const problem = applyHubInfo(c, r, info);
      if (problem !== undefined) return this.refuse(c, problem);
      return this.sendConnect(c, r, info);
    }
    if (!c.infoReceived) {
      c.infoReceived = true;
      const problem = applyHubInfo(c, r, info);
      if (problem !== undefined) return this.refuse(c, problem);
      if (info.tls_required !== true && !r.opts.tlsRequired) return this.settleCompression(c, r, info);
      (r.tls ?? new PeerTls()).solicit(c.takeStream(), urlHostPort(r.current!).host).then(
        (secure) => {
          if (c.closedReason !== undefined) return void secure.destroy();
          c.replaceStream(secure);
          this.settleCompression(c, r, info);
        },
        (err: Error) => this.tlsFailed(c, err),
      );
      return;
    }
    applyHubUpdate(c, r, info);
    if (info.connect_info === true && !c.registered) this.register(c);
  }

  /**
   * Accepted side: an INFO before CONNECT is only for compression, and only allowed when this
   * server wants compression (Go's parser refuses it otherwise); once negotiated, any INFO is
   * checked but not acted on.
   */
  private onAcceptedInfo(c: LeafConnection, info: LeafInfo): void {
    if (!c.registered && !c.compressionNegotiated) {
      const local = this.opts.compression;
      if (!needsCompression(local.mode)) return c.authViolation();
      const mode = this.negotiate(c, local, info);
      if (mode === undefined) return;
      if (needsCompression(mode)) {
        // The INFO that confirms the mode already goes out compressed (Go's order on this side).
        c.startCompression(mode);
        c.send(protoLine("INFO", { ...this.baseInfo(), client_id: c.cid, nonce: c.nonce, compression: compressionModeForInfo(local, mode) }));
      } else c.compressionSettled(mode);
      if (typeof info.compression === "string" && info.compression !== "") this.armAuthTimer(c);
      return;
    }
    if (typeof info.cluster === "string" && info.cluster.includes(" ")) this.refuse(c, { text: ERR_CLUSTER_NAME_SPACES, reason: "Protocol Violation", sendErr: true });
    // Only a bound connection may speak of accounts (Go's checks against a forged INFO).
    else if (!c.registered && (info.remote_account !== undefined || info.connect_info === true)) c.authViolation();
  }

  /**
   * Solicited side, on the hub's first INFO (after TLS): negotiate compression. When both sides
   * compress, send our INFO with the mode in the clear, switch, and wait for the hub's INFO
   * (compressed) before CONNECT; otherwise CONNECT now and say what was settled in it.
   */
  private settleCompression(c: LeafConnection, r: RemoteState, info: LeafInfo): void {
    const local = r.opts.compression;
    if (!needsCompression(local.mode)) {
      const peerAnnounced = typeof info.compression === "string" && info.compression !== "";
      c.compressionSettled(!peerAnnounced || local.mode === CompressionMode.NotSupported ? CompressionMode.NotSupported : CompressionMode.Off);
      return this.sendConnect(c, r, info);
    }
    const mode = this.negotiate(c, local, info);
    if (mode === undefined) return;
    if (!needsCompression(mode)) {
      c.compressionSettled(mode);
      return this.sendConnect(c, r, info);
    }
    const mine = { ...infoHead(this.server, { proto: PROTO_VERSION, host: this.opts.host, port: this.boundPort }), client_id: c.cid };
    c.send(protoLine("INFO", { ...mine, compression: compressionModeForInfo(local, mode) }));
    c.startCompression(mode);
    c.awaitingHubInfo = true;
    c.awaitConnectInfo();
  }

  /** The mode this side writes with; undefined after closing the connection on a mode Go does not know. */
  private negotiate(c: LeafConnection, local: CompressionOptions, info: LeafInfo): string | undefined {
    try {
      return negotiateCompression(local, typeof info.compression === "string" ? info.compression : undefined, performance.now() - c.startedAt);
    } catch (e) {
      const text = (e as Error).message;
      this.server.log.error(`${c.label} - ${text}`);
      c.sendErr(text);
      c.close("Protocol Violation");
      return undefined;
    }
  }

  /** Solicited side: CONNECT, then either register now or wait for the hub's answer (Go's info_on_connect). */
  private sendConnect(c: LeafConnection, r: RemoteState, info: LeafInfo): void {
    try {
      c.send(protoLine("CONNECT", leafConnect(this.server, c, r, c.account!)));
    } catch (e) {
      this.server.log.error(`${c.label} - ${(e as Error).message}`);
      return c.close("Protocol Violation");
    }
    if (info.info_on_connect !== true) return this.register(c);
    c.awaitConnectInfo();
  }

  onPeerError(c: LeafConnection, text: string): void {
    this.server.log.error(`${c.label} - Leafnode Error '${text}'`);
    if (text.includes("remote leafnode has same cluster name")) {
      if (c.remote !== undefined) c.remote.connectDelay = RECONNECT_DELAY_AFTER_VIOLATION;
      this.server.log.error(`${c.label} - Leafnode connection dropped with same cluster name error. Delaying attempt to reconnect for ${formatGoDuration(RECONNECT_DELAY_AFTER_VIOLATION)}`);
      return;
    }
    if (text.includes("Loop detected")) this.loopDetected(c, false);
  }

  // ---- registration and interest -----------------------------------------------------------

  /** The handshake is done: the connection joins its account and both sides exchange interest. */
  private register(c: LeafConnection): void {
    const account = c.account!;
    this.pending.delete(c);
    this.conns.set(c.cid, c);
    c.registered = true;
    if (c.remote !== undefined) {
      c.remote.attempts = 0;
      c.remote.connected = true;
    }
    let group = this.byAccount.get(account.name);
    if (group === undefined) {
      const conns = new Set<LeafConnection>();
      const unwatch = account.sublist.watch((sub, added) => this.onAccountInterest(conns, sub, added));
      this.byAccount.set(account.name, (group = { conns, unwatch }));
    }
    group.conns.add(c);
    applyJetStreamDomain(this.server, c, account);
    this.sendAllInterest(c, account);
    c.startPings();
  }

  private onAccountInterest(conns: Set<LeafConnection>, sub: Subscription, added: boolean): void {
    for (const c of conns) c.onAccountInterest(sub, added);
  }

  /** Everything the account is interested in, as Go's initLeafNodeSmapAndSendSubs sends it. */
  private sendAllInterest(c: LeafConnection, account: Account): void {
    for (const sub of account.sublist.all()) if (c.announces(sub)) c.announce(interestKey(sub), 1);
    for (const subject of importedSubjects(this.server, account)) {
      if (c.leafSpoke && !c.perms.canReceive(subject)) continue;
      c.announce(subject, 1);
    }
    if (this.server.opts.blocks.gateway !== undefined) {
      c.announce("$GR.*.>", 1);
      c.announce("_GR_.>", 1);
    }
    c.announce(this.loopSubject(account), 1);
  }

  private loopSubject(account: Account): string {
    let lds = this.loopSubjects.get(account.name);
    if (lds === undefined) this.loopSubjects.set(account.name, (lds = `${LDS_PREFIX}${randomNuid()}`));
    return lds;
  }

  acceptsInterest(c: LeafConnection, subject: string): boolean {
    if (subject.startsWith(LDS_PREFIX) && subject === this.loopSubjects.get(c.account!.name)) {
      this.loopDetected(c, true);
      return false;
    }
    if (bypassesPermissions(subject) || !isLiteralSubject(subject) || c.perms.canSend(subject)) return true;
    // A spoke quietly ignores what its hub said it may not send to; a hub closes the connection.
    if (!c.leafSpoke) this.permissionViolation(c, "Subscription", subject);
    return false;
  }

  inboundAllowed(c: LeafConnection, subject: string): boolean {
    if (subject.startsWith(SERVICE_REPLY_PREFIX) || subject.startsWith("$JS.ACK.")) return true;
    if (c.leafSpoke) return bypassesPermissions(subject) || c.perms.canReceive(subject);
    if (c.exportRules === undefined || c.exportRules.canSend(subject)) return true;
    this.permissionViolation(c, "Publish", subject);
    return false;
  }

  private permissionViolation(c: LeafConnection, action: "Publish" | "Subscription", subject: string): void {
    if (c.remote !== undefined) c.remote.connectDelay = RECONNECT_DELAY_AFTER_VIOLATION;
    c.sendErr(`Permissions Violation for ${action} to ${JSON.stringify(subject)}`);
    this.server.log.error(`${c.label} - ${action} Violation on ${JSON.stringify(subject)} - Check other side configuration`);
    c.close("Protocol Violation");
  }

  /** Go's handleLeafNodeLoop: tell the other side (when we found it), log, close, reconnect later. */
  private loopDetected(c: LeafConnection, sendErr: boolean): void {
    if (c.remote !== undefined) c.remote.connectDelay = RECONNECT_DELAY_AFTER_LOOP;
    const text = `Loop detected for leafnode account=${JSON.stringify(c.account?.name ?? "")}. Delaying attempt to reconnect for ${formatGoDuration(RECONNECT_DELAY_AFTER_LOOP)}`;
    if (sendErr) c.sendErr(text);
    this.server.log.error(`${c.label} - ${text}`);
    c.close("Protocol Violation");
  }

  onClosed(c: LeafConnection): void {
    clearTimeout(this.authTimers.get(c));
    this.pending.delete(c);
    const wasRegistered = this.conns.delete(c.cid);
    const group = c.account === undefined ? undefined : this.byAccount.get(c.account.name);
    if (group !== undefined && group.conns.delete(c) && group.conns.size === 0) {
      group.unwatch();
      this.byAccount.delete(c.account!.name);
    }
    const account = wasRegistered && c.account !== undefined ? ` account: ${c.account.name}` : "";
    this.server.log.info(`${c.label} - Leafnode connection closed: ${c.closedReason}${account}`);
    const r = c.remote;
    if (r === undefined || r.conn !== c) return;
    r.conn = undefined;
    if (this.stopped || r.opts.disabled) return;
    // A hub that keeps refusing the handshake is retried with the same backoff as one that is down.
    let delay = this.opts.reconnectInterval;
    if (!wasRegistered) delay = this.reconnectDelay(r.attempts++);
    if (r.connectDelay > 0) delay = r.connectDelay;
    r.connectDelay = 0;
    this.scheduleReconnect(r, delay);
  }
}

/**
 * Subjects an account wants through imports or mappings, which no client subscription stands
 * for: Go announces service imports and mapping sources to leaf nodes explicitly, and the
 * streams other accounts import from this one (Go's shadow subscriptions).
 */
function importedSubjects(server: NatsServer, account: Account): string[] {
  const out = new Set<string>();
  for (const imp of account.plan?.serviceImports ?? []) out.add(imp.to);
  for (const name of server.accountNames()) {
    for (const imp of server.lookupAccount(name)?.plan?.streamImports ?? []) if (imp.from === account.name) out.add(imp.subject);
  }
  const mappings = account.name === "$G" ? server.opts.mappings : server.opts.accounts[account.name]?.mappings;
  for (const src of Object.keys(mappings ?? {})) out.add(src);
  for (const src of jetStreamMappingSources(account)) out.add(src);
  return [...out];
}
