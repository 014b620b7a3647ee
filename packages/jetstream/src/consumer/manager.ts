import { randomBytes } from "node:crypto";
import { systemClock, type Clock, type ConsumerStore } from "@nats-ts/storage";
import { subjectsCollide } from "@nats-ts/wire";
import {
  applyConsumerDefaults,
  checkConfigUpdate,
  checkConsumerConfig,
  configsEqual,
  filtersOf,
  isValidAssetName,
  MAX_NAME_LEN,
  parseConsumerConfig,
  type ConsumerConfigJson,
  type ConsumerLimits,
} from "./config.js";
import { Consumer, type ConsumerEnv } from "./consumer.js";
import { asCreateError, jsError } from "./errors.js";
import type { ConsumerHost } from "../stream/consumer-host.js";
import { consumerInfo } from "./info.js";
import { hasInterest } from "./outbound.js";
import { ConsumerFiles } from "./state-file.js";
import { rfc3339Nano, parseRfc3339 } from "../util/time.js";

export interface ConsumerManagerOptions {
  /** Directory for consumer state (one folder per consumer); undefined keeps state in memory. */
  storeDir?: string;
  /** Time source for ack waits, heartbeats, expiries (tests pass a ManualClock). */
  clock?: Clock;
  /** Server/account limits on consumer settings. */
  limits?: ConsumerLimits;
  /** Called with a warning text (bad state file and similar). */
  warn?: (msg: string) => void;
}

const TYPE = {
  create: "io.nats.jetstream.api.v1.consumer_create_response",
  info: "io.nats.jetstream.api.v1.consumer_info_response",
  names: "io.nats.jetstream.api.v1.consumer_names_response",
  list: "io.nats.jetstream.api.v1.consumer_list_response",
  delete: "io.nats.jetstream.api.v1.consumer_delete_response",
  pause: "io.nats.jetstream.api.v1.consumer_pause_response",
  unpin: "io.nats.jetstream.api.v1.consumer_unpin_response",
  stepdown: "io.nats.jetstream.api.v1.consumer_leader_stepdown_response",
} as const;

const NAMES_LIMIT = 1024;
const LIST_LIMIT = 256;
/**
 * How long state changes may wait before being written, ms. Each write is a full snapshot with
 * an fsync, so writes are batched; a crash loses at most this much ack progress (those
 * messages are redelivered), a clean stop loses nothing.
 */
const PERSIST_DELAY_MS = 1000;

/**
 * All consumers of one stream: answers the consumer part of the `$JS.API`, feeds consumers
 * new messages, applies interest/workqueue retention and keeps durable state on disk.
 *
 * @example
 * const consumers = new ConsumerManager(host, { storeDir: join(streamDir, "obs") });
 * const resp = await consumers.handleApi("INFO", "$JS.API.CONSUMER.INFO.ORDERS.worker".split("."), {}, reply);
 */
export class ConsumerManager {
  private readonly consumers = new Map<string, Consumer>();
  private readonly clock: Clock;
  private readonly files: ConsumerFiles | undefined;
  /** The state store of each consumer kept on disk. */
  private readonly stores = new Map<Consumer, ConsumerStore>();
  private readonly dirtySet = new Set<Consumer>();
  private persistTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribeStored: () => void;
  private readonly env: ConsumerEnv;
  private stopped = false;

  constructor(
    private readonly host: ConsumerHost,
    private readonly opts: ConsumerManagerOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.files = opts.storeDir ? new ConsumerFiles(opts.storeDir, this.clock) : undefined;
    this.env = {
      host,
      clock: this.clock,
      released: (c, seqs) => this.released(c, seqs),
      expired: (c) => void this.remove(c, true),
      dirty: (c) => this.markDirty(c),
      warn: (msg) => this.opts.warn?.(msg),
    };
    this.recover();
    const unStored = host.onStored((seq, subject) => {
      for (const c of this.consumers.values()) c.onStored(seq, subject);
    });
    // The stream announces purges and rollups beside the ConsumerHost interface.
    const purgeSource = host as unknown as { onPurged?: (l: () => void) => () => void };
    const unPurged = purgeSource.onPurged?.(() => this.purged());
    this.unsubscribeStored = () => {
      unStored();
      unPurged?.();
    };
  }

