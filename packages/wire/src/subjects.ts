/**
 * Subject validation and matching, with the Go server's rules (server/sublist.go).
 *
 * Tokens are separated by ".". A token that is exactly "*" matches any one token; a last
 * token that is exactly ">" matches one or more tokens. "*" or ">" inside a longer token
 * ("foo*", ">bar") is an ordinary character.
 */

const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;

/** The tokens of a subject: `tokenizeSubject("foo.*.bar")` is `["foo", "*", "bar"]`. */
export function tokenizeSubject(subject: string): string[] {
  return subject.split(".");
}

/**
 * Number of tokens (0 for the empty string).
 * @example numTokens("foo.bar") // 2
 */
export function numTokens(subject: string): number {
  if (subject.length === 0) return 0;
  let n = 1;
  for (let i = 0; i < subject.length; i++) if (subject.charCodeAt(i) === DOT) n++;
  return n;
}

/**
 * The 1-based `index`-th token, "" when out of range (Go's tokenAt).
 * @example tokenAt("foo.bar", 2) // "bar"
 */
export function tokenAt(subject: string, index: number): string {
  let token = 1;
  let start = 0;
  for (let i = 0; i < subject.length; i++) {
    if (subject.charCodeAt(i) === DOT) {
      if (token === index) return subject.slice(start, i);
      start = i + 1;
      token++;
    }
  }
  return token === index ? subject.slice(start) : "";
}

/**
 * A valid subscription subject: no empty tokens, no whitespace in tokens, ">" only as
 * the last token. With `checkRunes`, NUL characters and U+FFFD (what invalid UTF-8
 * decodes to) are rejected too.
 * @example isValidSubject("foo.*.>") // true; isValidSubject("foo..bar") // false
 */
export function isValidSubject(subject: string, checkRunes = false): boolean {
  if (subject.length === 0) return false;
  if (checkRunes && (subject.includes("\u0000") || subject.includes("\ufffd"))) return false;
  let tokenStart = 0;
  let afterFullWildcard = false;
  for (let i = 0; i <= subject.length; i++) {
    const c = i < subject.length ? subject.charCodeAt(i) : DOT;
    if (c === DOT) {
      const len = i - tokenStart;
      if (len === 0 || afterFullWildcard) return false;
      if (len === 1 && subject.charCodeAt(tokenStart) === GT) afterFullWildcard = true;
      tokenStart = i + 1;
    } else if (isWhitespace(c)) {
      return false;
    }
  }
  return true;
}

/**
 * A valid subject without wildcard tokens: what may be published to.
 * @example isValidPublishSubject("foo.bar") // true; isValidPublishSubject("foo.*") // false
 */
export function isValidPublishSubject(subject: string): boolean {
  return isValidSubject(subject) && isLiteralSubject(subject);
}

/**
 * Go's IsValidLiteralSubject: no empty tokens and no wildcard tokens. Unlike
 * isValidPublishSubject it does not look for whitespace.
 * @example isValidLiteralSubject("foo*") // true
 */
export function isValidLiteralSubject(subject: string): boolean {
  let tokenStart = 0;
  for (let i = 0; i <= subject.length; i++) {
    if (i < subject.length && subject.charCodeAt(i) !== DOT) continue;
    const len = i - tokenStart;
    if (len === 0) return false;
    if (len === 1) {
      const c = subject.charCodeAt(tokenStart);
      if (c === STAR || c === GT) return false;
    }
    tokenStart = i + 1;
  }
  return true;
}

/**
 * A queue group name: non-empty and without whitespace (a queue name is one
 * protocol argument). Dots and wildcard characters are ordinary characters in it.
 * @example isValidQueueName("workers") // true
 */
export function isValidQueueName(queue: string): boolean {
  if (queue.length === 0) return false;
  for (let i = 0; i < queue.length; i++) if (isWhitespace(queue.charCodeAt(i))) return false;
  return true;
}

/**
 * True when no token is a wildcard (Go's subjectIsLiteral; validity is not checked).
 * @example isLiteralSubject("foo.*") // false; isLiteralSubject("foo*") // true
 */
export function isLiteralSubject(subject: string): boolean {
  const len = subject.length;
  for (let i = 0; i < len; i++) {
    const c = subject.charCodeAt(i);
    if ((c === STAR || c === GT) && (i === 0 || subject.charCodeAt(i - 1) === DOT) && (i + 1 === len || subject.charCodeAt(i + 1) === DOT)) {
      return false;
    }
  }
  return true;
}

