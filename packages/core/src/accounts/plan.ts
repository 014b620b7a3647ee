import { isValidSubject } from "@nats-ts/wire";
import type { AccountLimits, MappingsConfig, Permissions, UserConfig } from "../auth-options.js";
import type { ServerOptions } from "../options.js";
import { GLOBAL_ACCOUNT } from "../account.js";
import { SubjectMappings } from "./mappings.js";
import { isSubsetMatch, MappingError, SubjectTransform } from "./subject-transform.js";

/** A configured user, resolved to the account it belongs to. */
export interface UserEntry {
  user?: string;
  password?: string;
  nkey?: string;
  account: string;
  permissions?: Permissions;
  allowedConnectionTypes?: ReadonlySet<string>;
}

export interface StreamExport {
  subject: string;
  /** Accounts allowed to import; undefined = public. */
  accounts?: ReadonlySet<string>;
  /** 1-based token of the imported subject that must equal the importer's name. */
  accountTokenPosition?: number;
}

export type ResponseType = "singleton" | "stream" | "chunked";

export interface ServiceExport extends StreamExport {
  responseType: ResponseType;
  /** ms a response may keep flowing (Go's response threshold, default 2 minutes). */
  responseThreshold: number;
}

export interface StreamImport {
  /** The exporting account. */
  from: string;
  subject: string;
  /** Exporter subject -> importer subject; undefined when the subject stays the same. */
  transform?: SubjectTransform;
  /** What importer clients subscribe to (for cycle checks). */
  localSubject: string;
}

export interface ServiceImport {
  from: string;
  subject: string;
  /** What importer clients publish to. */
  to: string;
  /** Importer subject -> exporter subject; undefined when they are the same. */
  transform?: SubjectTransform;
  export: ServiceExport;
}

export interface AccountPlan {
  name: string;
  mappings?: SubjectMappings;
  limits: Required<Pick<AccountLimits, "maxConnections" | "maxSubscriptions" | "maxPayload">>;
  streamExports: StreamExport[];
  serviceExports: ServiceExport[];
  streamImports: StreamImport[];
  serviceImports: ServiceImport[];
}

/** Everything authentication and accounts need, checked for consistency (Go's config validation). */
export interface AuthPlan {
  accounts: Map<string, AccountPlan>;
  users: Map<string, UserEntry>;
  nkeys: Map<string, UserEntry>;
  token?: string;
  /** authorization { user, password } (one user of the global account). */
  singleUser?: { user: string; password: string };
  noAuthUser?: UserEntry;
  systemAccount: string;
}

const DEFAULT_RESPONSE_THRESHOLD = 2 * 60_000;
/** Go's (jwt) connection types a user may be limited to. */
const CONNECTION_TYPES = new Set(["STANDARD", "WEBSOCKET", "LEAFNODE", "LEAFNODE_WS", "MQTT", "MQTT_WS", "IN_PROCESS"]);

/** Turns `a.*.b.>` into `a.$1.b.>`, the destination that keeps a wildcard subject as it is. */
function wildcardsToPlaceholders(subject: string): string {
  let n = 0;
  return subject
    .split(".")
    .map((t) => (t === "*" ? `$${++n}` : t))
    .join(".");
}

function mappingsOf(config: MappingsConfig | undefined, problems: string[]): SubjectMappings | undefined {
  if (config === undefined || Object.keys(config).length === 0) return undefined;
  const m = new SubjectMappings();
  for (const [src, dest] of Object.entries(config)) {
    if (!isValidSubject(src)) {
      problems.push(`Subject "${src}" is not a valid subject`);
      continue;
    }
    try {
      m.add(src, typeof dest === "string" ? [{ destination: dest, weight: 100 }] : dest);
    } catch (e) {
      problems.push(
        typeof dest === "string"
          ? `Error adding mapping for "${src}" to "${dest}" : ${(e as Error).message}`
          : `Error adding mapping for "${src}" : ${(e as Error).message}`,
      );
    }
  }
  return m.size > 0 ? m : undefined;
}

function limitsOf(l: AccountLimits | undefined): AccountPlan["limits"] {
  const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : 0);
  return { maxConnections: positive(l?.maxConnections), maxSubscriptions: positive(l?.maxSubscriptions), maxPayload: positive(l?.maxPayload) };
}

function emptyAccount(name: string): AccountPlan {
  return { name, limits: limitsOf(undefined), streamExports: [], serviceExports: [], streamImports: [], serviceImports: [] };
}

