import { isValidSubject, subjectsCollide, subjectIsSubsetMatch } from "@nats-ts/wire";
import { ApiError, apiErrors } from "../errors/index.js";
import { checkFields, type FieldKind } from "../util/json-decode.js";
import { checkMirrorAndSources, type StreamSourceJson } from "./mirror-config.js";
import { SubjectTransform } from "./subject-transform.js";

/** A stream configuration as JSON, with the Go server's field names. Durations are nanoseconds. */
export interface StreamConfigJson {
  name: string;
  description?: string;
  subjects?: string[];
  retention: "limits" | "interest" | "workqueue";
  max_consumers: number;
  max_msgs: number;
  max_bytes: number;
  max_age: number;
  max_msgs_per_subject: number;
  max_msg_size?: number;
  discard: "old" | "new";
  storage: "file" | "memory";
  num_replicas: number;
  no_ack?: boolean;
  duplicate_window?: number;
  placement?: { cluster?: string; tags?: string[]; preferred?: string };
  mirror?: StreamSourceJson;
  sources?: StreamSourceJson[];
  compression: "none" | "s2";
  first_seq?: number;
  subject_transform?: { src: string; dest: string };
  republish?: { src: string; dest: string; headers_only?: boolean };
  allow_direct: boolean;
  mirror_direct: boolean;
  discard_new_per_subject?: boolean;
  sealed: boolean;
  deny_delete: boolean;
  deny_purge: boolean;
  allow_rollup_hdrs: boolean;
  consumer_limits: { inactive_threshold?: number; max_ack_pending?: number };
  allow_msg_ttl: boolean;
  subject_delete_marker_ttl?: number;
  allow_msg_counter?: boolean;
  allow_atomic?: boolean;
  allow_msg_schedules?: boolean;
  persist_mode?: string;
  allow_batched?: boolean;
  metadata?: Record<string, string>;
}

const MS = 1_000_000;
const SECOND = 1_000 * MS;
/** Go's StreamDefaultDuplicatesWindow: two minutes. */
export const DEFAULT_DUPLICATE_WINDOW = 120 * SECOND;
const MAX_NAME_LEN = 255;
const MAX_DESCRIPTION_LEN = 4 * 1024;
const MAX_METADATA_LEN = 128 * 1024;
const MAX_REPLICAS = 5;

/** Every StreamConfig field Go knows (plus `pedantic` of StreamConfigRequest). */
export const STREAM_CONFIG_FIELDS: Record<string, FieldKind> = {
  name: "string",
  description: "string",
  subjects: "strings",
  retention: "string",
  max_consumers: "int",
  max_msgs: "int",
  max_bytes: "int",
  max_age: "int",
  max_msgs_per_subject: "int",
  max_msg_size: "int",
  discard: "string",
  storage: "string",
  num_replicas: "int",
  no_ack: "bool",
  duplicate_window: "int",
  placement: "object",
  mirror: "object",
  sources: "objects",
  compression: "string",
  first_seq: "uint",
  subject_transform: "object",
  republish: "object",
  allow_direct: "bool",
  mirror_direct: "bool",
  discard_new_per_subject: "bool",
  sealed: "bool",
  deny_delete: "bool",
  deny_purge: "bool",
  allow_rollup_hdrs: "bool",
  consumer_limits: "object",
  allow_msg_ttl: "bool",
  subject_delete_marker_ttl: "int",
  allow_msg_counter: "bool",
  allow_atomic: "bool",
  allow_msg_schedules: "bool",
  persist_mode: "string",
  allow_batched: "bool",
  metadata: "map",
  pedantic: "bool",
};

const ENUMS: Record<string, readonly string[]> = {
  retention: ["limits", "interest", "workqueue"],
  discard: ["old", "new"],
  storage: ["file", "memory"],
  compression: ["none", "s2"],
};

/** Decodes a STREAM.CREATE/UPDATE request body; throws JSInvalidJSONErr like Go's decoder. */
export function decodeStreamConfigRequest(json: unknown): { config: Partial<StreamConfigJson>; pedantic: boolean } {
  let rec: Record<string, unknown>;
  try {
    rec = checkFields(json, STREAM_CONFIG_FIELDS, "StreamConfigRequest");
    for (const [field, allowed] of Object.entries(ENUMS)) {
      const v = rec[field];
      if (v !== undefined && v !== null && !allowed.includes(v as string)) {
        throw new Error(field === "compression" ? "unknown compression algorithm" : `can not unmarshal ${JSON.stringify(JSON.stringify(v))}`);
      }
    }
  } catch (e) {
    throw new ApiError(apiErrors.JSInvalidJSONErr, { err: e as Error });
  }
  const { pedantic, ...config } = rec;
  for (const [k, v] of Object.entries(config)) if (v === null) delete config[k];
  return { config: config as Partial<StreamConfigJson>, pedantic: pedantic === true };
}