/**
 * Whether the literal `subject` is matched by `filter` (which may hold "*" and ">").
 * Neither is validated (Go's matchLiteral): validate subjects where they enter.
 * @example subjectMatches("foo.*", "foo.bar") // true; subjectMatches("foo.>", "foo") // false
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const fl = filter.length;
  const sl = subject.length;
  let si = 0;
  for (let fi = 0; fi < fl; fi++) {
    const c = filter.charCodeAt(fi);
    const tokenStart = fi === 0 || filter.charCodeAt(fi - 1) === DOT;
    if (tokenStart && (fi + 1 === fl || filter.charCodeAt(fi + 1) === DOT)) {
      if (c === GT) return si < sl; // ">" needs at least one more token
      if (c === STAR) {
        // "*" consumes one subject token, which must be non-empty.
        const start = si;
        while (si < sl && subject.charCodeAt(si) !== DOT) si++;
        if (si === start) return false;
        continue;
      }
    }
    if (si >= sl || subject.charCodeAt(si) !== c) return false;
    si++;
  }
  return si === sl;
}

/**
 * Whether two subscription subjects can both match some literal subject (Go's SubjectsCollide).
 * @example subjectsCollide("foo.*", "*.bar") // true; subjectsCollide("foo.*", "foo.*.bar") // false
 */
export function subjectsCollide(a: string, b: string): boolean {
  if (a === b) return true;
  const ta = tokenizeSubject(a);
  const tb = tokenizeSubject(b);
  const [pwcA, fwcA] = wildcardsIn(ta);
  const [pwcB, fwcB] = wildcardsIn(tb);
  const literalA = !pwcA && !fwcA;
  const literalB = !pwcB && !fwcB;
  if (literalA && literalB) return false; // equal strings returned above
  if (literalA) return isSubsetMatchTokenized(ta, tb);
  if (literalB) return isSubsetMatchTokenized(tb, ta);
  if (ta.length !== tb.length) {
    // The shorter one can only reach the longer one's length through ">".
    if (!fwcA && !fwcB) return false;
    if ((ta.length < tb.length && !fwcA) || (tb.length < ta.length && !fwcB)) return false;
  }
  const stop = Math.min(ta.length, tb.length);
  for (let i = 0; i < stop; i++) if (!tokensCanMatch(ta[i], tb[i])) return false;
  return true;
}

/**
 * Whether every subject matched by `subject` is also matched by `filter` (both may hold
 * wildcards); Go's subjectIsSubsetMatch. Empty tokens never match.
 * @example subjectIsSubsetMatch("foo.*", "foo.>") // true; subjectIsSubsetMatch("foo.>", "foo.*") // false
 */
export function subjectIsSubsetMatch(subject: string, filter: string): boolean {
  return isSubsetMatchTokenized(tokenizeSubject(subject), tokenizeSubject(filter));
}

function isSubsetMatchTokenized(tokens: string[], test: string[]): boolean {
  for (let i = 0; i < test.length; i++) {
    if (i >= tokens.length) return false;
    const t2 = test[i];
    if (t2.length === 0) return false;
    if (t2 === ">") return true;
    const t1 = tokens[i];
    if (t1.length === 0 || t1 === ">") return false;
    if (t1 === "*") {
      if (t2 !== "*") return false;
      continue;
    }
    if (t2 !== "*" && t1 !== t2) return false;
  }
  return tokens.length === test.length;
}

/**
 * Splits a permission entry of the form "subject" or "subject queue" (Go's
 * splitSubjectQueue, used for allow/deny lists). Throws on an empty entry, more than two
 * fields or an invalid subject or queue.
 * @example splitSubjectQueue("orders.* v1") // { subject: "orders.*", queue: "v1" }
 */
export function splitSubjectQueue(entry: string): { subject: string; queue: string | undefined } {
  const fields: string[] = [];
  let start = -1;
  for (let i = 0; i <= entry.length; i++) {
    const space = i === entry.length || isWhitespace(entry.charCodeAt(i)) || entry.charCodeAt(i) === 0x0b;
    if (space && start >= 0) {
      fields.push(entry.slice(start, i));
      start = -1;
    } else if (!space && start < 0) {
      start = i;
    }
  }
  const [subject, queue] = fields;
  if (fields.length === 0 || fields.length > 2 || !isValidSubject(subject) || (queue !== undefined && !isValidSubject(queue))) {
    throw new TypeError(`invalid subject-queue ${JSON.stringify(entry)}`);
  }
  return { subject, queue };
}

function wildcardsIn(tokens: string[]): [partial: boolean, full: boolean] {
  let partial = false;
  let full = false;
  for (const t of tokens) {
    if (t === "*") partial = true;
    else if (t === ">") full = true;
  }
  return [partial, full];
}

function tokensCanMatch(t1: string, t2: string): boolean {
  if (t1.length === 0 || t2.length === 0) return false;
  const c1 = t1.charCodeAt(0);
  const c2 = t2.charCodeAt(0);
  // Go compares first characters only here, so "*x" counts as a wildcard; kept for parity.
  if (c1 === STAR || c2 === STAR || c1 === GT || c2 === GT) return true;
  return t1 === t2;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
}
