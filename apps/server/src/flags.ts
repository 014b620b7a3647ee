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
  { names: ["h", "help"], bool: true, apply: (cl, v, f) => (cl.help = boolValue(v, f)) },
  { names: ["v", "version"], bool: true, apply: (cl, v, f) => (cl.version = boolValue(v, f)) },
];

function auth(cl: CommandLine): { user?: string; password?: string; token?: string } {
  return (cl.options.authorization ??= {}) as { user?: string; password?: string; token?: string };
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

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
`;
