import type { ConnState, ConnzOptions } from "./endpoints/connz.js";
import type { HealthzOptions } from "./endpoints/healthz.js";
import type { JszOptions } from "./endpoints/jsz.js";
import type { SubszOptions } from "./endpoints/subsz.js";
import { Query, QueryError } from "./query.js";

/** /connz query parameters, decoded in Go's order (so the first bad one is the one reported). */
export function connzQuery(q: Query): ConnzOptions {
  const sort = q.get("sort");
  const auth = q.bool("auth");
  const { subs, detail } = subsQuery(q);
  const offset = q.int("offset");
  const limit = q.int("limit");
  const cid = q.uint("cid");
  const state = stateQuery(q);
  return {
    sort,
    auth,
    subscriptions: subs,
    subscriptionsDetail: detail,
    offset,
    limit,
    cid,
    state,
    user: q.get("user"),
    account: q.get("acc"),
    mqttClient: q.get("mqtt_client"),
  };
}

/** `subs=detail` or a boolean (Go's decodeSubs). */
export function subsQuery(q: Query): { subs: boolean; detail: boolean } {
  if (q.get("subs").toLowerCase() === "detail") return { subs: false, detail: true };
  return { subs: q.bool("subs"), detail: false };
}

function stateQuery(q: Query): ConnState {
  const s = q.get("state");
  if (s === "") return "open";
  switch (s.toLowerCase()) {
    case "open":
      return "open";
    case "closed":
      return "closed";
    case "any":
    case "all":
      return "any";
  }
  throw new QueryError(`Error decoding state for ${s}`);
}

export function subszQuery(q: Query): SubszOptions {
  const subscriptions = q.bool("subs");
  const offset = q.int("offset");
  const limit = q.int("limit");
  return { subscriptions, offset, limit, test: q.get("test"), account: q.get("acc") };
}

export function jszQuery(q: Query): JszOptions {
  const accounts = q.bool("accounts");
  const streams = q.bool("streams");
  const consumers = q.bool("consumers");
  q.bool("direct-consumers");
  const config = q.bool("config");
  const offset = q.int("offset");
  const limit = q.int("limit");
  const leaderOnly = q.bool("leader-only");
  const raft = q.bool("raft");
  const streamLeaderOnly = q.bool("stream-leader-only");
  return { account: q.get("acc"), accounts, streams, consumers, config, offset, limit, leaderOnly, raft, streamLeaderOnly };
}

export function healthzQuery(q: Query): HealthzOptions {
  const jsEnabled = q.bool("js-enabled");
  const jsEnabledOnly = q.bool("js-enabled-only");
  const jsServerOnly = q.bool("js-server-only");
  const jsMetaOnly = q.bool("js-meta-only");
  const details = q.bool("details");
  return {
    jsEnabledOnly: jsEnabledOnly || jsEnabled,
    jsServerOnly,
    jsMetaOnly,
    details,
    account: q.get("account"),
    stream: q.get("stream"),
    consumer: q.get("consumer"),
  };
}
