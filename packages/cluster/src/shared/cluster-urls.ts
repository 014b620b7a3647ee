import type { NatsServer } from "@nats-ts/core";

/** Listener URLs that routes carry between the servers of a cluster (Go's route INFO `leafnode_urls` and `gateway_url`). */
export type ClusterUrlKind = "leafnode" | "gateway";

/**
 * Where the routes of one server and another part of it (leaf nodes, gateways) exchange listener
 * URLs, as Go keeps them side by side in its Server: the part sets this server's URL, routes put
 * it in their INFO and report what each other member's INFO says, and the part is told the other
 * members' URLs (for leaf nodes: to pass on to accepted leaf nodes so they can fail over).
 *
 * @example
 * const urls = clusterUrls(server, "leafnode");
 * urls.setLocal("10.0.0.1:7422");
 * const off = urls.onMembersChanged((list) => console.log(list));
 */
export class ClusterUrls {
  private local: string | undefined;
  /** Other member's server id -> its URL. */
  private readonly members = new Map<string, string>();
  private readonly listeners = new Set<(urls: string[]) => void>();

  /** This server's URL, undefined while the listener is not up (or not advertised). */
  get localUrl(): string | undefined {
    return this.local;
  }

  setLocal(url: string | undefined): void {
    this.local = url;
  }

  /** What the route to `serverId` said (undefined: the route is gone or the member has no such listener). */
  setMember(serverId: string, url: string | undefined): void {
    if (this.members.get(serverId) === url) return;
    if (url === undefined) this.members.delete(serverId);
    else this.members.set(serverId, url);
    const urls = this.memberUrls();
    for (const l of this.listeners) l(urls);
  }

  /** Drops what the routes said without telling anyone (the routes stopped with the server). */
  forgetMembers(): void {
    this.members.clear();
  }

  /** The other members' URLs, each once, in order. */
  memberUrls(): string[] {
    return [...new Set(this.members.values())].sort();
  }

  /** Calls `listener` with the whole list whenever it changes; returns the unsubscribe. */
  onMembersChanged(listener: (urls: string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- INFO lines the part relays over routes ------------------------------------------------
  // Go's gateways tell the other members of their cluster which remote clusters they reach
  // (forwardNewGatewayToLocalCluster, sendGatewayConfigsToRoute), and a member that hears of
  // one over a route connects to it too (processGatewayInfoFromRoute). Routes own the sockets,
  // the part owns the content: these hooks join the two.

  private routeSender: ((line: string) => void) | undefined;
  private newRouteLines: (() => string[]) | undefined;
  private routeInfoHandler: ((info: Record<string, unknown>, fromServerId: string) => void) | undefined;

  /** Routes: how to send a protocol line on every registered route (undefined once they stop). */
  setRouteSender(send: ((line: string) => void) | undefined): void {
    this.routeSender = send;
  }

  /** The part: sends an INFO line on every route; nothing when there are no routes. */
  sendToRoutes(line: string): void {
    this.routeSender?.(line);
  }

  /** The part: what a route must be told once it registers (undefined: nothing). */
  setNewRouteLines(lines: (() => string[]) | undefined): void {
    this.newRouteLines = lines;
  }

  /** Routes: the lines to send on a route that just registered. */
  linesForNewRoute(): string[] {
    return this.newRouteLines?.() ?? [];
  }

  /** The part: handles INFOs for it that arrive on a route (undefined: the part is not running). */
  setRouteInfoHandler(handler: ((info: Record<string, unknown>, fromServerId: string) => void) | undefined): void {
    this.routeInfoHandler = handler;
  }

  /**
   * Routes: an INFO for the part arrived on the route to `fromServerId`. False when no part
   * handles it (Go logs "Received information about gateway ... but gateway is not configured").
   */
  routeInfo(info: Record<string, unknown>, fromServerId: string): boolean {
    if (this.routeInfoHandler === undefined) return false;
    this.routeInfoHandler(info, fromServerId);
    return true;
  }
}

const byServer = new WeakMap<NatsServer, Map<ClusterUrlKind, ClusterUrls>>();

/** The exchange of `kind` URLs of this server (made on first use). */
export function clusterUrls(server: NatsServer, kind: ClusterUrlKind): ClusterUrls {
  let kinds = byServer.get(server);
  if (kinds === undefined) byServer.set(server, (kinds = new Map()));
  let urls = kinds.get(kind);
  if (urls === undefined) kinds.set(kind, (urls = new ClusterUrls()));
  return urls;
}
