import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { GLOBAL_ACCOUNT, parseSize, SYSTEM_ACCOUNT, type Account, type NatsServer, type ServerPlugin } from "@nats-ts/core";
import { JsAccount, type JetStreamHost } from "./account/js-account.js";
import { accountLimitsFrom, type AccountLimits } from "./account/limits.js";
import { ApiRouter } from "./api/router.js";
import { ConsumerManager } from "./consumer/index.js";
import { resolveJetStreamSettings, type JetStreamSettings } from "./plugin-config.js";
import type { ConsumerManagerFactory } from "./stream/consumer-host.js";
import { JS_API_LEVEL } from "./stream/metadata.js";
import type { SyncSettings } from "./stream/store-factory.js";
import { friendlyBytes, nowNs, rfc3339Nano } from "./util/time.js";
import { jszAccounts, jszConfig, jszStats } from "./monitoring.js";

export interface JetStreamPluginOptions {
  /** Builds each stream's consumer manager (defaults to the consumer package's). */
  consumerFactory?: ConsumerManagerFactory;
  /** JetStream limits per account name; accounts not listed are unlimited. */
  accountLimits?: Record<string, Partial<AccountLimits> & Record<string, unknown>>;
}

const ADVISORY_PREFIX = "$JS.EVENT.ADVISORY";

/** A NUID-like unique id for advisories. */
function eventId(): string {
  return randomBytes(16).toString("base64url").slice(0, 22);
}

/**
 * The JetStream server plugin: reads the `jetstream {}` block, recovers every stream from
 * the store directory and answers the `$JS.API` of each account.
 *
 * @example
 * const server = new NatsServer({ port: 0, jetstream: { store_dir: "/tmp/js" } }, { plugins: [jetstreamPlugin()] });
 * await server.start();
 */
export class JetStreamPlugin implements ServerPlugin, JetStreamHost {
  readonly name = "jetstream";
  readonly blocks = ["jetstream"] as const;
  private server: NatsServer | undefined;
  private settings: JetStreamSettings | undefined;
  private readonly accounts = new Map<string, { jsa: JsAccount; router: ApiRouter }>();

  constructor(private readonly options: JetStreamPluginOptions = {}) {}

  get enabled(): boolean {
    return this.settings !== undefined;
  }

  get storeDir(): string {
    return this.need().storeDir;
  }
  get maxMemory(): number {
    return this.need().maxMemory;
  }
  get maxStore(): number {
    return this.need().maxStore;
  }
  get domain(): string | undefined {
    return this.need().domain;
  }
  get sync(): SyncSettings {
    return this.need().sync;
  }
  get duplicatesLimit(): number {
    return this.need().duplicatesLimit;
  }
  get maxPending(): number {
    return this.server!.opts.maxPending;
  }
  get maxPayload(): number {
    return this.server!.opts.maxPayload;
  }
  get log() {
    return this.server!.log;
  }
  get consumerFactory(): ConsumerManagerFactory {
    return this.options.consumerFactory ?? this.defaultConsumerFactory;
  }

  private readonly defaultConsumerFactory: ConsumerManagerFactory = (host, opts) =>
    new ConsumerManager(host, {
      storeDir: opts.storeDir,
      limits: opts.maxAckPending !== undefined && opts.maxAckPending > 0 ? { maxAckPending: opts.maxAckPending } : undefined,
      warn: (msg) => this.server?.log.warn(msg),
    });

  private need(): JetStreamSettings {
    if (this.settings === undefined) throw new Error("JetStream is not enabled");
    return this.settings;
  }

  async start(server: NatsServer): Promise<void> {
    if (server.opts.jetstream === false) return;
    this.server = server;
    const started = Date.now();
    const log = server.log;
    log.info("Starting JetStream");
    const settings = resolveJetStreamSettings(server.opts.jetstream);
    this.settings = settings;
    if (settings.tempStoreDir) log.warn("Temporary storage directory used, data could be lost on system reboot");
    await mkdir(settings.storeDir, { recursive: true });
    for (const line of [
      "    _ ___ _____ ___ _____ ___ ___   _   __  __",
      " _ | | __|_   _/ __|_   _| _ \\ __| /_\\ |  \\/  |",
      "| || | _|  | | \\__ \\ | | |   / _| / _ \\| |\\/| |",
      " \\__/|___| |_| |___/ |_| |_|_\\___/_/ \\_\\_|  |_|",
      "",
      "         https://docs.nats.io/jetstream",
      "",
      "---------------- JETSTREAM ----------------",
      `  Max Memory:      ${friendlyBytes(settings.maxMemory)}`,
      `  Max Storage:     ${friendlyBytes(settings.maxStore)}`,
      `  Store Directory: "${settings.storeDir}"`,
      ...(settings.domain ? [`  Domain:          ${settings.domain}`] : []),
      `  Sync:            ${settings.sync.mode === "always" ? "always (fsync before PubAck)" : `every ${settings.sync.intervalNs / 1e9}s`}`,
      `  API Level:       ${JS_API_LEVEL}`,
      "-------------------------------------------",
    ]) {
      log.info(line);
    }
    for (const account of this.accountsToEnable(server)) await this.enableAccount(account);
    // Every account's API now answers: links that asked another account during recovery ask again.
    this.streamsChanged();
    log.info(`Took ${Date.now() - started}ms to start JetStream`);
  }

