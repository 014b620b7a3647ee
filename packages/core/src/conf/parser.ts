import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConfError } from "./errors.js";
import type { Item } from "./lexer.js";
import { lex } from "./lexer-states.js";
import {
  type ConfPosition,
  confKeyUsedAsVariable,
  confPosition,
  markUsedAsVariable,
  recordPosition,
} from "./positions.js";

/** A value in a parsed config: what the Go server's conf package produces, as plain JS. */
export type ConfValue = string | number | boolean | Date | ConfValue[] | ConfMap;
export interface ConfMap {
  [key: string]: ConfValue;
}

export interface ConfOptions {
  /** Path of the config text: used in error positions and to resolve `include`. */
  file?: string;
  /** Where `$VAR` looks when no enclosing map defines VAR; defaults to process.env. */
  env?: Record<string, string | undefined>;
}

interface Context {
  value: ConfMap | ConfValue[];
  position: ConfPosition;
}

interface PendingKey {
  name: string;
  position: ConfPosition;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const KIB = 1024n;
const SIZE_MULTIPLIERS: Record<string, bigint> = {
  "": 1n,
  k: 1000n,
  m: 1000n ** 2n,
  g: 1000n ** 3n,
  t: 1000n ** 4n,
  p: 1000n ** 5n,
  e: 1000n ** 6n,
};
for (const [letter, power] of [["k", 1n], ["m", 2n], ["g", 3n], ["t", 4n], ["p", 5n], ["e", 6n]] as const) {
  for (const tail of ["b", "i", "ib"]) SIZE_MULTIPLIERS[letter + tail] = KIB ** power;
}
const DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const NUMBER_PREFIX = /^[\p{Nd}-]*/u;
const ASCII_INTEGER = /^-?[0-9]+$/;
/** Bcrypt hashes ($2a$...) are written unquoted; they are strings, not variables. */
const BCRYPT_PREFIX = "2a$";
/** Key of the one-entry config an environment variable's value is parsed as. */
const ENV_KEY = "pk";

/** Items carry Go's positions (0-based on line 1, 1-based after); report 1-based columns. */
function columnOf(item: Item): number {
  return Math.max(1, item.line === 1 ? item.pos + 1 : item.pos);
}

/** Assign without letting a key named `__proto__` reach the prototype. */
function assign(map: ConfMap, key: string, value: ConfValue): void {
  if (key === "__proto__") {
    Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    map[key] = value;
  }
}

/** Go's os.ReadFile error text for the common failures. */
function describeReadError(err: unknown, path: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return `open ${path}: no such file or directory`;
    case "EACCES":
      return `open ${path}: permission denied`;
    case "ENOTDIR":
      return `open ${path}: not a directory`;
    case "EISDIR":
      return `read ${path}: is a directory`;
    default:
      return `open ${path}: ${(err as Error).message}`;
  }
}

export function readConfFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfError(path, 0, 0, `error opening config file: ${describeReadError(err, path)}`, { cause: err });
  }
}

export class Parser {
  private readonly contexts: Context[] = [];
  private readonly keys: PendingKey[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly env: Record<string, string | undefined>,
    /** Environment variables being expanded right now, to stop reference cycles. */
    private readonly envReferences: Set<string>,
    /** Absolute paths of the files including this one, to stop include cycles. */
    private readonly includeChain: readonly string[],
  ) {}

  parse(): ConfMap {
    const root: ConfMap = {};
    this.contexts.push({ value: root, position: { file: this.file, line: 1, column: 1 } });
    const lexer = lex(this.text);
    let previous: Item | undefined;
    for (;;) {
      const item = lexer.nextItem();
      if (item.type === "EOF") {
        // A trailing '}' may lex as a key; that is how JSON-style files end.
        if (previous?.type === "Key" && previous.value !== "}") throw this.error(item, "config is invalid");
        return root;
      }
      previous = item;
      this.process(item);
    }
  }

  private error(item: Item, reason: string, cause?: unknown): ConfError {
    return new ConfError(this.file, item.line, columnOf(item), reason, cause === undefined ? undefined : { cause });
  }

  private positionOf(item: Item): ConfPosition {
    return { file: this.file, line: item.line, column: columnOf(item) };
  }

  private process(item: Item): void {
    switch (item.type) {
      case "Error":
        throw this.error(item, item.value);
      case "Key":
        this.keys.push({ name: item.value, position: this.positionOf(item) });
        return;
      case "MapStart":
      case "ArrayStart": {
        // Go places these items just past the bracket; point at the bracket itself.
        const at = this.positionOf(item);
        const position = { ...at, column: Math.max(1, at.column - 1) };
        this.contexts.push({ value: item.type === "MapStart" ? {} : [], position });
        return;
      }
      case "MapEnd":
      case "ArrayEnd": {
        if (this.contexts.length < 2) throw this.error(item, "config is invalid");
        const done = this.contexts.pop() as Context;
        this.setValue(item, done.value, done.position);
        return;
      }
      case "String":
        this.setValue(item, item.value);
        return;
      case "Bool":
        this.setValue(item, /^(true|yes|on)$/i.test(item.value));
        return;
      case "Integer":
        this.setValue(item, this.integer(item));
        return;
      case "Float": {
        const value = Number(item.value);
        if (Number.isNaN(value)) throw this.error(item, `expected float, but got '${item.value}'`);
        if (!Number.isFinite(value)) throw this.error(item, `float '${item.value}' is out of the range`);
        this.setValue(item, value);
        return;
      }
      case "Datetime":
        this.setValue(item, this.date(item));
        return;
      case "Variable":
        this.setValue(item, this.lookupVariable(item));
        return;
      case "Include":
        this.include(item);
        return;
    }
  }

