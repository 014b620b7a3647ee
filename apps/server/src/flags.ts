import type { ServerOptionsInput } from "@nats-ts/core";

/** What the command line asked for. */
export interface CommandLine {
  /** Options given as flags; they override the config file, as in Go. */
  options: ServerOptionsInput & Record<string, unknown>;
  configFile?: string;
  checkConfig: boolean;
  help: boolean;
  version: boolean;
  /** `--signal <name>[=<pid|pidfile>]`. */
  signal?: string;
  jetstream?: boolean;
  storeDir?: string;
  /** TLS flags (--tls, --tlscert, --tlskey, --tlscacert, --tlsverify); they override the conf's tls block. */
  tls?: { enabled?: boolean; certFile?: string; keyFile?: string; caFile?: string; verify?: boolean };
  /** Cluster flags (--cluster, --routes, --cluster_name ...); {@link applyClusterFlags} merges them into the `cluster {}` block. */
  cluster?: ClusterFlags;
}

/** Go's cluster flags, as given. */
export interface ClusterFlags {
  /** `--cluster` / `--cluster_listen`: `nats-route://[user:pass@]host:port` (port -1 = random). */
  listen?: string;
  /** `--routes`: comma-separated route URLs. */
  routes?: string;
  name?: string;
  advertise?: string;
  noAdvertise?: boolean;
  connectRetries?: number;
}

/** A bad flag or value: printed with the usage hint, exit code 1. */
export class FlagError extends Error {
  override name = "FlagError";
}

type Apply = (cl: CommandLine, value: string, flag: string) => void;
interface Flag {
  names: string[];
  /** Boolean flags take no value (but accept `-flag=false`, as Go's flag package does). */
  bool?: boolean;
  apply: Apply;
}

function portValue(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1 || n > 65535) throw new FlagError(`invalid value "${value}" for flag -${flag}: parse error`);
  return n;
}

function intValue(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n)) throw new FlagError(`invalid value "${value}" for flag -${flag}: parse error`);
  return n;
}

function boolValue(value: string, flag: string): boolean {
  if (["", "1", "t", "T", "true", "TRUE", "True"].includes(value)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(value)) return false;
  throw new FlagError(`invalid boolean value "${value}" for -${flag}: parse error`);
}

/** Go nats-server's flags (main.go usage) that this build acts on. */
const FLAGS: Flag[] = [
  { names: ["a", "addr", "net"], apply: (cl, v) => (cl.options.host = v) },
  { names: ["p", "port"], apply: (cl, v, f) => (cl.options.port = portValue(v, f)) },
  { names: ["n", "name", "server_name"], apply: (cl, v) => (cl.options.serverName = v) },
  { names: ["P", "pid"], apply: (cl, v) => (cl.options.pidFile = v) },
  { names: ["m", "http_port"], apply: (cl, v, f) => (cl.options.httpPort = portValue(v, f)) },
  { names: ["c", "config"], apply: (cl, v) => (cl.configFile = v) },
  { names: ["t"], bool: true, apply: (cl, v, f) => (cl.checkConfig = boolValue(v, f)) },
  { names: ["sl", "signal"], apply: (cl, v) => (cl.signal = v) },
  { names: ["ports_file_dir"], apply: (cl, v) => (cl.options.portsFileDir = v) },
  { names: ["l", "log"], apply: (cl, v) => (cl.options.logFile = v) },
  { names: ["T", "logtime"], bool: true, apply: (cl, v, f) => (cl.options.logtime = boolValue(v, f)) },
  { names: ["D", "debug"], bool: true, apply: (cl, v, f) => (cl.options.debug = boolValue(v, f)) },
  { names: ["V", "trace", "VV"], bool: true, apply: (cl, v, f) => (cl.options.trace = boolValue(v, f)) },
  {
    names: ["DV", "DVV"],
    bool: true,
    apply: (cl, v, f) => {
      cl.options.debug = cl.options.trace = boolValue(v, f);
    },
  },
  { names: ["js", "jetstream"], bool: true, apply: (cl, v, f) => (cl.jetstream = boolValue(v, f)) },
  { names: ["sd", "store_dir"], apply: (cl, v) => (cl.storeDir = v) },
  { names: ["user"], apply: (cl, v) => (auth(cl).user = v) },
  { names: ["pass"], apply: (cl, v) => (auth(cl).password = v) },
  { names: ["auth"], apply: (cl, v) => (auth(cl).token = v) },
  { names: ["tls"], bool: true, apply: (cl, v, f) => (tls(cl).enabled = boolValue(v, f)) },
  { names: ["tlscert"], apply: (cl, v) => (tls(cl).certFile = v) },
  { names: ["tlskey"], apply: (cl, v) => (tls(cl).keyFile = v) },
  { names: ["tlscacert"], apply: (cl, v) => (tls(cl).caFile = v) },
  { names: ["tlsverify"], bool: true, apply: (cl, v, f) => (tls(cl).verify = boolValue(v, f)) },
  { names: ["routes"], apply: (cl, v) => (cluster(cl).routes = v) },
  { names: ["cluster", "cluster_listen"], apply: (cl, v) => (cluster(cl).listen = v) },
  { names: ["cluster_name"], apply: (cl, v) => (cluster(cl).name = v) },
  { names: ["cluster_advertise"], apply: (cl, v) => (cluster(cl).advertise = v) },
  { names: ["no_advertise"], bool: true, apply: (cl, v, f) => (cluster(cl).noAdvertise = boolValue(v, f)) },
  { names: ["connect_retries"], apply: (cl, v, f) => (cluster(cl).connectRetries = intValue(v, f)) },
  { names: ["h", "help"], bool: true, apply: (cl, v, f) => (cl.help = boolValue(v, f)) },
  { names: ["v", "version"], bool: true, apply: (cl, v, f) => (cl.version = boolValue(v, f)) },
];

