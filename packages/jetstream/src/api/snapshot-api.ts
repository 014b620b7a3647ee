import { randomBytes } from "node:crypto";
import { isValidPublishSubject } from "@nats-ts/wire";
import { ApiError, apiErrors, toApiError } from "../errors/index.js";
import { decodeStreamConfigRequest } from "../stream/config.js";
import { streamInfoJson, streamStateJson } from "../stream/info.js";
import { withDynamicStreamMetadata } from "../stream/metadata.js";
import { decodeSnapshot, encodeSnapshot } from "../stream/snapshot-codec.js";
import { parseJson } from "../util/json-decode.js";
import { nowNs, rfc3339Nano } from "../util/time.js";
import { decodeRequest, requireStream, type ApiRequest } from "./stream-api.js";
import { ResponseType } from "./types.js";

const EMPTY = Buffer.alloc(0);
const DEFAULT_CHUNK = 128 * 1024;
const DEFAULT_WINDOW = 8 * 1024 * 1024;
/** Go's snapshotAckTimeout: a snapshot stops when the receiver stops acknowledging. */
const ACK_TIMEOUT_MS = 5000;
/** Go's restore activity interval: a restore stops when no chunk arrives for this long. */
const RESTORE_IDLE_MS = 5000;

function uid(): string {
  return randomBytes(12).toString("base64url");
}

/**
 * `$JS.API.STREAM.SNAPSHOT.<stream>`: answers with the config and state, then streams the
 * snapshot to `deliver_subject` in chunks, at most window/chunk unacknowledged (Go's flow control).
 */
export function streamSnapshot(req: ApiRequest): Record<string, unknown> {
  const text = req.payload.toString().trim();
  if (text === "" || text === "{}") throw new ApiError(apiErrors.JSBadRequestErr);
  const stream = requireStream(req.jsa, req.tokens[4]);
  const r = decodeRequest(req.payload, { deliver_subject: "string", no_consumers: "bool", chunk_size: "int", window_size: "int", jsck: "bool" }, "JSApiStreamSnapshotRequest");
  const deliver = typeof r.deliver_subject === "string" ? r.deliver_subject : "";
  if (!isValidPublishSubject(deliver)) throw new ApiError(apiErrors.JSSnapshotDeliverSubjectInvalidErr);
  const chunkSize = Math.min(Math.max(1024, (r.chunk_size as number) || DEFAULT_CHUNK), 1024 * 1024);
  const windowSize = Math.max(Math.min(Math.max(1024, (r.window_size as number) || DEFAULT_WINDOW), 32 * 1024 * 1024), chunkSize);
  const data = encodeSnapshot(stream.config, stream.store);
  const started = rfc3339Nano(nowNs());
  const client = req.jsa.client;
  const state = streamStateJson(stream);
  const name = stream.streamName;
  const clientInfo = { acc: req.jsa.name };
  req.jsa.advisory(`$JS.EVENT.ADVISORY.STREAM.SNAPSHOT_CREATE.${name}`, "io.nats.jetstream.advisory.v1.snapshot_create", { stream: name, state, client: clientInfo });
  const ackSubject = `$JS.SNAPSHOT.ACK.${stream.streamName}.${uid()}`;
  let slots = Math.floor(windowSize / chunkSize);
  let offset = 0;
  let index = 1;
  let timer: NodeJS.Timeout | undefined;
  const finish = (hdr: string | undefined) => {
    if (timer !== undefined) clearTimeout(timer);
    client.removeSub(ackSub);
    client.publish(deliver, EMPTY, undefined, hdr === undefined ? undefined : Buffer.from(hdr));
    const error = hdr?.includes(" 408 ") ? "no flow response" : undefined;
    req.jsa.advisory(`$JS.EVENT.ADVISORY.STREAM.SNAPSHOT_COMPLETE.${name}`, "io.nats.jetstream.advisory.v1.snapshot_complete", {
      stream: name,
      start: started,
      end: rfc3339Nano(nowNs()),
      client: clientInfo,
      ...(error ? { error } : {}),
    });
  };
  const pump = () => {
    while (slots > 0 && offset < data.length) {
      const chunk = data.subarray(offset, offset + chunkSize);
      offset += chunk.length;
      slots--;
      client.publish(deliver, chunk, `${ackSubject}.${chunk.length}.${index++}`);
    }
    if (timer !== undefined) clearTimeout(timer);
    if (offset >= data.length) return finish(index > 1 ? "NATS/1.0 204\r\n\r\n" : undefined);
    timer = setTimeout(() => finish("NATS/1.0 408 No Flow Response\r\n\r\n"), ACK_TIMEOUT_MS);
  };
  const ackSub = client.subscribe(`${ackSubject}.>`, () => {
    slots++;
    pump();
  });
  // The API response goes out first; chunks follow.
  setImmediate(pump);
  return { config: stream.config, state };
}

