import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { InvalidSubjectError, OutboundQueue, Subscription, type Account, type MessageSink, type NatsServer } from "@nats-ts/core";
import { PeerProtocolParser, ProtocolError, parsePeerMsgArgs, peerMsgHead, type PeerInterestOp, type PeerMessageOp } from "@nats-ts/wire";
import { S2CompressedStream, updatedAutoLevel, writerForMode, type CompressionOptions } from "../shared/compression/index.js";
import { parseRouteConnect, parseRouteInfo, type RouteConnectInfo, type RouteInfo } from "./info.js";
import type { RouteUrl } from "./urls.js";
import { writeChunks } from "../shared/write-chunks.js";

/** Explicit routes come from the configuration and are retried forever; implicit ones from gossip. */
export type RouteType = "explicit" | "implicit";

/** Why a route closed, in Go's words (closed_conn.go). */
export const RouteClosed = {
  ClientClosed: "Client Closed",
  MissingAccount: "Missing Account",
  DuplicateRoute: "Duplicate Route",
  ClusterNameConflict: "Cluster Name Conflict",
  DuplicateServerName: "Duplicate Server Name",
  ProtocolViolation: "Protocol Violation",
  ParseError: "Parse Error",
  StaleConnection: "Stale Connection",
  ServerShutdown: "Server Shutdown",
  AuthenticationTimeout: "Authentication Timeout",
  AuthenticationViolation: "Authentication Failure",
  WrongPort: "Incorrect Port",
  WrongGateway: "Wrong Gateway",
  ReadError: "Read Error",
  TLSHandshakeError: "TLS Handshake Failure",
  SlowConsumerPendingBytes: "Slow Consumer (Pending Bytes)",
} as const;
export type RouteClosedReason = (typeof RouteClosed)[keyof typeof RouteClosed];

const NO_QUEUES: readonly string[] = [];

/** Go caps nothing here; a bound keeps a hostile weight from allocating without limit. */
const MAX_QUEUE_WEIGHT = 1024;

/** What a route connection needs from the route manager. */
export interface RouteHost {
  readonly server: NatsServer;
  /**
   * The first INFO of this connection (the handshake); false when it only negotiated compression
   * and switched the connection to it (the remote's next INFO, compressed, is its first).
   */
  onFirstInfo(c: RouteConnection, info: RouteInfo): boolean;
  /** A later INFO: gossip about another server, or an update (lame duck) about this one. */
  onAsyncInfo(c: RouteConnection, info: RouteInfo): void;
  /** CONNECT from a soliciting server; returns false when it closed the connection. */
  onConnect(c: RouteConnection, connect: RouteConnectInfo): boolean;
  onClosed(c: RouteConnection): void;
  /** Whether the remote may have this server's interest in `subject` (cluster import permission). */
  canImport(subject: string): boolean;
  /** Whether the remote's interest in `subject` may be honoured (cluster export permission). */
  canExport(subject: string): boolean;
  readonly authRequired: boolean;
  /** The route was cut off for not reading what we send (counted in /varz slow consumers). */
  onSlowConsumer(c: RouteConnection): void;
  /** A PONG arrived (the pool's next connection is made after the previous one's first PONG). */
  onPong(c: RouteConnection): void;
}

/** One subject (and queue) the remote server has interest in, and its sublist entries. */
interface RemoteInterest {
  account: Account;
  subject: string;
  queue?: string;
  subs: Subscription[];
}

/**
 * The sink that stands for a route in one account's sublist. The core forwards one message per
 * publish to it; it writes RMSG/HMSG naming the account.
 */
class RouteAccountSink implements MessageSink {
  readonly kind = "ROUTER" as const;
  constructor(
    readonly route: RouteConnection,
    readonly account: Account,
  ) {}
  get cid(): number {
    return this.route.cid;
  }
  deliver(): boolean {
    return false;
  }
  removeSub(sub: Subscription): void {
    this.route.dropSubscription(sub);
  }
  forward(subject: string, reply: string | undefined, queues: readonly string[], headerSize: number, msg: Buffer): boolean {
    return this.route.sendMsg(this.account.name, subject, reply, queues, headerSize, msg);
  }
}