  get count(): number {
    return this.consumers.size;
  }

  names(): string[] {
    return [...this.consumers.keys()].sort();
  }

  /** Names for CONSUMER.NAMES and LIST: direct consumers (of mirrors and sources) are not listed, as in Go. */
  private publicNames(): string[] {
    return this.names().filter((n) => !this.consumers.get(n)!.cfg.direct);
  }

  infos(offset: number, limit: number): unknown[] {
    const now = this.clock.now();
    return this.publicNames()
      .slice(offset, offset + limit)
      .map((n) => consumerInfo(this.consumers.get(n)!, this.host.streamName, now));
  }

  /** The consumer called `name`, if any. */
  get(name: string): Consumer | undefined {
    return this.consumers.get(name);
  }

  /**
   * Answers one consumer API request. `tokens` is the request subject split on ".";
   * `request` is the parsed JSON body (or the raw payload: Buffer/string). Returns the
   * response object (with its `type`), or undefined for MSG.NEXT, which answers on `reply`.
   * Throws an ApiError for Go's error responses.
   */
  async handleApi(op: string, tokens: string[], request: unknown, reply: string): Promise<unknown> {
    switch (op) {
      case "CREATE":
      case "DURABLE.CREATE":
        return this.create(op, tokens, request);
      case "INFO": {
        const c = this.lookup(tokens[5]);
        return { type: TYPE.info, ...consumerInfo(c, this.host.streamName, this.clock.now()) };
      }
      case "NAMES": {
        const offset = pagingOffset(request);
        const all = this.publicNames();
        return { type: TYPE.names, total: all.length, offset, limit: NAMES_LIMIT, consumers: all.slice(offset, offset + NAMES_LIMIT) };
      }
      case "LIST": {
        const offset = pagingOffset(request);
        return { type: TYPE.list, total: this.publicNames().length, offset, limit: LIST_LIMIT, consumers: this.infos(offset, LIST_LIMIT) };
      }
      case "DELETE": {
        const c = this.lookup(tokens[5]);
        await this.remove(c, true);
        return { type: TYPE.delete, success: true };
      }
      case "MSG.NEXT": {
        const c = this.consumers.get(tokens[6] ?? "");
        if (!c) {
          // Go has no subscriber for an unknown consumer's next subject: the client sees 503.
          this.host.client.publish(reply, Buffer.alloc(0), undefined, Buffer.from("NATS/1.0 503\r\n\r\n"));
          return undefined;
        }
        c.handleNext(reply, rawText(request));
        return undefined;
      }
      case "PAUSE":
        return this.pause(tokens[5], request);
      case "UNPIN": {
        const body = jsonBody(request);
        const group = typeof body.group === "string" ? body.group : "";
        if (group === "") throw jsError("JSInvalidJSONErr", { err: "consumer group not specified" });
        if (!/^[a-zA-Z0-9/_=-]{1,16}$/.test(group)) throw jsError("JSConsumerInvalidGroupNameErr");
        const c = this.lookup(tokens[5]);
        if (!(c.cfg.priority_groups ?? []).includes(group)) throw jsError("JSConsumerInvalidPriorityGroupErr");
        c.unpin("admin");
        return { type: TYPE.unpin };
      }
      case "LEADER.STEPDOWN":
        throw jsError("JSClusterRequiredErr");
      default:
        throw jsError("JSBadRequestErr");
    }
  }

