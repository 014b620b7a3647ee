import { parseDuration, type ConfMap, type ConfValue } from "./conf/index.js";
import { accountsFromConf, authorizationFromConf, mappingsFromConf, tlsFromConf } from "./conf-auth.js";
import { asString, blockReader, describe, failAt, isMap, type BlockReader } from "./conf-values.js";
import { planAuth } from "./accounts/plan.js";
import { serverOptionsSchema, type ServerOptionsInput } from "./options.js";

/**
 * Top-level blocks that belong to packages plugging into core (or to later work). They are kept
 * under `options.blocks` as parsed; the server warns about any block no plugin reads.
 */
const PLUGIN_BLOCKS = new Set([
  "cluster",
  "gateway",
  "leafnodes",
  "leaf",
  "websocket",
  "ws",
  "mqtt",
  "operator",
  "operators",
  "resolver",
  "resolver_preload",
  "trusted",
  "trusted_keys",
  "https",
  "https_port",
  "http_base_path",
  "server_metadata",
]);

/** The result of reading a conf file into options: the options, plus what was ignored. */
export interface ConfOptionsResult {
  options: ServerOptionsInput;
  /** Unknown keys (keys only used as variables excepted), each as `file:line:col: unknown field "x"`. */
  warnings: string[];
}

type Setter = (value: ConfValue, ctx: FieldContext) => void;

interface FieldContext {
  opts: Record<string, unknown>;
  key: string;
  /** The map the key is in, for errors located inside nested blocks. */
  container: ConfMap;
  reader: BlockReader;
  fail(reason: string): never;
}

type Field = keyof ServerOptionsInput;

const int = (field: Field): Setter => (v, ctx) => {
  if (typeof v !== "number" || !Number.isInteger(v)) return ctx.fail(`interface conversion: expected an integer for "${ctx.key}", got ${describe(v)}`);
  ctx.opts[field] = v;
};
const bool = (field: Field): Setter => (v, ctx) => {
  if (typeof v !== "boolean") return ctx.fail(`interface conversion: expected a boolean for "${ctx.key}", got ${describe(v)}`);
  ctx.opts[field] = v;
};
const str = (field: Field): Setter => (v, ctx) => {
  if (typeof v !== "string") return ctx.fail(`interface conversion: expected a string for "${ctx.key}", got ${describe(v)}`);
  ctx.opts[field] = v;
};
const duration = (field: Field): Setter => (v, ctx) => {
  if (typeof v !== "string" && typeof v !== "number") return ctx.fail(`interface conversion: expected a duration for "${ctx.key}", got ${describe(v)}`);
  try {
    ctx.opts[field] = parseDuration(v);
  } catch (e) {
    ctx.fail(`error parsing ${ctx.key}: ${(e as Error).message}`);
  }
};
const hostPort = (hostField: "host" | "httpHost", portField: "port" | "httpPort"): Setter => (v, ctx) => {
  if (typeof v === "number") {
    ctx.opts[portField] = v;
    return;
  }
  if (typeof v !== "string") return ctx.fail(`interface conversion: expected host:port for "${ctx.key}", got ${describe(v)}`);
  const i = v.lastIndexOf(":");
  if (i < 0) return ctx.fail(`could not parse address string "${v}"`);
  const port = Number(v.slice(i + 1));
  if (!Number.isInteger(port)) return ctx.fail(`could not parse port "${v.slice(i + 1)}"`);
  ctx.opts[hostField] = v.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  ctx.opts[portField] = port;
};

