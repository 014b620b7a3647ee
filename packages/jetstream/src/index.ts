export { apiErrors, ApiError, toApiError, errorResponse, type JsErrorEntry, type JsErrorName, type ApiErrorJson } from "./errors/index.js";
export { jetstreamPlugin, JetStreamPlugin, type JetStreamPluginOptions } from "./plugin.js";
export type { JsAccount } from "./account/js-account.js";
export type { AccountLimits } from "./account/limits.js";
export type { StreamConfigJson } from "./stream/config.js";
export type { ConsumerHost, ConsumerManagerLike, ConsumerManagerFactory } from "./stream/consumer-host.js";
export type { Stream } from "./stream/stream.js";
export { SubjectTransform } from "./stream/subject-transform.js";