  /** Interest retention: may the stream drop message `seq` (no consumer needs it)? */
  interestDone(seq: number): boolean {
    let subject: string | undefined;
    const subjectOf = () => (subject ??= this.host.store.subjectForSeq(seq));
    for (const c of this.consumers.values()) {
      try {
        if (c.needsAck(seq, subjectOf)) return false;
      } catch {
        return true;
      }
    }
    return true;
  }

  /** Stops every consumer, keeping durable state on disk. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribeStored();
    this.flushPersist();
    for (const c of this.consumers.values()) c.stop();
    this.consumers.clear();
    await Promise.all([...this.stores.values()].map((s) => s.stop()));
    this.stores.clear();
  }

  /** Messages were purged from the stream: every consumer moves past them. */
  private purged(): void {
    const store = this.host.store;
    const first = store.fastState().firstSeq;
    const exists = (seq: number) => {
      try {
        store.loadMsg(seq);
        return true;
      } catch {
        return false;
      }
    };
    for (const c of this.consumers.values()) c.purged(first, exists);
  }

  /** Deletes every consumer and its state (the stream is being deleted). */
  async delete(): Promise<void> {
    this.unsubscribeStored();
    for (const c of [...this.consumers.values()]) await this.remove(c, true);
    this.stopped = true;
  }

  // ---- create / update --------------------------------------------------------------------

  private create(op: string, tokens: string[], request: unknown): unknown {
    const body = jsonBody(request);
    const stream = this.host.streamName;
    let consumerName = "";
    let filtered = "";
    let kind: "ephemeral" | "durable" | "new";
    const cfgRaw = body.config;
    if (op === "DURABLE.CREATE") {
      kind = "durable";
      if (tokens.length !== 7) throw jsError("JSConsumerDurableNameNotInSubjectErr");
      consumerName = tokens[6];
    } else if (tokens.length === 5) {
      kind = "ephemeral";
      consumerName = typeof (cfgRaw as { name?: unknown })?.name === "string" ? (cfgRaw as { name: string }).name : "";
    } else {
      kind = "new";
      consumerName = tokens[5];
      if (tokens.length > 6) filtered = tokens.slice(6).join(".");
    }
    const subjectStream = op === "DURABLE.CREATE" ? tokens[5] : tokens[4];
    if (body.stream_name !== subjectStream) throw jsError("JSStreamMismatchErr");
    if (consumerName !== "" && /[\\/]/.test(consumerName)) throw jsError("JSConsumerNameContainsPathSeparatorsErr");
    const cfg = parseConsumerConfig(cfgRaw);
    if (kind === "durable") {
      if (!cfg.durable_name) throw jsError("JSConsumerDurableNameNotSetErr");
      if (consumerName !== cfg.durable_name) throw jsError("JSConsumerDurableNameNotMatchSubjectErr");
      cfg.name = consumerName;
    } else if (kind === "new") {
      if (cfg.durable_name && consumerName !== cfg.durable_name) throw jsError("JSConsumerDurableNameNotMatchSubjectErr");
      cfg.name = consumerName;
    } else if (cfg.durable_name) {
      throw jsError("JSConsumerEphemeralWithDurableNameErr");
    }
    if (filtered !== "" && (cfg.filter_subjects?.length ?? 0) > 0) throw jsError("JSConsumerMultipleFiltersNotAllowed");
    if (filtered !== "" && cfg.filter_subject !== filtered) throw jsError("JSConsumerCreateFilterSubjectMismatchErr");
    if (cfg.num_replicas > 1) throw jsError("JSStreamReplicasNotSupportedErr");
    const action = typeof body.action === "string" ? body.action : "";
    if (action !== "" && action !== "create" && action !== "update") throw jsError("JSInvalidJSONErr", { err: `unknown consumer action: ${JSON.stringify(action)}` });
    const existing = this.consumers.get(consumerName);
    if (existing) cfg.pause_until = existing.cfg.pause_until;
    setStaticMetadata(cfg);
    try {
      const c = this.addConsumer(cfg, action, body.pedantic === true);
      const info = consumerInfo(c, stream, this.clock.now());
      return { type: TYPE.create, ...info };
    } catch (e) {
      throw asCreateError(e);
    }
  }

