import { z } from "zod";

/** Allow and deny lists of subjects (wildcards allowed; subscribe entries may be `subject queue`). */
export const subjectPermissionSchema = z
  .object({
    allow: z.array(z.string()).optional(),
    deny: z.array(z.string()).optional(),
  })
  .strict();

/** Go's `allow_responses`: a client may publish to reply subjects of requests it received. */
export const responsePermissionSchema = z
  .object({
    /** Responses allowed per request (Go default 1; not above 0 = no limit). */
    maxMsgs: z.number().int().default(1),
    /** How long after the request a response is allowed, in ms (Go default 2 minutes; not above 0 = forever). */
    expires: z.number().default(2 * 60_000),
  })
  .strict();

export const permissionsSchema = z
  .object({
    publish: subjectPermissionSchema.optional(),
    subscribe: subjectPermissionSchema.optional(),
    allowResponses: responsePermissionSchema.optional(),
  })
  .strict();

/** A user: name and password (plain or bcrypt `$2a$...`), or an nkey (`U...`) for challenge/response. */
export const userSchema = z
  .object({
    user: z.string().optional(),
    password: z.string().optional(),
    nkey: z.string().optional(),
    permissions: permissionsSchema.optional(),
    /** Go's allowed_connection_types: STANDARD, WEBSOCKET, MQTT, LEAFNODE ... (empty = all). */
    allowedConnectionTypes: z.array(z.string()).optional(),
  })
  .strict();

export const authorizationSchema = z
  .object({
    token: z.string().optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    /** Seconds to wait for CONNECT, like Go's `authorization { timeout }` (0 = Go's default of 2). */
    timeout: z.number().nonnegative().optional(),
    /** Users of the global account (or of the account given in `accounts`). */
    users: z.array(userSchema).optional(),
    /** Permissions of users that have none of their own (Go's default_permissions). */
    defaultPermissions: permissionsSchema.optional(),
  })
  .strict();

const accountSubjectSchema = z.object({ account: z.string(), subject: z.string() }).strict();

/** Go's account_token_position: this token of the subject must be the importing account's name. */
const accountTokenPosition = z.number().int().positive().optional();

export const exportSchema = z.union([
  z.object({ stream: z.string(), accounts: z.array(z.string()).optional(), accountTokenPosition }).strict(),
  z
    .object({
      service: z.string(),
      accounts: z.array(z.string()).optional(),
      accountTokenPosition,
      responseType: z.enum(["singleton", "stream", "chunked"]).optional(),
      /** How long a streamed/chunked response may keep flowing, in ms (Go default 2 minutes). */
      responseThreshold: z.number().positive().optional(),
    })
    .strict(),
]);

export const importSchema = z.union([
  z.object({ stream: accountSubjectSchema, prefix: z.string().optional(), to: z.string().optional() }).strict(),
  z.object({ service: accountSubjectSchema, to: z.string().optional(), share: z.boolean().optional() }).strict(),
]);

export const mappingDestinationSchema = z
  .object({ destination: z.string(), weight: z.number().min(0).max(100), cluster: z.string().optional() })
  .strict();

/** Source subject -> destination subject, or weighted destinations. */
export const mappingsSchema = z.record(z.string(), z.union([z.string(), z.array(mappingDestinationSchema)]));

export const accountLimitsSchema = z
  .object({
    /** 0 or absent = no limit (Go's -1). */
    maxConnections: z.number().int().optional(),
    maxSubscriptions: z.number().int().optional(),
    maxPayload: z.number().int().optional(),
    maxLeafnodes: z.number().int().optional(),
  })
  .strict();

export const accountSchema = z
  .object({
    users: z.array(userSchema).optional(),
    defaultPermissions: permissionsSchema.optional(),
    exports: z.array(exportSchema).optional(),
    imports: z.array(importSchema).optional(),
    mappings: mappingsSchema.optional(),
    limits: accountLimitsSchema.optional(),
    /** The account's public nkey (operator mode), kept for reference. */
    nkey: z.string().optional(),
    /** Per-account JetStream limits, read by @nats-ts/jetstream. */
    jetstream: z.union([z.boolean(), z.record(z.string(), z.unknown())]).optional(),
  })
  .strict();

/** Client TLS (Go's `tls {}`): files or inline PEM; `verify` asks clients for certificates. */
export const tlsSchema = z
  .object({
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    caFile: z.string().optional(),
    /** Inline PEM alternatives to the files (for embedding apps). */
    cert: z.string().optional(),
    key: z.string().optional(),
    ca: z.string().optional(),
    verify: z.boolean().default(false),
    /** Mutual TLS where the certificate's subject (or an email/DNS SAN) names the user. */
    verifyAndMap: z.boolean().default(false),
    /** Seconds allowed for the handshake (Go default 2; conf files write seconds). */
    timeout: z.number().positive().default(2),
    /** Start TLS before sending INFO (Go's handshake_first); clients must ask for it too. */
    handshakeFirst: z.boolean().default(false),
    /**
     * With handshakeFirst: wait this long (ms) for the client to start TLS, then greet it with
     * INFO as usual (Go's "auto" / duration forms of handshake_first). 0 = TLS first only.
     */
    handshakeFirstFallback: z.number().nonnegative().default(0),
    ciphers: z.array(z.string()).optional(),
    minVersion: z.string().optional(),
  })
  .strict();

export type SubjectPermission = z.output<typeof subjectPermissionSchema>;
export type Permissions = z.output<typeof permissionsSchema>;
export type UserConfig = z.output<typeof userSchema>;
export type AccountConfig = z.output<typeof accountSchema>;
export type ExportConfig = z.output<typeof exportSchema>;
export type ImportConfig = z.output<typeof importSchema>;
export type MappingsConfig = z.output<typeof mappingsSchema>;
export type TlsOptions = z.output<typeof tlsSchema>;
export type AccountLimits = z.output<typeof accountLimitsSchema>;
