import { ApiError, apiErrors, toApiError, type JsErrorName } from "../errors/index.js";

/**
 * Builds the Go JetStream error `name`, filling `{err}`, `{max}`, `{limit}` placeholders.
 *
 * @example
 * throw jsError("JSConsumerNameTooLongErrF", { max: 255 });
 */
export function jsError(name: JsErrorName, vars?: Record<string, string | number>): ApiError {
  return new ApiError(apiErrors[name], vars);
}

/** Go's `NewJSConsumerCreateError(err, Unless(err))`: API errors pass through, others become 10012. */
export function asCreateError(err: unknown): ApiError {
  return toApiError(err, apiErrors.JSConsumerCreateErrF);
}

export { ApiError };
