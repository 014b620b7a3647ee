import type { Duplex } from "node:stream";
import { Subscription, type Account, type MessageSink, type Permissions } from "@nats-ts/core";
import {
  ERR_UNKNOWN_PROTOCOL_OPERATION,
  PeerProtocolParser,
  parsePeerMsgArgs,
  peerMsgHead,
  type PeerInterestOp,
  type PeerMessageOp,
  type PeerOpHandler,
  type ProtocolError,
} from "@nats-ts/wire";
import { parseProtoJson } from "../shared/info.js";
import { S2CompressedStream, updatedAutoLevel, writerForMode, type CompressionOptions, type S2FormatError } from "../shared/compression/index.js";
import { CONNECT_PROCESS_TIMEOUT, ERR_AUTH_VIOLATION, ERR_STALE_CONNECTION, LDS_PREFIX, MAX_QUEUE_WEIGHT, SERVICE_REPLY_PREFIX } from "./constants.js";
import { OutboundInterest, interestKey } from "./interest.js";
import { LeafPermissions, bypassesPermissions } from "./permissions.js";
import type { LeafHost, RemoteState } from "./host.js";

/** Go's closed-connection reasons as leaf connections use them. */
export type LeafCloseReason =
  | "Client Closed"
  | "Server Shutdown"
  | "Authentication Timeout"
  | "Authentication Failure"
  | "Protocol Violation"
  | "Stale Connection"
  | "Read Error"
  | "Slow Consumer (Pending Bytes)"
  | "Wrong Port"
  | "Cluster Names Identical"
  | "Duplicate Remote LeafNode Connection"
  | "Missing Account"
  | "TLS Handshake Error";

/** Traffic counters of one connection (Go's in/out msgs and bytes). */
export interface LeafStats {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
}

/**
 * One leaf node connection, accepted or solicited (Go's client of kind LEAF). It speaks the leaf
 * protocol on a byte stream: LS+/LS- for interest, LMSG/HMSG for messages, PING/PONG; the
 * handshake (INFO/CONNECT) is driven by {@link LeafHost} through the hooks below.
 *
 * As a {@link MessageSink} it stands in the bound account's sublist for what the other side
 * subscribed to; core calls {@link forward} once per message with the queue groups picked here.
 */
export class LeafConnection implements MessageSink, PeerOpHandler {
  readonly kind = "LEAF" as const;
  /** True once this server knows the other side is its hub (Go's isSpoke). */
  leafSpoke = false;
  account: Account | undefined;
  /** Set when registered: the handshake is complete and interest flows. */
  registered = false;
  /** Solicited side: the hub's first INFO arrived. */
  infoReceived = false;
  /** Solicited side: compression was switched on; the hub's INFO that follows (compressed) goes on with the handshake. */
  awaitingHubInfo = false;
  closedReason: LeafCloseReason | undefined;
  perms = new LeafPermissions();
  /** The other side supports headers (HMSG). */
  headers = false;
  /** Interest of other leaf nodes is not announced on this connection. */
  isolated = false;
  remoteServer = "";
  remoteCluster = "";
  remoteDomain = "";
  /** The account the other side bound this connection to (from its CONNECT or INFO). */
  remoteAccount = "";
  /** The nonce of the INFO this server sent (accepted) or received (solicited), for signatures. */
  nonce = "";
  /** The authenticated user's own permissions (accepted side), as sent back in INFO. */
  userPermissions: Permissions | undefined;
  /** Accepted side: what the user may publish, checked on each message it sends us (Go's leafSendAllowed). */
  exportRules: LeafPermissions | undefined;
  /** Round-trip time of the last PING, in milliseconds (undefined until measured). */
  rtt: number | undefined;
  /** When the connection was made (performance.now()): the first RTT estimate for s2_auto, as Go's. */
  readonly startedAt = performance.now();
  /**
   * The negotiated compression mode as /leafz shows it (Go's leaf.compression): "" until known,
   * "not supported" for a peer that announced none, "off", or the s2 level this side writes with.
   */
  compression = "";
  /** The first INFO was used to negotiate compression (Go's compressionNegotiated flag). */
  compressionNegotiated = false;
  /** This side's compression settings (the listener's or the remote's). */
  compressionOptions: CompressionOptions | undefined;
  /**
   * While compression may still be switched on, input is parsed a line at a time so that bytes
   * after the INFO that switches it go to the decoder (handshake only: no messages flow yet).
   */
  private byLine = false;
  private compressed: S2CompressedStream | undefined;
  readonly stats: LeafStats = { inMsgs: 0, inBytes: 0, outMsgs: 0, outBytes: 0 };
  /** What the other side subscribed to, by Go's key (`subject` or `subject queue`). */
  private readonly remoteSubs = new Map<string, Subscription[]>();
  private readonly interest = new OutboundInterest();
  private interestFlushQueued = false;
  private parser: PeerProtocolParser;
  private stream: Duplex;
  private corked = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private pingsOut = 0;
  private pingSentAt = 0;
  private readonly onData = (chunk: Buffer) => {
    if (this.byLine) this.parseByLine(chunk);
    else this.parse(chunk);
  };
  private parse(chunk: Buffer): void {
    try {
      this.parser.parse(chunk);
    } catch (e) {
      // Whatever a peer sends, only its own connection pays for it.
      this.host.server.log.error(`${this.label} - Error processing leafnode protocol: ${(e as Error).message}`);
      this.close("Protocol Violation");
    }
  }
  private readonly onEnd = () => this.close("Client Closed");
  private readonly onError = () => this.close(this.registered ? "Read Error" : "Client Closed");

