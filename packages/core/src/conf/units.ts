const NANOS_PER_UNIT: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "\u00b5s": 1_000n,
  "\u03bcs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const MAX_NANOS = 2n ** 63n;
const DECIMAL = /^[0-9]*/;
const UNIT = /^[^0-9.]*/;

/**
 * Milliseconds in a duration as the Go server reads one from a config file: a
 * string in Go's time.ParseDuration syntax, or a whole number of seconds (the
 * legacy form opts.go still accepts). Throws an Error with Go's text otherwise.
 *
 * @example
 * parseDuration("1h2m3.5s"); // 3723500
 * parseDuration(2);          // 2000
 */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`time: invalid duration "${value}"`);
    return value * 1000;
  }
  return Number(parseGoDuration(value)) / 1e6;
}

/** Go's time.ParseDuration, in nanoseconds. */
function parseGoDuration(text: string): bigint {
  const invalid = (): Error => new Error(`time: invalid duration "${text}"`);
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest[0] === "-";
    rest = rest.slice(1);
  }
  if (rest === "0") return 0n;
  if (rest === "") throw invalid();
  let total = 0n;
  while (rest !== "") {
    if (!/^[0-9.]/.test(rest)) throw invalid();
    const whole = (DECIMAL.exec(rest) as RegExpExecArray)[0];
    rest = rest.slice(whole.length);
    let fraction = "";
    if (rest.startsWith(".")) {
      fraction = (DECIMAL.exec(rest.slice(1)) as RegExpExecArray)[0];
      rest = rest.slice(1 + fraction.length);
    }
    if (whole === "" && fraction === "") throw invalid();
    const unitName = (UNIT.exec(rest) as RegExpExecArray)[0];
    if (unitName === "") throw new Error(`time: missing unit in duration "${text}"`);
    rest = rest.slice(unitName.length);
    const unit = NANOS_PER_UNIT[unitName];
    if (unit === undefined) throw new Error(`time: unknown unit "${unitName}" in duration "${text}"`);
    let nanos = BigInt(whole || "0") * unit;
    if (nanos > MAX_NANOS) throw invalid();
    if (fraction !== "") {
      // Go keeps at most the fraction digits that fit an int64 and truncates toward zero.
      const kept = fraction.slice(0, 18);
      nanos += BigInt(Math.floor(Number(kept) * (Number(unit) / 10 ** kept.length)));
      if (nanos > MAX_NANOS) throw invalid();
    }
    total += nanos;
    if (total > MAX_NANOS) throw invalid();
  }
  if (negative) return -total;
  if (total > MAX_NANOS - 1n) throw invalid();
  return total;
}

const STORAGE_SHIFTS: Record<string, bigint> = { K: 10n, M: 20n, G: 30n, T: 40n };

/**
 * A JetStream storage size as opts.go reads it: a number as is, or a string of
 * digits ending in K, M, G or T (powers of 1024); the empty string is 0.
 *
 * @example
 * parseSize("1G"); // 1073741824
 */
export function parseSize(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error("must be int64 or string");
    return value;
  }
  if (value === "") return 0;
  const digits = value.slice(0, -1);
  if (!/^[+-]?[0-9]+$/.test(digits)) throw new Error(`strconv.ParseInt: parsing "${digits}": invalid syntax`);
  const number = BigInt(digits);
  if (number < -(2n ** 63n) || number >= 2n ** 63n) {
    throw new Error(`strconv.ParseInt: parsing "${digits}": value out of range`);
  }
  const shift = STORAGE_SHIFTS[value.slice(-1)];
  if (shift === undefined) throw new Error("sizes defined as strings must end in K, M, G, T");
  return Number(BigInt.asIntN(64, number << shift));
}