/**
 * Resolves users, accounts, exports, imports and mappings from the options and checks them the way
 * the Go server does at start-up. Returns the problems (Go's wording) instead of throwing.
 *
 * @example
 * const { plan, problems } = planAuth(resolvedOptions);
 * if (problems.length === 0) plan.users.get("alice")?.account; // "$G" or the account alice is in
 */
export function planAuth(opts: ServerOptions): { plan: AuthPlan; problems: string[] } {
  const problems: string[] = [];
  const auth = opts.authorization;
  const plan: AuthPlan = { accounts: new Map(), users: new Map(), nkeys: new Map(), systemAccount: opts.systemAccount };
  const global = emptyAccount(GLOBAL_ACCOUNT);
  global.mappings = mappingsOf(opts.mappings, problems);
  plan.accounts.set(GLOBAL_ACCOUNT, global);

  if (auth?.token !== undefined) plan.token = auth.token;
  if (auth?.user !== undefined) plan.singleUser = { user: auth.user, password: auth.password ?? "" };
  if (auth?.users !== undefined && auth.users.length > 0) {
    if (auth.user !== undefined) problems.push("Can not have a single user/pass and a users array");
    if (auth.token !== undefined) problems.push("Can not have a token and a users array");
  }
  const addUsers = (users: readonly UserConfig[] | undefined, account: string, defaults: Permissions | undefined) => {
    checkPermissionSubjects(defaults, problems);
    for (const u of users ?? []) {
      checkPermissionSubjects(u.permissions, problems);
      const unknownTypes = (u.allowedConnectionTypes ?? []).map((t) => t.toUpperCase()).filter((t) => !CONNECTION_TYPES.has(t));
      if (unknownTypes.length > 0) problems.push(`invalid connection types [${unknownTypes.map((t) => JSON.stringify(t)).join(" ")}]`);
      const entry: UserEntry = {
        user: u.user,
        password: u.password,
        nkey: u.nkey,
        account,
        permissions: u.permissions ?? defaults,
        allowedConnectionTypes: u.allowedConnectionTypes !== undefined && u.allowedConnectionTypes.length > 0 ? new Set(u.allowedConnectionTypes.map((t) => t.toUpperCase())) : undefined,
      };
      if (u.nkey !== undefined) {
        if (!/^U[A-Z2-7]{55}$/.test(u.nkey)) problems.push("Not a valid public nkey for a user");
        else if (u.user !== undefined || u.password !== undefined) problems.push("Nkey users do not take usernames or passwords");
        else if (plan.nkeys.has(u.nkey) || plan.users.has(u.nkey)) problems.push(`Duplicate nkey "${u.nkey}" detected`);
        else plan.nkeys.set(u.nkey, entry);
      } else if (u.user === undefined || u.user === "") {
        problems.push("User entry requires a user");
      } else if (plan.users.has(u.user) || plan.nkeys.has(u.user)) {
        problems.push(`Duplicate user "${u.user}" detected`);
      } else {
        plan.users.set(u.user, entry);
      }
    }
  };
  addUsers(auth?.users, GLOBAL_ACCOUNT, auth?.defaultPermissions);

  for (const [name, acc] of Object.entries(opts.accounts)) {
    if (name === GLOBAL_ACCOUNT) {
      problems.push(`"${name}" is a Reserved Account`);
      continue;
    }
    const p = emptyAccount(name);
    p.mappings = mappingsOf(acc.mappings, problems);
    p.limits = limitsOf(acc.limits);
    plan.accounts.set(name, p);
    if ((acc.users?.length ?? 0) > 0) {
      if (auth?.user !== undefined) problems.push("Can not have a single user/pass and accounts");
      if (auth?.token !== undefined) problems.push("Can not have a token and accounts");
    }
    addUsers(acc.users, name, acc.defaultPermissions);
    for (const e of acc.exports ?? []) {
      const accounts = e.accounts !== undefined && e.accounts.length > 0 ? new Set(e.accounts) : undefined;
      const subject = "stream" in e ? e.stream : e.service;
      const pos = e.accountTokenPosition;
      if (pos !== undefined && subject.split(".")[pos - 1] !== "*") {
        problems.push(`Error adding ${"stream" in e ? "stream" : "service"} export "${subject}": invalid subject`);
        continue;
      }
      for (const a of accounts ?? []) {
        if (opts.accounts[a] === undefined) problems.push(`"${a}" account not defined for ${"stream" in e ? "stream" : "service"} export`);
      }
      if ("stream" in e) {
        if (!isValidSubject(e.stream)) problems.push(`Error adding stream export "${e.stream}": invalid subject`);
        else p.streamExports.push({ subject: e.stream, accounts, accountTokenPosition: e.accountTokenPosition });
      } else if (!isValidSubject(e.service)) {
        problems.push(`Error adding service export "${e.service}": invalid subject`);
      } else {
        p.serviceExports.push({
          subject: e.service,
          accounts,
          accountTokenPosition: e.accountTokenPosition,
          responseType: e.responseType ?? "singleton",
          responseThreshold: e.responseThreshold ?? DEFAULT_RESPONSE_THRESHOLD,
        });
      }
    }
  }
  if (opts.systemAccount !== "$SYS" && !plan.accounts.has(opts.systemAccount)) {
    problems.push(`system account "${opts.systemAccount}" not defined`);
  }

  // Imports need every account's exports in place.
  for (const [name, acc] of Object.entries(opts.accounts)) {
    const p = plan.accounts.get(name);
    if (p === undefined) continue;
    for (const i of acc.imports ?? []) {
      if ("stream" in i) planStreamImport(plan, p, i.stream, i.prefix, i.to, problems);
      else planServiceImport(plan, p, i.service, i.to, problems);
    }
  }
  checkImportCycles(plan, problems);

  if (opts.noAuthUser !== undefined) {
    const entry = plan.users.get(opts.noAuthUser) ?? plan.nkeys.get(opts.noAuthUser);
    if (entry !== undefined) plan.noAuthUser = entry;
    else if (plan.singleUser?.user === opts.noAuthUser) plan.noAuthUser = { user: opts.noAuthUser, account: GLOBAL_ACCOUNT };
    else if (plan.users.size === 0 && plan.nkeys.size === 0) problems.push(`no_auth_user: "${opts.noAuthUser}" present, but users/nkeys are not defined`);
    else problems.push(`no_auth_user: "${opts.noAuthUser}" not present as user or nkey in authorization block or account configuration`);
  }
  return { plan, problems };
}

