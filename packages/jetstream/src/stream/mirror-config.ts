import { createHash } from "node:crypto";
import { isValidPublishSubject, isValidSubject, subjectIsSubsetMatch, subjectsCollide } from "@nats-ts/wire";
import { ApiError, apiErrors, type JsErrorEntry } from "../errors/index.js";
import type { StreamConfigJson } from "./config.js";
import { SubjectTransform } from "./subject-transform.js";

/** A mirror or source of a stream config (Go's StreamSource), as JSON. */
export interface StreamSourceJson {
  name: string;
  opt_start_seq?: number;
  opt_start_time?: string;
  filter_subject?: string;
  subject_transforms?: { src?: string; dest?: string }[];
  external?: { api?: string; deliver?: string };
  consumer?: { name?: string; deliver_subject?: string };
}

/**
 * Go's composeIName: `<name>[:<api prefix hash>] <filters> <destinations>`, identifying one
 * source of a stream (the same name may be in several accounts or domains).
 */
export function sourceIndexName(src: StreamSourceJson): string {
  const name = src.external ? `${src.name}:${shortHash(src.external.api ?? "")}` : src.name;
  const trs = src.subject_transforms ?? [];
  if (trs.length === 0) return `${name} ${src.filter_subject || ">"} >`;
  const filters = trs.map((t) => t.src || ">").join("\f");
  const dests = trs.map((t) => t.dest || ">").join("\f");
  return `${name} ${filters} ${dests}`;
}

/** Go's getHash: 8 base62 characters from the SHA-256 of `name`. */
function shortHash(name: string): string {
  const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const sum = createHash("sha256").update(name).digest();
  let out = "";
  for (let i = 0; i < 8; i++) out += digits[sum[i] % 62];
  return out;
}

const isValidName = (name: unknown): name is string => typeof name === "string" && name !== "" && !/[ \t\r\n\f.*>\\/]/.test(name);

function checkTransforms(
  trs: StreamSourceJson["subject_transforms"],
  badFilter: JsErrorEntry,
  badDest: JsErrorEntry,
  overlap: JsErrorEntry,
  collide: (a: string, b: string) => boolean,
): void {
  const list = trs ?? [];
  for (const tr of list) {
    const src = tr.src ?? "";
    if (src !== "" && !isValidSubject(src)) throw new ApiError(badFilter, { err: `invalid subject ${src}` });
    try {
      SubjectTransform.create(src, tr.dest ?? "");
    } catch (e) {
      throw new ApiError(badDest, { err: e as Error });
    }
  }
  for (let i = 0; i < list.length; i++) {
    for (let j = 0; j < list.length; j++) {
      if (i !== j && collide(list[i].src || ">", list[j].src || ">")) throw new ApiError(overlap);
    }
  }
}

function unsupported(text: string): ApiError {
  return new ApiError(apiErrors.JSStreamInvalidConfigF, { err: text });
}

/**
 * Go's mirror and sources checks of checkStreamCfg. `lookup` finds the account's other stream
 * configs; a visible origin gives the mirror its `mirror_direct` setting.
 */
