import { ProtocolError, goQuote } from "../errors.js";
import { utf8 } from "./args.js";

/**
 * The JSON argument of CONNECT or INFO as text, or a `bad_json` error when it is not a
 * JSON object (Go unmarshals it into a struct: `null` is accepted, arrays and scalars are not).
 */
export function parseJsonArg(buf: Buffer, start: number, end: number, op: string): string | ProtocolError {
  const text = utf8(buf, start, end);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return badJson(op, buf, start, end, (e as Error).message);
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    return badJson(op, buf, start, end, `cannot unmarshal ${Array.isArray(value) ? "array" : typeof value} into an object`);
  }
  return text;
}

function badJson(op: string, buf: Buffer, start: number, end: number, reason: string): ProtocolError {
  return new ProtocolError("bad_json", `invalid ${op} JSON: ${reason}`, false, `invalid ${op} JSON ${goQuote(buf, start, end)}: ${reason}`);
}
