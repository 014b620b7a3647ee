import type { MonitorContext } from "../context.js";
import { accountInfo, accountz, accstatz } from "../endpoints/accounts.js";
import { gatewayz, leafz, routez } from "../endpoints/cluster.js";
import { connz, type ConnState, type ConnzOptions } from "../endpoints/connz.js";
import { expvarz } from "../endpoints/expvarz.js";
import { healthz } from "../endpoints/healthz.js";
import { jsz, jszAccount, SkipRequest, type JszOptions } from "../endpoints/jsz.js";
import { subsz } from "../endpoints/subsz.js";
import { varz } from "../endpoints/varz.js";
import type { FieldSpec } from "./request-body.js";

type Body = Record<string, unknown>;

/** One $SYS request endpoint: Go's options struct and what it answers with. */
export interface RequestEndpoint {
  /** Go's options struct name, used in decode error texts. */
  struct: string;
  fields: FieldSpec[];
  run(ctx: MonitorContext, body: Body): unknown;
}

const f = (json: string, type: FieldSpec["type"]): FieldSpec => ({ json, type });
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const bool = (v: unknown) => v === true;
const leafzOptions = (b: Record<string, unknown>) => ({ subscriptions: bool(b.subscriptions), account: str(b.account) ?? "" });
const num = (v: unknown) => (typeof v === "number" ? v : undefined);
const STATES: ConnState[] = ["open", "closed", "any"];

const CONNZ_FIELDS = [
  f("sort", "string"), f("auth", "bool"), f("subscriptions", "bool"), f("subscriptions_detail", "bool"),
  f("offset", "int"), f("limit", "int"), f("cid", "uint"), f("mqtt_client", "string"), f("state", "int"),
  f("user", "string"), f("acc", "string"), f("filter_subject", "string"),
];
const SUBSZ_FIELDS = [f("offset", "int"), f("limit", "int"), f("subscriptions", "bool"), f("account", "string"), f("test", "string")];
const JSZ_FIELDS = [
  f("account", "string"), f("accounts", "bool"), f("streams", "bool"), f("consumer", "bool"), f("direct_consumer", "bool"),
  f("config", "bool"), f("leader_only", "bool"), f("offset", "int"), f("limit", "int"), f("raft", "bool"),
  f("stream_leader_only", "bool"),
];
const HEALTHZ_FIELDS = [
  f("js-enabled", "bool"), f("js-enabled-only", "bool"), f("js-server-only", "bool"), f("js-meta-only", "bool"),
  f("account", "string"), f("stream", "string"), f("consumer", "string"), f("details", "bool"),
];
const STATZ_FIELDS = [f("accounts", "strings"), f("include_unused", "bool")];

export function connzOptions(b: Body): ConnzOptions {
  return {
    sort: str(b.sort),
    auth: bool(b.auth),
    subscriptions: bool(b.subscriptions),
    subscriptionsDetail: bool(b.subscriptions_detail),
    offset: num(b.offset),
    limit: num(b.limit),
    cid: num(b.cid),
    mqttClient: str(b.mqtt_client),
    state: STATES[num(b.state) ?? 0] ?? "open",
    user: str(b.user),
    account: str(b.acc),
    filterSubject: str(b.filter_subject),
  };
}

function jszOptions(b: Body): JszOptions {
  return {
    account: str(b.account),
    accounts: bool(b.accounts),
    streams: bool(b.streams),
    consumers: bool(b.consumer),
    config: bool(b.config),
    leaderOnly: bool(b.leader_only),
    offset: num(b.offset),
    limit: num(b.limit),
    raft: bool(b.raft),
    streamLeaderOnly: bool(b.stream_leader_only),
  };
}

