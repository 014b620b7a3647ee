import type { SubjectPermission } from "@nats-ts/core";
import { subjectIsSubsetMatch, subjectMatches } from "@nats-ts/wire";

/**
 * A cluster `import`/`export` permission as a predicate on (possibly wildcard) subscription
 * subjects: allowed when no allow list or an allow entry covers it, and no deny entry does.
 */
export function permissionCheck(p: SubjectPermission | undefined): (subject: string) => boolean {
  if (p === undefined) return () => true;
  const allow = p.allow ?? [];
  const deny = p.deny ?? [];
  const covers = (filter: string, subject: string) => subjectMatches(filter, subject) || subjectIsSubsetMatch(subject, filter);
  return (subject) => (allow.length === 0 || allow.some((f) => covers(f, subject))) && !deny.some((f) => covers(f, subject));
}
