import { formatGoDuration } from "@nats-ts/core";
import type { StreamStore } from "@nats-ts/storage";
import { getHeader } from "@nats-ts/wire";
import { JS_MARKER_REASON } from "./headers.js";

/** Go's isSubjectDeleteMarker: a marker, or a KV purge marker. */
export function isDeleteMarker(hdr: Uint8Array): boolean {
  return hdr.length > 0 && (getHeader(hdr, JS_MARKER_REASON) !== undefined || getHeader(hdr, "KV-Operation") === "PURGE");
}

/** The headers of a subject delete marker left when age or a TTL removed a subject's last message. */
export function deleteMarkerHeaders(markerTtlNs: number): Buffer {
  const ttl = formatGoDuration(Math.floor(markerTtlNs / 1e9) * 1000);
  return Buffer.from(`NATS/1.0\r\n${JS_MARKER_REASON}: MaxAge\r\nNats-TTL: ${ttl}\r\nNats-Rollup: sub\r\n\r\n`);
}

/**
 * Tells expiry removals (max_age, per-message TTL) apart from every other removal, so the
 * stream can leave a subject delete marker (Go's SubjectDeleteMarkerTTL) when the last
 * message of a subject expires. Other removals run inside `deliberate()`; the store's
 * update callback then sees only the expiries as undeliberate.
 */
export class ExpiryWatch {
  private depth = 0;
  /** Sequences holding markers (a marker expiring leaves no new marker). */
  private readonly markers = new Set<number>();

  constructor(private readonly onSubjectExpired: (subject: string) => void) {}

  deliberate<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
    }
  }

  noteStored(seq: number, hdr: Uint8Array): void {
    if (isDeleteMarker(hdr)) this.markers.add(seq);
  }

  /** The store's update callback. */
  update(store: StreamStore, msgs: number, seq: number, subject: string): void {
    if (msgs >= 0) return;
    const wasMarker = this.markers.delete(seq);
    if (this.depth > 0 || subject === "" || wasMarker) return;
    if ((store.subjectsTotals(subject).get(subject) ?? 0) === 0) this.onSubjectExpired(subject);
  }

  /** Rebuilds the marker set after recovery. */
  rebuild(store: StreamStore): void {
    const st = store.fastState();
    for (let seq = st.firstSeq; seq > 0 && seq <= st.lastSeq; seq++) {
      try {
        const sm = store.loadMsg(seq);
        this.noteStored(seq, sm.hdr);
      } catch {
        // deleted
      }
    }
  }
}

/**
 * The store as consumers see it: removals they make (interest and workqueue acks) are
 * deliberate, so they never leave delete markers.
 */
export function deliberateStore(store: StreamStore, watch: ExpiryWatch): StreamStore {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop) {
      let v = bound.get(prop);
      if (v !== undefined) return v;
      const raw = Reflect.get(target, prop, target) as unknown;
      if (typeof raw !== "function") return raw;
      v =
        prop === "removeMsg" || prop === "eraseMsg" || prop === "purge" || prop === "purgeEx" || prop === "compact"
          ? (...args: unknown[]) => watch.deliberate(() => (raw as (...a: unknown[]) => unknown).apply(target, args))
          : (raw as (...a: unknown[]) => unknown).bind(target);
      bound.set(prop, v);
      return v;
    },
  });
}
