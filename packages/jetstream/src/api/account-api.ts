import type { JsAccount } from "../account/js-account.js";
import { JS_API_LEVEL } from "../stream/metadata.js";
import type { ApiRequest } from "./stream-api.js";

/** Go's JetStreamAccountStats for an account (the body of `$JS.API.INFO`). */
export function accountStats(jsa: JsAccount, domain: string | undefined): Record<string, unknown> {
  const usage = jsa.usage();
  const reserved = jsa.reserved();
  const out: Record<string, unknown> = {
    memory: usage.memory,
    storage: usage.storage,
    reserved_memory: reserved.memory,
    reserved_storage: reserved.storage,
    streams: jsa.streams.size,
    consumers: jsa.consumerCount(),
    limits: { ...jsa.limits },
  };
  if (domain) out.domain = domain;
  out.api = { level: JS_API_LEVEL, total: jsa.apiTotal, errors: jsa.apiErrors };
  return out;
}

export function accountInfo(req: ApiRequest): Record<string, unknown> {
  return accountStats(req.jsa, req.jsa.domain);
}
