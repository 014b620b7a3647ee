import type { StoreMsg } from "@nats-ts/storage";
import { getHeader, subjectMatches } from "@nats-ts/wire";
import { nowNs, parseRfc3339 } from "../util/time.js";
import * as H from "./headers.js";
import { sourceIndexName, type StreamSourceJson } from "./mirror-config.js";
import { SubjectTransform } from "./subject-transform.js";

/** What a link reads from its origin stream (a Stream of the same account). */
export interface OriginStream {
  readonly store: {
    fastState(): { firstSeq: number; lastSeq: number };
    loadMsg(seq: number): StoreMsg;
    getSeqFromTime(ts: bigint): number;
  };
  onStored(listener: (seq: number, subject: string) => void): () => void;
  /** Registers a link as a reader: interest and work queue streams keep what it still needs. */
  addReader(link: StreamLink): () => void;
  /** The link is done with `seq` (copied or filtered out). */
  copied(seq: number): void;
}

/** Where a link writes what it copies. */
export interface LinkTarget {
  /** Stores an origin message; false stops this pump round (closed, or full: retried later). */
  take(link: { readonly iname: string }, msg: StoreMsg, subject: string): boolean;
  /** A round of copying ended (the link's lag may now be small). */
  linkProgressed(): void;
}

/** Go's StreamSourceInfo JSON. */
export interface StreamSourceInfoJson {
  name: string;
  filter_subject?: string;
  subject_transforms?: { src: string; dest: string }[];
  external?: { api: string; deliver: string };
  lag: number;
  active: number;
  error?: object;
}

/** Most messages copied in one event-loop turn (catching up must not starve other work). */
const BATCH = 1000;
/** How often a link looks for its origin again (created, deleted or recreated). */
const RECHECK_MS = 1000;

/**
 * One mirror or source of a stream, fed straight from the origin stream's store in this
 * process (Go's mirror/source consumer, without the consumer): it copies every stored message
 * from `next` on, then follows new ones.
 *
 * @example
 * const link = new StreamLink(cfg.mirror, lookup, target, 0);
 * link.start();
 */
export class StreamLink {
  readonly iname: string;
  private origin: OriginStream | undefined;
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private stopped = false;
  private lastActive = 0n;
  /** Whether an origin was ever found (a later, different one is a recreated stream). */
  private attached = false;
  private readonly filters: { filter: string; transform?: SubjectTransform }[];

  /** `next` is the first origin sequence still to copy (0: from the configured start). */
  constructor(
    readonly spec: StreamSourceJson,
    private readonly lookup: (name: string) => OriginStream | undefined,
    private readonly target: LinkTarget,
    private next: number,
  ) {
    this.iname = sourceIndexName(spec);
    const trs = spec.subject_transforms ?? [];
    if (trs.length > 0) {
      this.filters = trs.map((t) => ({ filter: t.src || ">", transform: t.dest ? SubjectTransform.create(t.src || ">", t.dest) : undefined }));
    } else this.filters = [{ filter: spec.filter_subject || ">" }];
  }

