import { rfc3339Nano, nowNs } from "../util/time.js";
import { withDynamicStreamMetadata } from "./metadata.js";
import type { Stream } from "./stream.js";

/** Go's JSMaxSubjectDetails: most subjects a stream info page holds. */
export const MAX_SUBJECT_DETAILS = 100_000;

export interface StreamInfoOptions {
  deletedDetails?: boolean;
  subjectsFilter?: string;
  offset?: number;
}

/** Go's StreamState JSON for a stream. */
export function streamStateJson(stream: Stream, deletedDetails = false): Record<string, unknown> {
  const st = deletedDetails ? stream.store.state() : stream.store.fastState();
  const out: Record<string, unknown> = {
    messages: st.msgs,
    bytes: st.bytes,
    first_seq: st.firstSeq,
    first_ts: rfc3339Nano(st.firstTime),
    last_seq: st.lastSeq,
    last_ts: rfc3339Nano(st.lastTime),
  };
  if (st.numSubjects > 0) out.num_subjects = st.numSubjects;
  if (st.numDeleted > 0) out.num_deleted = st.numDeleted;
  if (deletedDetails && st.deleted !== undefined && st.deleted.length > 0) out.deleted = st.deleted;
  if (st.lost !== undefined && st.lost.msgs.length > 0) out.lost = st.lost;
  out.consumer_count = stream.consumers?.count ?? 0;
  return out;
}

/**
 * Go's StreamInfo (plus the paging fields of a STREAM.INFO response when a subjects filter
 * asked for subject details).
 */
export function streamInfoJson(stream: Stream, serverName: string, opts: StreamInfoOptions = {}): { info: Record<string, unknown>; paging?: { total: number; offset: number; limit: number } } {
  const state = streamStateJson(stream, opts.deletedDetails);
  let paging: { total: number; offset: number; limit: number } | undefined;
  if (opts.subjectsFilter) {
    const totals = stream.store.subjectsTotals(opts.subjectsFilter);
    const total = totals.size;
    let offset = Math.max(opts.offset ?? 0, 0);
    paging = { total, offset, limit: MAX_SUBJECT_DETAILS };
    if (total > 0) {
      if (offset === 0 && total <= MAX_SUBJECT_DETAILS) state.subjects = Object.fromEntries(totals);
      else {
        const names = [...totals.keys()].sort();
        offset = Math.min(offset, names.length);
        const page: Record<string, number> = {};
        for (const n of names.slice(offset, offset + MAX_SUBJECT_DETAILS)) page[n] = totals.get(n)!;
        state.subjects = page;
      }
    }
  }
  const info: Record<string, unknown> = {
    config: withDynamicStreamMetadata(stream.config),
    created: rfc3339Nano(stream.created),
    state,
    cluster: { leader: serverName },
    ...stream.linkInfo(),
    ts: rfc3339Nano(nowNs()),
  };
  return { info, paging };
}
