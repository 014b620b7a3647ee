import { createHash } from "node:crypto";
import type { ConfValue } from "./parser.js";

const HTML_UNSAFE: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/** A string encoded as Go's encoding/json encodes it (HTML-safe, invalid UTF-16 replaced). */
function goJsonString(text: string): string {
  return JSON.stringify(text)
    .replace(/[<>&\u2028\u2029]/g, (c) => HTML_UNSAFE[c])
    .replace(/\\ud[89a-f][0-9a-f]{2}/g, "\\ufffd");
}

const byUtf8 = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function goJson(value: ConfValue): string {
  if (typeof value === "string") return goJsonString(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return goJsonString(value.toISOString().replace(".000Z", "Z"));
  if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
  const keys = Object.keys(value).sort(byUtf8);
  return `{${keys.map((k) => `${goJsonString(k)}:${goJson(value[k])}`).join(",")}}`;
}

/**
 * The digest the Go server logs and reports for a loaded config
 * (`sha256:<hex>` of the config encoded as Go's JSON encoder would): equal for
 * files that differ only in comments, layout, quoting, variables or includes.
 *
 * @example
 * confDigest(parseConf("foo = bar")); // "sha256:226e49e1..."
 */
export function confDigest(conf: ConfValue): string {
  const hash = createHash("sha256").update(`${goJson(conf)}\n`).digest("hex");
  return `sha256:${hash}`;
}