/** Go's checkPermSubjectArray: valid subjects; subscribe entries may name a queue after a space. */
function checkPermissionSubjects(p: Permissions | undefined, problems: string[]): void {
  if (p === undefined) return;
  const check = (subjects: readonly string[] | undefined, allowQueue: boolean) => {
    for (const s of subjects ?? []) {
      if (isValidSubject(s)) continue;
      const parts = s.trim().split(/\s+/);
      if (!allowQueue || parts.length !== 2) problems.push(`subject "${s}" is not a valid subject`);
      else if (!isValidSubject(parts[0])) problems.push(`subject "${parts[0]}" is not a valid subject`);
      else if (!isValidSubject(parts[1])) problems.push(`queue "${parts[1]}" is not a valid queue`);
    }
  };
  check(p.publish?.allow, false);
  check(p.publish?.deny, false);
  check(p.subscribe?.allow, true);
  check(p.subscribe?.deny, true);
}

function exportAllows(e: StreamExport, importer: string, subject: string): boolean {
  if (!isSubsetMatch(subject, e.subject)) return false;
  if (e.accountTokenPosition !== undefined && subject.split(".")[e.accountTokenPosition - 1] !== importer) return false;
  return e.accounts === undefined || e.accounts.has(importer);
}

function planStreamImport(
  plan: AuthPlan,
  importer: AccountPlan,
  src: { account: string; subject: string },
  prefix: string | undefined,
  to: string | undefined,
  problems: string[],
): void {
  const exporter = plan.accounts.get(src.account);
  if (exporter === undefined || src.account === GLOBAL_ACCOUNT) {
    problems.push(`"${src.account}" account not defined for stream import`);
    return;
  }
  const fail = (reason: string): void => void problems.push(`Error adding stream import "${src.subject}": ${reason}`);
  if (prefix !== undefined && to !== undefined) return fail("Stream import can not have a 'prefix' and a 'to' property");
  if (!isValidSubject(src.subject)) return fail("invalid subject");
  if (!exporter.streamExports.some((e) => exportAllows(e, importer.name, src.subject))) return fail("stream import not authorized");
  let localSubject = src.subject;
  let dest: string | undefined;
  if (prefix !== undefined && prefix !== "") {
    const pre = prefix.endsWith(".") ? prefix.slice(0, -1) : prefix;
    if (pre.split(".").some((t) => t === "*" || t === ">")) return fail("stream import prefix can not contain wildcard tokens");
    localSubject = `${pre}.${src.subject}`;
    dest = `${pre}.${wildcardsToPlaceholders(src.subject)}`;
  } else if (to !== undefined && to !== "" && to !== src.subject) {
    localSubject = to;
    dest = wildcardsToPlaceholders(to);
  }
  let transform: SubjectTransform | undefined;
  if (dest !== undefined) {
    try {
      transform = SubjectTransform.create(src.subject, dest);
    } catch (e) {
      return fail((e as MappingError).message);
    }
  }
  importer.streamImports.push({ from: src.account, subject: src.subject, transform, localSubject });
}

