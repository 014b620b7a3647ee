import type { Socket } from "node:net";
import { OutboundQueue, type Logger, type MessageSink, type Subscription } from "@nats-ts/core";
import { PeerProtocolParser, peerMsgHead, type PeerInterestOp, type PeerMessageOp, type ProtocolError } from "@nats-ts/wire";
import { parseProtoJson } from "../shared/info.js";
import { gatewayTuning } from "./tuning.js";
import { writeChunks } from "../shared/write-chunks.js";

/** What a gateway connection hands to the gateway service (the protocol logic lives there). */
export interface GatewayConnectionHandler {
  onInfo(c: GatewayConnection, info: Record<string, unknown>): void;
  onConnect(c: GatewayConnection, connect: Record<string, unknown>): void;
  onInterest(c: GatewayConnection, op: PeerInterestOp, args: string[]): void;
  onMessage(c: GatewayConnection, op: PeerMessageOp, args: string[], headerSize: number, msg: Buffer): void;
  onClosed(c: GatewayConnection, reason: string): void;
}

/** Go's ClosedState texts used for gateways. */
export const GatewayClosed = {
  ClientClosed: "Client Closed",
  ServerShutdown: "Server Shutdown",
  ProtocolViolation: "Protocol Violation",
  AuthenticationTimeout: "Authentication Timeout",
  AuthenticationViolation: "Authentication Failure",
  StaleConnection: "Stale Connection",
  WrongPort: "Wrong Port",
  WrongGateway: "Wrong Gateway",
  ReadError: "Read Error",
  SlowConsumer: "Slow Consumer (Pending Bytes)",
} as const;

/** Past this many bytes waiting to be written the connection is a slow consumer (Go's max_pending). */
const MAX_PENDING = 64 * 1024 * 1024;

/**
 * One gateway connection: inbound (accepted, the remote sends us its messages on it and we tell
 * it our interest) or outbound (solicited, we send our messages on it and it tells us its
 * interest). It is the `from` of what it brings in; what goes out is forwarded by one sink per
 * account (see OutboundAccountInterest), since a sink is told the subject but not the account.
 */
export class GatewayConnection implements MessageSink {
  readonly kind = "GATEWAY" as const;
  readonly start = new Date();
  /** When the peer last sent anything (ms since the epoch). */
  lastActivity = Date.now();
  /** The remote cluster's gateway name (known at once for outbound, from INFO/CONNECT for inbound). */
  name: string;
  /** The remote server's id, from its INFO. */
  remoteId = "";
  /** INFO received (outbound) or CONNECT received (inbound). */
  handshakeDone = false;
  /** Registered as the outbound connection to `name` (or as an inbound one). */
  registered = false;
  /** The remote supports headers (HMSG). */
  headers = false;
  /** The remote switches every account to interest-only at once (its INFO's gateway_iom). */
  remoteInterestOnly = false;
  /** Dropped from the service for good: no reconnect (duplicate, wrong gateway). */
  noReconnect = false;
  closedReason: string | undefined;
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;
  readonly ip: string;
  readonly port: number;

  private readonly parser: PeerProtocolParser;
  /** What waits for the next flush (one write per I/O turn, as for clients). */
  private readonly out = new OutboundQueue();
  private flushScheduled = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private pingsOut = 0;
  private readonly flush = () => this.flushNow();

