import { isValidSubject, subjectMatches } from "@nats-ts/wire";

type DestPart = { literal: string } | { wildcard: number } | { rest: true };

/**
 * A subject mapping from `src` (may hold wildcards) to `dest`, where `dest` refers to the
 * source's wildcards with `{{wildcard(N)}}` or `$N`, and a trailing `>` for the source's `>`
 * (Go's SubjectTransform, the subset streams use).
 *
 * @example
 * const t = SubjectTransform.create("orders.*.*", "archive.{{wildcard(2)}}.$1");
 * t.match("orders.eu.42"); // "archive.42.eu"
 */
export class SubjectTransform {
  private constructor(
    readonly src: string,
    private readonly srcTokens: string[],
    private readonly parts: DestPart[],
  ) {}

  /** Throws an Error with Go's text when the mapping is not valid. */
  static create(src: string, dest: string): SubjectTransform {
    const source = src === "" ? ">" : src;
    if (!isValidSubject(source)) throw new Error("invalid subject");
    if (dest === "") return new SubjectTransform(source, source.split("."), []);
    const srcTokens = source.split(".");
    const wildcardCount = srcTokens.filter((t) => t === "*").length;
    const srcHasRest = srcTokens[srcTokens.length - 1] === ">";
    const destTokens = dest.split(".");
    // Go: a valid destination has no '*' and has a '>' exactly when the source has one.
    // Go checks tokens only (no whitespace rule): a bad mapped subject is caught when publishing.
    const tokensOk = destTokens.every((t, i) => t !== "" && (t !== ">" || i === destTokens.length - 1));
    if (!tokensOk || destTokens.includes("*") || srcHasRest !== (destTokens[destTokens.length - 1] === ">")) {
      throw new Error("invalid subject");
    }
    const parts: DestPart[] = [];
    const tokens = destTokens;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i];
      if (tok === "") throw new Error("invalid mapping destination: empty token");
      if (tok === ">") {
        if (i !== tokens.length - 1 || !srcHasRest) throw new Error("invalid mapping destination: wildcard mismatch");
        parts.push({ rest: true });
        continue;
      }
      const fn = /^\{\{\s*wildcard\s*\(\s*(\d+)\s*\)\s*\}\}$/i.exec(tok) ?? /^\$(\d+)$/.exec(tok);
      if (fn !== null) {
        const n = Number(fn[1]);
        if (n < 1 || n > wildcardCount) throw new Error("invalid mapping destination: wildcard index out of range");
        parts.push({ wildcard: n });
        continue;
      }
      if (tok.includes("{{") || tok.includes("}}")) throw new Error("invalid mapping destination: unknown function");
      parts.push({ literal: tok });
    }
    return new SubjectTransform(source, srcTokens, parts);
  }

  /** The mapped subject, or undefined when `subject` does not match the source. */
  match(subject: string): string | undefined {
    if (!subjectMatches(this.src, subject)) return undefined;
    if (this.parts.length === 0) return subject;
    const tokens = subject.split(".");
    const wildcards: string[] = [];
    let restAt = tokens.length;
    for (let i = 0; i < this.srcTokens.length; i++) {
      const s = this.srcTokens[i];
      if (s === "*") wildcards.push(tokens[i]);
      else if (s === ">") {
        restAt = i;
        break;
      }
    }
    const out: string[] = [];
    for (const p of this.parts) {
      if ("literal" in p) out.push(p.literal);
      else if ("wildcard" in p) out.push(wildcards[p.wildcard - 1]);
      else out.push(tokens.slice(restAt).join("."));
    }
    return out.join(".");
  }
}
