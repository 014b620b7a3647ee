import { createHash, timingSafeEqual, X509Certificate } from "node:crypto";
import bcrypt from "bcryptjs";
import { fromPublic } from "@nats-io/nkeys";
import type { ConnectInfo } from "./client/connect-info.js";
import { GLOBAL_ACCOUNT } from "./account.js";
import type { Permissions } from "./auth-options.js";
import type { ServerOptions } from "./options.js";
import { planAuth, type AuthPlan, type UserEntry } from "./accounts/plan.js";

/** Who a connection authenticated as. */
export interface AuthResult {
  account: string;
  user?: string;
  /** What the user may publish and subscribe to; undefined = everything. */
  permissions?: Permissions;
}

/** What a listener knows about a connection beyond its CONNECT. */
export interface AuthContext {
  /** The nonce sent in INFO, for nkey signatures. */
  nonce?: string;
  /** The client's TLS certificate (DER), when it presented one. */
  certificate?: Buffer;
  /** How the client reached the server: STANDARD, WEBSOCKET, MQTT ... (Go's connection types). */
  connectionType?: string;
}

/**
 * Decides whether a CONNECT may proceed. Core ships {@link configAuthenticator} (token,
 * user/password, users lists with bcrypt passwords, nkeys, TLS certificate mapping, accounts);
 * other schemes plug in here.
 */
