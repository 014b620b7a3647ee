import { apiErrors, type JsErrorEntry } from "./table.js";

/** The error object inside a JetStream API response, as the Go server writes it. */
export interface ApiErrorJson {
  code: number;
  err_code?: number;
  description?: string;
}

/**
 * A JetStream API error with the Go server's code, error code and text. Placeholders in the
 * table's description (`{stream}`, `{err}` ...) are filled from `replacements`.
 *
 * @example
 * throw new ApiError(apiErrors.JSStreamNotFoundErr);
 * throw new ApiError(apiErrors.JSInvalidJSONErr, { err: "unexpected end of JSON input" });
 */
export class ApiError extends Error {
  readonly code: number;
  readonly errCode: number;
  readonly description: string;

  constructor(
    readonly entry: JsErrorEntry,
    replacements?: Record<string, string | number | bigint | boolean | Error>,
  ) {
    const description = fill(entry.description, replacements);
    super(`${description} (${entry.errCode})`);
    this.name = "ApiError";
    this.code = entry.code;
    this.errCode = entry.errCode;
    this.description = description;
  }

  /** True when this error is one of the given table entries (compared by error code, like Go's IsNatsErr). */
  is(...entries: JsErrorEntry[]): boolean {
    return entries.some((e) => e.errCode === this.errCode);
  }

  toJSON(): ApiErrorJson {
    return { code: this.code, err_code: this.errCode, description: this.description };
  }
}

function fill(template: string, replacements: Record<string, unknown> | undefined): string {
  if (replacements === undefined) return template;
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    if (!(key in replacements)) return whole;
    const v = replacements[key];
    return v instanceof Error ? v.message : String(v);
  });
}

/**
 * Turns anything thrown by an API handler into an ApiError: ApiErrors pass through, other
 * errors become `fallback` with the message as `{err}` (Go's NewJS...Error(err) shape).
 */
export function toApiError(err: unknown, fallback: JsErrorEntry = apiErrors.JSStreamGeneralErrorF): ApiError {
  if (err instanceof ApiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(fallback, { err: message });
}

/**
 * A JetStream API error response body: `{ type, error: { code, err_code, description } }`.
 * `type` is the response schema name (e.g. `io.nats.jetstream.api.v1.stream_create_response`).
 */
export function errorResponse(err: unknown, type?: string): { type?: string; error: ApiErrorJson } {
  const error = toApiError(err).toJSON();
  return type === undefined ? { error } : { type, error };
}