export function checkMirrorAndSources(cfg: StreamConfigJson, lookup: (name: string) => StreamConfigJson | undefined, pedantic: boolean): void {
  let mirror = cfg.mirror ?? undefined;
  if (mirror !== undefined) cfg.mirror = mirror = withExternal(mirror);
  if (cfg.sources !== undefined) cfg.sources = cfg.sources.map((src) => (src === null ? src : withExternal(src)));
  const prefixes: NonNullable<StreamSourceJson["external"]>[] = [];
  const originSubjects: string[] = [];
  if (mirror !== undefined) {
    if ((cfg.first_seq ?? 0) > 0) throw new ApiError(apiErrors.JSMirrorWithFirstSeqErr);
    if ((cfg.subjects ?? []).length > 0) throw new ApiError(apiErrors.JSMirrorWithSubjectsErr);
    if ((cfg.sources ?? []).length > 0) throw new ApiError(apiErrors.JSMirrorWithSourcesErr);
    if (cfg.allow_msg_counter) throw new ApiError(apiErrors.JSMirrorWithCountersErr);
    if (cfg.allow_atomic) throw new ApiError(apiErrors.JSMirrorWithAtomicPublishErr);
    if (cfg.allow_batched) throw new ApiError(apiErrors.JSMirrorWithBatchPublishErr);
    if (cfg.allow_msg_schedules) throw new ApiError(apiErrors.JSMirrorWithMsgSchedulesErr);
    if (mirror.consumer !== undefined && mirror.consumer !== null) throw unsupported("durable consumers for mirrors are not supported");
    if ((mirror.filter_subject ?? "") !== "" && (mirror.subject_transforms ?? []).length > 0) {
      throw new ApiError(apiErrors.JSMirrorMultipleFiltersNotAllowed);
    }
    if ((cfg.subject_delete_marker_ttl ?? 0) > 0) {
      throw new ApiError(apiErrors.JSStreamInvalidConfigF, { err: "subject delete markers forbidden on mirrors" });
    }
    checkTransforms(
      mirror.subject_transforms,
      apiErrors.JSMirrorInvalidSubjectFilter,
      apiErrors.JSMirrorInvalidTransformDestination,
      apiErrors.JSMirrorOverlappingSubjectFilters,
      subjectsCollide,
    );
    if (mirror.opt_start_seq && mirror.opt_start_time) throw new ApiError(apiErrors.JSMirrorWithStartSeqAndTimeErr);
    // An external origin is not looked at here: the same name may be this very stream elsewhere.
    const origin = mirror.external ? undefined : lookup(mirror.name);
    if (mirror.external) prefixes.push(mirror.external);
    else if (!isValidName(mirror.name)) throw new ApiError(apiErrors.JSMirrorInvalidStreamName);
    if (origin !== undefined) {
      originSubjects.push(...(origin.subjects ?? []));
      const mine = cfg.max_msg_size ?? -1;
      const theirs = origin.max_msg_size ?? -1;
      if (mine > 0 && theirs > 0 && mine < theirs) throw new ApiError(apiErrors.JSMirrorMaxMessageSizeTooBigErr);
      if (pedantic && cfg.mirror_direct !== origin.allow_direct) {
        throw new ApiError(apiErrors.JSPedanticErrF, { err: "origin stream has direct get set, mirror has it disabled" });
      }
      cfg.mirror_direct = origin.allow_direct;
    }
  }
  const sources: (StreamSourceJson | null)[] = cfg.sources ?? [];
  if (sources.length > 0 && cfg.allow_msg_schedules) throw new ApiError(apiErrors.JSSourceWithMsgSchedulesErr);
  const seen = new Set<string>();
  for (const src of sources) {
    if (src === null || !isValidName(src.name)) throw new ApiError(apiErrors.JSSourceInvalidStreamName);
    const iname = sourceIndexName(src);
    if (seen.has(iname)) throw new ApiError(apiErrors.JSSourceDuplicateDetected);
    seen.add(iname);
    if ((src.filter_subject ?? "") !== "" && (src.subject_transforms ?? []).length > 0) {
      throw new ApiError(apiErrors.JSSourceMultipleFiltersNotAllowed);
    }
    checkTransforms(
      src.subject_transforms,
      apiErrors.JSSourceInvalidSubjectFilter,
      apiErrors.JSSourceInvalidTransformDestination,
      apiErrors.JSSourceOverlappingSubjectFilters,
      subjectIsSubsetMatch,
    );
    if (src.consumer !== undefined && src.consumer !== null) throw unsupported("durable consumers for sources are not supported");
    if (src.external) {
      prefixes.push(src.external);
      continue;
    }
    const origin = lookup(src.name);
    originSubjects.push(...(origin?.subjects ?? []));
    const mine = cfg.max_msg_size ?? -1;
    const theirs = origin?.max_msg_size ?? -1;
    if (mine > 0 && theirs > 0 && mine < theirs) throw new ApiError(apiErrors.JSSourceMaxMessageSizeTooBigErr);
  }
  checkExternalPrefixes(prefixes, originSubjects);
}

/** Go's ExternalStream JSON: both prefixes always present; a null external is none. */
function withExternal(src: StreamSourceJson): StreamSourceJson {
  if (src.external === undefined) return src;
  const { external, ...rest } = src;
  if (external === null || typeof external !== "object") return rest;
  return { ...rest, external: { api: external.api ?? "", deliver: external.deliver ?? "" } };
}

/** Go's checks of external deliver and API prefixes (checkStreamCfg). */
function checkExternalPrefixes(prefixes: NonNullable<StreamSourceJson["external"]>[], originSubjects: string[]): void {
  for (const { deliver } of prefixes) {
    if (!deliver) continue;
    if (!isValidPublishSubject(deliver)) throw new ApiError(apiErrors.JSStreamInvalidExternalDeliverySubjErrF, { prefix: deliver });
    for (const subject of originSubjects) {
      if (subjectsCollide(subject, `${deliver}.${subject}`)) {
        throw new ApiError(apiErrors.JSStreamExternalDelPrefixOverlapsErrF, { prefix: deliver, subject });
      }
    }
  }
  for (const { api } of prefixes) {
    if (!api) continue;
    if (!isValidPublishSubject(api)) {
      throw new ApiError(apiErrors.JSStreamInvalidConfigF, { err: `stream external api prefix ${JSON.stringify(api)} must be a valid subject without wildcards` });
    }
    if (subjectsCollide(api, "$JS.API")) throw new ApiError(apiErrors.JSStreamExternalApiOverlapErrF, { prefix: api, subject: "$JS.API" });
  }
}