export interface Authenticator {
  /** Sent as `auth_required` in INFO; when true a client must CONNECT before anything else. */
  readonly required: boolean;
  /** The user a client without credentials becomes, if any (Go's no_auth_user). */
  readonly noAuthUser?: string;
  /** Whether INFO carries a nonce for clients to sign (nkey users configured). */
  readonly needsNonce?: boolean;
  /** Returns undefined to refuse with "Authorization Violation". */
  authenticate(connect: ConnectInfo, context: AuthContext): AuthResult | undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** bcrypt is slow by design and runs on the event loop: verified pairs are remembered (hashed). */
const bcryptVerified = new Set<string>();
const BCRYPT_CACHE_MAX = 4096;

/**
 * Whether a password someone gave matches the configured one: plain text (compared in constant
 * time) or a bcrypt hash (`$2a$...`), as Go accepts for clients, routes, gateways and leaf nodes.
 *
 * @example
 * passwordMatches(connect.pass ?? "", opts.password) // true or false
 */
export function passwordMatches(given: string, configured: string): boolean {
  if (!configured.startsWith("$2")) return sameSecret(given, configured);
  const key = createHash("sha256").update(configured).update("\u0000").update(given).digest("base64");
  if (bcryptVerified.has(key)) return true;
  let ok = false;
  try {
    ok = bcrypt.compareSync(given, configured);
  } catch {
    ok = false;
  }
  if (ok) {
    if (bcryptVerified.size >= BCRYPT_CACHE_MAX) bcryptVerified.clear();
    bcryptVerified.add(key);
  }
  return ok;
}

function nkeySignatureValid(nkey: string, sig: string | undefined, nonce: string | undefined): boolean {
  if (sig === undefined || nonce === undefined) return false;
  try {
    return fromPublic(nkey).verify(Buffer.from(nonce), Buffer.from(sig, "base64"));
  } catch {
    return false;
  }
}

/** Names a TLS certificate may be mapped by (Go's verify_and_map): emails, DNS names, subject. */
function certificateIdentities(der: Buffer): string[] {
  const cert = new X509Certificate(der);
  const out: string[] = [];
  for (const part of (cert.subjectAltName ?? "").split(/,\s*/)) {
    const m = /^(email|DNS):(.*)$/.exec(part);
    if (m !== null) out.push(m[2]);
  }
  const rdns = cert.subject.split("\n").filter((l) => l.length > 0);
  // Go prints the subject in RFC 2253 order (last RDN first); accept the certificate's order too.
  out.push([...rdns].reverse().join(","), rdns.join(","));
  return out;
}

function resultFor(entry: UserEntry): AuthResult {
  return { account: entry.account, user: entry.user ?? entry.nkey, permissions: entry.permissions };
}

/**
 * Authentication from the options (Go's configureAuthorization): token, single user, users and
 * nkey lists across accounts, no_auth_user and TLS certificate mapping. The options are assumed
 * valid ({@link resolveOptions} checks them).
 *
 * @example
 * const auth = configAuthenticator(resolveOptions({ authorization: { token: "s3cr3t" } }));
 * auth.authenticate({ ...connect, authToken: "s3cr3t" }, {}); // { account: "$G" }
 */
export function configAuthenticator(opts: ServerOptions, plan: AuthPlan = planAuth(opts).plan): Authenticator {
  const mapCertificates = opts.tls?.verifyAndMap === true;
  const required =
    plan.token !== undefined || plan.singleUser !== undefined || plan.users.size > 0 || plan.nkeys.size > 0 || mapCertificates;
  if (!required) return { required: false, authenticate: () => ({ account: GLOBAL_ACCOUNT }) };
  const noAuth = plan.noAuthUser;
  const allowedType = (entry: UserEntry, ctx: AuthContext) =>
    entry.allowedConnectionTypes === undefined || entry.allowedConnectionTypes.has(ctx.connectionType ?? "STANDARD");
  return {
    required: true,
    noAuthUser: noAuth?.user ?? noAuth?.nkey,
    needsNonce: plan.nkeys.size > 0,
    authenticate(connect, ctx) {
      // verify_and_map belongs to the client (TCP/TLS) listener; other listeners map on their own.
      if (mapCertificates && (ctx.connectionType ?? "STANDARD") === "STANDARD") {
        if (ctx.certificate === undefined) return undefined;
        for (const id of certificateIdentities(ctx.certificate)) {
          const entry = plan.users.get(id);
          if (entry === undefined || !allowedType(entry, ctx)) continue;
          // A mapped user that also has a password needs both (Go).
          if (entry.password !== undefined && entry.password !== "" && !passwordMatches(connect.pass ?? "", entry.password)) return undefined;
          return resultFor(entry);
        }
        return undefined;
      }
      const hasCredentials =
        connect.user !== undefined || connect.pass !== undefined || connect.authToken !== undefined || connect.nkey !== undefined || connect.jwt !== undefined;
      if (!hasCredentials && noAuth !== undefined) return allowedType(noAuth, ctx) ? resultFor(noAuth) : undefined;
      if (connect.nkey !== undefined && plan.nkeys.size > 0) {
        const entry = plan.nkeys.get(connect.nkey);
        if (entry === undefined || !allowedType(entry, ctx) || !nkeySignatureValid(connect.nkey, connect.sig, ctx.nonce)) return undefined;
        return resultFor(entry);
      }
      if (plan.users.size > 0 && connect.user !== undefined) {
        const entry = plan.users.get(connect.user);
        if (entry === undefined || !allowedType(entry, ctx)) return undefined;
        // With certificate mapping on, a user without a password is a certificate-only identity:
        // two empty passwords must not match (the no_auth_user needs no credentials anyway).
        if ((entry.password ?? "") === "" && mapCertificates && entry !== noAuth && allowedType(entry, { connectionType: "STANDARD" })) return undefined;
        if (!passwordMatches(connect.pass ?? "", entry.password ?? "")) return undefined;
        return resultFor(entry);
      }
      if (plan.token !== undefined) {
        return connect.authToken !== undefined && sameSecret(connect.authToken, plan.token) ? { account: GLOBAL_ACCOUNT } : undefined;
      }
      const single = plan.singleUser;
      if (single !== undefined && connect.user === single.user && passwordMatches(connect.pass ?? "", single.password)) {
        return { account: GLOBAL_ACCOUNT, user: single.user };
      }
      return undefined;
    },
  };
}
