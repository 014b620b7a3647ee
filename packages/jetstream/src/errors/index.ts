export { apiErrors, type JsErrorEntry, type JsErrorName } from "./table.js";
export { ApiError, toApiError, errorResponse, type ApiErrorJson } from "./api-error.js";
