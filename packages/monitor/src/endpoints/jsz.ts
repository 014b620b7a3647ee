import { goTime } from "../format.js";
import type { MonitorContext } from "../context.js";
import type { JetStreamAccountJson, JetStreamStatsJson } from "../jetstream-provider.js";

/** Options for /jsz and $SYS.REQ.*.JSZ (Go's JSzOptions). */
export interface JszOptions {
  account?: string;
  accounts?: boolean;
  streams?: boolean;
  consumers?: boolean;
  config?: boolean;
  leaderOnly?: boolean;
  offset?: number;
  limit?: number;
  raft?: boolean;
  streamLeaderOnly?: boolean;
}

/** Thrown when a request does not apply to this server and gets no answer (Go's errSkipZreq). */
export class SkipRequest extends Error {
  constructor(why?: string) {
    super(why === undefined ? "filtered response" : `filtered response: ${why}`);
    this.name = "SkipRequest";
  }
}

const ZERO_STATS: JetStreamStatsJson = {
  memory: 0,
  storage: 0,
  reserved_memory: 0,
  reserved_storage: 0,
  accounts: 0,
  ha_assets: 0,
  api: { total: 0, errors: 0 },
};

/**
 * Go's Jsz(): JetStream totals, optionally per account with streams and consumers.
 *
 * @example
 * const detail = jsz(monitor.context!, { consumers: true, config: true });
 */
export function jsz(ctx: MonitorContext, input: JszOptions = {}): Record<string, unknown> {
  const opts: JszOptions = { ...input };
  opts.offset = Math.max(0, opts.offset ?? 0);
  if (opts.limit === undefined || opts.limit === 0) opts.limit = 1024;
  if (opts.consumers) opts.streams = true;
  if (opts.streams && (opts.account ?? "") === "") opts.accounts = true;
  const base = { server_id: ctx.server.id, now: goTime(new Date()) };
  const js = ctx.jetstream;
  if (js === undefined) {
    if (!ctx.jetstreamRunning && opts.leaderOnly) throw new SkipRequest("not leader");
    // JetStream off, or running without statistics for monitoring yet: Go's shape with zeros.
    const disabled = ctx.jetstreamRunning ? {} : { disabled: true };
    return { ...ZERO_STATS, ...base, ...disabled, config: { max_memory: 0, max_storage: 0 }, streams: 0, consumers: 0, messages: 0, bytes: 0, total: 0 };
  }
  let accounts = js.jetStreamAccounts();
  let streams = 0;
  let consumers = 0;
  let messages = 0;
  let bytes = 0;
  for (const a of accounts) {
    streams += a.streams.length;
    for (const s of a.streams) {
      messages += s.state.messages;
      bytes += s.state.bytes;
      consumers += s.state.consumer_count;
    }
  }
  const out: Record<string, unknown> = {
    ...js.jetStreamStats(),
    ...base,
    config: js.jetStreamConfig(),
    streams,
    consumers,
    messages,
    bytes,
    total: accounts.length,
  };
  const target = accounts.find((a) => a.name === opts.account);
  if (target !== undefined) accounts = [target];
  else if (opts.accounts) {
    accounts = [...accounts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    accounts = accounts.slice(Math.min(opts.offset, accounts.length)).slice(0, opts.limit);
  } else accounts = [];
  if (accounts.length > 0) out.account_details = accounts.map((a) => accountDetail(a, opts));
  return out;
}

/** Go's JszAccount(): one account's JetStream detail ($SYS.REQ.ACCOUNT.<acc>.JSZ). */
export function jszAccount(ctx: MonitorContext, opts: JszOptions): Record<string, unknown> {
  const js = ctx.jetstream;
  if (js === undefined) throw new Error("jetstream not enabled");
  const name = opts.account ?? "";
  if (ctx.server.lookupAccount(name) === undefined) throw new Error(`account ${JSON.stringify(name)} not found`);
  const acc = js.jetStreamAccounts().find((a) => a.name === name);
  if (acc === undefined) throw new Error(`account ${JSON.stringify(name)} not jetstream enabled`);
  return accountDetail(acc, { ...opts, streams: opts.streams || opts.consumers });
}

function accountDetail(a: JetStreamAccountJson, opts: JszOptions): Record<string, unknown> {
  const detail: Record<string, unknown> = { name: a.name, id: a.name, ...a.stats };
  if (!opts.streams) return detail;
  detail.stream_detail = a.streams.map((s) => {
    const sd: Record<string, unknown> = { name: s.name, created: s.created };
    if (s.cluster !== undefined) sd.cluster = s.cluster;
    if (opts.config) sd.config = s.config;
    sd.state = s.state;
    if (opts.consumers && s.consumers.length > 0) {
      sd.consumer_detail = s.consumers.map((c) => {
        if (opts.config) return c;
        const { config: _config, ...rest } = c;
        return rest;
      });
    }
    return sd;
  });
  return detail;
}
