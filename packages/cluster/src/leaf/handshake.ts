import { timingSafeEqual } from "node:crypto";
import { GO_COMPAT_VERSION, PROTO_VERSION, type Account, type AuthResult, type ConnectInfo, type NatsServer, type Permissions } from "@nats-ts/core";
import {
  ERR_CLIENT_ON_LEAF_PORT,
  ERR_CLUSTER_NAME_SPACES,
  ERR_SAME_CLUSTER_NAME,
  ERR_WRONG_PORT,
} from "./constants.js";
import type { LeafCloseReason, LeafConnection } from "./connection.js";
import { readCredentials, UserKey, verifyNonceSignature } from "./credentials.js";
import { clusterName, jetStreamSettings, type LeafConnectInfo, type LeafInfo } from "./info.js";
import type { LeafNodeOptions } from "./options.js";
import { LeafPermissions, peerPermission, peerSubjects } from "./permissions.js";
import type { RemoteState } from "./host.js";
import { urlCredentials } from "./urls.js";

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Why a handshake is refused: Go's text (logged, and sent as -ERR when `sendErr`) and the close reason. */
export interface Refusal {
  text: string;
  reason: LeafCloseReason;
  sendErr: boolean;
}

function sameSecret(given: string | undefined, configured: string | undefined): boolean {
  const a = Buffer.from(given ?? "");
  const b = Buffer.from(configured ?? "");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Who an accepted leaf connection authenticated as: its account and the user's permissions. */
export interface LeafAuthResult {
  account: string;
  permissions?: Permissions;
}

/**
 * Authenticates an accepted leaf connection (Go's isLeafNodeAuthorized): the `leafnodes`
 * authorization block when it has credentials, else the server's own users (with connection
 * type LEAFNODE), else anyone, bound to the block's account or $G.
 */
export function authenticateLeaf(
  server: NatsServer,
  opts: LeafNodeOptions,
  connect: Record<string, unknown>,
  nonce: string,
): LeafAuthResult | undefined {
  const auth = opts.authorization;
  const user = str(connect.user);
  const pass = str(connect.pass);
  if (auth.user !== undefined) {
    return user === auth.user && sameSecret(pass, auth.password) ? { account: auth.account ?? "$G" } : undefined;
  }
  if (auth.nkey !== undefined) {
    if (str(connect.nkey) !== auth.nkey || !verifyNonceSignature(auth.nkey, nonce, str(connect.sig))) return undefined;
    return { account: auth.account ?? "$G" };
  }
  if (auth.users.length > 0) {
    const u = auth.users.find((x) => x.user === user);
    return u !== undefined && sameSecret(pass, u.password) ? { account: u.account ?? "$G" } : undefined;
  }
  const authenticator = server.authenticator;
  if (!authenticator.required) return { account: auth.account ?? "$G" };
  const info: ConnectInfo = {
    verbose: false,
    pedantic: false,
    echo: false,
    headers: connect.headers === true,
    noResponders: false,
    protocol: typeof connect.protocol === "number" ? connect.protocol : 0,
    tlsRequired: false,
    name: str(connect.name),
    lang: "",
    version: str(connect.version),
    user: typeof connect.user === "string" ? connect.user : undefined,
    pass: typeof connect.pass === "string" ? connect.pass : undefined,
    authToken: typeof connect.auth_token === "string" ? connect.auth_token : undefined,
    nkey: typeof connect.nkey === "string" ? connect.nkey : undefined,
    sig: typeof connect.sig === "string" ? connect.sig : undefined,
    jwt: typeof connect.jwt === "string" ? connect.jwt : undefined,
  };
  const result: AuthResult | undefined = authenticator.authenticate(info, { nonce, connectionType: "LEAFNODE" });
  return result === undefined ? undefined : { account: result.account, permissions: result.permissions };
}

/** Why an accepted leaf's CONNECT is refused before authentication, as Go words it; undefined when fine. */
export function refuseConnect(server: NatsServer, opts: LeafNodeOptions, connect: LeafConnectInfo): Refusal | undefined {
  if (str(connect.lang) !== "") return { text: ERR_CLIENT_ON_LEAF_PORT, reason: "Wrong Port", sendErr: true };
  const cluster = str(connect.cluster);
  if (cluster.includes(" ")) return { text: ERR_CLUSTER_NAME_SPACES, reason: "Protocol Violation", sendErr: true };
  const mine = clusterName(server);
  if (mine !== undefined && cluster === mine) return { text: ERR_SAME_CLUSTER_NAME, reason: "Cluster Names Identical", sendErr: true };
  if (str(connect.gateway) !== "") {
    return { text: `Rejecting connection from gateway ${JSON.stringify(connect.gateway)} on the leafnode port`, reason: "Protocol Violation", sendErr: true };
  }
  if (opts.minVersion !== undefined && !versionAtLeast(str(connect.version), opts.minVersion)) {
    return { text: `connection rejected since minimum version required is ${JSON.stringify(opts.minVersion)}`, reason: "Protocol Violation", sendErr: true };
  }
  return undefined;
}

function versionAtLeast(version: string, min: string): boolean {
  const parse = (v: string) => (/^v?(\d+)\.(\d+)\.(\d+)/.exec(v) ?? []).slice(1, 4).map(Number);
  const a = parse(version);
  const b = parse(min);
  if (a.length < 3) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/** Takes in what an accepted leaf's CONNECT says about the other side (Go's processLeafNodeConnect). */
export function applyConnect(c: LeafConnection, connect: LeafConnectInfo, auth: LeafAuthResult): void {
  c.headers = connect.headers === true;
  c.remoteServer = str(connect.name);
  c.remoteAccount = str(connect.remote_account);
  c.isolated ||= connect.isolate === true;
  // The other side declared itself our hub: we play the spoke.
  if (connect.is_hub === true) c.leafSpoke = true;
  c.remoteCluster = str(connect.cluster);
  c.remoteDomain = str(connect.domain);
  // Not negotiated over INFO: the mode the other side says it settled on, or an older server.
  if (c.compression === "") c.compressionSettled(str(connect.compress_mode) || "not supported");
  if (auth.permissions !== undefined) {
    c.userPermissions = auth.permissions;
    c.perms = new LeafPermissions(auth.permissions);
    c.perms.reverse();
    if (auth.permissions.publish !== undefined) c.exportRules = new LeafPermissions({ publish: auth.permissions.publish });
  }
  c.perms.mergeDeny("publish", peerSubjects(connect.deny_pub));
}

/** The INFO that answers an accepted leaf's CONNECT (Go's sendPermsAndAccountInfo). */
export function connectInfoReply(base: LeafInfo, c: LeafConnection, account: Account, systemAccount: Account): LeafInfo {
  const p = c.userPermissions;
  return {
    ...base,
    client_id: c.cid,
    connect_info: true,
    remote_account: account.name,
    acc_is_sys: account === systemAccount || undefined,
    import: p?.subscribe,
    export: p?.publish,
  };
}

/** Takes in the hub's first INFO on a solicited connection; returns Go's error when it must close. */
export function applyHubInfo(c: LeafConnection, remote: RemoteState, info: LeafInfo): Refusal | undefined {
  if (!info.client_id || info.leafnode_urls === undefined) return { text: ERR_WRONG_PORT, reason: "Wrong Port", sendErr: false };
  const cluster = str(info.cluster);
  if (cluster.includes(" ")) return { text: ERR_CLUSTER_NAME_SPACES, reason: "Protocol Violation", sendErr: true };
  c.nonce = str(info.nonce);
  c.headers = info.headers === true;
  c.remoteServer = str(info.server_name) || str(info.server_id);
  c.remoteDomain = str(info.domain);
  c.remoteCluster = cluster;
  applyHubUpdate(c, remote, info);
  return undefined;
}

/** What any INFO from the hub may change: its URLs and the permissions it grants us. */
export function applyHubUpdate(c: LeafConnection, remote: RemoteState, info: LeafInfo): void {
  if (!remote.opts.ignoreDiscoveredServers && Array.isArray(info.leafnode_urls) && info.leafnode_urls.length > 0) {
    const discovered: URL[] = [];
    for (const hp of info.leafnode_urls) {
      if (typeof hp !== "string") continue;
      let url: URL;
      try {
        url = new URL(`nats-leaf://${hp}`);
      } catch {
        continue;
      }
      if (!remote.opts.urls.some((u) => u.host === url.host)) discovered.push(url);
    }
    remote.urls = [...discovered, ...remote.opts.urls];
  }
  if (info.import !== undefined || info.export !== undefined) {
    c.perms.applyHubView({ import: peerPermission(info.import), export: peerPermission(info.export) }, remote.opts.denyImports, remote.opts.denyExports);
  }
  if (typeof info.remote_account === "string") c.remoteAccount = info.remote_account;
}

/** The CONNECT a soliciting server sends once it has the hub's INFO (Go's sendLeafConnect). */
export function leafConnect(server: NatsServer, c: LeafConnection, remote: RemoteState, account: Account): LeafConnectInfo {
  const js = jetStreamSettings(server);
  const out: LeafConnectInfo = {
    version: GO_COMPAT_VERSION,
    server_id: server.id,
    domain: js.domain || undefined,
    name: server.name,
    is_hub: remote.opts.hub || undefined,
    cluster: clusterName(server),
    headers: c.headers || undefined,
    jetstream: js.enabled || undefined,
    deny_pub: remote.opts.denyImports.length > 0 ? remote.opts.denyImports : undefined,
    isolate: remote.opts.requestIsolation || undefined,
    compress_mode: c.compression || undefined,
    remote_account: account.name,
    protocol: PROTO_VERSION,
  };
  if (remote.opts.credentials !== undefined) {
    const { jwt, key } = readCredentials(remote.opts.credentials);
    out.jwt = jwt;
    out.sig = key.signNonce(c.nonce);
  } else if (remote.opts.nkey !== undefined) {
    const key = UserKey.fromSeed(remote.opts.nkey);
    out.nkey = key.publicKey;
    out.sig = key.signNonce(c.nonce);
  }
  // Credentials of the URL in use, else those of the configured URL (for gossiped URLs).
  const fromUrl = remote.current !== undefined ? urlCredentials(remote.current) : undefined;
  const user = fromUrl?.user ?? remote.user;
  const password = fromUrl !== undefined ? fromUrl.password : remote.password;
  if (user !== undefined) {
    out.user = user;
    if (password !== undefined && password !== "") out.pass = password;
    // A user without a password is a token too (Go's backward compatibility).
    else out.auth_token = user;
  }
  return orderConnect(out);
}

/** Go's leafConnectInfo field order, so that traces read the same. */
function orderConnect(c: LeafConnectInfo): LeafConnectInfo {
  const { version, nkey, jwt, sig, user, pass, auth_token, server_id, domain, name, is_hub, cluster, headers, jetstream, deny_pub, isolate, compress_mode, remote_account, protocol } = c;
  return { version, nkey, jwt, sig, user, pass, auth_token, server_id, domain, name, is_hub, cluster, headers, jetstream, deny_pub, isolate, compress_mode, remote_account, protocol };
}
