import { ConfError, confKeyUsedAsVariable, confPosition, parseDuration, type ConfMap, type ConfValue } from "./conf/index.js";

/** Reading conf blocks: fails at a key's position; unknown keys warn at the top level, fail inside blocks. */
export interface BlockReader {
  /** Throws a ConfError located at `key` inside `container`. */
  fail(container: object, key: string | number, reason: string): never;
  /** A top-level key nobody reads: a warning (Go's unknown field), unless it only defines a variable. */
  unknown(container: ConfMap, key: string): void;
  /** A key nobody reads inside a block: an error, as in Go, unless it only defines a variable. */
  unknownInBlock(container: ConfMap, key: string): void;
}

export function isMap(v: ConfValue): v is ConfMap {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** How Go's `%T`-style messages name a value's type. */
export function describe(v: ConfValue): string {
  if (Array.isArray(v)) return "an array";
  if (isMap(v)) return "a map";
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function failAt(container: object, key: string | number, reason: string): never {
  const pos = confPosition(container, key);
  throw new ConfError(pos?.file ?? "", pos?.line ?? 0, pos?.column ?? 0, reason);
}

/** A reader whose unknown keys become `file:line:col: unknown field "x"` warnings. */
export function blockReader(warnings: string[]): BlockReader {
  return {
    fail: failAt,
    unknown(container, key) {
      if (confKeyUsedAsVariable(container, key)) return;
      const pos = confPosition(container, key);
      warnings.push(`${pos ? `${pos.file}:${pos.line}:${pos.column}: ` : ""}unknown field "${key}"`);
    },
    unknownInBlock(container, key) {
      if (!confKeyUsedAsVariable(container, key)) failAt(container, key, `unknown field "${key}"`);
    },
  };
}

export function asString(container: object, key: string | number, v: ConfValue): string {
  if (typeof v !== "string") failAt(container, key, `interface conversion: expected a string for "${key}", got ${describe(v)}`);
  return v;
}

export function asBool(container: object, key: string | number, v: ConfValue): boolean {
  if (typeof v !== "boolean") failAt(container, key, `interface conversion: expected a boolean for "${key}", got ${describe(v)}`);
  return v;
}

export function asInt(container: object, key: string | number, v: ConfValue): number {
  if (typeof v !== "number" || !Number.isInteger(v)) failAt(container, key, `interface conversion: expected an integer for "${key}", got ${describe(v)}`);
  return v;
}

export function asMap(container: object, key: string | number, v: ConfValue, what: string): ConfMap {
  if (!isMap(v)) failAt(container, key, `Expected ${what} to be a map/struct, got ${describe(v)}`);
  return v;
}

export function asStringArray(container: object, key: string | number, v: ConfValue): string[] {
  if (typeof v === "string") return [v];
  if (!Array.isArray(v)) failAt(container, key, `Expected "${key}" to be a string or an array of strings, got ${describe(v)}`);
  return v.map((x, i) => asString(v, i, x));
}

/** A Go duration string (`"2s"`) or a number of seconds, as milliseconds. */
export function asSecondsOrDuration(container: object, key: string | number, v: ConfValue): number {
  if (typeof v === "number") return v * 1000;
  if (typeof v !== "string") failAt(container, key, `error parsing ${key}: expected a duration, got ${describe(v)}`);
  try {
    return parseDuration(v);
  } catch (e) {
    failAt(container, key, `error parsing ${key}: ${(e as Error).message}`);
  }
}
