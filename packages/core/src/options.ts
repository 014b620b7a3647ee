import { z } from "zod";
import { planAuth } from "./accounts/plan.js";
import { accountSchema, authorizationSchema, mappingsSchema, tlsSchema } from "./auth-options.js";

/** Go's defaults (server/const.go). Durations are milliseconds. */
export const DEFAULTS = {
  host: "0.0.0.0",
  port: 4222,
  maxConnections: 64 * 1024,
  maxPayload: 1024 * 1024,
  maxPending: 64 * 1024 * 1024,
  maxControlLine: 4096,
  pingInterval: 2 * 60_000,
  pingMax: 2,
  writeDeadline: 10_000,
  authTimeout: 2_000,
  lameDuckDuration: 2 * 60_000,
  lameDuckGracePeriod: 10_000,
} as const;

const port = z.number().int().min(-1).max(65535);
const duration = z.number().nonnegative();

/**
 * Everything NatsServer accepts. Field names follow the Go server's options in camelCase;
 * durations are milliseconds. A conf file (see {@link optionsFromConf}) produces the same shape.
 */
export const serverOptionsSchema = z
  .object({
    host: z.string().default(DEFAULTS.host),
    /** 0 or -1: pick a free port (read it back from `server.port`). */
    port: port.default(DEFAULTS.port),
    serverName: z.string().optional(),
    serverTags: z.array(z.string()).default([]),
    /** Monitoring listener: host and port (0 = off, -1 = random). Served by @nats-ts/monitor. */
    httpHost: z.string().optional(),
    httpPort: port.default(0),
    maxConnections: z.number().int().nonnegative().default(DEFAULTS.maxConnections),
    /** 0 = unlimited. */
    maxSubscriptions: z.number().int().nonnegative().default(0),
    maxPayload: z.number().int().positive().default(DEFAULTS.maxPayload),
    maxPending: z.number().int().positive().default(DEFAULTS.maxPending),
    maxControlLine: z.number().int().positive().default(DEFAULTS.maxControlLine),
    pingInterval: duration.default(DEFAULTS.pingInterval),
    pingMax: z.number().int().nonnegative().default(DEFAULTS.pingMax),
    writeDeadline: duration.default(DEFAULTS.writeDeadline),
    lameDuckDuration: duration.default(DEFAULTS.lameDuckDuration),
    lameDuckGracePeriod: duration.default(DEFAULTS.lameDuckGracePeriod),
    authorization: authorizationSchema.optional(),
    /** The user a client that sends no credentials becomes (must be a configured user). */
    noAuthUser: z.string().optional(),
    /** Accounts by name; without any, every client is in the global account `$G`. */
    accounts: z.record(z.string(), accountSchema).default({}),
    /** Name of the system account (Go default `$SYS`). */
    systemAccount: z.string().default("$SYS"),
    /** Server-wide subject mappings, applied in the global account. */
    mappings: mappingsSchema.default({}),
    /** TLS for client connections. */
    tls: tlsSchema.optional(),
    debug: z.boolean().default(false),
    trace: z.boolean().default(false),
    logtime: z.boolean().default(true),
    logFile: z.string().optional(),
    pidFile: z.string().optional(),
    portsFileDir: z.string().optional(),
    /** JetStream settings, read by @nats-ts/jetstream; `false` = off. */
    jetstream: z.union([z.literal(false), z.record(z.string(), z.unknown())]).default(false),
    /**
     * Conf-file blocks owned by packages that plug into core (cluster, websocket, mqtt, ...),
     * kept as parsed so those packages can read them.
     */
    blocks: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Options as an embedding app writes them: every field optional. */
export type ServerOptionsInput = z.input<typeof serverOptionsSchema>;
/** Options after validation and defaults. */
export type ServerOptions = z.output<typeof serverOptionsSchema>;

/** Raised for options that fail validation; the message lists every problem, one per line. */
export class OptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "OptionsError";
  }
}

/**
 * Seconds a client has to send CONNECT: the configured `authorization { timeout }`, else Go's
 * default (2 s, or the TLS handshake timeout plus one second when TLS is on).
 */
export function authTimeoutSeconds(opts: ServerOptions): number {
  const configured = opts.authorization?.timeout;
  if (configured !== undefined && configured > 0) return configured;
  return opts.tls !== undefined ? opts.tls.timeout + 1 : DEFAULTS.authTimeout / 1000;
}

/** Validates options and fills in Go's defaults. Throws {@link OptionsError}. */
export function resolveOptions(input: ServerOptionsInput = {}): ServerOptions {
  const parsed = serverOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new OptionsError(
      parsed.error.issues.map((i) => `invalid option ${i.path.join(".") || "(root)"}: ${i.message}`),
    );
  }
  const opts = parsed.data;
  if (opts.authorization?.token !== undefined && opts.authorization.user !== undefined) {
    throw new OptionsError(["can not have a token and a user/password at the same time"]);
  }
  const { problems } = planAuth(opts);
  if (problems.length > 0) throw new OptionsError(problems);
  return opts;
}
