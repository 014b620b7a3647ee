import type { Account } from "@nats-ts/core";
import { goTime } from "../format.js";
import type { MonitorContext } from "../context.js";
import type { AccountUsage } from "../tracker.js";
import { sublistStats } from "./subsz.js";

/** Options for /accstatz and $SYS.REQ.ACCOUNT.PING.STATZ (Go's AccountStatzOptions). */
export interface AccountStatzOptions {
  accounts?: string[];
  includeUnused?: boolean;
}

/** Go's DataStats as account statistics carry it (Go 2.10+ adds the per-link breakdown). */
export interface DataStatsJson {
  msgs: number;
  bytes: number;
  gateways: { msgs: number; bytes: number };
  routes: { msgs: number; bytes: number };
  leafs: { msgs: number; bytes: number };
}

function dataStats(msgs: number, bytes: number): DataStatsJson {
  // Everything is client traffic until routes, gateways and leaf nodes exist.
  return { msgs, bytes, gateways: { msgs: 0, bytes: 0 }, routes: { msgs: 0, bytes: 0 }, leafs: { msgs: 0, bytes: 0 } };
}

/** Go's AccountStat. */
export interface AccountStatJson {
  acc: string;
  name: string;
  conns: number;
  leafnodes: number;
  total_conns: number;
  num_subscriptions: number;
  sent: DataStatsJson;
  received: DataStatsJson;
  slow_consumers: number;
}

export function accountStat(u: AccountUsage): AccountStatJson {
  return {
    acc: u.name,
    name: u.name,
    conns: u.conns,
    leafnodes: 0,
    total_conns: u.totalConns,
    num_subscriptions: u.numSubs,
    // Sent is what the server delivered to the account's clients, received what they published.
    sent: dataStats(u.traffic.outMsgs, u.traffic.outBytes),
    received: dataStats(u.traffic.inMsgs, u.traffic.inBytes),
    slow_consumers: u.slowConsumers,
  };
}

/**
 * Go's AccountStatz(): per-account connection and traffic counters.
 *
 * @example
 * const { account_statz } = accstatz(monitor.context!, { accounts: ["APP"], includeUnused: true });
 */
export function accstatz(ctx: MonitorContext, opts: AccountStatzOptions = {}) {
  const names = opts.accounts !== undefined && opts.accounts.length > 0 ? opts.accounts : ctx.tracker.accounts();
  const list: AccountStatJson[] = [];
  for (const name of names) {
    const u = ctx.tracker.usage(name);
    if (u !== undefined && (opts.includeUnused || u.conns > 0)) list.push(accountStat(u));
  }
  return { server_id: ctx.server.id, now: goTime(new Date()), account_statz: list };
}

/** Go's Accountz(): the account names, or one account's detail. */
export function accountz(ctx: MonitorContext, account = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {
    server_id: ctx.server.id,
    now: goTime(new Date()),
    system_account: ctx.server.systemAccount.name,
  };
  if (account === "") out.accounts = ctx.tracker.accounts();
  else out.account_detail = accountInfo(ctx, account);
  return out;
}

/** Go's AccountInfo for one account; throws Go's text when it does not exist. */
export function accountInfo(ctx: MonitorContext, name: string): Record<string, unknown> {
  const acc = ctx.server.lookupAccount(name);
  const usage = ctx.tracker.usage(name);
  if (acc === undefined || usage === undefined) throw new Error(`Account ${name} does not exist`);
  const isSystem = acc === ctx.server.systemAccount;
  const js = ctx.jetstream;
  const info: Record<string, unknown> = {
    account_name: name,
    update_time: goTime(ctx.tracker.startTime),
  };
  if (isSystem) info.is_system = true;
  Object.assign(info, {
    expired: false,
    complete: true,
    jetstream_enabled: js !== undefined && js.jetStreamAccounts().some((a) => a.name === name),
    leafnode_connections: 0,
    client_connections: usage.conns,
    subscriptions: usage.numSubs,
    // Core's SubjectMappings does not list its entries yet.
    mappings: {},
    exports: exportsOf(acc),
    imports: importsOf(acc),
    sublist_stats: sublistStats([acc.sublist]),
    responses: {},
  });
  return info;
}

/** Go's ExtExport list: service exports then stream exports. */
function exportsOf(acc: Account): Record<string, unknown>[] {
  const plan = acc.plan;
  if (plan === undefined) return [];
  const approved = (accounts: ReadonlySet<string> | undefined) => (accounts === undefined ? [] : [...accounts]);
  return [
    ...plan.serviceExports.map((e) => ({ subject: e.subject, type: "service", response_type: e.responseType, approved_accounts: approved(e.accounts) })),
    ...plan.streamExports.map((e) => ({ subject: e.subject, type: "stream", approved_accounts: approved(e.accounts) })),
  ];
}

/** Go's ExtImport list: stream imports then service imports. */
function importsOf(acc: Account): Record<string, unknown>[] {
  const plan = acc.plan;
  if (plan === undefined) return [];
  return [
    ...plan.streamImports.map((i) => ({ subject: i.subject, account: i.from, local_subject: i.localSubject, type: "stream", invalid: false, share: false, tracking: false })),
    ...plan.serviceImports.map((i) => ({ subject: i.subject, account: i.from, to: i.to, local_subject: i.to, type: "service", invalid: false, share: false, tracking: false })),
  ];
}
