// Subject rules as the NATS server applies them: dot-separated non-empty tokens, no
// whitespace; `*` matches one token and `>` (last token only) matches one or more.

const FWC = ">";
const PWC = "*";

function tokensValid(subject: string, allowWildcards: boolean): boolean {
  if (subject.length === 0) return false;
  let start = 0;
  for (let i = 0; i <= subject.length; i++) {
    const c = i < subject.length ? subject.charCodeAt(i) : 46;
    if (c === 46 /* . */) {
      const len = i - start;
      if (len === 0) return false;
      if (len === 1) {
        const t = subject.charCodeAt(start);
        if (t === 42 /* * */ || t === 62 /* > */) {
          if (!allowWildcards) return false;
          if (t === 62 && i !== subject.length) return false;
        }
      }
      start = i + 1;
    } else if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12) {
      return false;
    }
  }
  return true;
}

/** A subject a message can be published to: no wildcards. */
export function isValidLiteralSubject(subject: string): boolean {
  return tokensValid(subject, false);
}

/** A subject filter: wildcards allowed in token position. */
export function isValidFilter(subject: string): boolean {
  return tokensValid(subject, true);
}

export function subjectHasWildcard(subject: string): boolean {
  for (let i = 0; i < subject.length; i++) {
    const c = subject.charCodeAt(i);
    if ((c === 42 || c === 62) && (i === 0 || subject.charCodeAt(i - 1) === 46) &&
      (i + 1 === subject.length || subject.charCodeAt(i + 1) === 46)) return true;
  }
  return false;
}

/** Does literal `subject` match `filter` (which may hold wildcards)? */
export function subjectMatches(subject: string, filter: string): boolean {
  if (filter === FWC || filter === "") return true;
  let si = 0;
  let fi = 0;
  const sl = subject.length;
  const fl = filter.length;
  while (fi < fl) {
    if (si > sl) return false;
    let fe = filter.indexOf(".", fi);
    if (fe < 0) fe = fl;
    let se = subject.indexOf(".", si);
    if (se < 0) se = sl;
    const ftLen = fe - fi;
    if (ftLen === 1 && filter.charCodeAt(fi) === 62) return si < sl;
    if (si >= sl) return false;
    if (!(ftLen === 1 && filter.charCodeAt(fi) === 42)) {
      if (se - si !== ftLen || subject.substring(si, se) !== filter.substring(fi, fe)) return false;
    }
    fi = fe + 1;
    si = se + 1;
  }
  return si > sl;
}

/** True for the filters that select every subject. */
export function isAllFilter(filter: string): boolean {
  return filter === "" || filter === FWC;
}

export { FWC, PWC };
