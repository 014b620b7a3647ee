import { describe, expect, test } from "vitest";
import { InvalidSubjectError, Sublist, Subscription, type MessageSink } from "../../src/index.js";

const sink: MessageSink = { kind: "CLIENT", cid: 1, deliver: () => true, removeSub: () => {} };
let sid = 0;
const sub = (subject: string, queue?: string) => new Subscription(sink, subject, String(++sid), queue);

describe("Sublist", () => {
  test("TestSublistInit: a new sublist is empty", () => {
    const s = new Sublist();
    expect(s.count).toBe(0);
  });

  test("TestSublistInsertCount: count follows inserts", () => {
    const s = new Sublist();
    s.insert(sub("foo"));
    s.insert(sub("bar"));
    s.insert(sub("foo.bar"));
    expect(s.count).toBe(3);
  });

  test("TestSublistSimple: a literal matches itself", () => {
    const s = new Sublist();
    const a = sub("foo");
    s.insert(a);
    expect(s.match("foo").psubs).toEqual([a]);
  });

  test("TestSublistSimpleMultiTokens: multi-token literal", () => {
    const s = new Sublist();
    const a = sub("foo.bar.baz");
    s.insert(a);
    expect(s.match("foo.bar.baz").psubs).toEqual([a]);
  });

  test("TestSublistPartialWildcard: * matches one token", () => {
    const s = new Sublist();
    const lit = sub("a.b.c");
    const pwc = sub("a.*.c");
    s.insert(lit);
    s.insert(pwc);
    const r = s.match("a.b.c");
    expect(r.psubs).toHaveLength(2);
    expect(r.psubs).toContain(lit);
    expect(r.psubs).toContain(pwc);
  });

  test("TestSublistPartialWildcardAtEnd: trailing * matches the last token", () => {
    const s = new Sublist();
    const lit = sub("a.b.c");
    const pwc = sub("a.b.*");
    s.insert(lit);
    s.insert(pwc);
    expect(s.match("a.b.c").psubs).toHaveLength(2);
  });

  test("TestSublistFullWildcard: > matches one or more tokens", () => {
    const s = new Sublist();
    const lit = sub("a.b.c");
    const fwc = sub("a.>");
    s.insert(lit);
    s.insert(fwc);
    expect(s.match("a.b.c").psubs).toHaveLength(2);
    expect(s.match("a").psubs).toHaveLength(0);
  });

  test("TestSublistRemove: removing a literal", () => {
    const s = new Sublist();
    const a = sub("a.b.c.d");
    s.insert(a);
    expect(s.count).toBe(1);
    expect(s.match("a.b.c.d").psubs).toHaveLength(1);
    expect(s.remove(sub("a.b.c"))).toBe(false);
    expect(s.remove(a)).toBe(true);
    expect(s.count).toBe(0);
    expect(s.match("a.b.c.d").psubs).toHaveLength(0);
  });

  test("TestSublistRemoveWildcard: removing wildcard subscriptions", () => {
    const s = new Sublist();
    const lit = sub("a.b.c.d");
    const pwc = sub("a.b.*.d");
    const fwc = sub("a.b.>");
    [lit, pwc, fwc].forEach((x) => s.insert(x));
    expect(s.match("a.b.c.d").psubs).toHaveLength(3);
    s.remove(lit);
    s.remove(fwc);
    s.remove(pwc);
    expect(s.count).toBe(0);
    expect(s.match("a.b.c.d").psubs).toHaveLength(0);
  });

  test("TestSublistRemoveCleanup / TestSublistRemoveCleanupWildcards: removal prunes the trie", () => {
    const s = new Sublist();
    const subs = ["a.b.c.d.e.f", "a.b.*.d", "a.>", "x"].map((x) => sub(x));
    subs.forEach((x) => s.insert(x));
    subs.forEach((x) => s.remove(x));
    expect(s.count).toBe(0);
    expect(s.all()).toEqual([]);
    // The root holds nothing once everything is removed.
    expect((s as unknown as { root: { isEmpty: boolean } }).root.isEmpty).toBe(true);
  });

  test("TestSublistInvalidSubjectsInsert: empty tokens and a non-terminal > are rejected", () => {
    const s = new Sublist();
    for (const bad of [".foo", "foo.", "foo..bar", "foo.bar..baz", "foo.>.bar"]) {
      expect(() => s.insert(sub(bad))).toThrow(InvalidSubjectError);
    }
    expect(s.count).toBe(0);
  });

  test("TestSublistBadSubjectOnRemove: removing an invalid subject is an error", () => {
    const s = new Sublist();
    const bad = sub("a.b..d");
    expect(() => s.insert(bad)).toThrow(InvalidSubjectError);
    expect(() => s.remove(bad)).toThrow(InvalidSubjectError);
    expect(() => s.remove(sub("a.>.b"))).toThrow(InvalidSubjectError);
  });

  test("TestSublistTwoTokenPubMatchSingleTokenSub: foo does not match foo.bar", () => {
    const s = new Sublist();
    const a = sub("foo");
    s.insert(a);
    expect(s.match("foo").psubs).toEqual([a]);
    expect(s.match("foo.bar").psubs).toHaveLength(0);
  });

  test("TestSublistInsertWithWildcardsAsLiterals: *- and >- are literal tokens", () => {
    for (const subject of ["foo.*-", "foo.>-"]) {
      const s = new Sublist();
      s.insert(sub(subject));
      expect(s.match("foo.bar").psubs).toHaveLength(0);
      expect(s.match(subject).psubs).toHaveLength(1);
    }
  });

  test("TestSublistRemoveWithWildcardsAsLiterals: removing a non-matching literal leaves them", () => {
    for (const subject of ["foo.*-", "foo.>-"]) {
      const s = new Sublist();
      const a = sub(subject);
      s.insert(a);
      s.remove(sub("foo.bar"));
      expect(s.count).toBe(1);
      s.remove(a);
      expect(s.count).toBe(0);
    }
  });

  test("TestSublistCache: results are cached, invalidated on change, and the cache is bounded", () => {
    const s = new Sublist();
    const lit = sub("a.b.c.d");
    const pwc = sub("a.b.*.d");
    const fwc = sub("a.b.>");
    s.insert(lit);
    expect(s.match("a.b.c.d").psubs).toHaveLength(1);
    s.insert(pwc);
    s.insert(fwc);
    expect(s.count).toBe(3);
    expect(s.match("a.b.c.d").psubs).toHaveLength(3);
    s.remove(lit);
    s.remove(fwc);
    s.remove(pwc);
    expect(s.count).toBe(0);
    expect(s.cacheSize).toBe(0);
    expect(s.match("a.b.c.d").psubs).toHaveLength(0);
    for (let i = 0; i < 2 * 1024; i++) s.match(`foo-${i}`);
    expect(s.cacheSize).toBeLessThanOrEqual(1024);

    const t = new Sublist();
    t.insert(sub("foo.*"));
    t.insert(sub("foo.bar"));
    expect(t.match("foo.baz").psubs).toHaveLength(1);
    expect(t.match("foo.bar").psubs).toHaveLength(2);
    t.insert(sub("foo.>"));
    expect(t.match("foo.bar").psubs).toHaveLength(3);
  });

  test("TestSublistBasicQueueResults: queue groups come back one array per group", () => {
    const s = new Sublist();
    const plain = sub("foo");
    const bar1 = sub("foo", "bar");
    const baz1 = sub("foo", "baz");
    s.insert(bar1);
    let r = s.match("foo");
    expect(r.psubs).toHaveLength(0);
    expect(r.qsubs).toEqual([[bar1]]);
    s.insert(baz1);
    s.insert(plain);
    r = s.match("foo");
    expect(r.psubs).toEqual([plain]);
    expect(r.qsubs).toHaveLength(2);
    const bar2 = sub("foo", "bar");
    const baz2 = sub("foo", "baz");
    s.insert(bar2);
    s.insert(baz2);
    r = s.match("foo");
    const group = (q: string) => r.qsubs.find((g) => g[0].queue === q)!;
    expect(group("bar")).toEqual([bar1, bar2]);
    expect(group("baz")).toEqual([baz1, baz2]);
    s.remove(plain);
    s.remove(bar1);
    r = s.match("foo");
    expect(r.psubs).toHaveLength(0);
    expect(group("bar")).toEqual([bar2]);
    s.remove(bar2);
    r = s.match("foo");
    expect(r.qsubs).toEqual([[baz1, baz2]]);
    s.remove(baz1);
    s.remove(baz2);
    r = s.match("foo");
    expect(r.qsubs).toHaveLength(0);
  });

  test("TestSublistSharedEmptyResult: misses share one empty result", () => {
    const s = new Sublist();
    expect(s.match("foo")).toBe(s.match("bar"));
  });

  test("TestSublistAll: all() returns every subscription", () => {
    const s = new Sublist();
    const subs = ["foo", "bar.baz", "a.*", "b.>", "q"].map((x, i) => sub(x, i === 4 ? "g" : undefined));
    subs.forEach((x) => s.insert(x));
    expect(new Set(s.all())).toEqual(new Set(subs));
  });

  test("TestGenericSublistHasInterest: hasInterest follows inserts and removes", () => {
    const s = new Sublist();
    const fwc = sub("foo.>");
    s.insert(fwc);
    expect(s.hasInterest("foo.bar")).toBe(true);
    expect(s.hasInterest("foo")).toBe(false);
    s.remove(fwc);
    expect(s.hasInterest("foo.bar")).toBe(false);
  });
});
