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