/** Go's top-level keys (opts.go), lower case, with their aliases. */
const FIELDS: Record<string, Setter> = {
  listen: hostPort("host", "port"),
  host: str("host"),
  net: str("host"),
  port: int("port"),
  server_name: str("serverName"),
  server_tags: (v, ctx) => {
    const tags = Array.isArray(v) ? v : typeof v === "string" ? v.split(",") : ctx.fail(`expected a list of tags for "server_tags"`);
    ctx.opts.serverTags = tags.map((t) => String(t).trim()).filter((t) => t.length > 0);
  },
  http: hostPort("httpHost", "httpPort"),
  http_port: int("httpPort"),
  monitor_port: int("httpPort"),
  max_connections: int("maxConnections"),
  max_conn: int("maxConnections"),
  max_subscriptions: int("maxSubscriptions"),
  max_subs: int("maxSubscriptions"),
  max_payload: int("maxPayload"),
  max_pending: int("maxPending"),
  max_control_line: int("maxControlLine"),
  ping_interval: duration("pingInterval"),
  ping_max: int("pingMax"),
  write_deadline: duration("writeDeadline"),
  lame_duck_duration: duration("lameDuckDuration"),
  lame_duck_grace_period: duration("lameDuckGracePeriod"),
  debug: bool("debug"),
  trace: bool("trace"),
  logtime: bool("logtime"),
  log_file: str("logFile"),
  logfile: str("logFile"),
  pid_file: str("pidFile"),
  pidfile: str("pidFile"),
  ports_file_dir: str("portsFileDir"),
  no_auth_user: str("noAuthUser"),
  authorization: (v, ctx) => {
    ctx.opts.authorization = authorizationFromConf(ctx.container, ctx.key, v, ctx.reader);
  },
  accounts: (v, ctx) => {
    ctx.opts.accounts = accountsFromConf(ctx.container, ctx.key, v, ctx.reader);
  },
  system_account: (v, ctx) => {
    ctx.opts.systemAccount = asString(ctx.container, ctx.key, v);
  },
  system: (v, ctx) => {
    ctx.opts.systemAccount = asString(ctx.container, ctx.key, v);
  },
  mappings: (v, ctx) => {
    ctx.opts.mappings = mappingsFromConf(ctx.container, ctx.key, v, ctx.reader);
  },
  maps: (v, ctx) => {
    ctx.opts.mappings = mappingsFromConf(ctx.container, ctx.key, v, ctx.reader);
  },
  tls: (v, ctx) => {
    ctx.opts.tls = tlsFromConf(ctx.container, ctx.key, v, ctx.reader);
  },
  jetstream: (v, ctx) => {
    if (typeof v === "boolean") ctx.opts.jetstream = v ? {} : false;
    else if (v === "enabled" || v === "enable") ctx.opts.jetstream = {};
    else if (v === "disabled" || v === "disable") ctx.opts.jetstream = false;
    else if (isMap(v)) ctx.opts.jetstream = v.enabled === false ? false : { ...v };
    else ctx.fail(`expected a map or a boolean for "jetstream", got ${describe(v)}`);
  },
};

function addBlock(opts: Record<string, unknown>, name: string, value: ConfValue): void {
  const blocks = (opts.blocks ??= {}) as Record<string, unknown>;
  blocks[name] = value;
}

/**
 * Turns a parsed conf file into server options (Go's processConfigFileLine). Keys are matched
 * case-insensitively like Go's; wrong types throw {@link ConfError} with file, line and column.
 *
 * @example
 * const { options, warnings } = optionsFromConf(loadConfFile("nats.conf"));
 * const server = new NatsServer(options);
 */
export function optionsFromConf(conf: ConfMap): ConfOptionsResult {
  const opts: FieldContext["opts"] = {};
  const warnings: string[] = [];
  const reader = blockReader(warnings);
  for (const [key, value] of Object.entries(conf)) {
    const lower = key.toLowerCase();
    const setter = FIELDS[lower];
    const ctx: FieldContext = { opts, key, container: conf, reader, fail: (reason) => failAt(conf, key, reason) };
    if (setter !== undefined) {
      setter(value, ctx);
    } else if (PLUGIN_BLOCKS.has(lower)) {
      addBlock(opts, lower, value);
    } else {
      reader.unknown(conf, key);
    }
  }
  checkAccountsAt(conf, opts);
  return { options: opts as ServerOptionsInput, warnings };
}

/**
 * Go reports problems between accounts (unknown accounts, unauthorized or cyclic imports,
 * duplicate users) at the `accounts` block: do the same, so `-t` points at the file and line.
 * Checks that involve flags too (no_auth_user) are left to option validation.
 */
function checkAccountsAt(conf: ConfMap, opts: Record<string, unknown>): void {
  const key = Object.keys(conf).find((k) => k.toLowerCase() === "accounts");
  if (key === undefined) return;
  const draft = serverOptionsSchema.safeParse(opts);
  if (!draft.success) return;
  const problem = planAuth(draft.data).problems.find((p) => !p.startsWith("no_auth_user"));
  if (problem !== undefined) failAt(conf, key, problem);
}