  private setValue(item: Item, value: ConfValue, position = this.positionOf(item)): void {
    const context = this.contexts[this.contexts.length - 1].value;
    if (Array.isArray(context)) {
      recordPosition(context, context.length, position);
      context.push(value);
      return;
    }
    const key = this.keys.pop();
    if (!key) throw this.error(item, "config is invalid");
    assign(context, key.name, value);
    recordPosition(context, key.name, key.position);
  }

  /** Integers with optional size suffixes: k/m/g/t/p/e are powers of 1000, kb/ki/kib... of 1024. */
  private integer(item: Item): number {
    const raw = item.value;
    const digits = (NUMBER_PREFIX.exec(raw) as RegExpExecArray)[0];
    const multiplier = SIZE_MULTIPLIERS[raw.slice(digits.length).trim().toLowerCase()];
    if (!ASCII_INTEGER.test(digits) || multiplier === undefined) {
      throw this.error(item, `expected integer, but got '${raw}'`);
    }
    const value = BigInt(digits) * multiplier;
    if (value < INT64_MIN || value > INT64_MAX) throw this.error(item, `integer '${raw}' is out of the range`);
    return Number(value);
  }

  private date(item: Item): Date {
    const parts = DATE.exec(item.value);
    if (parts) {
      const [year, month, day, hour, minute, second] = parts.slice(1).map(Number);
      const date = new Date(0);
      date.setUTCFullYear(year, month - 1, day);
      date.setUTCHours(hour, minute, second, 0);
      const valid =
        date.getUTCMonth() === month - 1 &&
        date.getUTCDate() === day &&
        date.getUTCHours() === hour &&
        date.getUTCMinutes() === minute &&
        date.getUTCSeconds() === second;
      if (valid) return date;
    }
    throw this.error(item, `expected Zulu formatted DateTime, but got '${item.value}'`);
  }

  /** `$name`: the innermost enclosing map defining `name`, else the environment. */
  private lookupVariable(item: Item): ConfValue {
    const name = item.value;
    if (name.startsWith(BCRYPT_PREFIX)) return "$" + name;
    for (let i = this.contexts.length - 1; i >= 0; i--) {
      const context = this.contexts[i].value;
      if (!Array.isArray(context) && Object.hasOwn(context, name)) {
        markUsedAsVariable(context, name);
        return context[name];
      }
    }
    const unparsable = (why: string): ConfError =>
      this.error(item, `variable reference for '${name}' on line ${item.line} could not be parsed: ${why}`);
    if (this.envReferences.has(name)) throw unparsable(`variable reference cycle for '${name}'`);
    const raw = Object.hasOwn(this.env, name) ? this.env[name] : undefined;
    if (raw !== undefined) {
      this.envReferences.add(name);
      try {
        // The value is parsed as the config text `pk=<value>` would be.
        const parsed = new Parser(`${ENV_KEY}=${raw}`, "", this.env, this.envReferences, []).parse();
        if (Object.hasOwn(parsed, ENV_KEY)) return parsed[ENV_KEY];
      } catch (err) {
        if (err instanceof ConfError) throw unparsable(err.reason);
        throw err;
      } finally {
        this.envReferences.delete(name);
      }
    }
    throw this.error(item, `variable reference for '${name}' on line ${item.line} can not be found`);
  }

  /** `include path`: path is relative to this file's directory; its keys merge into the current map. */
  private include(item: Item): void {
    const path = join(dirname(this.file), item.value);
    const failed = (why: string, cause?: unknown): ConfError =>
      this.error(item, `error parsing include file '${item.value}', ${why}`, cause);
    const absolute = resolve(path);
    if (this.includeChain.includes(absolute)) throw failed(`include cycle detected for '${path}'`);
    let included: ConfMap;
    try {
      included = new Parser(readConfFile(path), path, this.env, new Set(), [...this.includeChain, absolute]).parse();
    } catch (err) {
      if (err instanceof ConfError) throw failed(err.message, err);
      throw err;
    }
    const target = this.contexts[this.contexts.length - 1].value;
    for (const [name, value] of Object.entries(included)) {
      this.keys.push({ name, position: confPosition(included, name) ?? this.positionOf(item) });
      this.setValue(item, value);
      if (confKeyUsedAsVariable(included, name)) markUsedAsVariable(target, name);
    }
  }
}