  constructor(
    readonly cid: number,
    stream: Duplex,
    readonly ip: string,
    readonly port: number,
    readonly host: LeafHost,
    /** The remote this server solicited the connection for; undefined when accepted. */
    readonly remote: RemoteState | undefined,
  ) {
    this.stream = stream;
    this.parser = new PeerProtocolParser(this, { maxPayload: host.server.opts.maxPayload }, true);
    this.parser.trace = host.server.log.traceEnabled;
    this.attach(stream);
  }

  /** Expects the peer's INFO to negotiate compression: reads the handshake line by line until then. */
  expectCompressionInfo(options: CompressionOptions): void {
    this.compressionOptions = options;
    this.byLine = true;
  }

  /** Compression is settled (negotiated or not): input goes straight to the parser again. */
  compressionSettled(mode: string): void {
    this.compressionNegotiated = true;
    this.compression = mode;
    this.byLine = false;
  }

  private parseByLine(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.byLine && this.closedReason === undefined) {
      const nl = chunk.indexOf(10, at);
      const end = nl < 0 ? chunk.length : nl + 1;
      this.parse(chunk.subarray(at, end));
      at = end;
    }
    if (at >= chunk.length || this.closedReason !== undefined) return;
    // The INFO just parsed switched reading to the decoder: the rest of this read is compressed.
    if (this.compressed !== undefined) this.compressed.receive(chunk.subarray(at));
    else this.parse(chunk.subarray(at));
  }

  /**
   * Reads and writes S2 from now on, at the point of the handshake where Go switches (the
   * caller sends the INFO that confirms the mode before or after, as Go's side does).
   */
  startCompression(mode: string): void {
    this.compressionSettled(mode);
    const compressed = new S2CompressedStream(this.stream, writerForMode(mode), (err: S2FormatError) => {
      this.host.server.log.error(`${this.label} - Error decompressing leafnode protocol: ${err.message}`);
    });
    this.compressed = compressed;
    this.replaceStream(compressed);
  }

  /** Go's log prefix for a leaf connection. */
  get label(): string {
    return `${this.ip.includes(":") ? `[${this.ip}]` : this.ip}:${this.port} - lid:${this.cid}`;
  }

  get solicited(): boolean {
    return this.remote !== undefined;
  }

  /** Number of subscriptions the other side holds here (Go's len(c.subs)). */
  get subscriptionCount(): number {
    return this.remoteSubs.size;
  }

  /** The other side's subscriptions' subjects (for /leafz?subs=1). */
  subscriptionSubjects(): string[] {
    return [...this.remoteSubs.values()].map((subs) => subs[0].subject);
  }

  /** Moves reading and writing to another stream (after a TLS upgrade, or to compress). */
  replaceStream(stream: Duplex): void {
    this.detach();
    // What was queued on the old stream goes out now, before anything on the new one.
    if (this.corked) {
      this.corked = false;
      this.stream.uncork();
    }
    this.stream = stream;
    this.attach(stream);
  }

  /** The raw stream (for a TLS upgrade); reading from it stops until {@link replaceStream}. */
  takeStream(): Duplex {
    this.detach();
    // Errors of the raw stream surface on the TLS socket wrapped around it.
    this.stream.on("error", () => {});
    return this.stream;
  }

  private attach(stream: Duplex): void {
    stream.on("data", this.onData);
    stream.on("end", this.onEnd);
    stream.on("close", this.onEnd);
    stream.on("error", this.onError);
  }

  private detach(): void {
    const s = this.stream;
    s.off("data", this.onData);
    s.off("end", this.onEnd);
    s.off("close", this.onEnd);
    s.off("error", this.onError);
  }

  // ---- output ------------------------------------------------------------------------------

  /** Queues protocol text; writes of one I/O turn go out together. */
  send(data: string | Buffer): void {
    if (this.closedReason !== undefined) return;
    if (this.host.server.log.traceEnabled && typeof data === "string") this.traceOut(data);
    const s = this.stream;
    if (!this.corked) {
      this.corked = true;
      s.cork();
      setImmediate(() => {
        if (this.stream === s) this.corked = false;
        s.uncork();
      });
    }
    s.write(data);
    if (s.writableLength > this.host.server.opts.maxPending) {
      this.host.server.log.info(`${this.label} - Slow Consumer Detected: MaxPending of ${this.host.server.opts.maxPending} Exceeded`);
      this.host.server.countSlowConsumer();
      this.close("Slow Consumer (Pending Bytes)");
    }
  }

  sendErr(text: string): void {
    this.send(`-ERR '${text}'\r\n`);
  }

  private traceOut(data: string): void {
    for (const line of data.split("\r\n")) {
      if (line === "") continue;
      const sp = line.indexOf(" ");
      const op = sp < 0 ? line : line.slice(0, sp);
      if (op === "LMSG" || op === "HMSG") continue;
      this.host.server.log.trace(`${this.label} - ->> [${line}]`);
    }
  }

  // ---- MessageSink ---------------------------------------------------------------------------

  deliver(): boolean {
    return false;
  }

  removeSub(sub: Subscription): void {
    this.account?.sublist.remove(sub);
  }

  forward(subject: string, reply: string | undefined, queues: readonly string[], headerSize: number, msg: Buffer): boolean {
    if (this.closedReason !== undefined || !this.registered) return false;
    if (!this.perms.isEmpty && !this.perms.canSend(subject)) return false;
    let body = msg;
    let hdr = headerSize > 0 ? headerSize : -1;
    if (hdr > 0 && !this.headers) {
      body = msg.subarray(hdr);
      hdr = -1;
    }
    // One write per message: head, payload and CRLF in one buffer.
    const head = peerMsgHead(undefined, subject, reply, queues, hdr, body.length);
    const headLen = Buffer.byteLength(head);
    const frame = Buffer.allocUnsafe(headLen + body.length + 2);
    frame.write(head, 0, "utf8");
    body.copy(frame, headLen);
    frame[frame.length - 2] = 13;
    frame[frame.length - 1] = 10;
    this.send(frame);
    this.stats.outMsgs++;
    this.stats.outBytes += body.length;
    return true;
  }

  // ---- interest we announce ------------------------------------------------------------------

  /**
   * Whether a subscription of the bound account is announced to the other side (Go's
   * updateSmap rules): never its own, nor import plumbing; a spoke only tells its hub about
   * local interest and that of its own leaf nodes; loop detection subjects always pass.
   */
  announces(sub: Subscription): boolean {
    if (sub.sink === this) return false;
    const kind = sub.sink.kind;
    // Import plumbing exists on every server alike, except the prefix of this server's service
    // replies (Go's siReply), which the other side needs to send responses back.
    if (kind === "ACCOUNT") return sub.subject.startsWith(SERVICE_REPLY_PREFIX);
    if (sub.subject.startsWith(LDS_PREFIX)) return true;
    if (this.leafSpoke && (kind === "ROUTER" || kind === "GATEWAY" || (kind === "LEAF" && sub.sink.leafSpoke === true))) return false;
    if (kind === "LEAF" && this.isolated) return false;
    return bypassesPermissions(sub.subject) || this.perms.canReceive(sub.subject);
  }

  /** A subscription of the bound account came or went. */
  onAccountInterest(sub: Subscription, added: boolean): void {
    // Each member of a queue group is its own subscription here, so each adds 1 to the weight.
    if (this.registered && this.announces(sub)) this.announce(interestKey(sub), added ? 1 : -1);
  }

  /** Counts interest under a key (subject or `subject queue`) and schedules the LS+/LS-. */
  announce(key: string, delta: number): void {
    this.interest.add(key, delta);
    if (this.interestFlushQueued) return;
    this.interestFlushQueued = true;
    queueMicrotask(() => {
      this.interestFlushQueued = false;
      const lines = this.interest.take();
      if (lines !== "") this.send(lines);
    });
  }

  /** Keys announced to the other side (tests, monitoring). */
  announcedKeys(): string[] {
    return this.interest.keys();
  }

  // ---- PeerOpHandler -------------------------------------------------------------------------

  onInfo(json: string): void {
    const info = parseProtoJson(json);
    if (info === undefined) return this.protocolViolation("Error parsing INFO");
    this.host.onInfo(this, info);
  }

  onConnect(json: string): void {
    const connect = parseProtoJson(json);
    if (connect === undefined) return this.protocolViolation("Error parsing CONNECT");
    this.host.onConnect(this, connect);
  }

  onPing(): void {
    if (!this.beforeConnectAllowed()) return;
    this.send("PONG\r\n");
  }

  onPong(): void {
    this.pingsOut = 0;
    if (this.pingSentAt !== 0) {
      this.rtt = performance.now() - this.pingSentAt;
      this.pingSentAt = 0;
      if (this.compressed !== undefined) this.updateCompressionLevel(this.rtt);
    }
  }

  /** An s2_auto connection moves to the level its new RTT calls for (Go's updateS2AutoCompressionLevel). */
  private updateCompressionLevel(rtt: number): void {
    const level = updatedAutoLevel(this.compressionOptions!, this.compression, rtt);
    if (level === undefined) return;
    this.compression = level;
    this.compressed!.writer = writerForMode(level);
  }

  onOk(): void {}

  onErr(text: string): void {
    this.host.onPeerError(this, text);
  }

  onTraceIn(op: string, arg: string | undefined): void {
    if (op === "LMSG" || op === "HMSG") return;
    this.host.server.log.trace(`${this.label} - <<- [${arg === undefined ? op : `${op} ${arg}`}]`);
  }

  onInterest(op: PeerInterestOp, args: string[]): void {
    if (op !== "LS+" && op !== "LS-") return this.unknownOp();
    if (this.account === undefined || !this.beforeConnectAllowed()) return this.authViolation();
    if (op === "LS+") this.onLeafSub(args);
    else this.onLeafUnsub(args.join(" "));
  }

  onMessage(op: PeerMessageOp, args: string[], headerSize: number, msg: Buffer): void {
    if (op === "RMSG") return this.unknownOp();
    if (this.account === undefined || !this.beforeConnectAllowed()) return this.authViolation();
    const parsed = parsePeerMsgArgs(args, { withAccount: false, leaf: true, headers: op === "HMSG" });
    if (typeof parsed === "string") {
      this.host.server.log.error(`${this.label} - ${parsed}`);
      return this.close("Protocol Violation");
    }
    this.stats.inMsgs++;
    this.stats.inBytes += msg.length;
    const { subject, reply, queues } = parsed;
    if (!this.host.inboundAllowed(this, subject)) return;
    this.host.server.publish(this, this.account, subject, reply, headerSize > 0 ? headerSize : 0, msg, queues);
  }

  onProtocolError(err: ProtocolError): void {
    // Before CONNECT anything but CONNECT is an authorization violation (Go's expectConnect).
    if (err.kind === "auth_violation" || (err.kind === "unknown_op" && !this.beforeConnectAllowed())) return this.authViolation();
    this.host.server.log.error(`${this.label} - ${err.detail}`);
    if (err.clientVisible) this.sendErr(err.message);
    this.close("Protocol Violation");
  }

  // ---- subscriptions of the other side -------------------------------------------------------

  private onLeafSub(args: string[]): void {
    if (args.length !== 1 && args.length !== 3) {
      this.host.server.log.error(`${this.label} - processLeafSub Parse Error: '${args.join(" ")}'`);
      return this.close("Protocol Violation");
    }
    const subject = args[0];
    const queue = args.length === 3 ? args[1] : undefined;
    const weight = queue === undefined ? 1 : Math.min(MAX_QUEUE_WEIGHT, Math.max(1, /^\d{1,9}$/.test(args[2]) ? Number(args[2]) : 1));
    if (!this.host.acceptsInterest(this, subject)) return;
    const key = queue === undefined ? subject : `${subject} ${queue}`;
    const existing = this.remoteSubs.get(key);
    if (existing !== undefined && queue === undefined) return;
    const max = this.host.server.opts.maxSubscriptions;
    if (existing === undefined && max > 0 && this.remoteSubs.size >= max) {
      this.host.server.log.error(`${this.label} - maximum subscriptions exceeded`);
      this.sendErr("maximum subscriptions exceeded");
      return;
    }
    const subs = existing ?? [];
    const sublist = this.account!.sublist;
    try {
      // A queue group's weight is how many members the other side has: each counts once here.
      while (subs.length < weight) {
        const sub = new Subscription(this, subject, key, queue);
        sublist.insert(sub);
        subs.push(sub);
      }
    } catch {
      for (const s of subs) sublist.remove(s);
      this.remoteSubs.delete(key);
      this.host.server.log.error(`${this.label} - Could not insert subscription: invalid subject`);
      this.sendErr("Invalid Subscription");
      return;
    }
    while (subs.length > weight) {
      const sub = subs.pop()!;
      sub.closed = true;
      sublist.remove(sub);
    }
    this.remoteSubs.set(key, subs);
  }

  private onLeafUnsub(key: string): void {
    const subs = this.remoteSubs.get(key);
    if (subs === undefined) return;
    this.remoteSubs.delete(key);
    for (const sub of subs) {
      sub.closed = true;
      this.account!.sublist.remove(sub);
    }
  }

  /** Removes everything the other side subscribed to (on close). */
  private dropRemoteSubs(): void {
    const account = this.account;
    if (account === undefined) return;
    const all = [...this.remoteSubs.values()];
    this.remoteSubs.clear();
    for (const subs of all) {
      for (const sub of subs) {
        sub.closed = true;
        account.sublist.remove(sub);
      }
    }
  }

  // ---- liveness --------------------------------------------------------------------------------

  /** Starts the PING timer (Go's first ping, then every ping_interval; too many unanswered: stale). */
  startPings(): void {
    const { pingInterval, pingMax } = this.host.server.opts;
    this.sendPing();
    this.pingTimer = setInterval(() => {
      if (this.pingsOut + 1 > pingMax) {
        this.host.server.log.debug(`${this.label} - Stale Client Connection - Closing`);
        this.sendErr(ERR_STALE_CONNECTION);
        this.close("Stale Connection");
        return;
      }
      this.sendPing();
    }, pingInterval);
    this.pingTimer.unref();
  }

  private sendPing(): void {
    this.pingsOut++;
    this.pingSentAt = performance.now();
    this.send("PING\r\n");
  }

  /**
   * Solicited side, after CONNECT: the hub answers with an INFO; without one in time the
   * connection is stale (Go's connectProcessTimeout).
   */
  awaitConnectInfo(): void {
    const timer = setTimeout(() => {
      if (this.registered || this.closedReason !== undefined) return;
      this.host.server.log.debug(`${this.label} - Stale Leaf Node Connection - Closing`);
      this.sendErr("Stale Leaf Node Connection - Closing");
      this.close("Stale Connection");
    }, CONNECT_PROCESS_TIMEOUT);
    timer.unref();
  }

  // ---- errors and closing ----------------------------------------------------------------------

  /** Before an accepted connection's CONNECT only INFO may come (Go's expectConnect). */
  private beforeConnectAllowed(): boolean {
    return this.solicited || this.registered;
  }

  /** Go's authViolation: "authentication error" in the log (with the user), Authorization Violation to the peer. */
  authViolation(user = ""): void {
    this.host.server.log.error(`${this.label} - authentication error${user === "" ? "" : ` - User ${JSON.stringify(user)}`}`);
    this.sendErr(ERR_AUTH_VIOLATION);
    this.close("Authentication Failure");
  }

  private unknownOp(): void {
    this.sendErr(ERR_UNKNOWN_PROTOCOL_OPERATION);
    this.close("Protocol Violation");
  }

  private protocolViolation(text: string): void {
    this.host.server.log.error(`${this.label} - ${text}`);
    this.close("Protocol Violation");
  }

  /** Closes once: flushes what was queued, drops the other side's interest, tells the host. */
  close(reason: LeafCloseReason): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearInterval(this.pingTimer);
    this.parser = new PeerProtocolParser(IGNORE_ALL);
    const s = this.stream;
    if (this.corked) s.uncork();
    s.end();
    setTimeout(() => s.destroy(), 100).unref();
    this.dropRemoteSubs();
    this.host.onClosed(this);
  }
}

/** What a closed connection's parser does with late input: nothing. */
const IGNORE_ALL: PeerOpHandler = {
  onInfo() {},
  onConnect() {},
  onPing() {},
  onPong() {},
  onErr() {},
  onInterest() {},
  onMessage() {},
  onProtocolError() {},
};
