import type { NatsServer } from "@nats-ts/core";
import type { LeafConnection } from "./connection.js";
import type { RemoteLeafOptions } from "./options.js";
import type { PeerTls } from "../shared/tls.js";

/** What a {@link LeafConnection} asks of the leaf node service that owns it. */
export interface LeafHost {
  readonly server: NatsServer;
  /** An INFO arrived (the hub's greeting, its answer to CONNECT, or an update). */
  onInfo(c: LeafConnection, info: Record<string, unknown>): void;
  /** A CONNECT arrived on an accepted connection. */
  onConnect(c: LeafConnection, connect: Record<string, unknown>): void;
  /** The other side sent -ERR. */
  onPeerError(c: LeafConnection, text: string): void;
  /** Whether a message on this subject may come in (closes the connection when Go would). */
  inboundAllowed(c: LeafConnection, subject: string): boolean;
  /** Whether an LS+ on this subject is taken (closes the connection when Go would). */
  acceptsInterest(c: LeafConnection, subject: string): boolean;
  onClosed(c: LeafConnection): void;
}

/** A configured remote and its reconnect state (Go's leafNodeCfg). */
export interface RemoteState {
  readonly opts: RemoteLeafOptions;
  /** URLs to try: those gossiped by the hub first, then the configured ones. */
  urls: URL[];
  current: URL | undefined;
  /** Failed attempts in a row (for the backoff). */
  attempts: number;
  /** A connection of this remote was registered once: failures from now on are reconnects. */
  connected: boolean;
  /** A one-off delay before the next attempt (after a loop or a permissions violation). */
  connectDelay: number;
  timer: NodeJS.Timeout | undefined;
  conn: LeafConnection | undefined;
  /** The user name and password of the URL the remote was configured with. */
  user: string | undefined;
  password: string | undefined;
  /** Key material of the remote's `tls {}` block. */
  tls: PeerTls | undefined;
}
