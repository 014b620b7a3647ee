/**
 * Query-string decoding with Go's rules and Go's error texts (strconv.ParseBool, Atoi, ParseUint),
 * so a bad value gets the same 400 body from us as from the Go server.
 */

/** A query value Go would refuse; `message` is the exact response body. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryError";
  }
}

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);
const MAX_INT64 = 2n ** 63n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;

export class Query {
  constructor(private readonly params: URLSearchParams) {}

  /** The raw value, "" when absent (Go's URL.Query().Get). */
  get(name: string): string {
    return this.params.get(name) ?? "";
  }

  bool(name: string): boolean {
    const s = this.get(name);
    if (s === "") return false;
    if (TRUE.has(s)) return true;
    if (FALSE.has(s)) return false;
    throw new QueryError(`Error decoding boolean for '${name}': strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`);
  }

  int(name: string): number {
    const s = this.get(name);
    if (s === "") return 0;
    if (!/^[+-]?[0-9]+$/.test(s)) throw new QueryError(`Error decoding int for '${name}': strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
    const n = BigInt(s);
    if (n > MAX_INT64 || n < -MAX_INT64 - 1n) {
      throw new QueryError(`Error decoding int for '${name}': strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
    }
    return Number(n);
  }

  uint(name: string): number {
    const s = this.get(name);
    if (s === "") return 0;
    if (!/^[0-9]+$/.test(s)) throw new QueryError(`Error decoding uint64 for '${name}': strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`);
    if (BigInt(s) > MAX_UINT64) {
      throw new QueryError(`Error decoding uint64 for '${name}': strconv.ParseUint: parsing ${goQuote(s)}: value out of range`);
    }
    return Number(s);
  }
}

/** Go's %q for the ASCII strings a query carries. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}