/**
 * One route connection: the handshake (INFO/CONNECT), keepalive, the remote server's interest
 * (RS+/RS-, LS+/LS-) as subscriptions in the accounts' sublists, and messages both ways.
 */
export class RouteConnection {
  readonly start = new Date();
  lastActivity = new Date();
  remoteId = "";
  remoteName = "";
  /** The remote's first INFO. */
  info: RouteInfo | undefined;
  /** Client URLs the remote advertised (removed from ours when it goes away or into lame duck). */
  connectUrls: string[] = [];
  /** Set once the manager registered this connection as the route to its remote server. */
  registered = false;
  /** Keep the other connection's reconnect duty when a duplicate is dropped (Go's route.retry). */
  retry = false;
  noReconnect = false;
  /** Where the connection sits in its remote's pool; -1 until registered, and for pinned-account routes. */
  poolIdx = -1;
  /** The remote does not pool routes (an older server, or `pool_size: -1` on either side): this one carries every account. */
  noPool = false;
  /**
   * Set on a pinned account's dedicated route: only that account's traffic, and protocols that
   * do not name it (Go's route.accName).
   */
  account: string | undefined;
  /** We dialled a pooled connection: our INFO waits for the remote's, to name the pool index. */
  infoDelayed = false;
  /** Where to dial the pool's next connection once this one's first PONG proves the handshake (Go's startNewRoute). */
  startNewRoute: { url: RouteUrl; type: RouteType } | undefined;
  closedReason: RouteClosedReason | undefined;
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;
  /** Round trip of the last PING, in ms. */
  rtt: number | undefined;
  /** When the connection was made (performance.now()): s2_auto's first RTT estimate, as Go's. */
  readonly startedAt = performance.now();
  /**
   * The negotiated compression as /routez shows it (Go's route.compression): "" until known, "not
   * supported" for a remote that announced none, "off", or the s2 level this side writes with.
   */
  compression = "";
  /**
   * This server negotiates compression (its mode is neither off nor not supported): the first
   * INFO is read for that, and the handshake is parsed a line at a time until it is settled so
   * that bytes after the INFO that switches to S2 go to the decoder (no messages flow yet).
   */
  compressionOptions: CompressionOptions | undefined;
  /** The remote's first INFO was used to negotiate compression (Go's compressionNegotiated flag). */
  compressionNegotiated = false;
  private compressed: S2CompressedStream | undefined;
  /** The byte stream read and written: the socket (after TLS), or the S2 stream around it. */
  private stream: Duplex;
  private readError = false;
  private readonly onData = (chunk: Buffer) => {
    this.lastActivity = new Date();
    this.parser.parse(chunk);
  };
  private readonly onHandshakeData = (chunk: Buffer) => {
    this.lastActivity = new Date();
    this.parseByLine(chunk);
  };
  private readonly onError = (err: Error) => {
    this.readError = true;
    this.log.debug(`${this.label} - Router connection error: ${err.message}`);
  };
  // Go reports a peer that hung up as "Client Closed", a broken connection (or stream) as "Read Error".
  private readonly onClose = () => this.close(this.readError ? RouteClosed.ReadError : RouteClosed.ClientClosed);
  private connectReceived = false;
  private readonly parser: PeerProtocolParser;
  private readonly out = new OutboundQueue();
  private flushQueued = false;
  private lastHead: { account: string; subject: string; headerSize: number; size: number; bytes: Buffer } | undefined;
  private readonly sinks = new Map<string, RouteAccountSink>();
  private readonly remote = new Map<string, RemoteInterest>();
  private pingTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private pingsOut = 0;
  private pingSentAt = 0;
  private readonly label: string;

