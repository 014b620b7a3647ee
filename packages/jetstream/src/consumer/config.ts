import { isLiteralSubject, isValidSubject, subjectIsSubsetMatch } from "@nats-ts/wire";
import { parseRfc3339 } from "../util/time.js";
import { jsError, type ApiError } from "./errors.js";

/** Go's ConsumerConfig in its JSON spelling. Durations are integer nanoseconds, times RFC 3339. */
export interface ConsumerConfigJson {
  durable_name?: string;
  name?: string;
  description?: string;
  deliver_policy: DeliverPolicy;
  opt_start_seq?: number;
  opt_start_time?: string;
  ack_policy: AckPolicy;
  ack_wait?: number;
  max_deliver?: number;
  backoff?: number[];
  filter_subject?: string;
  filter_subjects?: string[];
  replay_policy: ReplayPolicy;
  rate_limit_bps?: number;
  sample_freq?: string;
  max_waiting?: number;
  max_ack_pending?: number;
  flow_control?: boolean;
  headers_only?: boolean;
  max_batch?: number;
  max_expires?: number;
  max_bytes?: number;
  deliver_subject?: string;
  deliver_group?: string;
  idle_heartbeat?: number;
  inactive_threshold?: number;
  num_replicas: number;
  mem_storage?: boolean;
  direct?: boolean;
  metadata?: Record<string, string>;
  pause_until?: string;
  priority_groups?: string[];
  priority_policy?: PriorityPolicy;
  priority_timeout?: number;
}

export type DeliverPolicy = "all" | "last" | "new" | "by_start_sequence" | "by_start_time" | "last_per_subject";
export type AckPolicy = "none" | "all" | "explicit";
export type ReplayPolicy = "instant" | "original";
export type PriorityPolicy = "none" | "overflow" | "pinned_client" | "prioritized";

/** What consumer code reads from the parent stream's config (Go StreamConfig JSON names). */
export interface StreamConfigView {
  name: string;
  subjects?: string[];
  retention?: string;
  max_consumers?: number;
  max_msgs_per_subject?: number;
  num_replicas?: number;
  consumer_limits?: { inactive_threshold?: number; max_ack_pending?: number };
}

/** Server and account limits that bound consumer configs (Go JSLimitOpts / account limits). */
export interface ConsumerLimits {
  maxAckPending?: number;
  maxRequestBatch?: number;
}

const NS_PER_MS = 1_000_000;
const SECOND = 1_000 * NS_PER_MS;
export const DEFAULT_ACK_WAIT = 30 * SECOND;
export const DEFAULT_MAX_ACK_PENDING = 1000;
export const DEFAULT_MAX_WAITING = 512;
export const DEFAULT_PINNED_TTL = 120 * SECOND;
/** Ephemeral consumers without an inactive_threshold go away this long after losing interest. */
export const DEFAULT_EPHEMERAL_INACTIVITY = 5 * SECOND;
export const MAX_DESCRIPTION_LEN = 4 * 1024;
export const MAX_METADATA_LEN = 128 * 1024;
export const MAX_NAME_LEN = 255;

const DELIVER_POLICIES = new Set<string>(["all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"]);
const ACK_POLICIES = new Set<string>(["none", "all", "explicit"]);
const REPLAY_POLICIES = new Set<string>(["instant", "original"]);
const PRIORITY_POLICIES = new Set<string>(["none", "overflow", "pinned_client", "prioritized", ""]);
const GROUP_NAME = /^[a-zA-Z0-9/_=-]{1,16}$/;

/** Go's isValidAssetName: no whitespace, '.', '*', '>', '\\' or '/'. */
export function isValidAssetName(name: string): boolean {
  return name !== "" && !/[ \t\r\n\f.*>\\/]/.test(name);
}

/** The consumer's filters as one list (Go gatherSubjectFilters). */
export function filtersOf(cfg: Pick<ConsumerConfigJson, "filter_subject" | "filter_subjects">): string[] {
  if (cfg.filter_subjects && cfg.filter_subjects.length > 0) return [...cfg.filter_subjects];
  return cfg.filter_subject ? [cfg.filter_subject] : [];
}