  constructor(
    readonly cid: number,
    private readonly socket: Socket,
    readonly outbound: boolean,
    name: string,
    private readonly handler: GatewayConnectionHandler,
    readonly log: Logger,
    /** Set for outbound connections: the URL this one was solicited at. */
    readonly url?: URL,
  ) {
    this.name = name;
    this.ip = socket.remoteAddress ?? "";
    this.port = socket.remotePort ?? 0;
    this.parser = new PeerProtocolParser(this.protocolHandler());
    this.parser.trace = log.traceEnabled;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.lastActivity = Date.now();
      try {
        this.parser.parse(chunk);
      } catch (err) {
        // Whatever the peer sent, it must not take the server down: drop this connection only.
        this.log.error(`${this.label} - Gateway protocol error: ${(err as Error).message}`);
        this.close(GatewayClosed.ProtocolViolation);
      }
    });
    socket.on("error", () => this.close(GatewayClosed.ReadError));
    socket.on("close", () => this.close(GatewayClosed.ClientClosed));
  }

  /** Log prefix as Go prints it: `127.0.0.1:7222 - gid:5`. */
  get label(): string {
    return `${this.ip}:${this.port} - gid:${this.cid}`;
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  get pendingSize(): number {
    return this.out.pending + this.socket.writableLength;
  }

  /** Queues a protocol line (with its CRLF). */
  send(proto: string): void {
    if (this.closedReason !== undefined) return;
    if (this.log.traceEnabled) this.log.trace(`${this.label} - ->> [${proto.replace(/\r\n$/, "")}]`);
    this.out.appendString(proto);
    this.queued();
  }

  /** Closes if no CONNECT arrives in time (inbound connections). */
  startAuthTimer(seconds: number): void {
    this.authTimer = setTimeout(() => {
      this.sendErr("Authentication Timeout");
      this.close(GatewayClosed.AuthenticationTimeout);
    }, seconds * 1000);
    this.authTimer.unref();
  }

  /** Closes as stale if the remote's INFO does not come in time (outbound connections, Go's watchForStaleConnection). */
  startInfoTimer(ms: number): void {
    this.authTimer = setTimeout(() => {
      if (this.handshakeDone) return;
      this.log.debug(`${this.label} - Stale Gateway Connection - Closing`);
      this.close(GatewayClosed.StaleConnection);
    }, ms);
    this.authTimer.unref();
  }

  /**
   * Sends PINGs regardless of traffic (the first one soon after the handshake, as Go does) and
   * closes after `maxOut` unanswered ones (Go's stale connection check).
   */
  startPings(intervalMs: number, maxOut: number): void {
    clearTimeout(this.authTimer);
    if (this.pingTimer !== undefined || this.closedReason !== undefined) return;
    const ping = () => {
      if (this.pingsOut + 1 > maxOut) {
        this.log.debug(`${this.label} - Stale Gateway Connection - Closing`);
        this.close(GatewayClosed.StaleConnection);
        return;
      }
      this.pingsOut++;
      this.send("PING\r\n");
    };
    this.pingTimer = setTimeout(() => {
      ping();
      this.pingTimer = setInterval(ping, intervalMs);
      this.pingTimer.unref();
    }, Math.min(intervalMs, gatewayTuning.firstPingDelay));
    this.pingTimer.unref();
  }

  sendErr(text: string): void {
    this.send(`-ERR '${text}'\r\n`);
  }

  // ---- MessageSink --------------------------------------------------------------------------

  deliver(): boolean {
    return false;
  }

  removeSub(_sub: Subscription): void {
    // Gateway interest is never auto-unsubscribed: RS- removes it.
  }

  /** Writes one RMSG/HMSG (outbound connections, for their per-account sinks). */
  writeMsg(account: string, subject: string, reply: string | undefined, queues: readonly string[], headerSize: number, msg: Buffer): void {
    let hs = headerSize > 0 ? headerSize : -1;
    let body = msg;
    if (hs > 0 && !this.headers) {
      // A peer without headers gets the payload only, as Go does.
      body = msg.subarray(hs);
      hs = -1;
    }
    if (this.closedReason !== undefined) return;
    const head = peerMsgHead(account, subject, reply, queues, hs, body.length);
    if (this.log.traceEnabled) this.log.trace(`${this.label} - ->> [${head.trimEnd()}]`);
    this.outMsgs++;
    this.outBytes += body.length;
    this.out.appendString(head);
    this.out.append(body);
    this.out.append(CRLF);
    this.queued();
  }

  /** Closes the connection once (flushing what is queued); the service then forgets it. */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearTimeout(this.pingTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.authTimer);
    this.flushNow();
    this.socket.end();
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.handler.onClosed(this, reason);
  }

  /** After queueing: a slow consumer is dropped, otherwise a flush is scheduled. */
  private queued(): void {
    if (this.out.pending + this.socket.writableLength > MAX_PENDING) {
      this.log.info(`${this.label} - Slow Consumer Detected: MaxPending of ${MAX_PENDING} Exceeded`);
      this.out.drain();
      this.close(GatewayClosed.SlowConsumer);
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private flushNow(): void {
    this.flushScheduled = false;
    if (this.out.isEmpty || this.socket.destroyed) return;
    writeChunks(this.socket, this.out.drain());
  }

  /** An INFO or CONNECT that is not a JSON object: a protocol violation, as Go's failed json.Unmarshal. */
  private badJson(op: string, json: string): void {
    this.log.error(`${this.label} - Gateway ${op} is not a JSON object: ${json.slice(0, 128)}`);
    this.close(GatewayClosed.ProtocolViolation);
  }

  private protocolHandler() {
    // Inbound connections must open with CONNECT (Go's expectConnect).
    const guard = (): boolean => {
      if (this.closedReason !== undefined) return false;
      if (this.outbound || this.handshakeDone) return true;
      this.sendErr("Authorization Violation");
      this.close(GatewayClosed.AuthenticationViolation);
      return false;
    };
    return {
      onInfo: (json: string) => {
        if (!guard()) return;
        const info = parseProtoJson(json);
        if (info === undefined) return this.badJson("INFO", json);
        this.handler.onInfo(this, info);
      },
      onConnect: (json: string) => {
        if (this.closedReason !== undefined) return;
        const connect = parseProtoJson(json);
        if (connect === undefined) return this.badJson("CONNECT", json);
        this.handler.onConnect(this, connect);
      },
      onPing: () => {
        if (guard()) this.send("PONG\r\n");
      },
      onPong: () => {
        this.pingsOut = 0;
      },
      onOk: () => undefined,
      onErr: (text: string) => {
        this.log.error(`${this.label} - Gateway Error '${text}'`);
      },
      onInterest: (op: PeerInterestOp, args: string[]) => {
        if (guard()) this.handler.onInterest(this, op, args);
      },
      onMessage: (op: PeerMessageOp, args: string[], headerSize: number, msg: Buffer) => {
        if (!guard()) return;
        this.inMsgs++;
        this.inBytes += msg.length;
        this.handler.onMessage(this, op, args, headerSize, msg);
      },
      onProtocolError: (err: ProtocolError) => {
        this.log.error(`${this.label} - ${err.detail}`);
        if (err.kind === "auth_violation") this.sendErr("Authorization Violation");
        else if (err.clientVisible) this.sendErr(err.message);
        this.close(err.kind === "auth_violation" ? GatewayClosed.AuthenticationViolation : GatewayClosed.ProtocolViolation);
      },
      onTraceIn: (op: string, arg: string | undefined) => {
        this.log.trace(`${this.label} - <<- [${arg === undefined ? op : `${op} ${arg}`}]`);
      },
    };
  }
}

const CRLF = Buffer.from("\r\n");