/** Go's isValidAssetName: no whitespace, '.', '*', '>', '\\' or '/'. */
export function isValidAssetName(name: string | undefined): name is string {
  return typeof name === "string" && name !== "" && !/[ \t\r\n\f.*>\\/]/.test(name);
}

function invalid(text: string): ApiError {
  return new ApiError(apiErrors.JSStreamInvalidConfigF, { err: text });
}

function pedanticError(text: string): ApiError {
  return new ApiError(apiErrors.JSPedanticErrF, { err: text });
}

/** What the config check needs from the account: the other streams' configs and limits. */
export interface StreamConfigContext {
  /** Config of another stream in the account, when it exists. */
  lookup(name: string): StreamConfigJson | undefined;
  /** Account's max_bytes_required and per-stream byte limit for this storage type. */
  maxBytesLimits(storage: "file" | "memory"): { required: boolean; limit: number };
  /** Server-wide duplicate window limit (0 = none), nanoseconds. */
  duplicatesLimit: number;
}

/**
 * Validates a stream config and fills Go's defaults (checkStreamCfg): -1 for unset limits,
 * file storage, one replica, the duplicate window, the stream name as its only subject...
 */
export function checkStreamConfig(input: Partial<StreamConfigJson>, ctx: StreamConfigContext, pedantic = false): StreamConfigJson {
  if (!isValidAssetName(input.name)) throw invalid("stream name is required and can not contain '.', '*', '>', '\\', '/'");
  if (input.name.length > MAX_NAME_LEN) throw invalid(`stream name is too long, maximum allowed is ${MAX_NAME_LEN}`);
  if ((input.description ?? "").length > MAX_DESCRIPTION_LEN) {
    throw invalid(`stream description is too long, maximum allowed is ${MAX_DESCRIPTION_LEN}`);
  }
  let metadataLen = 0;
  for (const [k, v] of Object.entries(input.metadata ?? {})) metadataLen += k.length + v.length;
  if (metadataLen > MAX_METADATA_LEN) throw invalid(`stream metadata exceeds maximum size of ${MAX_METADATA_LEN} bytes`);

  const cfg: StreamConfigJson = {
    ...input,
    name: input.name,
    retention: input.retention ?? "limits",
    max_consumers: input.max_consumers ?? 0,
    max_msgs: input.max_msgs ?? 0,
    max_bytes: input.max_bytes ?? 0,
    max_age: input.max_age ?? 0,
    max_msgs_per_subject: input.max_msgs_per_subject ?? 0,
    discard: input.discard ?? "old",
    storage: input.storage ?? "file",
    num_replicas: input.num_replicas ?? 0,
    compression: input.compression ?? "none",
    allow_direct: input.allow_direct ?? false,
    mirror_direct: input.mirror_direct ?? false,
    sealed: input.sealed ?? false,
    deny_delete: input.deny_delete ?? false,
    deny_purge: input.deny_purge ?? false,
    allow_rollup_hdrs: input.allow_rollup_hdrs ?? false,
    consumer_limits: { ...(input.consumer_limits ?? {}) },
    allow_msg_ttl: input.allow_msg_ttl ?? false,
  };
  if (input.subjects !== undefined) cfg.subjects = [...input.subjects];
  if (cfg.num_replicas === 0) cfg.num_replicas = 1;
  if (cfg.num_replicas > MAX_REPLICAS) throw invalid(`maximum replicas is ${MAX_REPLICAS}`);
  if (cfg.num_replicas < 0) throw new ApiError(apiErrors.JSReplicasCountCannotBeNegative);

  const unlimited = (field: "max_msgs" | "max_msgs_per_subject" | "max_bytes" | "max_msg_size" | "max_consumers"): void => {
    const v = cfg[field] ?? 0;
    if (v === 0 || v < -1) {
      if (pedantic && v < -1) throw pedanticError(`${field} must be set to -1`);
      cfg[field] = -1;
    }
  };
  unlimited("max_msgs");
  unlimited("max_msgs_per_subject");
  unlimited("max_bytes");
  unlimited("max_msg_size");
  unlimited("max_consumers");
  if (cfg.max_age < 0) throw invalid("max age can not be negative");
  if (cfg.max_age !== 0 && cfg.max_age < 100 * MS) throw invalid("max age needs to be >= 100ms");

  let dupes = cfg.duplicate_window ?? 0;
  if (dupes === 0 && cfg.mirror === undefined && (cfg.sources ?? []).length === 0) {
    let maxWindow = DEFAULT_DUPLICATE_WINDOW;
    if (ctx.duplicatesLimit > 0 && maxWindow > ctx.duplicatesLimit) {
      if (pedantic) throw pedanticError("duplicate window limits are higher than current limits");
      maxWindow = ctx.duplicatesLimit;
    }
    if (cfg.max_age !== 0 && cfg.max_age < maxWindow) {
      if (pedantic) throw pedanticError("duplicate window cannot be bigger than max age");
      dupes = cfg.max_age;
    } else dupes = maxWindow;
  }
  if (dupes < 0) throw invalid("duplicates window can not be negative");
  if (cfg.max_age !== 0 && dupes > cfg.max_age) throw invalid("duplicates window can not be larger then max age");
  if (ctx.duplicatesLimit > 0 && dupes > ctx.duplicatesLimit) {
    throw invalid(`duplicates window can not be larger then server limit of ${ctx.duplicatesLimit / SECOND}s`);
  }
  if (dupes > 0 && dupes < 100 * MS) throw invalid("duplicates window needs to be >= 100ms");
  if (dupes > 0) cfg.duplicate_window = dupes;
  else delete cfg.duplicate_window;

  if (cfg.deny_purge && cfg.allow_rollup_hdrs) throw invalid("roll-ups require the purge permission");
  if (cfg.allow_msg_counter) {
    if (cfg.discard === "new") throw invalid("counter stream cannot use discard new");
    if (cfg.allow_msg_ttl) throw invalid("counter stream cannot use message TTLs");
    if (cfg.allow_msg_schedules) throw invalid("counter stream cannot use message schedules");
    if (cfg.retention !== "limits") throw invalid("counter stream can only use limits retention");
  }
  if (cfg.discard_new_per_subject) {
    if (cfg.discard !== "new") throw invalid("discard new per subject requires discard new policy to be set");
    if (cfg.max_msgs_per_subject <= 0) throw invalid("discard new per subject requires max msgs per subject > 0");
  }
  const sdm = cfg.subject_delete_marker_ttl ?? 0;
  if (sdm > 0) {
    if (sdm < SECOND) throw invalid("subject delete marker TTL must be at least 1 second");
    if (!cfg.allow_msg_ttl) {
      if (pedantic) throw invalid("subject delete marker cannot be set if message TTLs are disabled");
      cfg.allow_msg_ttl = true;
    }
    if (!cfg.allow_rollup_hdrs) {
      if (pedantic) throw invalid("subject delete marker cannot be set if roll-ups are disabled");
      cfg.allow_rollup_hdrs = true;
      cfg.deny_purge = false;
    }
  } else if (sdm < 0) throw invalid("subject delete marker TTL must not be negative");
  if (cfg.allow_msg_schedules) {
    if (cfg.discard === "new") throw invalid("message scheduling cannot use discard new");
    if (!cfg.allow_rollup_hdrs) {
      if (pedantic) throw invalid("message scheduling cannot be set if roll-ups are disabled");
      cfg.allow_rollup_hdrs = true;
      cfg.deny_purge = false;
    }
  }
  if (cfg.persist_mode === "async") {
    if (cfg.storage !== "file") throw invalid("async persist mode is only supported on file storage");
    if (cfg.num_replicas > 1) throw invalid("async persist mode is not supported on replicated streams");
    if (cfg.allow_atomic) throw invalid("async persist mode is not supported with atomic batch publish");
  }
  checkMirrorAndSources(cfg, ctx.lookup, pedantic);

  checkSubjects(cfg);
  if ((cfg.subjects ?? []).length === 0 && (cfg.sources ?? []).length === 0 && cfg.mirror === undefined) {
    throw invalid("stream needs at least one configured subject or be a source/mirror");
  }
  const { required, limit } = ctx.maxBytesLimits(cfg.storage);
  if (required && cfg.max_bytes <= 0) throw new ApiError(apiErrors.JSStreamMaxBytesRequired);
  if (limit > 0 && cfg.max_bytes > limit) throw new ApiError(apiErrors.JSStreamMaxStreamBytesExceeded);

  if (cfg.subject_transform !== undefined) {
    const { src, dest } = cfg.subject_transform;
    if (src !== "" && !isValidSubject(src)) {
      throw new ApiError(apiErrors.JSStreamTransformInvalidSource, { err: `invalid subject ${src}` });
    }
    try {
      SubjectTransform.create(src, dest);
    } catch (e) {
      throw new ApiError(apiErrors.JSStreamTransformInvalidDestination, { err: e as Error });
    }
  }
  if (cfg.republish !== undefined) checkRepublish(cfg, pedantic);
  if (cfg.placement !== undefined && Object.keys(cfg.placement).length === 0) delete cfg.placement;
  if (cfg.placement?.preferred) throw invalid("preferred server not permitted in placement");
  return cfg;
}

