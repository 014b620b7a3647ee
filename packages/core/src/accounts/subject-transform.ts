import { isValidSubject } from "@nats-ts/wire";

/** Go's `invalid mapping destination` family of errors, worded as Go words them. */
export class MappingError extends Error {
  constructor(reason: string, token?: string) {
    super(token === undefined || token === "" ? reason : `${reason} in ${token}`);
    this.name = "MappingError";
  }
}

const INVALID = "invalid mapping destination";
export const MAPPING_ERRORS = {
  badSubject: "invalid subject",
  invalidSubject: `${INVALID}: invalid transform`,
  notUsingAllWildcards: `${INVALID}: not using all of the token wildcard(s)`,
  unknownFunction: `${INVALID}: unknown function`,
  indexOutOfRange: `${INVALID}: wildcard index out of range`,
  notEnoughArgs: `${INVALID}: not enough arguments passed to the function`,
  invalidArg: `${INVALID}: function argument is invalid or in the wrong format`,
  tooManyArgs: `${INVALID}: too many arguments passed to the function`,
  notSupportedForImport: `${INVALID}: the only mapping function allowed for import transforms is {{Wildcard()}}`,
} as const;

type FnKind =
  | "literal"
  | "wildcard"
  | "partition"
  | "splitFromLeft"
  | "splitFromRight"
  | "sliceFromLeft"
  | "sliceFromRight"
  | "split"
  | "left"
  | "right"
  | "random";

/** One destination token: a literal or a function of source tokens (positions already resolved). */
interface DestToken {
  kind: FnKind;
  text: string;
  /** Source token positions the function reads. */
  positions: number[];
  num: number;
  sep: string;
}

const INT_ARG_FUNCTIONS: Record<string, FnKind> = {
  splitfromleft: "splitFromLeft",
  splitfromright: "splitFromRight",
  slicefromleft: "sliceFromLeft",
  slicefromright: "sliceFromRight",
  left: "left",
  right: "right",
};
const MAX_INT32 = 2 ** 31 - 1;
const FUNCTION = /^\{\{\s*([A-Za-z]+)\s*\((.*)\)\s*\}\}$/;

function parseIntArg(s: string, token: string): number {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new MappingError(MAPPING_ERRORS.invalidArg, token);
  return Number(t);
}

/** A destination token's function and its arguments as written (wildcard numbers, not positions). */
function parseToken(token: string): { kind: FnKind; indexes: number[]; num: number; sep: string } {
  const plain = { kind: "literal" as FnKind, indexes: [], num: -1, sep: "" };
  if (token.length > 1 && token[0] === "$") {
    const n = token.slice(1);
    return /^\d+$/.test(n) ? { kind: "wildcard", indexes: [Number(n)], num: -1, sep: "" } : plain;
  }
  if (!(token.length > 4 && token.startsWith("{{") && token.endsWith("}}"))) return plain;
  const m = FUNCTION.exec(token);
  if (m === null) throw new MappingError(MAPPING_ERRORS.unknownFunction, token);
  const name = m[1].toLowerCase();
  const args = m[2].split(/,\s*/);
  switch (name) {
    case "wildcard":
      if (args.length === 1 && args[0] === "") throw new MappingError(MAPPING_ERRORS.notEnoughArgs, token);
      if (args.length > 1) throw new MappingError(MAPPING_ERRORS.tooManyArgs, token);
      return { kind: "wildcard", indexes: [parseIntArg(args[0], token)], num: -1, sep: "" };
    case "partition": {
      if (args.length === 1 && args[0] === "") throw new MappingError(MAPPING_ERRORS.invalidArg, token);
      const n = parseIntArg(args[0], token);
      if (n > MAX_INT32) throw new MappingError(MAPPING_ERRORS.invalidArg, token);
      return { kind: "partition", indexes: args.slice(1).map((a) => parseIntArg(a, token)), num: n, sep: "" };
    }
    case "split": {
      if (args.length < 2) throw new MappingError(MAPPING_ERRORS.notEnoughArgs, token);
      if (args.length > 2) throw new MappingError(MAPPING_ERRORS.tooManyArgs, token);
      const i = parseIntArg(args[0], token);
      if (args[1].includes(" ") || args[1].includes(".")) throw new MappingError(MAPPING_ERRORS.invalidArg, token);
      return { kind: "split", indexes: [i], num: -1, sep: args[1] };
    }
    case "random": {
      if (args.length !== 1 || args[0] === "") throw new MappingError(MAPPING_ERRORS.notEnoughArgs, token);
      const n = parseIntArg(args[0], token);
      if (n > MAX_INT32) throw new MappingError(MAPPING_ERRORS.invalidArg, token);
      return { kind: "random", indexes: [], num: n, sep: "" };
    }
    default: {
      const kind = INT_ARG_FUNCTIONS[name];
      if (kind === undefined) throw new MappingError(MAPPING_ERRORS.unknownFunction, token);
      if (args.length < 2) throw new MappingError(MAPPING_ERRORS.notEnoughArgs, token);
      if (args.length > 2) throw new MappingError(MAPPING_ERRORS.tooManyArgs, token);
      const i = parseIntArg(args[0], token);
      const n = parseIntArg(args[1], token);
      if (n > MAX_INT32) throw new MappingError(MAPPING_ERRORS.invalidArg, token);
      return { kind, indexes: [i], num: n, sep: "" };
    }
  }
}

