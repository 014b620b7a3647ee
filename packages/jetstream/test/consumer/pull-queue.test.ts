import { describe, expect, test } from "vitest";
import { PullQueue, parsePullRequest, type WaitingRequest } from "../../src/consumer/pull-queue.js";
import { FlowWindow, RateLimiter } from "../../src/consumer/push-flow.js";

const T0 = 1_000_000_000_000n;
const MS = 1_000_000n;

function req(reply: string, over: Partial<WaitingRequest> = {}): WaitingRequest {
  return { reply, n: 1, d: 0, b: 0, expires: 0n, received: T0, hb: 0, hbt: 0n, noWait: false, ...over };
}

const ctx = (over = {}) => ({ now: T0, numPending: 10, numAckPending: 0, hasInterest: () => true, ...over });

describe("parsePullRequest", () => {
  test("empty, number and JSON forms", () => {
    expect(parsePullRequest("", T0)).toMatchObject({ batch: 1, noWait: false, expires: 0n });
    expect(parsePullRequest(" 7 ", T0)).toMatchObject({ batch: 7 });
    expect(parsePullRequest('{"batch":5,"expires":1000000000,"no_wait":true,"max_bytes":100}', T0)).toMatchObject({
      batch: 5,
      noWait: true,
      maxBytes: 100,
      expires: T0 + 1_000_000_000n,
    });
  });

  test("heartbeat more than half the expiry is rejected like Go", () => {
    expect(parsePullRequest('{"batch":1,"expires":1000,"idle_heartbeat":600}', T0)).toEqual({ error: "heartbeat value too large" });
  });

  test("garbage JSON is an error, garbage text is a batch of one", () => {
    expect("error" in parsePullRequest("{nope", T0)).toBe(true);
    expect(parsePullRequest("abc", T0)).toMatchObject({ batch: 1 });
  });
});