  /** Consumers that count against limits and work queue exclusivity (Go's numLimitableConsumers). */
  private limitableCount(): number {
    let n = 0;
    for (const c of this.consumers.values()) if (!c.cfg.direct) n++;
    return n;
  }

  private addConsumer(cfg: ConsumerConfigJson, action: string, pedantic: boolean): Consumer {
    const streamCfg = this.host.config;
    applyConsumerDefaults(cfg, streamCfg, this.opts.limits, pedantic);
    checkConsumerConfig(cfg, streamCfg, this.opts.limits);
    const name = cfg.durable_name || cfg.name || "";
    const existing = name ? this.consumers.get(name) : undefined;
    if (existing) {
      if (action === "create") {
        const ocfg = { ...existing.cfg };
        if (!configsEqual(cfg, ocfg)) throw jsError("JSConsumerAlreadyExists");
      }
      if (streamCfg.retention === "workqueue" && !cfg.direct && !this.partitionUnique(name, filtersOf(cfg))) throw jsError("JSConsumerWQConsumerNotUniqueErr");
      const err = checkConfigUpdate(existing.cfg, cfg, existing.cfg.deliver_subject ? hasInterest(this.host.client, existing.cfg.deliver_subject) : false);
      if (err) throw err;
      if (!cfg.durable_name && !cfg.inactive_threshold) cfg.inactive_threshold = existing.cfg.inactive_threshold;
      const filtersBefore = filtersOf(existing.cfg).join(" ");
      existing.update(cfg);
      this.configChanged(existing);
      // an interest stream drops what the narrowed filter no longer wants
      if (streamCfg.retention === "interest" && filtersOf(cfg).join(" ") !== filtersBefore) this.dropUninteresting(existing);
      return existing;
    }
    if (action === "update") throw jsError("JSConsumerDoesNotExist");
    const maxc = streamCfg.max_consumers ?? 0;
    if (maxc > 0 && !cfg.direct && this.limitableCount() >= maxc) throw jsError("JSMaximumConsumersLimitErr");
    // Direct consumers (of mirrors and sources) are exempt from the work queue rules, as in Go.
    if (streamCfg.retention === "workqueue" && !cfg.direct) {
      if (cfg.ack_policy !== "explicit") throw jsError("JSConsumerWQRequiresExplicitAckErr");
      if (cfg.deliver_policy !== "all") throw jsError("JSConsumerWQConsumerNotDeliverAllErr");
      if (this.limitableCount() > 0) {
        const subjects = filtersOf(cfg);
        if (subjects.length === 0) throw jsError("JSConsumerWQMultipleUnfilteredErr");
        if (!this.partitionUnique(name, subjects)) throw jsError("JSConsumerWQConsumerNotUniqueErr");
      }
    }
    let finalName = name;
    if (cfg.durable_name) {
      if (cfg.durable_name.length > MAX_NAME_LEN) throw jsError("JSConsumerNameTooLongErrF", { max: MAX_NAME_LEN });
    } else if (!finalName) {
      do finalName = randomName();
      while (this.consumers.has(finalName));
      cfg.name = finalName;
    }
    if (!isValidAssetName(finalName)) throw jsError("JSConsumerBadDurableNameErr");
    const c = new Consumer(this.env, finalName, cfg, this.clock.now());
    c.selectStart();
    this.consumers.set(finalName, c);
    this.openStore(c);
    c.start();
    this.markDirty(c);
    this.actionAdvisory(c, "create");
    if (c.paused) c.sendPauseAdvisory();
    return c;
  }