  constructor(
    private readonly host: RouteHost,
    private readonly socket: Duplex,
    readonly cid: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    /** The URL we dialled; undefined for an accepted connection. */
    public url: RouteUrl | undefined,
    public routeType: RouteType,
  ) {
    this.stream = socket;
    this.didSolicit = url !== undefined;
    this.label = `${remoteAddress.includes(":") ? `[${remoteAddress}]` : remoteAddress}:${remotePort} - rid:${cid}`;
    const maxPayload = Math.max(64 * 1024 * 1024, host.server.opts.maxPayload);
    this.parser = new PeerProtocolParser(
      {
        onInfo: (json) => this.onInfo(json),
        onConnect: (json) => this.onConnect(json),
        onPing: () => this.sendProto("PONG\r\n"),
        onPong: () => this.onPong(),
        onErr: (text) => this.onErr(text),
        onInterest: (op, args) => this.onInterest(op, args),
        onMessage: (op, args, hdr, msg) => this.onMessage(op, args, hdr, msg),
        onProtocolError: (err) => this.onProtocolError(err),
        onTraceIn: (op, arg) => this.log.trace(`${this.label} - <<- [${arg === undefined ? op : `${op} ${arg}`}]`),
      },
      { maxPayload },
    );
    this.parser.trace = host.server.log.traceEnabled;
  }

  /** Whether this server dialled the connection (may become true when a duplicate is dropped). */
  didSolicit: boolean;

  private get log() {
    return this.host.server.log;
  }

  /**
   * Starts reading; `greeting` is what to send first (CONNECT then INFO when soliciting, INFO
   * otherwise). With `compression`, the remote's first INFO negotiates it (see {@link compressionOptions}).
   */
  begin(greeting: string, authTimeoutSeconds: number, compression?: CompressionOptions): void {
    const { socket } = this;
    this.compressionOptions = compression;
    socket.on("data", compression === undefined ? this.onData : this.onHandshakeData);
    socket.on("error", this.onError);
    socket.on("close", this.onClose);
    if (!this.didSolicit && this.host.authRequired) {
      this.authTimer = setTimeout(() => {
        this.sendErr("Authentication Timeout");
        this.close(RouteClosed.AuthenticationTimeout);
      }, authTimeoutSeconds * 1000);
    }
    if (greeting !== "") this.sendProto(greeting);
    this.log.info(`${this.label} - Route connection created`);
  }

  /**
   * Closes the connection as stale when its handshake is not done after `ms` (Go's first ping
   * timer): a peer that takes the TCP connection and stays silent must not hold a route (or the
   * pool's next connection) forever. Registration starts the PINGs, which replace this.
   */
  watchHandshake(ms: number): void {
    this.pingTimer = setTimeout(() => {
      this.log.debug(`${this.label} - Stale Client Connection - Closing`);
      this.sendErr("Stale Connection");
      this.close(RouteClosed.StaleConnection);
    }, ms);
    this.pingTimer.unref();
  }