function auth(cl: CommandLine): { user?: string; password?: string; token?: string } {
  return (cl.options.authorization ??= {}) as { user?: string; password?: string; token?: string };
}

function cluster(cl: CommandLine): ClusterFlags {
  return (cl.cluster ??= {});
}

/** Removes every key of `block` that names `key` (conf keys are case-insensitive, as in Go). */
function dropKey(block: Record<string, unknown>, ...keys: string[]): void {
  for (const k of Object.keys(block)) if (keys.includes(k.toLowerCase())) delete block[k];
}

/**
 * Merges the cluster flags into the conf's `cluster {}` block (Go's MergeOptions and
 * overrideCluster): `--cluster` sets host, port and the route credentials (clearing the conf's when
 * the URL has none), `--routes` replaces the route list, the others set their one field.
 * Returns the blocks unchanged when no cluster flag was given.
 *
 * @example
 * applyClusterFlags({}, { listen: "nats://127.0.0.1:-1", routes: "nats://127.0.0.1:6222" });
 * // { cluster: { host: "127.0.0.1", port: -1, routes: ["nats://127.0.0.1:6222"] } }
 */
export function applyClusterFlags(blocks: Record<string, unknown>, flags: ClusterFlags | undefined): Record<string, unknown> {
  if (flags === undefined) return blocks;
  const conf = blocks.cluster;
  const block: Record<string, unknown> = typeof conf === "object" && conf !== null && !Array.isArray(conf) ? { ...(conf as object) } : {};
  if (flags.listen !== undefined) {
    const { host, port, user, password } = clusterListen(flags.listen);
    dropKey(block, "listen", "host", "net", "port");
    block.host = host;
    block.port = port;
    const authKey = Object.keys(block).find((k) => k.toLowerCase() === "authorization");
    const auth: Record<string, unknown> = authKey === undefined ? {} : { ...(block[authKey] as object) };
    if (authKey !== undefined) delete block[authKey];
    dropKey(auth, "user", "username", "pass", "password");
    if (user !== undefined) Object.assign(auth, { user, password });
    if (Object.keys(auth).length > 0) block.authorization = auth;
  }
  if (flags.routes !== undefined) {
    dropKey(block, "routes");
    block.routes = flags.routes.split(",").map((r) => r.trim()).filter((r) => r !== "");
  }
  if (flags.name !== undefined) {
    dropKey(block, "name");
    block.name = flags.name;
  }
  if (flags.advertise !== undefined) {
    dropKey(block, "advertise", "cluster_advertise");
    block.advertise = flags.advertise;
  }
  if (flags.noAdvertise === true) {
    dropKey(block, "no_advertise");
    block.no_advertise = true;
  }
  if (flags.connectRetries !== undefined && flags.connectRetries !== 0) {
    dropKey(block, "connect_retries");
    block.connect_retries = flags.connectRetries;
  }
  return { ...blocks, cluster: block };
}