describe("PullQueue", () => {
  test("requests take turns and leave once their batch is done", () => {
    const q = new PullQueue(10, "none");
    q.add(req("a", { n: 2 }));
    q.add(req("b", { n: 1 }));
    expect(q.next(10, ctx())!.reply).toBe("a");
    expect(q.next(10, ctx())!.reply).toBe("b");
    expect(q.next(10, ctx())!.reply).toBe("a");
    expect(q.length).toBe(0);
  });

  test("max_waiting bounds the queue", () => {
    const q = new PullQueue(1, "none");
    expect(q.add(req("a"))).toBe(true);
    expect(q.add(req("b"))).toBe(false);
  });

  test("expired requests end with 408 and the pending counts", () => {
    const q = new PullQueue(10, "none");
    q.add(req("a", { n: 3, b: 0, expires: T0 + 5n * MS }));
    q.processWaiting(T0 + 10n * MS, false, () => true, () => undefined);
    expect(q.out).toEqual([{ subject: "a", header: "NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 3\r\nNats-Pending-Bytes: 0\r\n\r\n" }]);
    expect(q.length).toBe(0);
  });

  test("requests that expired together time out in deadline order", () => {
    const q = new PullQueue(10, "none");
    for (const ms of [200n, 100n, 25n, 75n]) q.add(req(`i.${ms}`, { expires: T0 + ms * MS }));
    q.processWaiting(T0 + 300n * MS, false, () => true, () => undefined);
    expect(q.out.map((o) => o.subject)).toEqual(["i.25", "i.75", "i.100", "i.200"]);
  });

  test("no_wait at end of stream answers 404", () => {
    const q = new PullQueue(10, "none");
    q.add(req("a", { noWait: true, n: 5 }));
    q.processWaiting(T0, true, () => true, () => undefined);
    expect(q.out[0].header).toBe("NATS/1.0 404 No Messages\r\n\r\n");
  });

  test("requests without interest are dropped silently", () => {
    const q = new PullQueue(10, "none");
    q.add(req("gone"));
    q.processWaiting(T0, false, () => false, () => undefined);
    expect(q.length).toBe(0);
    expect(q.out).toEqual([]);
  });

  test("heartbeats fire when due and set the next due time", () => {
    const q = new PullQueue(10, "none");
    q.add(req("a", { hb: 1_000_000, hbt: T0 + MS, expires: T0 + 100n * MS }));
    const beats: string[] = [];
    const r = q.processWaiting(T0 + 2n * MS, false, () => true, (s) => beats.push(s));
    expect(beats).toEqual(["a"]);
    expect(r.nextDue).toBe(T0 + 3n * MS);
  });

  test("max_bytes: too large a message ends the request with 409", () => {
    const q = new PullQueue(10, "none");
    q.add(req("a", { n: 10, b: 50 }));
    expect(q.next(30, ctx())!.b).toBe(20);
    expect(q.next(30, ctx())).toBeUndefined();
    expect(q.out[0].header).toBe("NATS/1.0 409 Message Size Exceeds MaxBytes\r\nNats-Pending-Messages: 9\r\nNats-Pending-Bytes: 20\r\n\r\n");
  });

  test("pinned_client: first request is pinned, others wait, wrong pin id gets 423", () => {
    let n = 0;
    const q = new PullQueue(10, "pinned_client", () => `PIN${++n}`);
    q.add(req("a", { n: 5, group: { group: "g" } }));
    q.add(req("b", { n: 5, group: { group: "g" } }));
    expect(q.next(1, ctx())!.reply).toBe("a");
    expect(q.pinId).toBe("PIN1");
    expect(q.newPin).toBe(true);
    // a now carries the pin and keeps being served; b (no pin id) waits
    expect(q.next(1, ctx())!.reply).toBe("a");
    expect(q.list().map((r) => r.reply)).toEqual(["b", "a"]);
    q.add(req("c", { group: { group: "g", id: "PIN1" } }));
    expect(q.next(1, ctx())!.reply).toBe("a");
    expect(q.next(1, ctx())!.reply).toBe("c");
    const q2 = new PullQueue(10, "pinned_client");
    q2.pinId = "PIN1";
    q2.add(req("d", { group: { group: "g", id: "OLD" } }));
    expect(q2.next(1, ctx())).toBeUndefined();
    expect(q2.out).toEqual([{ subject: "d", header: "NATS/1.0 423 Nats-Wrong-Pin-Id\r\nNats-Pending-Messages: 1\r\nNats-Pending-Bytes: 0\r\n\r\n" }]);
  });

  test("overflow: requests with min_pending wait until the backlog is large enough", () => {
    const q = new PullQueue(10, "overflow");
    q.add(req("lazy", { group: { group: "g", min_pending: 100 } }));
    expect(q.next(1, ctx({ numPending: 5 }))).toBeUndefined();
    expect(q.next(1, ctx({ numPending: 100 }))!.reply).toBe("lazy");
  });

  test("prioritized: lower priority number is served first", () => {
    const q = new PullQueue(10, "prioritized");
    q.add(req("p5", { group: { group: "g", priority: 5 } }));
    q.add(req("p1", { group: { group: "g", priority: 1 } }));
    expect(q.next(1, ctx())!.reply).toBe("p1");
  });
});

describe("push flow control and rate limit", () => {
  test("flow window asks at half the window and stalls beyond it", () => {
    const fc = new FlowWindow(16 * 1000);
    expect(fc.delivered(400)).toBe(false);
    expect(fc.delivered(200)).toBe(true);
    fc.begin("$JS.FC.S.C.abcd");
    fc.delivered(500);
    expect(fc.stalled).toBe(true);
    expect(fc.answered("$JS.FC.S.C.other")).toBe(false);
    expect(fc.answered("$JS.FC.S.C.abcd")).toBe(true);
    expect(fc.stalled).toBe(false);
  });

  test("rate limiter delays once the bucket is empty", () => {
    const rl = new RateLimiter(8000, T0); // 1000 bytes per second
    expect(rl.reserve(1000, T0)).toBe(0);
    expect(rl.reserve(500, T0)).toBe(500);
    expect(rl.reserve(500, T0 + 250_000_000n)).toBe(250);
    expect(rl.reserve(500, T0 + 500_000_000n)).toBe(0);
  });
});