/** $SYS.REQ.SERVER.<id>.<name> and $SYS.REQ.SERVER.PING.<name> (STATSZ and IDZ are answered unwrapped elsewhere). */
export const SERVER_ENDPOINTS: Record<string, RequestEndpoint> = {
  VARZ: { struct: "VarzEventOptions", fields: [], run: (ctx) => varz(ctx) },
  SUBSZ: {
    struct: "SubszEventOptions",
    fields: SUBSZ_FIELDS,
    run: (ctx, b) => subsz(ctx, { offset: num(b.offset), limit: num(b.limit), subscriptions: bool(b.subscriptions), account: str(b.account), test: str(b.test) }),
  },
  CONNZ: { struct: "ConnzEventOptions", fields: CONNZ_FIELDS, run: (ctx, b) => connz(ctx, connzOptions(b)) },
  ROUTEZ: {
    struct: "RoutezEventOptions",
    fields: [f("subscriptions", "bool"), f("subscriptions_detail", "bool")],
    run: (ctx, b) => routez(ctx, { subscriptions: bool(b.subscriptions), subscriptionsDetail: bool(b.subscriptions_detail) }),
  },
  GATEWAYZ: {
    struct: "GatewayzEventOptions",
    fields: [f("name", "string"), f("accounts", "bool"), f("account_name", "string"), f("subscriptions", "bool"), f("subscriptions_detail", "bool")],
    run: (ctx, b) =>
      gatewayz(ctx, {
        name: str(b.name) ?? "",
        accounts: bool(b.accounts),
        accountName: str(b.account_name) ?? "",
        subscriptions: bool(b.subscriptions),
        subscriptionsDetail: bool(b.subscriptions_detail),
      }),
  },
  LEAFZ: { struct: "LeafzEventOptions", fields: [f("subscriptions", "bool"), f("account", "string")], run: (ctx, b) => leafz(ctx, leafzOptions(b)) },
  ACCOUNTZ: { struct: "AccountzEventOptions", fields: [f("account", "string")], run: (ctx, b) => accountz(ctx, str(b.account) ?? "") },
  JSZ: { struct: "JszEventOptions", fields: JSZ_FIELDS, run: (ctx, b) => jsz(ctx, jszOptions(b)) },
  HEALTHZ: {
    struct: "HealthzEventOptions",
    fields: HEALTHZ_FIELDS,
    run: (ctx, b) =>
      healthz(ctx, {
        jsEnabledOnly: bool(b["js-enabled-only"]) || bool(b["js-enabled"]),
        jsServerOnly: bool(b["js-server-only"]),
        jsMetaOnly: bool(b["js-meta-only"]),
        account: str(b.account),
        stream: str(b.stream),
        consumer: str(b.consumer),
        details: bool(b.details),
      }),
  },
  EXPVARZ: { struct: "ExpvarzEventOptions", fields: [], run: () => expvarz() },
};

/** Account statistics for one account, skipped (no answer) when unused unless asked for. */
function accountStatz(ctx: MonitorContext, account: string, b: Body) {
  if (account === "PING") throw new SkipRequest();
  const stz = accstatz(ctx, { accounts: [account], includeUnused: bool(b.include_unused) });
  if (stz.account_statz.length === 0 && !bool(b.include_unused)) throw new SkipRequest();
  return stz;
}

/** An endpoint answered for the account its subject names: $SYS.REQ.ACCOUNT.<acc>.<name>. */
export interface AccountRequestEndpoint {
  struct: string;
  fields: FieldSpec[];
  run(ctx: MonitorContext, account: string, body: Body): unknown;
}

/** $SYS.REQ.ACCOUNT.<acc>.<name> (CONNS is answered as an event elsewhere). */
export const ACCOUNT_ENDPOINTS: Record<string, AccountRequestEndpoint> = {
  SUBSZ: {
    struct: "SubszEventOptions",
    fields: SUBSZ_FIELDS,
    run: (ctx, account, b) => subsz(ctx, { offset: num(b.offset), limit: num(b.limit), subscriptions: true, account, test: str(b.test) }),
  },
  CONNZ: { struct: "ConnzEventOptions", fields: CONNZ_FIELDS, run: (ctx, account, b) => connz(ctx, { ...connzOptions(b), account }) },
  LEAFZ: {
    struct: "LeafzEventOptions",
    fields: [f("subscriptions", "bool"), f("account", "string")],
    run: (ctx, account, b) => leafz(ctx, { ...leafzOptions(b), account }),
  },
  JSZ: { struct: "JszEventOptions", fields: JSZ_FIELDS, run: (ctx, account, b) => jszAccount(ctx, { ...jszOptions(b), account }) },
  INFO: { struct: "AccInfoEventOptions", fields: [], run: (ctx, account) => accountInfo(ctx, account) },
  STATZ: { struct: "AccountStatzEventOptions", fields: STATZ_FIELDS, run: accountStatz },
};

/** $SYS.REQ.ACCOUNT.PING.STATZ: every account's statistics (unused ones only when asked). */
export const ACCOUNT_PING_STATZ: RequestEndpoint = {
  struct: "AccountStatzEventOptions",
  fields: STATZ_FIELDS,
  run: (ctx, b) => {
    const accounts = Array.isArray(b.accounts) ? (b.accounts as string[]) : undefined;
    const stz = accstatz(ctx, { accounts, includeUnused: bool(b.include_unused) });
    if (stz.account_statz.length === 0 && !bool(b.include_unused)) throw new SkipRequest();
    return stz;
  },
};
