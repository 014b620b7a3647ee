import { subjectsCollide } from "@nats-ts/wire";
import type { JsAccount } from "../account/js-account.js";
import { ApiError, apiErrors, toApiError } from "../errors/index.js";
import { decodeStreamConfigRequest } from "../stream/config.js";
import { streamInfoJson } from "../stream/info.js";
import { setStaticStreamMetadata } from "../stream/metadata.js";
import type { Stream } from "../stream/stream.js";
import { checkFields, JsonDecodeError, parseJson, type FieldKind } from "../util/json-decode.js";
import { LIST_LIMIT, NAMES_LIMIT } from "./types.js";

/** What the stream handlers get for one request. */
export interface ApiRequest {
  jsa: JsAccount;
  serverName: string;
  /** Subject tokens, `$JS.API....` split on dots. */
  tokens: string[];
  payload: Buffer;
}

/** Decodes a JSON request body against a Go struct's fields, with Go's invalid-JSON errors. */
export function decodeRequest(payload: Buffer, spec: Record<string, FieldKind>, structName: string): Record<string, unknown> {
  try {
    return checkFields(parseJson(payload), spec, structName);
  } catch (e) {
    if (e instanceof JsonDecodeError) throw new ApiError(apiErrors.JSInvalidJSONErr, { err: e });
    throw e;
  }
}

function isEmptyRequest(payload: Buffer): boolean {
  const t = payload.toString().trim();
  return t === "" || t === "{}" || t === "null";
}

export function requireStream(jsa: JsAccount, name: string): Stream {
  const s = jsa.lookup(name);
  if (s === undefined) throw new ApiError(apiErrors.JSStreamNotFoundErr);
  return s;
}

export async function streamCreate(req: ApiRequest): Promise<Record<string, unknown>> {
  const { config, pedantic } = decodeStreamConfigRequest(parseJsonOrInvalid(req.payload));
  setStaticStreamMetadata(config);
  const name = req.tokens[4];
  if (name !== config.name) throw new ApiError(apiErrors.JSStreamMismatchErr);
  if (/[\\/]/.test(name)) throw new ApiError(apiErrors.JSStreamNameContainsPathSeparatorsErr);
  if (config.sealed) throw new ApiError(apiErrors.JSStreamInvalidConfigF, { err: "stream configuration for create can not be sealed" });
  if (config.mirror_direct && config.mirror === undefined) {
    throw new ApiError(apiErrors.JSStreamInvalidConfigF, { err: "stream has no mirror but does have mirror direct" });
  }
  const { stream, created } = await req.jsa.serialize(() => req.jsa.createStream(config, pedantic)).catch((e: unknown) => {
    throw toApiError(e, apiErrors.JSStreamCreateErrF);
  });
  const { info } = streamInfoJson(stream, req.serverName);
  return created ? { ...info, did_create: true } : info;
}

export async function streamUpdate(req: ApiRequest): Promise<Record<string, unknown>> {
  const { config, pedantic } = decodeStreamConfigRequest(parseJsonOrInvalid(req.payload));
  setStaticStreamMetadata(config);
  const name = req.tokens[4];
  if (name !== config.name) throw new ApiError(apiErrors.JSStreamMismatchErr);
  const stream = await req.jsa.serialize(() => req.jsa.updateStream(name, config, pedantic)).catch((e: unknown) => {
    throw toApiError(e, apiErrors.JSStreamUpdateErrF);
  });
  return streamInfoJson(stream, req.serverName).info;
}

function parseJsonOrInvalid(payload: Buffer): unknown {
  try {
    return parseJson(payload);
  } catch (e) {
    throw new ApiError(apiErrors.JSInvalidJSONErr, { err: e as Error });
  }
}

const INFO_REQUEST: Record<string, FieldKind> = { offset: "int", deleted_details: "bool", subjects_filter: "string" };

