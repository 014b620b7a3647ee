import type { Sublist } from "@nats-ts/core";
import { goTime } from "../format.js";
import type { MonitorContext } from "../context.js";
import { isLiteralSubject, matchLiteral } from "../subjects.js";
import { DEFAULT_LIST_SIZE, orderSubDetail, type SubDetailJson } from "./connz.js";

/** Options for /subsz and $SYS.REQ.*.SUBSZ (Go's SubszOptions). */
export interface SubszOptions {
  offset?: number;
  limit?: number;
  subscriptions?: boolean;
  account?: string;
  test?: string;
}

/** Go's SublistStats. */
export interface SublistStatsJson {
  num_subscriptions: number;
  num_cache: number;
  num_inserts: number;
  num_removes: number;
  num_matches: number;
  cache_hit_rate: number;
  max_fanout: number;
  avg_fanout: number;
}

/** Go's SublistStats for one or more sublists added together. */
export function sublistStats(lists: Sublist[]): SublistStatsJson {
  let subs = 0;
  let cache = 0;
  let inserts = 0;
  let removes = 0;
  let matches = 0;
  let hits = 0;
  for (const sl of lists) {
    subs += sl.count;
    cache += sl.cacheSize;
    inserts += sl.stats.inserts;
    removes += sl.stats.removes;
    matches += sl.stats.matches;
    hits += sl.stats.cacheHits;
  }
  return {
    num_subscriptions: subs,
    num_cache: cache,
    num_inserts: inserts,
    num_removes: removes,
    num_matches: matches,
    cache_hit_rate: matches > 0 ? hits / matches : 0,
    // Core's sublist does not expose its cached results, so fan-out is not measured yet.
    max_fanout: 0,
    avg_fanout: 0,
  };
}

/**
 * Go's Subsz(): sublist statistics, optionally with the subscriptions (paged, filtered).
 *
 * @example
 * const matching = subsz(monitor.context!, { subscriptions: true, test: "orders.new" });
 */
export function subsz(ctx: MonitorContext, opts: SubszOptions = {}): Record<string, unknown> {
  const offset = Math.max(0, opts.offset ?? 0);
  const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : DEFAULT_LIST_SIZE;
  const test = opts.test ?? "";
  if (test !== "" && !isLiteralSubject(test)) throw new Error(`invalid test subject, must be valid publish subject: ${test}`);
  const accounts = ctx.tracker
    .accounts()
    .filter((name) => opts.account === undefined || opts.account === "" || name === opts.account);
  const lists = accounts.map((name) => ctx.server.lookupAccount(name)!.sublist);
  const out: Record<string, unknown> = {
    server_id: ctx.server.id,
    now: goTime(new Date()),
    ...sublistStats(lists),
    total: 0,
    offset,
    limit,
  };
  if (opts.subscriptions) {
    const details: SubDetailJson[] = [];
    for (const name of accounts) {
      for (const sub of ctx.server.lookupAccount(name)!.sublist.all()) {
        if (test !== "" && !matchLiteral(test, sub.subject)) continue;
        const d: SubDetailJson = { account: name, subject: sub.subject, sid: sub.sid, msgs: sub.delivered, cid: sub.sink.cid };
        if (sub.queue !== undefined) d.qgroup = sub.queue;
        if (sub.max > 0) d.max = sub.max;
        details.push(orderSubDetail(d));
      }
    }
    const from = Math.min(offset, details.length);
    out.subscriptions_list = details.slice(from, from + Math.min(limit, details.length - from));
    out.total = details.length;
  }
  return out;
}