function planServiceImport(
  plan: AuthPlan,
  importer: AccountPlan,
  src: { account: string; subject: string },
  to: string | undefined,
  problems: string[],
): void {
  const exporter = plan.accounts.get(src.account);
  if (exporter === undefined || src.account === GLOBAL_ACCOUNT) {
    problems.push(`"${src.account}" account not defined for service import`);
    return;
  }
  const local = to !== undefined && to !== "" ? to : src.subject;
  const fail = (reason: string): void => void problems.push(`Error adding service import "${src.subject}": ${reason}`);
  if (!isValidSubject(src.subject) || !isValidSubject(local)) return fail("invalid subject");
  const dup = importer.serviceImports.find((s) => s.to === local && s.from === src.account);
  if (dup !== undefined) {
    return void problems.push(`Duplicate service import subject "${local}", previously used in import for account "${src.account}", subject "${dup.subject}"`);
  }
  const exp = exporter.serviceExports.find((e) => exportAllows(e, importer.name, src.subject));
  if (exp === undefined) return fail("service import not authorized");
  let transform: SubjectTransform | undefined;
  if (local !== src.subject) {
    try {
      transform = SubjectTransform.create(local, wildcardsToPlaceholders(src.subject));
    } catch (e) {
      return fail((e as MappingError).message);
    }
  }
  importer.serviceImports.push({ from: src.account, subject: src.subject, to: local, transform, export: exp });
}

function overlap(a: string, b: string): boolean {
  return isSubsetMatch(a, b) || isSubsetMatch(b, a);
}

/**
 * Go refuses imports that route messages back to where they came from. A stream import makes the
 * exporter's subject appear in the importer; a service import sends the importer's subject to the
 * exporter. Following such hops from an import must never reach the import's own start again.
 */
function checkImportCycles(plan: AuthPlan, problems: string[]): void {
  type Hop = { account: string; subject: string };
  const streamHops = (at: Hop): Hop[] => {
    const out: Hop[] = [];
    for (const acc of plan.accounts.values()) {
      for (const i of acc.streamImports) if (i.from === at.account && overlap(i.subject, at.subject)) out.push({ account: acc.name, subject: i.localSubject });
    }
    return out;
  };
  const serviceHops = (at: Hop): Hop[] => {
    const acc = plan.accounts.get(at.account);
    return (acc?.serviceImports ?? []).filter((i) => overlap(i.to, at.subject)).map((i) => ({ account: i.from, subject: i.subject }));
  };
  const cycles = (start: Hop, first: Hop, next: (h: Hop) => Hop[]): boolean => {
    const seen = new Set<string>();
    const stack = [first];
    while (stack.length > 0) {
      const h = stack.pop()!;
      if (h.account === start.account && overlap(h.subject, start.subject)) return true;
      const key = `${h.account}\u0000${h.subject}`;
      if (seen.has(key)) continue;
      seen.add(key);
      stack.push(...next(h));
    }
    return false;
  };
  for (const acc of plan.accounts.values()) {
    for (const i of acc.streamImports) {
      if (cycles({ account: i.from, subject: i.subject }, { account: acc.name, subject: i.localSubject }, streamHops)) {
        problems.push(`Error adding stream import "${i.subject}": import forms a cycle`);
      }
    }
    for (const i of acc.serviceImports) {
      // Importing one's own export is allowed (Go); the import never re-forwards its own messages.
      if (i.from === acc.name) continue;
      if (cycles({ account: acc.name, subject: i.to }, { account: i.from, subject: i.subject }, serviceHops)) {
        problems.push(`Error adding service import "${i.subject}": import forms a cycle`);
      }
    }
  }
}