export function isDurable(cfg: ConsumerConfigJson): boolean {
  return !!cfg.durable_name;
}

export function isPush(cfg: ConsumerConfigJson): boolean {
  return !!cfg.deliver_subject;
}

/**
 * Turns a request's `config` object into a typed config, rejecting values whose JSON type
 * or enum spelling Go's unmarshalling would refuse (answered as invalid JSON, like Go).
 */
export function parseConsumerConfig(raw: unknown): ConsumerConfigJson {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw jsError("JSConsumerConfigRequiredErr");
  const cfg = { ...(raw as Record<string, unknown>) } as Record<string, unknown>;
  const bad = (msg: string): never => {
    throw jsError("JSInvalidJSONErr", { err: msg });
  };
  const enumField = (key: string, allowed: Set<string>, dflt: string) => {
    const v = cfg[key];
    if (v === undefined || v === null || v === "") {
      cfg[key] = dflt;
      return;
    }
    if (typeof v !== "string" || !allowed.has(v)) bad(`can not unmarshal ${JSON.stringify(v)} into ${key}`);
  };
  enumField("deliver_policy", DELIVER_POLICIES, "all");
  enumField("ack_policy", ACK_POLICIES, "none");
  enumField("replay_policy", REPLAY_POLICIES, "instant");
  if (cfg.priority_policy !== undefined && (typeof cfg.priority_policy !== "string" || !PRIORITY_POLICIES.has(cfg.priority_policy))) {
    bad(`unknown priority policy: ${JSON.stringify(cfg.priority_policy)}`);
  }
  if (cfg.priority_policy === "") delete cfg.priority_policy;
  for (const key of [
    "opt_start_seq", "ack_wait", "max_deliver", "rate_limit_bps", "max_waiting", "max_ack_pending", "max_batch",
    "max_expires", "max_bytes", "idle_heartbeat", "inactive_threshold", "num_replicas", "priority_timeout",
  ]) {
    const v = cfg[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isInteger(v)) bad(`json: cannot unmarshal ${typeof v} into Go struct field ConsumerConfig.${key}`);
  }
  for (const key of ["durable_name", "name", "description", "filter_subject", "deliver_subject", "deliver_group", "sample_freq"]) {
    const v = cfg[key];
    if (v !== undefined && v !== null && typeof v !== "string") bad(`json: cannot unmarshal ${typeof v} into Go struct field ConsumerConfig.${key} of type string`);
  }
  for (const key of ["opt_start_time", "pause_until"]) {
    const v = cfg[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string" || parseRfc3339(v) === undefined) bad(`parsing time ${JSON.stringify(v)} as RFC 3339`);
  }
  for (const key of ["backoff", "filter_subjects", "priority_groups"]) {
    const v = cfg[key];
    if (v !== undefined && v !== null && !Array.isArray(v)) bad(`json: cannot unmarshal into Go struct field ConsumerConfig.${key}`);
  }
  if (Array.isArray(cfg.backoff) && cfg.backoff.some((d) => typeof d !== "number")) bad("json: cannot unmarshal backoff");
  if (cfg.metadata !== undefined && cfg.metadata !== null && (typeof cfg.metadata !== "object" || Array.isArray(cfg.metadata))) {
    bad("json: cannot unmarshal metadata");
  }
  for (const key of Object.keys(cfg)) if (cfg[key] === null) delete cfg[key];
  cfg.num_replicas ??= 0;
  return cfg as unknown as ConsumerConfigJson;
}

/** Go's setConsumerConfigDefaults (non-pedantic path plus the pedantic errors). */
export function applyConsumerDefaults(cfg: ConsumerConfigJson, stream: StreamConfigView, lim: ConsumerLimits = {}, pedantic = false): void {
  const pedanticErr = (msg: string): ApiError => jsError("JSPedanticErrF", { err: msg });
  const clampNeg = (key: keyof ConsumerConfigJson, msg: string) => {
    const v = cfg[key] as number | undefined;
    if (v !== undefined && v < 0) {
      if (pedantic) throw pedanticErr(msg);
      (cfg as unknown as Record<string, number>)[key] = 0;
    }
  };
  if (!cfg.max_deliver || cfg.max_deliver < -1) {
    if (pedantic && (cfg.max_deliver ?? 0) < -1) throw pedanticErr("max_deliver must be set to -1");
    cfg.max_deliver = -1;
  }
  clampNeg("max_waiting", "max_waiting must not be negative");
  if ((cfg.max_ack_pending ?? 0) < -1) {
    if (pedantic) throw pedanticErr("max_ack_pending must be set to -1");
    cfg.max_ack_pending = -1;
  }
  clampNeg("max_batch", "max_batch must not be negative");
  clampNeg("max_expires", "max_expires must not be negative");
  clampNeg("max_bytes", "max_bytes must not be negative");
  clampNeg("idle_heartbeat", "idle_heartbeat must not be negative");
  clampNeg("inactive_threshold", "inactive_threshold must not be negative");
  clampNeg("priority_timeout", "priority_timeout must not be negative");

  if (!cfg.deliver_subject && !cfg.max_waiting) cfg.max_waiting = DEFAULT_MAX_WAITING;
  if (!cfg.ack_wait && (cfg.ack_policy === "explicit" || cfg.ack_policy === "all")) cfg.ack_wait = DEFAULT_ACK_WAIT;
  if (cfg.backoff && cfg.backoff.length > 0) {
    if (pedantic && cfg.ack_wait !== cfg.backoff[0]) throw pedanticErr("first backoff value has to equal batch AckWait");
    cfg.ack_wait = cfg.backoff[0];
  }
  const streamLimits = stream.consumer_limits ?? {};
  if (!cfg.max_ack_pending) {
    if (pedantic && (streamLimits.max_ack_pending ?? 0) > 0) throw pedanticErr("max_ack_pending must be set if it's configured in stream limits");
    if (streamLimits.max_ack_pending) cfg.max_ack_pending = streamLimits.max_ack_pending;
  }
  if (!cfg.inactive_threshold) {
    if (pedantic && (streamLimits.inactive_threshold ?? 0) > 0) throw pedanticErr("inactive_threshold must be set if it's configured in stream limits");
    if (streamLimits.inactive_threshold) cfg.inactive_threshold = streamLimits.inactive_threshold;
  }
  if (!cfg.max_ack_pending && cfg.ack_policy !== "none") {
    let ackPending = DEFAULT_MAX_ACK_PENDING;
    if (lim.maxAckPending && lim.maxAckPending > 0 && lim.maxAckPending < ackPending) ackPending = lim.maxAckPending;
    cfg.max_ack_pending = ackPending;
  }
  if (!cfg.deliver_subject && !cfg.max_batch && (lim.maxRequestBatch ?? 0) > 0) {
    if (pedantic) throw pedanticErr("max_request_batch must be set if it's JetStream limits are set");
    cfg.max_batch = lim.maxRequestBatch;
  }
  if (cfg.priority_policy === "pinned_client" && !cfg.priority_timeout) cfg.priority_timeout = DEFAULT_PINNED_TTL;
}

function startConflict(dp: string, start: string): ApiError {
  return jsError("JSConsumerInvalidPolicyErrF", { err: `consumer delivery policy is deliver ${dp}, but optional start ${start} is also set` });
}

function startMissing(dp: string, missing: string): ApiError {
  return jsError("JSConsumerInvalidPolicyErrF", { err: `consumer delivery policy is deliver ${dp}, but optional ${missing} is not set` });
}

/** Go's checkConsumerCfg, in the same order so the first error reported matches. */
export function checkConsumerConfig(cfg: ConsumerConfigJson, stream: StreamConfigView, lim: ConsumerLimits = {}, recovering = false): void {
  if (cfg.name && !isValidAssetName(cfg.name)) {
    throw jsError("JSStreamInvalidConfigF", { err: "consumer name can not contain '.', '*', '>', '\\', '/'" });
  }
  if (cfg.durable_name && !isValidAssetName(cfg.durable_name)) {
    throw jsError("JSStreamInvalidConfigF", { err: "consumer durable name can not contain '.', '*', '>', '\\', '/'" });
  }
  const streamReplicas = stream.num_replicas || 1;
  if (cfg.num_replicas > 0 && cfg.num_replicas > streamReplicas) throw jsError("JSConsumerReplicasExceedsStream");
  if (cfg.num_replicas < 0) throw jsError("JSReplicasCountCannotBeNegative");
  if ((stream.retention === "interest" || stream.retention === "workqueue") && !recovering && cfg.num_replicas !== 0 && cfg.num_replicas !== streamReplicas) {
    throw jsError("JSConsumerReplicasShouldMatchStream");
  }
  if (!ACK_POLICIES.has(cfg.ack_policy)) throw jsError("JSConsumerAckPolicyInvalidErr");
  if (!REPLAY_POLICIES.has(cfg.replay_policy)) throw jsError("JSConsumerReplayPolicyInvalidErr");
  for (const b of cfg.backoff ?? []) if (b < 0) throw jsError("JSConsumerBackOffNegativeErr");
  if ((cfg.ack_wait ?? 0) < 0) throw jsError("JSConsumerAckWaitNegativeErr");
  const lbo = cfg.backoff?.length ?? 0;
  if (lbo > 0 && cfg.max_deliver !== -1 && lbo > (cfg.max_deliver ?? 0)) throw jsError("JSConsumerMaxDeliverBackoffErr");
  if (Buffer.byteLength(cfg.description ?? "") > MAX_DESCRIPTION_LEN) throw jsError("JSConsumerDescriptionTooLongErrF", { max: MAX_DESCRIPTION_LEN });

  if (cfg.deliver_subject) {
    if (!isLiteralSubject(cfg.deliver_subject)) throw jsError("JSConsumerDeliverToWildcardsErr");
    if (!isValidSubject(cfg.deliver_subject)) throw jsError("JSConsumerInvalidDeliverSubject");
    if ((stream.subjects ?? []).some((s) => subjectIsSubsetMatch(cfg.deliver_subject!, s))) throw jsError("JSConsumerDeliverCycleErr");
    if (cfg.max_waiting) throw jsError("JSConsumerPushMaxWaitingErr");
    if ((cfg.max_ack_pending ?? 0) > 0 && cfg.ack_policy === "none") throw jsError("JSConsumerMaxPendingAckPolicyRequiredErr");
    if ((cfg.idle_heartbeat ?? 0) > 0 && cfg.idle_heartbeat! < 100 * NS_PER_MS) throw jsError("JSConsumerSmallHeartbeatErr");
  } else {
    if (cfg.ack_policy === "none" && stream.retention === "workqueue") throw jsError("JSConsumerPullRequiresAckErr");
    if ((cfg.rate_limit_bps ?? 0) > 0) throw jsError("JSConsumerPullWithRateLimitErr");
    if ((cfg.max_waiting ?? 0) < 0) throw jsError("JSConsumerMaxWaitingNegativeErr");
    if ((cfg.idle_heartbeat ?? 0) > 0) throw jsError("JSConsumerHBRequiresPushErr");
    if (cfg.flow_control) throw jsError("JSConsumerFCRequiresPushErr");
    if ((cfg.max_batch ?? 0) < 0) throw jsError("JSConsumerMaxRequestBatchNegativeErr");
    if (cfg.max_expires && cfg.max_expires < NS_PER_MS) throw jsError("JSConsumerMaxRequestExpiresTooSmall");
    if ((lim.maxRequestBatch ?? 0) > 0 && (cfg.max_batch ?? 0) > lim.maxRequestBatch!) {
      throw jsError("JSConsumerMaxRequestBatchExceededF", { limit: lim.maxRequestBatch! });
    }
  }
  if ((lim.maxAckPending ?? 0) > 0 && (cfg.max_ack_pending ?? 0) > lim.maxAckPending!) {
    throw jsError("JSConsumerMaxPendingAckExcessErrF", { limit: lim.maxAckPending! });
  }
  const sl = stream.consumer_limits ?? {};
  if ((sl.max_ack_pending ?? 0) > 0 && (cfg.max_ack_pending ?? 0) > sl.max_ack_pending!) {
    throw jsError("JSConsumerMaxPendingAckExcessErrF", { limit: sl.max_ack_pending! });
  }
  if ((sl.inactive_threshold ?? 0) > 0 && (cfg.inactive_threshold ?? 0) > sl.inactive_threshold!) {
    throw jsError("JSConsumerInactiveThresholdExcess", { limit: goDurationString(sl.inactive_threshold!) });
  }
  if (cfg.direct) {
    if (!cfg.deliver_subject) throw jsError("JSConsumerDirectRequiresPushErr");
    if (isDurable(cfg)) throw jsError("JSConsumerDirectRequiresEphemeralErr");
  }
  if (cfg.filter_subject && (cfg.filter_subjects?.length ?? 0) > 0) throw jsError("JSConsumerDuplicateFilterSubjects");
  if (cfg.filter_subject && !isValidSubject(cfg.filter_subject)) throw jsError("JSStreamInvalidConfigF", { err: "invalid subject" });
  for (const f of cfg.filter_subjects ?? []) if (f === "") throw jsError("JSConsumerEmptyFilter");
  const filters = filtersOf(cfg);
  for (let i = 0; i < filters.length; i++) {
    if (!isValidSubject(filters[i])) throw jsError("JSStreamInvalidConfigF", { err: "invalid subject" });
    for (let j = 0; j < filters.length; j++) {
      if (i !== j && subjectIsSubsetMatch(filters[i], filters[j])) throw jsError("JSConsumerOverlappingSubjectFilters");
    }
  }
  const hasSeq = (cfg.opt_start_seq ?? 0) > 0;
  const hasTime = cfg.opt_start_time !== undefined;
  switch (cfg.deliver_policy) {
    case "all":
    case "last":
    case "new":
    case "last_per_subject": {
      const label = cfg.deliver_policy === "last_per_subject" ? "last per subject" : cfg.deliver_policy;
      if (hasSeq) throw startConflict(label, "sequence");
      if (hasTime) throw startConflict(label, "time");
      if (cfg.deliver_policy === "last_per_subject" && filters.length === 0) throw startMissing(label, "filter subject");
      break;
    }
    case "by_start_sequence":
      if (!hasSeq) throw startMissing("by start sequence", "start sequence");
      if (hasTime) throw startConflict("by start sequence", "time");
      break;
    case "by_start_time":
      if (!hasTime) throw startMissing("by start time", "start time");
      if (cfg.opt_start_seq) throw startConflict("by start time", "start sequence");
      break;
  }
  if (cfg.sample_freq) {
    const s = cfg.sample_freq.endsWith("%") ? cfg.sample_freq.slice(0, -1) : cfg.sample_freq;
    if (!/^[+-]?\d+$/.test(s)) {
      throw jsError("JSConsumerInvalidSamplingErrF", { err: `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax` });
    }
    if (Number(s) < 0) throw jsError("JSConsumerInvalidSamplingErrF", { err: "<nil>" });
  }
  if (cfg.flow_control && !cfg.idle_heartbeat) throw jsError("JSConsumerWithFlowControlNeedsHeartbeats");
  if (cfg.durable_name && cfg.name && cfg.name !== cfg.durable_name) throw jsError("JSConsumerCreateDurableAndNameMismatch");
  let metadataLen = 0;
  for (const [k, v] of Object.entries(cfg.metadata ?? {})) metadataLen += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  if (metadataLen > MAX_METADATA_LEN) throw jsError("JSConsumerMetadataLengthErrF", { limit: `${MAX_METADATA_LEN / 1024}KB` });
  const policy = cfg.priority_policy ?? "none";
  if (policy !== "none") {
    if (cfg.deliver_subject) throw jsError("JSConsumerPushWithPriorityGroupErr");
    if (!cfg.priority_groups || cfg.priority_groups.length === 0) throw jsError("JSConsumerPriorityPolicyWithoutGroup");
    for (const g of cfg.priority_groups) {
      if (g === "") throw jsError("JSConsumerEmptyGroupName");
      if (!GROUP_NAME.test(g)) throw jsError("JSConsumerInvalidGroupNameErr");
    }
  } else {
    if ((cfg.priority_groups?.length ?? 0) > 0) throw jsError("JSConsumerPriorityGroupWithPolicyNone");
    if ((cfg.priority_timeout ?? 0) > 0) throw jsError("JSConsumerPinnedTTLWithoutPriorityPolicyNone");
  }
}

/**
 * Go's checkNewConsumerConfig: the fields an update may not change. Returns a plain Error
 * (answered as 10012 with its text) or an ApiError, or nothing when the update is allowed.
 */
export function checkConfigUpdate(old: ConsumerConfigJson, next: ConsumerConfigJson, deliverSubjectHasInterest: boolean): Error | undefined {
  if (old.deliver_policy !== next.deliver_policy) return new Error("deliver policy can not be updated");
  if (!!old.mem_storage !== !!next.mem_storage) return new Error("storage type can not be updated");
  if (!!old.direct !== !!next.direct) return new Error("direct can not be updated");
  if ((old.opt_start_seq ?? 0) !== (next.opt_start_seq ?? 0)) return new Error("start sequence can not be updated");
  if (old.opt_start_time !== undefined && next.opt_start_time !== undefined) {
    if (parseRfc3339(old.opt_start_time) !== parseRfc3339(next.opt_start_time)) return new Error("start time can not be updated");
  } else if (old.opt_start_time !== undefined || next.opt_start_time !== undefined) {
    return new Error("start time can not be updated");
  }
  if (old.ack_policy !== next.ack_policy) return new Error("ack policy can not be updated");
  if (old.replay_policy !== next.replay_policy) return new Error("replay policy can not be updated");
  if ((old.idle_heartbeat ?? 0) !== (next.idle_heartbeat ?? 0)) return new Error("heart beats can not be updated");
  if (!!old.flow_control !== !!next.flow_control) return new Error("flow control can not be updated");
  if ((old.deliver_subject ?? "") !== (next.deliver_subject ?? "")) {
    if (!old.deliver_subject) return new Error("can not update pull consumer to push based");
    if (!next.deliver_subject) return new Error("can not update push consumer to pull based");
    if (deliverSubjectHasInterest) return jsError("JSConsumerNameExistErr");
  }
  if ((old.max_waiting ?? 0) !== (next.max_waiting ?? 0)) return new Error("max waiting can not be updated");
  const lbo = next.backoff?.length ?? 0;
  if (lbo > 0 && next.max_deliver !== -1 && lbo > (next.max_deliver ?? 0)) return jsError("JSConsumerMaxDeliverBackoffErr");
  return undefined;
}

/** Deep equality of two configs as Go's reflect.DeepEqual sees the JSON (absent == zero). */
export function configsEqual(a: ConsumerConfigJson, b: ConsumerConfigJson): boolean {
  return canonical(a) === canonical(b);
}

function canonical(cfg: ConsumerConfigJson): string {
  const entries = Object.entries(cfg)
    .filter(([, v]) => !(v === undefined || v === 0 || v === "" || v === false || (Array.isArray(v) && v.length === 0)))
    .filter(([k, v]) => !(k === "metadata" && Object.keys(v as object).length === 0))
    .sort(([x], [y]) => (x < y ? -1 : 1));
  return JSON.stringify(entries, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1))) : v,
  );
}

/** Go's time.Duration String() for whole values, as used in error texts ("5s", "1m0s", "1.5s"). */
export function goDurationString(ns: number): string {
  if (ns === 0) return "0s";
  const neg = ns < 0;
  let n = Math.abs(ns);
  let out: string;
  if (n < 1_000) out = `${n}ns`;
  else if (n < 1_000_000) out = `${trimFrac(n / 1_000)}µs`;
  else if (n < 1_000_000_000) out = `${trimFrac(n / 1_000_000)}ms`;
  else {
    const h = Math.floor(n / 3_600_000_000_000);
    n -= h * 3_600_000_000_000;
    const m = Math.floor(n / 60_000_000_000);
    n -= m * 60_000_000_000;
    const s = trimFrac(n / 1_000_000_000);
    out = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  }
  return neg ? `-${out}` : out;
}

function trimFrac(v: number): string {
  return String(Number(v.toFixed(9)));
}