/** Go's overrideCluster reading of `--cluster nats://[user:pass@]host:port`. */
function clusterListen(text: string): { host: string; port: number; user?: string; password?: string } {
  const random = text.endsWith(":-1");
  let url: URL;
  try {
    url = new URL(random ? `${text.slice(0, -3)}:0` : text);
  } catch {
    throw new FlagError(`parse "${text}": invalid URL`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.port === "" && !random) throw new FlagError(`address ${url.host}: missing port in address`);
  const port = random ? -1 : Number(url.port);
  if (url.username === "") return { host, port };
  if (url.password === "") throw new FlagError("expected cluster password to be set");
  return { host, port, user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

function tls(cl: CommandLine): NonNullable<CommandLine["tls"]> {
  return (cl.tls ??= {});
}

const BY_NAME = new Map(FLAGS.flatMap((f) => f.names.map((n) => [n, f] as const)));

/**
 * Parses nats-server style flags: `-p 4222`, `--port 4222`, `-p=4222`, `-DV`, `-t`.
 * Throws {@link FlagError} for unknown flags and bad values, in the words of Go's flag package.
 */
export function parseFlags(argv: readonly string[]): CommandLine {
  const cl: CommandLine = { options: {}, checkConfig: false, help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") || arg === "-" || arg === "--") {
      throw new FlagError(`unexpected argument "${arg}"`);
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const flag = BY_NAME.get(name);
    if (flag === undefined) throw new FlagError(`flag provided but not defined: -${name}`);
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (flag.bool) value = "";
    else {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
      value = argv[++i];
    }
    flag.apply(cl, value, name);
  }
  return cl;
}

export const USAGE = `
Usage: nats-ts-server [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: 0.0.0.0)
    -p, --port <port>                Use port for clients (default: 4222)
    -n, --name
        --server_name <server_name>  Server name (default: auto)
    -P, --pid <file>                 File to store PID
    -m, --http_port <port>           Use port for http monitoring
    -c, --config <file>              Configuration file
    -t                               Test configuration and exit
    -sl,--signal <signal>[=<pid>]    Send signal to nats-ts-server process (ldm, stop, quit, term, reopen, reload)
                                     <pid> can be either a PID (e.g. 1) or the path to a PID file
        --ports_file_dir <dir>       Creates a ports file in the specified directory (<executable_name>_<pid>.ports).

Logging Options:
    -l, --log <file>                 File to redirect log output
    -T, --logtime                    Timestamp log entries (default: true)
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -DV                              Debug and trace

JetStream Options:
    -js, --jetstream                 Enable JetStream functionality
    -sd, --store_dir <dir>           Set the storage directory

Authorization Options:
        --user <user>                User required for connections
        --pass <password>            Password required for connections
        --auth <token>               Authorization token required for connections

TLS Options:
        --tls                        Enable TLS, do not verify clients (default: false)
        --tlscert <file>             Server certificate file
        --tlskey <file>              Private key for server certificate
        --tlsverify                  Enable TLS, verify client certificates
        --tlscacert <file>           Client certificate CA for verification

Cluster Options:
        --routes <rurl-1, rurl-2>    Routes to solicit and connect
        --cluster <cluster-url>      Cluster URL for solicited routes
        --cluster_name <string>      Cluster Name, if not set one will be dynamically generated
        --no_advertise <bool>        Do not advertise known cluster information to clients
        --cluster_advertise <string> Cluster URL to advertise to other servers
        --connect_retries <number>   For implicit routes, number of connect retries
        --cluster_listen <url>       Cluster url from which members can solicit routes

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
`;