  /** Workqueue rule: no two consumers may see the same subject. */
  private partitionUnique(name: string, filters: string[]): boolean {
    for (const other of this.consumers.values()) {
      if (other.name === name || other.cfg.direct) continue;
      const theirs = filtersOf(other.cfg);
      if (theirs.length === 0) return false;
      for (const a of filters) for (const b of theirs) if (subjectsCollide(a, b)) return false;
    }
    return true;
  }

  private pause(name: string, request: unknown): unknown {
    const body = jsonBody(request);
    const c = this.lookup(name);
    const untilRaw = typeof body.pause_until === "string" ? body.pause_until : "";
    const untilNs = untilRaw ? (parseRfc3339(untilRaw) ?? 0n) : 0n;
    const next: ConsumerConfigJson = { ...c.cfg };
    if (untilNs > 0n) next.pause_until = rfc3339Nano(untilNs);
    else delete next.pause_until;
    setStaticMetadata(next);
    c.update(next);
    this.configChanged(c);
    const now = this.clock.now();
    const paused = untilNs > now;
    const resp: Record<string, unknown> = { type: TYPE.pause, paused, pause_until: next.pause_until ?? rfc3339Nano(0n) };
    if (paused) resp.pause_remaining = Number(untilNs - now);
    return resp;
  }

  private lookup(name: string | undefined): Consumer {
    const c = name ? this.consumers.get(name) : undefined;
    if (!c) throw jsError("JSConsumerNotFoundErr");
    return c;
  }

  // ---- lifecycle ------------------------------------------------------------------------

  private async remove(c: Consumer, advisory: boolean): Promise<void> {
    if (this.consumers.get(c.name) !== c) return;
    this.consumers.delete(c.name);
    this.dirtySet.delete(c);
    c.stop(true);
    const store = this.stores.get(c);
    this.stores.delete(c);
    if (store) await store.delete();
    else this.files?.remove(c.name);
    if (advisory) this.actionAdvisory(c, "delete");
    // On an interest stream, messages only this consumer held back go now (Go's
    // cleanupNoInterestMessages); a work queue keeps them for the next consumer.
    if (this.host.config.retention === "interest") this.dropUninteresting(c);
  }

  /** Removes messages from `from` (the consumer's ack floor) on that no consumer needs any more. */
  private dropUninteresting(from: Consumer): void {
    const store = this.host.store;
    const st = store.fastState();
    if (this.consumers.size === 0) {
      store.purge();
      return;
    }
    const start = Math.max(from.acks.asflr, st.firstSeq, 1);
    // Go hands very long ranges to a background check instead of scanning them here.
    if (st.lastSeq - start > 100_000) return;
    for (let seq = start; seq <= st.lastSeq; seq++) {
      try {
        if (this.interestDone(seq)) store.removeMsg(seq);
      } catch {
        // already gone
      }
    }
  }

  private actionAdvisory(c: Consumer, action: "create" | "delete"): void {
    c.advisory(action === "create" ? "created" : "deleted", () => ({ action }));
  }

  private released(c: Consumer, seqs: number[]): void {
    const retention = this.host.config.retention;
    const store = this.host.store;
    for (const seq of seqs) {
      // A message the stream already dropped (limits, purge) has nothing left to decide.
      try {
        let drop = true;
        if (retention === "workqueue") {
          for (const other of this.consumers.values()) {
            if (other !== c && other.needsAck(seq, () => store.subjectForSeq(seq))) drop = false;
          }
        } else {
          drop = this.interestDone(seq);
        }
        if (drop) store.removeMsg(seq);
      } catch {
        // already gone
      }
    }
  }

  // ---- persistence ----------------------------------------------------------------------

