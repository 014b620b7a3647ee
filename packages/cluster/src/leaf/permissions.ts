import { ClientPermissions, type Permissions, type SubjectPermission } from "@nats-ts/core";
import { isValidSubject } from "@nats-ts/wire";
import { GW_REPLY_PREFIX, LDS_PREFIX, OLD_GW_REPLY_PREFIX } from "./constants.js";

/** What the permissions of a leaf connection say in one direction (`publish` or `subscribe`). */
interface Side {
  allow?: string[];
  deny: string[];
}

function sideOf(p: SubjectPermission | undefined): Side {
  return { allow: p?.allow === undefined ? undefined : [...p.allow], deny: [...(p?.deny ?? [])] };
}

/**
 * Permissions of one leaf connection, seen from this server (Go's client perms on a LEAF):
 * `publish` is what may be sent to the other side (messages, and the interest we accept from it),
 * `subscribe` what may come from it (messages, and the interest we tell it about).
 *
 * A soliciting server starts from its remote's deny_exports (publish) and deny_imports
 * (subscribe), then adds what the hub's INFO says; an accepting server takes the user's
 * permissions reversed, since data flows the other way from the hub's point of view.
 *
 * @example
 * const p = new LeafPermissions({ publish: { deny: ["secret.>"] } });
 * p.canSend("secret.x"); // false
 */
export class LeafPermissions {
  private publish: Side;
  private subscribe: Side;
  private compiled: ClientPermissions | undefined;

  constructor(source: Permissions = {}) {
    this.publish = sideOf(source.publish);
    this.subscribe = sideOf(source.subscribe);
    this.compile();
  }

  /** No rule at all: every check passes. */
  get isEmpty(): boolean {
    return this.compiled === undefined;
  }

  /** The publish rules as Go's INFO `export` carries them, the subscribe rules as `import`. */
  toInfo(): { import?: SubjectPermission; export?: SubjectPermission } {
    const out = (s: Side): SubjectPermission | undefined =>
      s.allow === undefined && s.deny.length === 0 ? undefined : { ...(s.allow ? { allow: s.allow } : {}), ...(s.deny.length ? { deny: s.deny } : {}) };
    return { import: out(this.subscribe), export: out(this.publish) };
  }

  /** Adds deny entries (Go's mergeDenyPermissions), skipping those already present. */
  mergeDeny(what: "publish" | "subscribe" | "both", subjects: readonly string[]): void {
    if (subjects.length === 0) return;
    for (const side of what === "both" ? [this.publish, this.subscribe] : [this[what]]) {
      for (const s of subjects) if (!side.deny.includes(s)) side.deny.push(s);
    }
    this.compile();
  }

  /** The hub side: the user's publish rules govern what the leaf sends us, and vice versa. */
  reverse(): void {
    [this.publish, this.subscribe] = [this.subscribe, this.publish];
    this.compile();
  }

  /** Replaces the allow/deny lists with the hub's view (INFO import/export) plus our own denies. */
  applyHubView(view: { import?: SubjectPermission; export?: SubjectPermission }, denyImports: readonly string[], denyExports: readonly string[]): void {
    this.publish = sideOf(view.export);
    this.subscribe = sideOf(view.import);
    this.mergeDeny("publish", denyExports);
    this.mergeDeny("subscribe", denyImports);
    this.compile();
  }

  /** May a message on this subject go to the other side (Go's pubAllowed on the leaf)? */
  canSend(subject: string): boolean {
    return this.compiled === undefined || this.compiled.canPublish(subject);
  }

  /** May a message on this subject come from the other side, or our interest in it be announced? */
  canReceive(subject: string): boolean {
    return this.compiled === undefined || this.compiled.canSubscribe(subject);
  }

  private compile(): void {
    const { publish, subscribe } = this;
    const none = (s: Side) => s.allow === undefined && s.deny.length === 0;
    if (none(publish) && none(subscribe)) {
      this.compiled = undefined;
      return;
    }
    const side = (s: Side): SubjectPermission | undefined => (none(s) ? undefined : { allow: s.allow, deny: s.deny.length ? s.deny : undefined });
    this.compiled = new ClientPermissions({ publish: side(publish), subscribe: side(subscribe) });
  }
}

/**
 * The subjects of a list a peer sent (INFO import/export, CONNECT deny_pub): only strings that
 * are valid subjects (optionally followed by a queue name) are kept.
 */
export function peerSubjects(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.filter((e): e is string => typeof e === "string" && isValidSubject(e.trim().split(/\s+/)[0]));
}

/** A subject permission a peer sent, reduced to what can be applied safely. */
export function peerPermission(v: unknown): SubjectPermission | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const p = v as { allow?: unknown; deny?: unknown };
  return {
    allow: p.allow === undefined || p.allow === null ? undefined : peerSubjects(p.allow),
    deny: p.deny === undefined || p.deny === null ? undefined : peerSubjects(p.deny),
  };
}

/** Loop detection and gateway reply subjects cross a leaf connection whatever the permissions say. */
export function bypassesPermissions(subject: string): boolean {
  const c = subject.charCodeAt(0);
  if (c !== 36 /* $ */ && c !== 95 /* _ */) return false;
  return subject.startsWith(LDS_PREFIX) || subject.startsWith(GW_REPLY_PREFIX) || subject.startsWith(OLD_GW_REPLY_PREFIX);
}
