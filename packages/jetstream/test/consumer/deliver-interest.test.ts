import { Sublist, Subscription, type MessageSink } from "@nats-ts/core";
import { describe, expect, test } from "vitest";
import { watchDeliverSubject } from "../../src/consumer/deliver-interest.js";

const sink: MessageSink = { kind: "CLIENT", cid: 1, deliver: () => true, removeSub: () => {} };
let sid = 0;
const sub = (subject: string) => new Subscription(sink, subject, String(++sid));

function listener() {
  const l = { calls: 0, interestChanged: () => void l.calls++ };
  return l;
}

describe("deliver subject interest notifications", () => {
  test("a literal or wildcard subscription matching the deliver subject notifies, others do not", () => {
    const sl = new Sublist();
    const l = listener();
    watchDeliverSubject(sl, "deliver.a", l);
    sl.insert(sub("deliver.b"));
    sl.insert(sub("other.>"));
    expect(l.calls).toBe(0);
    const literal = sub("deliver.a");
    sl.insert(literal);
    expect(l.calls).toBe(1);
    sl.insert(sub("deliver.*"));
    sl.insert(sub(">"));
    expect(l.calls).toBe(3);
    sl.remove(literal);
    expect(l.calls).toBe(4);
  });

  test("stopping the last watch stops watching the sublist; a new watch starts again", () => {
    const sl = new Sublist();
    const a = listener();
    const b = listener();
    const stopA = watchDeliverSubject(sl, "d.x", a);
    const stopB = watchDeliverSubject(sl, "d.x", b);
    sl.insert(sub("d.x"));
    expect([a.calls, b.calls]).toEqual([1, 1]);
    stopA();
    sl.insert(sub("d.*"));
    expect([a.calls, b.calls]).toEqual([1, 2]);
    stopB();
    sl.insert(sub("d.>"));
    expect(b.calls).toBe(2);
    const c = listener();
    watchDeliverSubject(sl, "d.x", c);
    sl.insert(sub("d.x"));
    expect(c.calls).toBe(1);
  });
});
