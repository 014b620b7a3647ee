/**
 * Decodes the JSON options a $SYS request carries the way Go's encoding/json does into a typed
 * struct: unknown keys ignored, a wrong type refused with Go's message.
 */

export type FieldType = "string" | "bool" | "int" | "uint" | "strings";

/** One JSON key of a Go options struct. */
export interface FieldSpec {
  json: string;
  type: FieldType;
}

const GO_TYPES: Record<FieldType, string> = { string: "string", bool: "bool", int: "int", uint: "uint64", strings: "[]string" };

/** Go's EventFilterOptions, accepted by every request. */
export const FILTER_FIELDS: FieldSpec[] = [
  { json: "server_name", type: "string" },
  { json: "cluster", type: "string" },
  { json: "host", type: "string" },
  { json: "exact_match", type: "bool" },
  { json: "tags", type: "strings" },
  { json: "domain", type: "string" },
];

/** A request body Go would refuse; the message is Go's. */
export class RequestBodyError extends Error {}

/** Parses `body` (empty = no options) against the struct's fields. */
export function decodeBody(body: Buffer, structName: string, fields: FieldSpec[]): Record<string, unknown> {
  if (body.length === 0) return {};
  const text = body.toString("utf8");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RequestBodyError(goSyntaxError(text, err as Error));
  }
  if (raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new RequestBodyError(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type server.${structName}`);
  }
  const out: Record<string, unknown> = {};
  const specs = new Map([...fields, ...FILTER_FIELDS].map((f) => [f.json, f]));
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const spec = specs.get(key);
    if (spec === undefined || value === null) continue;
    if (!fits(spec.type, value)) {
      throw new RequestBodyError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field ${structName}.${key} of type ${GO_TYPES[spec.type]}`);
    }
    out[key] = value;
  }
  return out;
}

function fits(type: FieldType, v: unknown): boolean {
  switch (type) {
    case "string":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "uint":
      return typeof v === "number" && Number.isInteger(v) && v >= 0;
    case "strings":
      return Array.isArray(v) && v.every((s) => typeof s === "string" || s === null);
  }
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return "number";
  return typeof v === "object" ? "object" : typeof v;
}

/** Go's json.SyntaxError text for the common cases. */
function goSyntaxError(text: string, err: Error): string {
  const m = /position (\d+)/.exec(err.message);
  const pos = m === null ? text.length : Number(m[1]);
  const ch = text[pos];
  if (ch === undefined) return "unexpected end of JSON input";
  const where = /property name|Expected double-quoted/.test(err.message) ? "looking for beginning of object key string" : "looking for beginning of value";
  return `invalid character '${ch}' ${where}`;
}
