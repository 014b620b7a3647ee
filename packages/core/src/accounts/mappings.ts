import { isValidSubject } from "@nats-ts/wire";
import { isSubsetMatch, MappingError, SubjectTransform, validateMapping } from "./subject-transform.js";

/** One weighted destination of a mapping; weights are percentages. */
export interface MappingDestination {
  destination: string;
  weight: number;
  /** Only applies in this cluster (ignored until clustering lands). */
  cluster?: string;
}

interface Destination {
  transform: SubjectTransform;
  /** Cumulative weight: a draw below it (and above the previous one) picks this destination. */
  upTo: number;
}

interface Mapping {
  src: string;
  wildcard: boolean;
  dests: Destination[];
}

/** Turns `foo.*.bar.*` into `foo.$1.bar.$2`: the identity destination for a wildcard source. */
function identityDestination(src: string): string {
  let n = 0;
  return src
    .split(".")
    .map((t) => (t === "*" ? `$${++n}` : t))
    .join(".");
}

/**
 * An account's subject mappings (Go's account mappings): a published subject matching a source is
 * rewritten to one of its destinations, chosen by weight; weights under 100% leave the rest of the
 * traffic on the original subject.
 *
 * @example
 * const m = new SubjectMappings();
 * m.add("orders", [{ destination: "orders.v2", weight: 10 }]); // canary: 10% to v2
 * m.map("orders"); // "orders" or "orders.v2"
 */
export class SubjectMappings {
  private readonly mappings: Mapping[] = [];

  get size(): number {
    return this.mappings.length;
  }

  /** Adds (or replaces) the mapping for `src`; throws {@link MappingError} with Go's text. */
  add(src: string, dests: readonly MappingDestination[]): void {
    if (!isValidSubject(src)) throw new MappingError("invalid subject");
    const seen = new Set<string>();
    let total = 0;
    const local: { transform: SubjectTransform; weight: number }[] = [];
    for (const d of dests) {
      if (seen.has(d.destination)) throw new MappingError(`duplicate entry for "${d.destination}"`);
      seen.add(d.destination);
      if (d.weight > 100) throw new MappingError("individual weights need to be <= 100");
      validateMapping(src, d.destination);
      const transform = SubjectTransform.create(src, d.destination);
      // Cluster-scoped destinations only matter in a cluster, which does not exist yet.
      if (d.cluster !== undefined && d.cluster !== "") continue;
      total += d.weight;
      if (total > 100) throw new MappingError("total weight needs to be <= 100");
      local.push({ transform, weight: d.weight });
    }
    const wildcard = src.includes("*") || src.includes(">");
    if (total !== 100 && !seen.has(src)) {
      const identity = SubjectTransform.create(src, wildcard ? identityDestination(src) : src);
      local.push({ transform: identity, weight: local.length === 0 ? 100 : 100 - total });
    }
    local.sort((a, b) => a.weight - b.weight);
    let upTo = 0;
    const mapping: Mapping = {
      src,
      wildcard,
      dests: local.map((d) => ({ transform: d.transform, upTo: (upTo += d.weight) })),
    };
    const i = this.mappings.findIndex((m) => m.src === src);
    if (i >= 0) this.mappings[i] = mapping;
    else this.mappings.push(mapping);
  }

  /** The subject a publish on `subject` goes to (itself when no mapping applies). */
  map(subject: string): string {
    const list = this.mappings;
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (m.wildcard ? isSubsetMatch(subject, m.src) : m.src === subject) return pick(m.dests, subject);
    }
    return subject;
  }
}

function pick(dests: Destination[], subject: string): string {
  let d: Destination | undefined;
  if (dests.length === 1 && dests[0].upTo === 100) d = dests[0];
  else {
    const draw = Math.floor(Math.random() * 100);
    d = dests.find((x) => draw < x.upTo);
  }
  return d === undefined ? subject : d.transform.transform(subject);
}