  /**
   * Go's enableJetStreamAccounts: with no accounts configured, the global account; otherwise
   * every configured account whose `jetstream` is enabled (or holds limits).
   */
  private accountsToEnable(server: NatsServer): Account[] {
    const configured = Object.entries(server.opts.accounts).filter(([name]) => name !== GLOBAL_ACCOUNT && name !== SYSTEM_ACCOUNT);
    if (configured.length === 0) return [server.globalAccount];
    const out: Account[] = [];
    for (const [name, acc] of [...Object.entries(server.opts.accounts)].filter(([n]) => n !== SYSTEM_ACCOUNT)) {
      if (acc.jetstream === undefined || acc.jetstream === false) continue;
      out.push(server.lookupAccount(name) ?? server.registerAccount(name));
    }
    return out;
  }

  /** Limits for an account: the plugin option wins, then the account's `jetstream {}` conf block. */
  private limitsFor(server: NatsServer, name: string): AccountLimits {
    const fromOptions = this.options.accountLimits?.[name];
    if (fromOptions !== undefined) return accountLimitsFrom(fromOptions);
    const conf = server.opts.accounts[name]?.jetstream;
    return accountLimitsFrom(typeof conf === "object" ? sizesParsed(conf) : undefined);
  }

  /** Enables JetStream for an account and recovers its streams. */
  async enableAccount(account: Account): Promise<JsAccount> {
    const existing = this.accounts.get(account.name);
    if (existing !== undefined) return existing.jsa;
    if (account.name === SYSTEM_ACCOUNT) throw new Error("JetStream can not be enabled for the system account");
    const server = this.server!;
    const limits = this.limitsFor(server, account.name);
    const jsa = new JsAccount(account, server.createInternalClient("JETSTREAM", account), limits, this);
    const router = new ApiRouter(jsa, { serverName: server.name, audit: (a, subject, request, response) => this.audit(a, subject, request, response) });
    this.accounts.set(account.name, { jsa, router });
    await jsa.recover();
    router.start();
    return jsa;
  }

  streamsChanged(): void {
    for (const { jsa } of this.accounts.values()) jsa.relinkAll();
  }

  /** The JetStream state of an account, if enabled. */
  account(name: string): JsAccount | undefined {
    return this.accounts.get(name)?.jsa;
  }

  totalUsage(): { memory: number; storage: number } {
    let memory = 0;
    let storage = 0;
    for (const { jsa } of this.accounts.values()) {
      const u = jsa.usage();
      memory += u.memory;
      storage += u.storage;
    }
    return { memory, storage };
  }

  totalReserved(): { memory: number; storage: number } {
    let memory = 0;
    let storage = 0;
    for (const { jsa } of this.accounts.values()) {
      const r = jsa.reserved();
      memory += r.memory;
      storage += r.storage;
    }
    return { memory, storage };
  }

  streamAdvisory(accountName: string, stream: string, action: "create" | "delete" | "modify"): void {
    const kind = action === "create" ? "CREATED" : action === "delete" ? "DELETED" : "UPDATED";
    this.advisory(accountName, `${ADVISORY_PREFIX}.STREAM.${kind}.${stream}`, "io.nats.jetstream.advisory.v1.stream_action", { stream, action });
  }

  advisory(accountName: string, subject: string, type: string, fields: Record<string, unknown>): void {
    const jsa = this.accounts.get(accountName)?.jsa;
    if (jsa === undefined || !jsa.account.sublist.hasInterest(subject)) return;
    const body: Record<string, unknown> = { type, id: eventId(), timestamp: rfc3339Nano(nowNs()), ...fields };
    if (this.settings?.domain) body.domain = this.settings.domain;
    this.publishAdvisory(jsa, subject, body);
  }

  private audit(jsa: JsAccount, subject: string, request: string, response: string): void {
    const body: Record<string, unknown> = {
      type: "io.nats.jetstream.advisory.v1.api_audit",
      id: eventId(),
      timestamp: rfc3339Nano(nowNs()),
      server: this.server!.name,
      client: { acc: jsa.name, server: this.server!.name },
      subject,
      request,
      response,
    };
    if (this.settings?.domain) body.domain = this.settings.domain;
    this.publishAdvisory(jsa, `${ADVISORY_PREFIX}.API`, body);
  }

  private publishAdvisory(jsa: JsAccount, subject: string, body: Record<string, unknown>): void {
    if (!jsa.account.sublist.hasInterest(subject)) return;
    jsa.client.publish(subject, Buffer.from(JSON.stringify(body)));
  }

  /** /jsz figures for @nats-ts/monitor (its JetStreamStatsProvider). */
  jetStreamConfig(): Record<string, unknown> {
    return jszConfig(this);
  }

  jetStreamStats(): ReturnType<typeof jszStats> {
    return jszStats(this.jsAccounts());
  }

  jetStreamAccounts(): Record<string, unknown>[] {
    return jszAccounts(this.jsAccounts(), this.server?.name ?? "");
  }

  private jsAccounts(): JsAccount[] {
    return [...this.accounts.values()].map((a) => a.jsa);
  }

  async stop(): Promise<void> {
    if (this.settings !== undefined) this.server?.log.info("Initiating JetStream Shutdown...");
    for (const { jsa, router } of this.accounts.values()) {
      router.stop();
      await jsa.stop();
      jsa.client.close();
    }
    this.accounts.clear();
    if (this.settings !== undefined) this.server?.log.info("JetStream Shutdown");
    this.settings = undefined;
  }
}

/**
 * Creates the JetStream plugin for a NatsServer.
 *
 * @example
 * new NatsServer({ jetstream: { store_dir: "./data" } }, { plugins: [jetstreamPlugin()] });
 */
export function jetstreamPlugin(options?: JetStreamPluginOptions): JetStreamPlugin {
  return new JetStreamPlugin(options);
}

/** Size values of an account's jetstream block ("1G", 1024) as numbers; flags kept as they are. */
function sizesParsed(block: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(block)) out[k] = typeof v === "string" && /^\d/.test(v) ? parseSize(v) : v;
  return out;
}