function checkSubjects(cfg: StreamConfigJson): void {
  const subjects = cfg.subjects ?? [];
  if (subjects.length === 0) {
    if (cfg.mirror === undefined && (cfg.sources ?? []).length === 0) cfg.subjects = [cfg.name];
    return;
  }
  const seen = new Set<string>();
  for (let i = 0; i < subjects.length; i++) {
    const subj = subjects[i];
    if (!isValidSubject(subj)) throw invalid("invalid subject");
    if (seen.has(subj)) throw invalid("duplicate subjects detected");
    if (subj === ">") {
      if (!cfg.no_ack) throw invalid("capturing all subjects requires no-ack to be true");
      if (cfg.num_replicas !== 1) throw invalid("capturing all subjects requires replicas of 1");
    }
    if (!cfg.no_ack) {
      for (const ns of ["$JS.>", "$JSC.>", "$NRG.>"]) {
        if (subjectsCollide(subj, ns) && !subjectIsSubsetMatch(subj, "$JS.EVENT.>")) {
          throw invalid("subjects that overlap with jetstream api require no-ack to be true");
        }
      }
      if (subjectsCollide(subj, "$SYS.>") && !subjectIsSubsetMatch(subj, "$SYS.ACCOUNT.>")) {
        throw invalid("subjects that overlap with system api require no-ack to be true");
      }
    }
    for (const other of subjects.slice(i + 1)) {
      if (subjectsCollide(other, subj)) throw invalid(`subject ${JSON.stringify(subj)} overlaps with ${JSON.stringify(other)}`);
    }
    seen.add(subj);
  }
}