  start(): void {
    this.attach();
    this.timer = setInterval(() => this.attach(), RECHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.origin = undefined;
  }

  /** Follows the origin stream currently in the account (it may come, go or be recreated). */
  attach(): void {
    if (this.stopped) return;
    const origin = this.lookup(this.spec.name);
    if (origin === this.origin) {
      if (origin === undefined) return;
      this.lastActive = nowNs();
      if (this.next <= origin.store.fastState().lastSeq) this.schedule();
      return;
    }
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.origin = origin;
    if (origin === undefined) return;
    this.lastActive = nowNs();
    if (this.next === 0) this.next = this.startSeq(origin);
    else if (this.attached && this.next > origin.store.fastState().lastSeq + 1) {
      // The origin was deleted and created again: its sequences started over.
      this.next = 1;
    }
    this.attached = true;
    const offStored = origin.onStored(() => this.schedule());
    const offReader = origin.addReader(this);
    this.unsubscribe = () => {
      offStored();
      offReader();
    };
    this.schedule();
  }

  private startSeq(origin: OriginStream): number {
    if ((this.spec.opt_start_seq ?? 0) > 0) return this.spec.opt_start_seq!;
    const time = this.spec.opt_start_time !== undefined ? parseRfc3339(this.spec.opt_start_time) : undefined;
    if (time !== undefined) {
      const seq = origin.store.getSeqFromTime(time);
      return seq > 0 ? seq : origin.store.fastState().lastSeq + 1;
    }
    return 1;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const origin = this.origin;
    if (origin === undefined || this.stopped) return;
    const st = origin.store.fastState();
    if (this.next < st.firstSeq) this.next = st.firstSeq;
    let budget = BATCH;
    while (this.next <= st.lastSeq && budget-- > 0) {
      let msg: StoreMsg | undefined;
      try {
        msg = origin.store.loadMsg(this.next);
      } catch {
        msg = undefined;
      }
      if (msg !== undefined) {
        const subject = this.map(msg.subject);
        if (subject !== undefined && !this.target.take(this, msg, subject)) return;
      }
      this.next++;
      if (msg !== undefined) origin.copied(msg.seq);
      this.lastActive = nowNs();
    }
    if (this.next <= st.lastSeq) this.schedule();
    this.target.linkProgressed();
  }

  /** Origin messages not copied yet. */
  get lag(): number {
    const originLast = this.origin?.store.fastState().lastSeq ?? 0;
    return Math.max(originLast - Math.max(this.next - 1, 0), 0);
  }

  /** Whether the link has yet to read `seq` of its origin. */
  needs(seq: number): boolean {
    return seq >= this.next;
  }

  /** The subject to store under, or undefined when the filters leave the message out. */
  private map(subject: string): string | undefined {
    for (const f of this.filters) {
      if (!subjectMatches(f.filter, subject)) continue;
      return f.transform?.match(subject) ?? subject;
    }
    return undefined;
  }

  info(): StreamSourceInfoJson {
    const out: StreamSourceInfoJson = {
      name: this.spec.name,
      lag: this.lag,
      active: this.lastActive === 0n ? -1 : Number(nowNs() - this.lastActive),
    };
    if (this.spec.filter_subject) out.filter_subject = this.spec.filter_subject;
    if ((this.spec.subject_transforms ?? []).length > 0) {
      out.subject_transforms = this.spec.subject_transforms!.map((t) => ({ src: t.src ?? "", dest: t.dest ?? "" }));
    }
    return out;
  }
}

/** Go's Nats-Stream-Source value: `<name> <origin seq> <filters> <destinations> <origin subject>`. */
export function sourceHeaderValue(iname: string, seq: number, subject: string): string {
  const [name, filters, dests] = iname.split(" ");
  return `${name} ${seq} ${filters} ${dests} ${subject}`;
}

/**
 * For each source index name, the last origin sequence already stored in `store` (read back
 * from the Nats-Stream-Source headers, newest first) so sourcing resumes without duplicates.
 */
export function lastSourcedSeqs(
  store: { fastState(): { firstSeq: number; lastSeq: number }; loadMsg(seq: number): StoreMsg },
  inames: string[],
): Map<string, number> {
  const found = new Map<string, number>();
  const st = store.fastState();
  for (let seq = st.lastSeq; seq >= st.firstSeq && seq > 0 && found.size < inames.length; seq--) {
    let sm: StoreMsg;
    try {
      sm = store.loadMsg(seq);
    } catch {
      continue;
    }
    if (sm.hdr.length === 0) continue;
    const value = getHeader(sm.hdr, H.JS_STREAM_SOURCE);
    if (value === undefined) continue;
    const f = value.split(" ");
    if (f.length < 4) continue;
    const iname = `${f[0]} ${f[2]} ${f[3]}`;
    const n = Number(f[1]);
    if (inames.includes(iname) && !found.has(iname) && Number.isInteger(n)) found.set(iname, n);
  }
  return found;
}