export function streamInfo(req: ApiRequest): Record<string, unknown> {
  let opts: Record<string, unknown> = {};
  if (!isEmptyRequest(req.payload)) opts = decodeRequest(req.payload, INFO_REQUEST, "JSApiStreamInfoRequest");
  const stream = requireStream(req.jsa, req.tokens[4]);
  const { info, paging } = streamInfoJson(stream, req.serverName, {
    deletedDetails: opts.deleted_details === true,
    subjectsFilter: typeof opts.subjects_filter === "string" ? opts.subjects_filter : undefined,
    offset: typeof opts.offset === "number" ? opts.offset : 0,
  });
  return { ...(paging ?? { total: 0, offset: 0, limit: 0 }), ...info };
}

const NAMES_REQUEST: Record<string, FieldKind> = { offset: "int", subject: "string" };

function filteredStreams(req: ApiRequest, structName: string): { streams: Stream[]; offset: number } {
  let filter = "";
  let offset = 0;
  if (!isEmptyRequest(req.payload)) {
    const r = decodeRequest(req.payload, NAMES_REQUEST, structName);
    filter = typeof r.subject === "string" ? r.subject : "";
    offset = typeof r.offset === "number" ? Math.max(r.offset, 0) : 0;
  }
  let streams = req.jsa.sortedStreams();
  if (filter !== "" && filter !== ">") {
    streams = streams.filter((s) => (s.config.subjects ?? []).some((subj) => subjectsCollide(filter, subj)));
  }
  return { streams, offset };
}

export function streamNames(req: ApiRequest): Record<string, unknown> {
  const { streams, offset } = filteredStreams(req, "JSApiStreamNamesRequest");
  const page = streams.slice(offset, offset + NAMES_LIMIT).map((s) => s.streamName);
  return { total: streams.length, offset: Math.min(offset, streams.length), limit: NAMES_LIMIT, streams: page };
}

export function streamList(req: ApiRequest): Record<string, unknown> {
  const { streams, offset } = filteredStreams(req, "JSApiStreamListRequest");
  const page = streams.slice(offset, offset + LIST_LIMIT).map((s) => streamInfoJson(s, req.serverName).info);
  return { total: streams.length, offset: Math.min(offset, streams.length), limit: LIST_LIMIT, streams: page };
}

export async function streamDelete(req: ApiRequest): Promise<Record<string, unknown>> {
  const name = req.tokens[4];
  requireStream(req.jsa, name);
  await req.jsa.serialize(() => req.jsa.deleteStream(name)).catch((e: unknown) => {
    throw toApiError(e, apiErrors.JSStreamDeleteErrF);
  });
  return { success: true };
}

const PURGE_REQUEST: Record<string, FieldKind> = { seq: "uint", filter: "string", keep: "uint" };

export function streamPurge(req: ApiRequest): Record<string, unknown> {
  let purge: { filter?: string; seq?: number; keep?: number } = {};
  const text = req.payload.toString().trim();
  if (text.startsWith("{") || text.startsWith("[")) {
    const r = decodeRequest(req.payload, PURGE_REQUEST, "JSApiStreamPurgeRequest");
    purge = { filter: r.filter as string | undefined, seq: r.seq as number | undefined, keep: r.keep as number | undefined };
    if ((purge.seq ?? 0) > 0 && (purge.keep ?? 0) > 0) throw new ApiError(apiErrors.JSBadRequestErr);
  }
  const stream = requireStream(req.jsa, req.tokens[4]);
  if (stream.config.sealed) throw new ApiError(apiErrors.JSStreamSealedErr);
  if (stream.config.deny_purge) throw new ApiError(apiErrors.JSStreamPurgeFailedF, { err: "stream purge not permitted" });
  const purged = stream.purge(purge);
  return { success: true, purged };
}

/**
 * Leader step down, peer removal and move cancellation need a cluster: a standalone server
 * answers "clustering support required" before looking at the stream, as Go does.
 */
export function clusterRequired(): never {
  throw new ApiError(apiErrors.JSClusterRequiredErr);
}
