import type { StreamStore } from "@nats-ts/storage";
import { parseRfc3339 } from "../util/time.js";
import type { ConsumerConfigJson } from "./config.js";

/** Deliver-last-per-subject start: these sequences first, then everything after `resume`. */
export interface LastPerSubjectStart {
  seqs: number[];
  resume: number;
}

/**
 * The first stream sequence a new consumer delivers, from its deliver policy and start options
 * (Go selectStartingSeqNo), clamped to what the stream holds.
 *
 * @example
 * const { sseq } = startingSequence(store, { deliver_policy: "new", ... }, [], 0);
 */
export function startingSequence(
  store: StreamStore,
  cfg: ConsumerConfigJson,
  filters: string[],
  maxMsgsPerSubject: number,
): { sseq: number; lastPerSubject?: LastPerSubjectStart } {
  const st = store.fastState();
  let sseq = 1;
  let lastPerSubject: LastPerSubjectStart | undefined;
  if (cfg.opt_start_seq) {
    sseq = cfg.opt_start_seq;
  } else {
    switch (cfg.deliver_policy) {
      case "all":
        sseq = st.firstSeq;
        break;
      case "last":
        if (filters.length === 0) sseq = st.lastSeq;
        else {
          sseq = 0;
          for (const f of filters) sseq = Math.max(sseq, store.filteredState(1, f).last);
        }
        break;
      case "last_per_subject":
        // With one message per subject every message is the last of its subject.
        if (maxMsgsPerSubject === 1) {
          sseq = st.firstSeq;
        } else {
          const seqs = store.multiLastSeqs(filters.length ? filters : [">"], 0, 0);
          sseq = seqs.length === 0 ? st.lastSeq : seqs[0];
          if (seqs.length > 0) lastPerSubject = { seqs, resume: st.lastSeq };
        }
        break;
      case "by_start_time":
        sseq = store.getSeqFromTime(parseRfc3339(cfg.opt_start_time!) ?? 0n);
        break;
      default:
        sseq = st.lastSeq + 1;
    }
  }
  if (st.firstSeq === 0 && !cfg.opt_start_seq) sseq = 1;
  else if (sseq > st.lastSeq && !cfg.opt_start_seq) sseq = st.lastSeq + 1;
  else if (sseq < st.firstSeq) sseq = st.firstSeq;
  if (st.msgs === 0 && !cfg.opt_start_seq) sseq = st.lastSeq + 1;
  return { sseq, lastPerSubject };
}
