import type { Sublist, Subscription } from "@nats-ts/core";
import { isLiteralSubject, subjectMatches } from "@nats-ts/wire";

/** Something to tell when interest on its deliver subject may have changed. */
export interface InterestListener {
  interestChanged(): void;
}

/**
 * Tells push consumers when a subscription that matches their deliver subject comes or goes,
 * so they start delivering as soon as a client subscribes (Go registers a sublist interest
 * notification per deliver subject). One sublist watcher serves every deliver subject of an
 * account; a literal subscription costs one map lookup, a wildcard one a scan of the watched
 * subjects.
 */
class DeliverInterest {
  private readonly bySubject = new Map<string, Set<InterestListener>>();
  private unwatch: (() => void) | undefined;

  constructor(private readonly sublist: Sublist) {}

  add(subject: string, listener: InterestListener): void {
    let set = this.bySubject.get(subject);
    if (!set) this.bySubject.set(subject, (set = new Set()));
    set.add(listener);
    this.unwatch ??= this.sublist.watch((sub) => this.changed(sub));
  }

  /** Returns true when nothing is watched any more. */
  remove(subject: string, listener: InterestListener): boolean {
    const set = this.bySubject.get(subject);
    if (set?.delete(listener) && set.size === 0) this.bySubject.delete(subject);
    if (this.bySubject.size > 0) return false;
    this.unwatch?.();
    this.unwatch = undefined;
    return true;
  }

  private changed(sub: Subscription): void {
    if (isLiteralSubject(sub.subject)) {
      this.notify(this.bySubject.get(sub.subject));
      return;
    }
    for (const [subject, set] of this.bySubject) if (subjectMatches(sub.subject, subject)) this.notify(set);
  }

  private notify(set: Set<InterestListener> | undefined): void {
    if (set) for (const l of [...set]) l.interestChanged();
  }
}

const watches = new WeakMap<Sublist, DeliverInterest>();

/** Calls `listener.interestChanged()` on every subscribe or unsubscribe matching `subject`; returns the stop function. */
export function watchDeliverSubject(sublist: Sublist, subject: string, listener: InterestListener): () => void {
  let w = watches.get(sublist);
  if (!w) watches.set(sublist, (w = new DeliverInterest(sublist)));
  w.add(subject, listener);
  const watch = w;
  return () => {
    if (watch.remove(subject, listener)) watches.delete(sublist);
  };
}