/**
 * `$JS.API.STREAM.RESTORE.<stream>`: answers with a subject to send the snapshot chunks to;
 * each chunk is acknowledged, an empty message ends it and gets the stream info (or error).
 */
export function streamRestore(req: ApiRequest): Record<string, unknown> {
  const text = req.payload.toString().trim();
  if (text === "" || text === "{}") throw new ApiError(apiErrors.JSBadRequestErr);
  let body: Record<string, unknown>;
  try {
    body = parseJson(req.payload) as Record<string, unknown>;
  } catch (e) {
    throw new ApiError(apiErrors.JSInvalidJSONErr, { err: e as Error });
  }
  const { config } = decodeStreamConfigRequest(body.config ?? {});
  const name = req.tokens[4];
  if (config.name === undefined || config.name === "") config.name = name;
  if (config.name !== name) throw new ApiError(apiErrors.JSStreamMismatchErr);
  if (/[\\/]/.test(name)) throw new ApiError(apiErrors.JSStreamNameContainsPathSeparatorsErr);
  const jsa = req.jsa;
  const client = jsa.client;
  const deliver = `$JS.SNAPSHOT.RESTORE.${name}.${uid()}`;
  const started = rfc3339Nano(nowNs());
  const clientInfo = { acc: jsa.name };
  jsa.advisory(`$JS.EVENT.ADVISORY.STREAM.RESTORE_CREATE.${name}`, "io.nats.jetstream.advisory.v1.restore_create", { stream: name, client: clientInfo });
  const chunks: Buffer[] = [];
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    if (idle !== undefined) clearTimeout(idle);
    idle = setTimeout(() => client.removeSub(sub), RESTORE_IDLE_MS);
  };
  const sub = client.subscribe(deliver, (_subject, reply, hsize, msg) => {
    const payload = msg.subarray(hsize);
    if (reply === undefined || reply === "") {
      client.removeSub(sub);
      return;
    }
    if (payload.length > 0) {
      chunks.push(Buffer.from(payload));
      arm();
      client.publish(reply, EMPTY);
      return;
    }
    if (idle !== undefined) clearTimeout(idle);
    client.removeSub(sub);
    const respond = (b: Record<string, unknown>) => {
      client.publish(reply, Buffer.from(JSON.stringify({ type: ResponseType.streamCreate, ...b })));
      const bytes = chunks.reduce((n, c) => n + c.length, 0);
      jsa.advisory(`$JS.EVENT.ADVISORY.STREAM.RESTORE_COMPLETE.${name}`, "io.nats.jetstream.advisory.v1.restore_complete", {
        stream: name,
        start: started,
        end: rfc3339Nano(nowNs()),
        bytes,
        client: clientInfo,
      });
    };
    let decoded: ReturnType<typeof decodeSnapshot>;
    try {
      decoded = decodeSnapshot(Buffer.concat(chunks));
    } catch (e) {
      respond({ error: new ApiError(apiErrors.JSStreamRestoreErrF, { err: e as Error }).toJSON() });
      return;
    }
    jsa
      .serialize(() => jsa.restoreStream(config, decoded.msgs, decoded.meta.lastSeq))
      .then(
        (stream) => respond({ ...streamInfoJson(stream, req.serverName).info, config: withDynamicStreamMetadata(stream.config) }),
        (err: unknown) => respond({ error: (err instanceof ApiError ? err : toApiError(err, apiErrors.JSStreamRestoreErrF)).toJSON() }),
      );
  });
  arm();
  return { deliver_subject: deliver };
}