  private recover(): void {
    if (!this.files) return;
    const warn = this.opts.warn ?? (() => undefined);
    const found = this.files.readAll((name, err) => warn(`consumer ${this.host.streamName} > ${name}: state not readable, consumer removed: ${String(err)}`));
    for (const { meta, store } of found) {
      try {
        const c = new Consumer(this.env, meta.name, meta.config, BigInt(meta.created));
        if (store.hasState()) c.acks.restore(store.state());
        else c.selectStart();
        const last = this.host.store.fastState().lastSeq;
        if (c.acks.sseq > last + 1) c.acks.sseq = last + 1;
        this.consumers.set(c.name, c);
        this.stores.set(c, store);
        c.start();
      } catch (e) {
        warn(`consumer ${this.host.streamName} > ${meta.name}: not recovered: ${String(e)}`);
      }
    }
  }

  /**
   * Durable state goes to disk unless the stream or the consumer lives in memory. Direct
   * consumers (the ones mirrors and sources read through) have no store in Go: they do not
   * outlive the server, and the mirror sets up a new one after a restart.
   */
  private openStore(c: Consumer): void {
    if (!this.files || c.cfg.mem_storage || c.cfg.direct) return;
    const store = this.files.open({ name: c.name, created: c.created.toString(), config: c.cfg });
    this.stores.set(c, store);
    // a new durable is on disk at once, not only after the first batched write
    store.forceUpdate(c.acks.snapshot());
  }

  private markDirty(c: Consumer): void {
    if (!this.stores.has(c)) return;
    this.dirtySet.add(c);
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => this.flushPersist(), PERSIST_DELAY_MS);
    this.persistTimer.unref();
  }

  /** Config changed: rewrite the consumer's meta file. */
  private configChanged(c: Consumer): void {
    if (this.stores.has(c)) this.files!.writeMeta({ name: c.name, created: c.created.toString(), config: c.cfg });
  }

  private flushPersist(): void {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    for (const c of this.dirtySet) {
      const store = this.stores.get(c);
      if (!store || this.consumers.get(c.name) !== c) continue;
      try {
        store.forceUpdate(c.acks.snapshot());
      } catch (e) {
        (this.opts.warn ?? (() => undefined))(`consumer ${this.host.streamName} > ${c.name}: state not written: ${String(e)}`);
      }
    }
    this.dirtySet.clear();
  }
}

/** Go's setStaticConsumerMetadata: `_nats.req.level` says which API level the config needs. */
function setStaticMetadata(cfg: ConsumerConfigJson): void {
  const md = { ...(cfg.metadata ?? {}) };
  delete md["_nats.ver"];
  delete md["_nats.level"];
  let level = 0;
  if (cfg.pause_until) level = 1;
  if ((cfg.priority_policy && cfg.priority_policy !== "none") || cfg.priority_timeout || (cfg.priority_groups?.length ?? 0) > 0) level = 1;
  md["_nats.req.level"] = String(level);
  cfg.metadata = md;
}

/** A generated ephemeral name: 8 characters of [0-9A-Za-z], the length Go's createConsumerName gives. */
function randomName(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  let out = "";
  for (const b of randomBytes(8)) out += alphabet[b % 62];
  return out;
}

function rawText(request: unknown): string {
  if (request === undefined || request === null) return "";
  if (typeof request === "string") return request;
  if (request instanceof Uint8Array) return Buffer.from(request.buffer, request.byteOffset, request.length).toString();
  return JSON.stringify(request);
}

function jsonBody(request: unknown): Record<string, unknown> {
  if (request === undefined || request === null) return {};
  if (typeof request === "string" || request instanceof Uint8Array) {
    const text = rawText(request).trim();
    if (text === "") return {};
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch (e) {
      throw jsError("JSInvalidJSONErr", { err: (e as Error).message });
    }
    throw jsError("JSInvalidJSONErr", { err: "request is not a JSON object" });
  }
  if (typeof request === "object" && !Array.isArray(request)) return request as Record<string, unknown>;
  throw jsError("JSInvalidJSONErr", { err: "request is not a JSON object" });
}

function pagingOffset(request: unknown): number {
  const body = jsonBody(request);
  const off = typeof body.offset === "number" && body.offset > 0 ? Math.floor(body.offset) : 0;
  return off;
}
