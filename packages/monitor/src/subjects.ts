/** Whether `subject` is a valid literal (publish) subject: non-empty tokens, no wildcards. */
export function isLiteralSubject(subject: string): boolean {
  if (subject === "" || /[\s]/.test(subject)) return false;
  for (const t of subject.split(".")) if (t === "" || t === "*" || t === ">") return false;
  return true;
}

/** Whether the literal subject is matched by the (possibly wildcard) filter. */
export function matchLiteral(literal: string, filter: string): boolean {
  const l = literal.split(".");
  const f = filter.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return l.length > i;
    if (i >= l.length) return false;
    if (f[i] !== "*" && f[i] !== l[i]) return false;
  }
  return l.length === f.length;
}

/** Whether two subjects (either may hold wildcards) can match a common literal subject. */
export function subjectsCollide(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === ">" || q === ">") return p !== undefined && q !== undefined;
    if (p === undefined || q === undefined) return false;
    if (p !== "*" && q !== "*" && p !== q) return false;
  }
  return true;
}