function checkRepublish(cfg: StreamConfigJson, pedantic: boolean): void {
  const rp = { ...cfg.republish! };
  cfg.republish = rp;
  if (rp.src === undefined || rp.src === "") {
    if (pedantic) throw pedanticError("republish source can not be empty");
    rp.src = ">";
  }
  const st = cfg.subject_transform;
  if (rp.dest === ">" && rp.src === ">" && st !== undefined && cfg.subjects?.length === 1 && st.src === cfg.subjects[0]) {
    if (pedantic) throw pedanticError("implicit republish based on subject transform");
    rp.src = st.dest;
    rp.dest = st.dest;
  }
  if ((cfg.subjects ?? []).some((s) => subjectsCollide(rp.dest, s))) {
    throw invalid("stream configuration for republish destination forms a cycle");
  }
  try {
    if (typeof rp.dest !== "string") throw new Error("bad dest");
    SubjectTransform.create(rp.src, rp.dest);
  } catch {
    throw invalid(`stream configuration for republish with transform from '${rp.src}' to '${rp.dest}' not valid`);
  }
}

/** Go's configUpdateCheck: what an update may change. Returns the config to apply. */
export function checkStreamUpdate(old: StreamConfigJson, update: Partial<StreamConfigJson>, ctx: StreamConfigContext, pedantic = false): StreamConfigJson {
  const cfg = checkStreamConfig(update, ctx, pedantic);
  if (cfg.name !== old.name) throw invalid("stream configuration name must match original");
  if (cfg.num_replicas > 1) throw new ApiError(apiErrors.JSStreamReplicasNotSupportedErr);
  if (cfg.storage !== old.storage) throw invalid("stream configuration update can not change storage type");
  if (cfg.retention !== old.retention && (old.retention === "workqueue" || cfg.retention === "workqueue")) {
    throw invalid("stream configuration update can not change retention policy to/from workqueue");
  }
  if (!cfg.sealed && old.sealed) throw invalid("stream configuration update can not unseal a sealed stream");
  if (!cfg.deny_delete && old.deny_delete) throw invalid("stream configuration update can not cancel deny message deletes");
  if (!cfg.deny_purge && old.deny_purge) throw invalid("stream configuration update can not cancel deny purge");
  if (cfg.mirror !== undefined && JSON.stringify(cfg.mirror) !== JSON.stringify(old.mirror)) {
    throw new ApiError(apiErrors.JSStreamMirrorNotUpdatableErr);
  }
  if (old.allow_msg_ttl && !cfg.allow_msg_ttl) throw invalid("message TTL status can not be disabled");
  if (Boolean(cfg.allow_msg_counter) !== Boolean(old.allow_msg_counter)) {
    throw invalid("stream configuration update can not change message counter setting");
  }
  if (old.allow_msg_schedules && !cfg.allow_msg_schedules) throw invalid("message schedules can not be disabled");
  if ((old.persist_mode ?? "") !== (cfg.persist_mode ?? "")) throw invalid("stream configuration update can not change persist mode");
  if (cfg.sealed) {
    cfg.max_age = 0;
    cfg.discard = "new";
    cfg.deny_delete = true;
    cfg.deny_purge = true;
    cfg.allow_rollup_hdrs = false;
  }
  return cfg;
}
