/**
 * A small strict JSON request decoder with Go's encoding/json error texts, so bad API requests
 * get the same `invalid JSON: ...` descriptions as from the Go server (which decodes with
 * DisallowUnknownFields in strict mode).
 */

export type FieldKind = "string" | "int" | "uint" | "bool" | "strings" | "object" | "objects" | "map" | "any" | "time";

/** Go type names used in error texts, by field kind. */
const GO_TYPE: Record<FieldKind, string> = {
  string: "string",
  int: "int64",
  uint: "uint64",
  bool: "bool",
  strings: "[]string",
  object: "struct",
  objects: "[]struct",
  map: "map[string]string",
  any: "interface {}",
  time: "time.Time",
};

export class JsonDecodeError extends Error {}

function jsType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  if (typeof v === "number") return "number";
  return typeof v;
}

/** Parses `data` as JSON; Go's texts for syntax errors. Empty input decodes to `{}`. */
export function parseJson(data: Buffer | Uint8Array | string): unknown {
  const text = typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.length).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new JsonDecodeError(goSyntaxError(text));
  }
}

function goSyntaxError(text: string): string {
  // Find the first offending byte the way Go reports it.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
  }
  if (depth > 0) return "unexpected end of JSON input";
  return `invalid character '${text.trim()[0] === "{" ? "}" : text.trim()[0]}' looking for beginning of value`;
}

/**
 * Checks `obj` against `spec` (field name -> kind). Unknown fields and wrong types throw
 * JsonDecodeError with Go's text; `structName` is the Go type named in those texts.
 */
export function checkFields(obj: unknown, spec: Record<string, FieldKind>, structName: string, strict = true): Record<string, unknown> {
  if (obj === null) return {};
  if (typeof obj !== "object" || Array.isArray(obj)) {
    throw new JsonDecodeError(`json: cannot unmarshal ${jsType(obj)} into Go value of type server.${structName}`);
  }
  const rec = obj as Record<string, unknown>;
  for (const [key, value] of Object.entries(rec)) {
    const kind = spec[key];
    if (kind === undefined) {
      if (strict) throw new JsonDecodeError(`json: unknown field "${key}"`);
      continue;
    }
    if (value === null || kind === "any") continue;
    if (!kindMatches(kind, value)) {
      throw new JsonDecodeError(
        `json: cannot unmarshal ${jsType(value)} into Go struct field ${structName}.${key} of type ${GO_TYPE[kind]}`,
      );
    }
  }
  return rec;
}

function kindMatches(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case "string":
    case "time":
      return typeof v === "string";
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "uint":
      return typeof v === "number" && Number.isInteger(v) && v >= 0;
    case "bool":
      return typeof v === "boolean";
    case "strings":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "object":
      return typeof v === "object" && !Array.isArray(v);
    case "objects":
      return Array.isArray(v);
    case "map":
      return typeof v === "object" && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === "string");
    default:
      return true;
  }
}