  /** Keepalive PINGs every `intervalMs`; past `maxOut` unanswered ones the route is stale. */
  startPings(intervalMs: number, maxOut: number): void {
    this.sendPing();
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (this.pingsOut + 1 > maxOut) {
        this.log.debug(`${this.label} - Stale Client Connection - Closing`);
        this.sendErr("Stale Connection");
        this.close(RouteClosed.StaleConnection);
        return;
      }
      this.sendPing();
    }, intervalMs);
    this.pingTimer.unref();
  }

  toString(): string {
    return this.label;
  }

  // ---- compression -------------------------------------------------------------------------

  /** Compression is negotiated and stays off (or unsupported): input goes straight to the parser again. */
  compressionSettled(mode: string): void {
    this.compressionNegotiated = true;
    this.compression = mode;
    // Only a connection reading its handshake a line at a time has a reader to swap.
    if (this.compressionOptions === undefined || this.compressed !== undefined || this.closedReason !== undefined) return;
    this.stream.off("data", this.onHandshakeData);
    this.stream.on("data", this.onData);
  }

  /**
   * Reads and writes S2 from now on (the caller sends the INFO that confirms the mode before this
   * when it dialled, after when it accepted, as Go's sides do). What was queued goes out first,
   * in the clear. A corrupt stream from the remote closes this connection as a read error.
   */
  startCompression(mode: string): void {
    this.compressionNegotiated = true;
    this.compression = mode;
    if (this.closedReason !== undefined) return;
    this.flush();
    const raw = this.stream;
    raw.off("data", this.onHandshakeData);
    raw.off("error", this.onError);
    raw.off("close", this.onClose);
    // From here the S2 stream listens to the socket and reports its errors and close.
    const compressed = new S2CompressedStream(raw, writerForMode(mode));
    this.compressed = compressed;
    this.stream = compressed;
    compressed.on("data", this.onData);
    compressed.on("error", this.onError);
    compressed.on("close", this.onClose);
  }

  /** Handshake input while compression may still be switched on: a line at a time, the rest to the decoder once it is. */
  private parseByLine(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.compressionNegotiated && this.closedReason === undefined) {
      const nl = chunk.indexOf(10, at);
      const end = nl < 0 ? chunk.length : nl + 1;
      this.parser.parse(chunk.subarray(at, end));
      at = end;
    }
    if (at >= chunk.length || this.closedReason !== undefined) return;
    // The INFO just parsed switched reading to the decoder: the rest of this read is compressed.
    if (this.compressed !== undefined) this.compressed.receive(chunk.subarray(at));
    else this.parser.parse(chunk.subarray(at));
  }

  // ---- output ------------------------------------------------------------------------------

  sendProto(line: string): void {
    if (this.closedReason !== undefined) return;
    if (this.log.traceEnabled) this.log.trace(`${this.label} - ->> [${line.replace(/\r\n$/, "").replace(/\r\n/g, " ")}]`);
    this.out.appendString(line);
    this.requestFlush();
  }

  sendErr(text: string): void {
    this.sendProto(`-ERR '${text}'\r\n`);
  }

  /** RMSG/HMSG for a message the core forwards to this route. */
  sendMsg(account: string, subject: string, reply: string | undefined, queues: readonly string[], headerSize: number, msg: Buffer): boolean {
    if (this.closedReason !== undefined) return false;
    if (reply === undefined && queues.length === 0) this.out.append(this.plainHead(account, subject, headerSize, msg.length));
    else this.out.appendString(this.msgHead(account, subject, reply, queues, headerSize > 0 ? headerSize : -1, msg.length));
    this.out.append(msg);
    this.out.appendString("\r\n");
    this.outMsgs++;
    this.outBytes += msg.length;
    if (this.out.pending > 1024 * 1024) this.checkPending();
    this.requestFlush();
    return true;
  }

  /**
   * The control line of a message without reply or queues, reused while account, subject and
   * sizes repeat (a stream of messages on one subject): encoding it is the costliest step here.
   */
  private plainHead(account: string, subject: string, headerSize: number, size: number): Buffer {
    const h = this.lastHead;
    if (h !== undefined && h.subject === subject && h.account === account && h.headerSize === headerSize && h.size === size) return h.bytes;
    const bytes = Buffer.from(this.msgHead(account, subject, undefined, [], headerSize > 0 ? headerSize : -1, size));
    this.lastHead = { account, subject, headerSize, size, bytes };
    return bytes;
  }

  /** RMSG/HMSG naming the account, or not on a pinned account's route (where the leaf form's LMSG becomes RMSG). */
  private msgHead(account: string, subject: string, reply: string | undefined, queues: readonly string[], headerSize: number, size: number): string {
    if (this.account === undefined) return peerMsgHead(account, subject, reply, queues, headerSize, size);
    const line = peerMsgHead(undefined, subject, reply, queues, headerSize, size);
    return headerSize >= 0 ? line : `R${line.slice(1)}`;
  }

  get pendingBytes(): number {
    return this.out.pending;
  }

  private requestFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const stream = this.stream;
    if (this.out.pending === 0 || stream.destroyed) return;
    this.checkPending();
    if (this.closedReason !== undefined) return;
    writeChunks(stream, this.out.drain());
  }

  private sendPing(): void {
    this.pingsOut++;
    this.pingSentAt = performance.now();
    this.sendProto("PING\r\n");
  }

  // ---- input -------------------------------------------------------------------------------

  private onInfo(json: string): void {
    if (this.awaitingAuth()) return;
    const info = parseRouteInfo(json);
    if (info === undefined) {
      this.log.error(`${this.label} - Router parser ERROR: invalid INFO ${json.slice(0, 128)}`);
      this.close(RouteClosed.ProtocolViolation);
      return;
    }
    if (this.info === undefined) {
      if (info.server_id === "") {
        this.log.error(`${this.label} - Router parser ERROR: INFO without a server id`);
        this.close(RouteClosed.ProtocolViolation);
        return;
      }
      this.info = info;
      // An INFO that only switched the connection to compression: the remote's next one is its first.
      if (!this.host.onFirstInfo(this, info)) this.info = undefined;
    } else {
      this.host.onAsyncInfo(this, info);
    }
  }

  private onConnect(json: string): void {
    const connect = parseRouteConnect(json);
    if (connect === undefined) {
      this.log.error(`${this.label} - Router parser ERROR: invalid CONNECT ${json.slice(0, 128)}`);
      this.close(RouteClosed.ProtocolViolation);
      return;
    }
    if (this.didSolicit || this.connectReceived) return;
    this.connectReceived = true;
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    if (this.host.onConnect(this, connect) && typeof connect.name === "string") this.remoteId = connect.name;
  }

  /** Accepted routes that need credentials must send CONNECT before anything else. */
  private awaitingAuth(): boolean {
    if (this.didSolicit || this.connectReceived || !this.host.authRequired) return false;
    this.sendErr("Authorization Violation");
    this.close(RouteClosed.AuthenticationViolation);
    return true;
  }

  private onPong(): void {
    this.pingsOut = 0;
    if (this.pingSentAt > 0) {
      this.rtt = performance.now() - this.pingSentAt;
      if (this.compressed !== undefined) this.updateCompressionLevel(this.rtt);
    }
    this.pingSentAt = 0;
    this.host.onPong(this);
  }

  /** An s2_auto route moves to the level its new RTT calls for (Go's updateS2AutoCompressionLevel). */
  private updateCompressionLevel(rtt: number): void {
    const level = updatedAutoLevel(this.compressionOptions!, this.compression, rtt);
    if (level === undefined) return;
    this.compression = level;
    this.compressed!.writer = writerForMode(level);
  }

  private onErr(text: string): void {
    this.log.error(`${this.label} - Route Error '${text}'`);
    this.close(RouteClosed.ParseError);
  }

  private onProtocolError(err: ProtocolError): void {
    if (err.clientVisible) this.sendErr(err.message);
    this.log.error(`${this.label} - Router ${err.kind === "unknown_op" ? err.detail : err.message}`);
    this.close(RouteClosed.ProtocolViolation);
  }

  private protocolViolation(text: string): void {
    this.log.error(`${this.label} - ${text}`);
    this.close(RouteClosed.ProtocolViolation);
  }

  private onMessage(op: PeerMessageOp, args: string[], headerSize: number, msg: Buffer): void {
    if (this.awaitingAuth() || this.closedReason !== undefined) return;
    // A pinned account's route leaves the account out: put it back where the other routes have it.
    if (this.account !== undefined && (op !== "LMSG" || args.length > 1)) args.splice(op === "LMSG" ? 1 : 0, 0, this.account);
    if (op === "LMSG") {
      // A message that entered the remote's cluster from a leaf node: `LMSG origin account subject
      // [reply | queues] hdr size`, always with a header size (Go's processRoutedOriginClusterMsgArgs).
      const hdr = args.pop();
      const text = `${args.join(" ")} ${hdr ?? ""}`;
      if (hdr === undefined || !/^[0-9]{1,9}$/.test(hdr)) {
        return this.protocolViolation(`processRoutedOriginClusterMsgArgs Bad or Missing Header Size: '${text}'`);
      }
      headerSize = Number(hdr);
      if (headerSize > msg.length) return this.protocolViolation(`processRoutedOriginClusterMsgArgs Header Size larger then TotalSize: '${text}'`);
      if (args.length < 3) return this.protocolViolation(`processRoutedOriginClusterMsgArgs Parse Error: '[${text}]'`);
      args.shift();
    }
    // The common `account subject` form needs no further parsing.
    const parsed = args.length === 2 ? { account: args[0], subject: args[1], reply: undefined, queues: NO_QUEUES } : parsePeerMsgArgs(args, { withAccount: true, leaf: false, headers: op !== "RMSG" });
    if (typeof parsed === "string") return this.protocolViolation(parsed);
    this.inMsgs++;
    this.inBytes += msg.length;
    const account = this.host.server.lookupAccount(parsed.account!);
    if (account === undefined) {
      this.log.debug(`${this.label} - Unknown account "${parsed.account}" for routed message on subject: "${parsed.subject}"`);
      return;
    }
    this.host.server.publish(this.sink(account), account, parsed.subject, parsed.reply, headerSize < 0 ? 0 : headerSize, msg, parsed.queues);
  }

  private onInterest(op: PeerInterestOp, args: string[]): void {
    if (this.awaitingAuth() || this.closedReason !== undefined) return;
    if (this.account !== undefined) {
      // Pinned account's route: `RS+ subject ...`, `LS+ origin subject ...`, `LS- [origin] subject ...`.
      const withOrigin = op === "LS+" || (op === "LS-" && this.info?.lnocu === true);
      args.splice(withOrigin ? Math.min(1, args.length) : 0, 0, this.account);
    }
    switch (op) {
      case "RS+":
        return this.remoteSub(args, false);
      case "LS+":
        return this.remoteSub(args, true);
      case "RS-":
      case "LS-":
        return this.remoteUnsub(args, op);
      default:
        // A+/A- belong to gateways: Go does not expect them on a route.
        return this.protocolViolation(`Router parser ERROR: unexpected ${op} on a route`);
    }
  }

  /** RS+ `account subject [queue weight]`, LS+ `origin account subject [queue weight]`. */
  private remoteSub(args: string[], hasOrigin: boolean): void {
    const a = hasOrigin ? args.slice(1) : args;
    if (a.length !== 2 && a.length !== 4) {
      return this.protocolViolation(`processRemoteSub Parse Error: '${hasOrigin ? "L" : "R"} ${args.join(" ")}'`);
    }
    const [accName, subject, queue, weightText] = a;
    const account = this.host.server.lookupAccount(accName);
    if (account === undefined) {
      this.log.error(`${this.label} - Unknown account "${accName}" for remote subject "${subject}"`);
      return;
    }
    if (!this.host.canExport(subject)) {
      this.log.debug(`${this.label} - Can not export "${subject}", ignoring remote subscription request`);
      return;
    }
    const key = queue === undefined ? `${accName} ${subject}` : `${accName} ${subject} ${queue}`;
    const weight = queue === undefined ? 1 : Math.min(MAX_QUEUE_WEIGHT, Math.max(1, Number.parseInt(weightText!, 10) || 1));
    let entry = this.remote.get(key);
    if (entry === undefined) {
      entry = { account, subject, queue, subs: [] };
      this.remote.set(key, entry);
    } else if (queue === undefined) {
      return;
    }
    const sink = this.sink(account);
    try {
      // A queue member of weight w stands for w members here, so random picks are weighted like Go's.
      while (entry.subs.length < weight) {
        const sub = new Subscription(sink, subject, `${key} ${entry.subs.length}`, queue);
        account.sublist.insert(sub);
        entry.subs.push(sub);
      }
    } catch (e) {
      if (!(e instanceof InvalidSubjectError)) throw e;
      if (entry.subs.length === 0) this.remote.delete(key);
      this.log.error(`${this.label} - Could not insert subscription: ${e.message}`);
      this.sendErr("Invalid Subscription");
      return;
    }
    while (entry.subs.length > weight) this.removeFromSublist(entry.subs.pop()!);
  }

  /** RS- `account subject [queue]`; LS- the same, with the origin first when the remote sends one. */
  private remoteUnsub(args: string[], op: "RS-" | "LS-"): void {
    if (args.length < 2 || args.length > (op === "LS-" ? 4 : 3)) {
      return this.protocolViolation(`processRemoteUnsub Parse Error: '${args.join(" ")}'`);
    }
    let key = args.join(" ");
    if (op === "LS-" && !this.remote.has(key) && args.length >= 3) key = args.slice(1).join(" ");
    const entry = this.remote.get(key);
    if (entry === undefined) return;
    this.remote.delete(key);
    for (const sub of entry.subs) this.removeFromSublist(sub);
  }

  private removeFromSublist(sub: Subscription): void {
    sub.closed = true;
    sub.sink instanceof RouteAccountSink && sub.sink.account.sublist.remove(sub);
  }

  /** Go's max_pending for routes: a peer that stops reading is cut off rather than buffered without bound. */
  private checkPending(): void {
    const maxPending = this.host.server.opts.maxPending;
    const queued = this.out.pending + this.stream.writableLength;
    if (queued <= maxPending || this.closedReason !== undefined) return;
    this.log.error(`${this.label} - Slow Consumer Detected: MaxPending of ${maxPending} Exceeded`);
    this.host.onSlowConsumer(this);
    this.close(RouteClosed.SlowConsumerPendingBytes);
  }

  /** The core dropped one of our subscriptions (never happens for remote ones, kept for the contract). */
  dropSubscription(sub: Subscription): void {
    for (const [key, entry] of this.remote) {
      const i = entry.subs.indexOf(sub);
      if (i < 0) continue;
      entry.subs.splice(i, 1);
      this.removeFromSublist(sub);
      if (entry.subs.length === 0) this.remote.delete(key);
      return;
    }
  }

  private sink(account: Account): RouteAccountSink {
    let s = this.sinks.get(account.name);
    if (s === undefined || s.account !== account) this.sinks.set(account.name, (s = new RouteAccountSink(this, account)));
    return s;
  }

  /** The remote's interest, for routez: `subject [queue]` with the account. */
  remoteInterest(): { account: string; subject: string; queue?: string; weight: number }[] {
    return [...this.remote.values()].map((e) => ({ account: e.account.name, subject: e.subject, queue: e.queue, weight: e.subs.length }));
  }

  // ---- closing -----------------------------------------------------------------------------

  /** Closes the connection (idempotent), flushing what was queued, and drops the remote's interest. */
  close(reason: RouteClosedReason): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.parser.stop();
    clearInterval(this.pingTimer);
    clearTimeout(this.authTimer);
    for (const entry of this.remote.values()) for (const sub of entry.subs) this.removeFromSublist(sub);
    this.remote.clear();
    const chunks = this.out.drain();
    const stream = this.stream;
    if (!stream.destroyed) {
      for (const c of chunks) stream.write(c);
      stream.end();
      setTimeout(() => stream.destroy(), 1000).unref();
    }
    const quiet = reason === RouteClosed.DuplicateRoute || reason === RouteClosed.ServerShutdown;
    const msg = `${this.label} - Router connection closed: ${reason}`;
    if (quiet) this.log.debug(msg);
    else this.log.info(msg);
    this.host.onClosed(this);
  }

  /** This end's TCP port (both ends of a pooled connection agree on its pool index: Go's tests compare them). */
  get localPort(): number | undefined {
    return (this.socket as Partial<Socket>).localPort;
  }

  /** Whether the connection closed. */
  get closed(): boolean {
    return this.closedReason !== undefined;
  }
}
