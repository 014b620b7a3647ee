import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { ApiError, apiErrors, errorResponse, toApiError } from "../../src/index.js";

describe("JetStream API errors", () => {
  test("the generated table holds every Go error with its codes", () => {
    const ref = JSON.parse(readFileSync(new URL("../../../../../shared/ref/jetstream-errors.json", import.meta.url), "utf8")) as {
      constant: string;
      code: number;
      error_code: number;
      description: string;
    }[];
    const table = apiErrors as Record<string, { code: number; errCode: number; description: string }>;
    expect(Object.keys(table).length).toBe(ref.length);
    for (const r of ref) {
      expect(table[r.constant]).toMatchObject({ code: r.code, errCode: r.error_code, description: r.description });
    }
  });

  test("placeholders are filled and the JSON matches Go's shape", () => {
    const err = new ApiError(apiErrors.JSInvalidJSONErr, { err: new Error("unexpected end of JSON input") });
    expect(err.toJSON()).toEqual({ code: 400, err_code: 10025, description: "invalid JSON: unexpected end of JSON input" });
    expect(err.message).toBe("invalid JSON: unexpected end of JSON input (10025)");
    expect(err.is(apiErrors.JSInvalidJSONErr)).toBe(true);
    expect(err.is(apiErrors.JSStreamNotFoundErr)).toBe(false);
  });

  test("errorResponse wraps ApiErrors and plain errors", () => {
    expect(errorResponse(new ApiError(apiErrors.JSStreamNotFoundErr), "io.nats.jetstream.api.v1.stream_info_response")).toEqual({
      type: "io.nats.jetstream.api.v1.stream_info_response",
      error: { code: 404, err_code: 10059, description: "stream not found" },
    });
    expect(toApiError(new Error("disk full")).toJSON()).toEqual({ code: 500, err_code: 10051, description: "disk full" });
  });
});