/** FNV-1a, 32 bits: the hash Go's partition() uses, so partitions agree with the Go server. */
function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(s, "utf8");
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** True when every subject `subject` (tokens, wildcards allowed) can match is also matched by `pattern`. */
export function isSubsetMatch(subject: string, pattern: string): boolean {
  const s = subject.split(".");
  const p = pattern.split(".");
  for (let i = 0; i < p.length; i++) {
    const pt = p[i];
    if (pt === ">") return i < s.length;
    if (i >= s.length) return false;
    const st = s[i];
    if (pt === "*") {
      if (st === ">") return false;
      continue;
    }
    if (st !== pt) return false;
  }
  return s.length === p.length;
}

/**
 * Rewrites subjects from a source pattern to a destination (Go's subject transforms): `$1` and
 * `{{wildcard(1)}}` substitute wildcard tokens, and `partition`, `split`, `splitFromLeft`,
 * `splitFromRight`, `sliceFromLeft`, `sliceFromRight`, `left`, `right` and `random` compute tokens.
 *
 * @example
 * SubjectTransform.create("orders.*.*", "shard.{{partition(4,1)}}.$2").match("orders.acme.new");
 * // "shard.<0..3>.new"
 */
export class SubjectTransform {
  private constructor(
    readonly src: string,
    readonly dest: string,
    private readonly srcTokens: string[],
    private readonly destTokens: DestToken[],
    private readonly destEndsWithFwc: boolean,
  ) {}

  /**
   * Validates and compiles a transform; throws {@link MappingError} with Go's text. `strict`
   * (imports) only allows wildcard substitutions and requires every source wildcard to be used.
   */
  static create(src: string, dest: string, strict = false): SubjectTransform {
    if (src === "") src = ">";
    const si = subjectInfo(src);
    const di = subjectInfo(dest);
    if (si === undefined || di === undefined || di.pwcs > 0 || si.fwc !== di.fwc) throw new MappingError(MAPPING_ERRORS.badSubject);
    // Source wildcard number (1-based) -> token position.
    const wildcardPos = new Map<number, number>();
    si.tokens.forEach((t, i) => {
      if (t === "*") wildcardPos.set(wildcardPos.size + 1, i);
    });
    const hasWildcards = si.pwcs > 0 || si.fwc;
    let used = 0;
    const destTokens = di.tokens.map((text): DestToken => {
      const { kind, indexes, num, sep } = parseToken(text);
      if (strict && kind !== "literal" && kind !== "wildcard") throw new MappingError(MAPPING_ERRORS.notSupportedForImport, text);
      if (kind === "literal" || kind === "random") return { kind, text, positions: [], num, sep };
      if (!hasWildcards) {
        if (kind === "partition" && indexes.length === 0) return { kind, text, positions: [], num, sep };
        throw new MappingError(MAPPING_ERRORS.indexOutOfRange, text);
      }
      used += indexes.length;
      const positions = indexes.map((w) => {
        if (w > si.pwcs) throw new MappingError(MAPPING_ERRORS.indexOutOfRange, `${text}: [${w}]`);
        return wildcardPos.get(w) ?? 0;
      });
      return { kind, text, positions, num, sep };
    });
    if (strict && hasWildcards && used < si.pwcs) throw new MappingError(MAPPING_ERRORS.notUsingAllWildcards, dest);
    return new SubjectTransform(src, dest, si.tokens, destTokens, di.tokens[di.tokens.length - 1] === ">");
  }

