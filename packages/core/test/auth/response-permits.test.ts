import { describe, expect, test } from "vitest";
import { ResponsePermits } from "../../src/auth/response-permits.js";

describe("allow_responses permits", () => {
  test("max responses and expiry (injected clock)", () => {
    let now = 0;
    const permits = new ResponsePermits({ maxMsgs: 2, expires: 1000 }, () => now);
    expect(permits.use("_INBOX.a")).toBe(false);
    permits.grant("_INBOX.a");
    expect(permits.use("_INBOX.a")).toBe(true);
    expect(permits.use("_INBOX.a")).toBe(true);
    expect(permits.use("_INBOX.a")).toBe(false);
    permits.grant("_INBOX.b");
    now = 1001;
    expect(permits.use("_INBOX.b")).toBe(false);
  });

  test("limits at or below zero mean no limit", () => {
    let now = 0;
    const permits = new ResponsePermits({ maxMsgs: -1, expires: -1000 }, () => now);
    permits.grant("r");
    now = 10 ** 9;
    for (let i = 0; i < 100; i++) expect(permits.use("r")).toBe(true);
  });
});
