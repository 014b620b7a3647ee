import { describe, expect, test } from "vitest";
import { parseLeafUrl, redactUrl, urlCredentials, urlHostPort } from "../../src/leaf/urls.js";
import { backoffDelay } from "../../src/shared/reconnect.js";

describe("remote URLs", () => {
  test("schemes, default port, credentials and redaction", () => {
    const u = parseLeafUrl("nats-leaf://user:p%40ss@hub.example.com") as URL;
    expect(urlHostPort(u)).toEqual({ host: "hub.example.com", port: 7422 });
    expect(urlCredentials(u)).toEqual({ user: "user", password: "p@ss" });
    expect(redactUrl(u)).toBe("nats-leaf://hub.example.com");
    expect(urlCredentials(parseLeafUrl("nats://secret@127.0.0.1:4000") as URL)).toEqual({ user: "secret" });
    expect(urlCredentials(parseLeafUrl("nats://127.0.0.1:4000") as URL)).toBeUndefined();
    expect(urlHostPort(parseLeafUrl("tls://[::1]:7000") as URL)).toEqual({ host: "::1", port: 7000 });
    expect(parseLeafUrl("not a url")).toBe(`error parsing leafnode url ["not a url"]`);
    expect(parseLeafUrl("ws://127.0.0.1:80")).toContain("websocket leafnode remotes are not supported");
  });

  test("reconnect delays double from the interval up to the cap, with a little jitter", () => {
    const delays = Array.from({ length: 8 }, (_, i) => backoffDelay(100, i, 1_000, 0.1));
    const bases = [100, 200, 400, 800, 1000, 1000, 1000, 1000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(bases[i]);
      expect(d).toBeLessThanOrEqual(bases[i] * 1.1 + 1);
    });
  });
});
