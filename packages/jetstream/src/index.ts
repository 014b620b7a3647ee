export { apiErrors, ApiError, toApiError, errorResponse, type JsErrorEntry, type JsErrorName, type ApiErrorJson } from "./errors/index.js";