  /** The transformed subject, or undefined when `subject` is not a literal matching the source. */
  match(subject: string): string | undefined {
    if (this.src === ">" && (this.dest === ">" || this.dest === "")) return subject;
    const tokens = subject.split(".");
    for (const t of tokens) if (t === "" || t === "*" || t === ">") return undefined;
    if (this.src !== ">" && !isSubsetMatch(subject, this.src)) return undefined;
    return this.transformTokens(tokens);
  }

  /** Transforms a subject already known to match the source. */
  transform(subject: string): string {
    return this.transformTokens(subject.split("."));
  }

  /** Applies the destination to the source subject's tokens. */
  transformTokens(tokens: string[]): string {
    const d = this.destTokens;
    const parts: string[] = [];
    for (let i = 0; i < d.length; i++) {
      const t = d[i];
      if (t.kind === "literal") {
        if (t.text === ">") break;
        parts.push(t.text);
        continue;
      }
      const src = tokens[t.positions[0]] ?? "";
      switch (t.kind) {
        case "wildcard":
          parts.push(src);
          break;
        case "partition": {
          const key = t.positions.length > 0 ? t.positions.map((p) => tokens[p] ?? "").join("") : tokens.join(".");
          parts.push(t.num === 0 ? "0" : String(fnv1a32(key) % t.num));
          break;
        }
        case "random":
          parts.push(t.num === 0 ? "0" : String(Math.floor(Math.random() * MAX_INT32) % t.num));
          break;
        case "splitFromLeft":
          parts.push(t.num > 0 && t.num < src.length ? `${src.slice(0, t.num)}.${src.slice(t.num)}` : src);
          break;
        case "splitFromRight":
          parts.push(t.num > 0 && t.num < src.length ? `${src.slice(0, src.length - t.num)}.${src.slice(src.length - t.num)}` : src);
          break;
        case "sliceFromLeft":
          parts.push(t.num > 0 && t.num < src.length ? chunks(src, 0, t.num).join(".") : src);
          break;
        case "sliceFromRight":
          parts.push(t.num > 0 && t.num < src.length ? chunks(src, src.length % t.num, t.num).join(".") : src);
          break;
        case "split":
          parts.push(
            src
              .split(t.sep)
              .filter((s) => s !== "")
              .join("."),
          );
          break;
        case "left":
          parts.push(t.num > 0 && t.num < src.length ? src.slice(0, t.num) : src);
          break;
        case "right":
          parts.push(t.num > 0 && t.num < src.length ? src.slice(src.length - t.num) : src);
          break;
      }
    }
    if (this.destEndsWithFwc) {
      for (let i = this.srcTokens.length - 1; i < tokens.length; i++) parts.push(tokens[i]);
    }
    return parts.join(".");
  }
}

/** Splits `s` into `size`-long pieces, with a shorter first piece of `head` characters if head > 0. */
function chunks(s: string, head: number, size: number): string[] {
  const out: string[] = [];
  if (head > 0) out.push(s.slice(0, head));
  for (let i = head; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function subjectInfo(subject: string): { tokens: string[]; pwcs: number; fwc: boolean } | undefined {
  if (subject === "") return undefined;
  const tokens = subject.split(".");
  let pwcs = 0;
  let fwc = false;
  for (const t of tokens) {
    if (t.length === 0 || fwc) return undefined;
    if (t === ">") fwc = true;
    else if (t === "*") pwcs++;
  }
  return { tokens, pwcs, fwc };
}

/** Go's ValidateMapping: a destination's tokens are well formed, then the transform compiles. */
export function validateMapping(src: string, dest: string): void {
  if (dest === "") return;
  let fwc = false;
  for (const t of dest.split(".")) {
    if (t.length === 0 || fwc) throw new MappingError(MAPPING_ERRORS.invalidSubject, t);
    if (t.length > 4 && t.startsWith("{{") && t.endsWith("}}")) continue;
    if (t === ">") fwc = true;
    else if (/[\t\n\f\r ]/.test(t)) throw new MappingError(MAPPING_ERRORS.invalidSubject);
  }
  if (!isValidSubject(src === "" ? ">" : src)) throw new MappingError(MAPPING_ERRORS.badSubject);
  SubjectTransform.create(src, dest);
}
