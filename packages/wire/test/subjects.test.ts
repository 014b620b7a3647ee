import { describe, expect, test } from "vitest";
import {
  isLiteralSubject,
  isValidLiteralSubject,
  isValidPublishSubject,
  isValidQueueName,
  isValidSubject,
  numTokens,
  subjectIsSubsetMatch,
  subjectMatches,
  subjectsCollide,
  splitSubjectQueue,
  tokenAt,
  tokenizeSubject,
} from "../src/index.js";

describe("subject validation", () => {
  test("TestSublistValidLiteralSubjects: wildcard characters count only as whole tokens", () => {
    const cases: Array<[string, boolean]> = [
      ["foo", true],
      [".foo", false],
      ["foo.", false],
      ["foo..bar", false],
      ["foo.bar.*", false],
      ["foo.bar.>", false],
      ["*", false],
      [">", false],
      // The followings have wildcards characters but are not
      // considered as such because they are not individual tokens.
      ["foo*", true],
      ["foo**", true],
      ["foo.**", true],
      ["foo*bar", true],
      ["foo.*bar", true],
      ["foo*.bar", true],
      ["*bar", true],
      ["foo>", true],
      ["foo>>", true],
      ["foo.>>", true],
      ["foo>bar", true],
      ["foo.>bar", true],
      ["foo>.bar", true],
      [">bar", true],
    ];
    for (const [subject, valid] of cases) expect(isValidLiteralSubject(subject), subject).toBe(valid);
  });

  test("TestSublistValidSubjects: empty tokens and tokens after > are invalid; NUL is caught with checkRunes", () => {
    const cases: Array<[string, boolean]> = [
      [".", false],
      [".foo", false],
      ["foo.", false],
      ["foo..bar", false],
      [">.bar", false],
      ["foo.>.bar", false],
      ["foo", true],
      ["foo.bar.*", true],
      ["foo.bar.>", true],
      ["*", true],
      [">", true],
      ["foo*", true],
      ["foo**", true],
      ["foo.**", true],
      ["foo*bar", true],
      ["foo.*bar", true],
      ["foo*.bar", true],
      ["*bar", true],
      ["foo>", true],
      ["foo.>>", true],
      ["foo>bar", true],
      ["foo.>bar", true],
      ["foo>.bar", true],
      [">bar", true],
    ];
    for (const [subject, valid] of cases) expect(isValidSubject(subject), subject).toBe(valid);
    // Check for embedded nulls.
    expect(isValidSubject("foo.bar.baz.\u0000", true)).toBe(false);
    expect(isValidSubject("foo.bar.baz.\u0000")).toBe(true);
  });

  test("whitespace anywhere in a token is invalid; checkRunes rejects the replacement character", () => {
    for (const s of ["foo bar", "foo.\tbar", "foo.bar\r", "\n", "a.\f", " "]) expect(isValidSubject(s), JSON.stringify(s)).toBe(false);
    expect(isValidSubject("")).toBe(false);
    expect(isValidSubject("caf\ufffd", true)).toBe(false);
    expect(isValidSubject("café.✓", true)).toBe(true);
  });

  test("isValidPublishSubject: valid and literal", () => {
    expect(isValidPublishSubject("foo.bar")).toBe(true);
    expect(isValidPublishSubject("foo*.>bar")).toBe(true);
    expect(isValidPublishSubject("foo.*")).toBe(false);
    expect(isValidPublishSubject("foo.>")).toBe(false);
    expect(isValidPublishSubject("foo bar")).toBe(false);
    expect(isValidPublishSubject("foo..bar")).toBe(false);
    expect(isValidPublishSubject("")).toBe(false);
  });

  test("isValidQueueName: non-empty, no whitespace", () => {
    expect(isValidQueueName("workers")).toBe(true);
    expect(isValidQueueName("a.b*>")).toBe(true);
    expect(isValidQueueName("")).toBe(false);
    expect(isValidQueueName("a b")).toBe(false);
    expect(isValidQueueName("a\tb")).toBe(false);
  });

  test("TestSubjectIsLiteral: only whole-token * and > are wildcards", () => {
    const cases: Array<[string, boolean]> = [
      ["foo", true],
      ["foo.bar", true],
      ["foo*.bar", true],
      ["*", false],
      [">", false],
      ["foo.*", false],
      ["foo.>", false],
      ["foo.*.>", false],
      ["foo.*.bar", false],
      ["foo.bar.>", false],
    ];
    for (const [subject, literal] of cases) expect(isLiteralSubject(subject), subject).toBe(literal);
  });
});

describe("tokens", () => {
  test("TestSubjectToken: tokenAt is 1-based and empty out of range", () => {
    expect(tokenAt("foo.bar.baz.*", 0)).toBe("");
    expect(tokenAt("foo.bar.baz.*", 1)).toBe("foo");
    expect(tokenAt("foo.bar.baz.*", 2)).toBe("bar");
    expect(tokenAt("foo.bar.baz.*", 3)).toBe("baz");
    expect(tokenAt("foo.bar.baz.*", 4)).toBe("*");
    expect(tokenAt("foo.bar.baz.*", 5)).toBe("");
  });

  test("TestSplitSubjectQueue: permission entries of a subject and an optional queue", () => {
    const cases: Array<[name: string, entry: string, subject?: string, queue?: string]> = [
      ["single subject", "foo", "foo", undefined],
      ["subject and queue", "foo bar", "foo", "bar"],
      ["subject and queue with surrounding spaces", " foo bar ", "foo", "bar"],
      ["subject and queue with extra spaces in the middle", "foo  bar", "foo", "bar"],
      ["subject, queue, and extra token", "foo  bar fizz"],
      ["empty", ""],
      ["tab only", "\t"],
      ["newline only", "\n"],
      ["mixed whitespace", " \t\r\n"],
    ];
    for (const [name, entry, subject, queue] of cases) {
      if (subject === undefined) {
        expect(() => splitSubjectQueue(entry), name).toThrow(`invalid subject-queue ${JSON.stringify(entry)}`);
      } else {
        expect(splitSubjectQueue(entry), name).toEqual({ subject, queue });
      }
    }
  });

  test("tokenizeSubject and numTokens", () => {
    expect(tokenizeSubject("foo.*.>")).toEqual(["foo", "*", ">"]);
    expect(tokenizeSubject("a..b")).toEqual(["a", "", "b"]);
    expect(numTokens("")).toBe(0);
    expect(numTokens("foo")).toBe(1);
    expect(numTokens("foo.bar.baz")).toBe(3);
  });
});

describe("matching", () => {
  test("TestSublistMatchLiterals: literal subjects against filters", () => {
    const cases: Array<[literal: string, filter: string, match: boolean]> = [
      ["foo", "foo", true],
      ["foo", "bar", false],
      ["foo", "*", true],
      ["foo", ">", true],
      ["foo.bar", ">", true],
      ["foo.bar", "foo.>", true],
      ["foo.bar", "bar.>", false],
      ["stats.test.22", "stats.>", true],
      ["stats.test.22", "stats.*.*", true],
      ["foo.bar", "foo", false],
      ["stats.test.foos", "stats.test.foos", true],
      ["stats.test.foos", "stats.test.foo", false],
      ["stats.test", "stats.test.*", false],
      ["stats.test.foos", "stats.*", false],
      ["stats.test.foos", "stats.*.*.foos", false],
      // These are cases where wildcards characters should not be considered
      // wildcards since they do not follow the rules of wildcards.
      ["*bar", "*bar", true],
      ["foo*", "foo*", true],
      ["foo*bar", "foo*bar", true],
      ["foo.***.bar", "foo.***.bar", true],
      [">bar", ">bar", true],
      ["foo>", "foo>", true],
      ["foo>bar", "foo>bar", true],
      ["foo.>>>.bar", "foo.>>>.bar", true],
    ];
    for (const [literal, filter, match] of cases) expect(subjectMatches(filter, literal), `${filter} ~ ${literal}`).toBe(match);
  });

  test("a filter matches only subjects with the same number of tokens unless it ends in >", () => {
    expect(subjectMatches("foo", "foo.bar")).toBe(false);
    expect(subjectMatches("foo.bar", "foo")).toBe(false);
    expect(subjectMatches("foo.*", "foo")).toBe(false);
    expect(subjectMatches("foo.>", "foo")).toBe(false);
  });

  test("a wildcard never matches an empty token", () => {
    expect(subjectMatches("foo.*", "foo.")).toBe(false);
    expect(subjectMatches("*.bar", ".bar")).toBe(false);
    expect(subjectMatches("foo.*.baz", "foo..baz")).toBe(false);
  });

  test("TestIsSubsetMatch: every subject matched by the first is matched by the second", () => {
    const cases: Array<[subject: string, test: string, result: boolean]> = [
      ["foo.bar", "foo.bar", true],
      ["foo.*", ">", true],
      ["foo.*", "*.*", true],
      ["foo.*", "foo.*", true],
      ["foo.*", "foo.bar", false],
      ["foo.>", ">", true],
      ["foo.>", "*.>", true],
      ["foo.>", "foo.>", true],
      ["foo.>", "foo.bar", false],
      ["foo..bar", "foo.*", false], // Bad subject, we return false
      ["foo.*", "foo..bar", false], // Bad subject, we return false
    ];
    for (const [subject, filter, result] of cases) expect(subjectIsSubsetMatch(subject, filter), `${subject} ⊆ ${filter}`).toBe(result);
  });

  test("TestSublistSubjectCollide: filters that can match a common subject", () => {
    expect(subjectsCollide("foo.*", "foo.*.bar.>")).toBe(false);
    expect(subjectsCollide("foo.*.bar.>", "foo.*")).toBe(false);
    expect(subjectsCollide("foo.*", "foo.foo")).toBe(true);
    expect(subjectsCollide("foo.*", "*.foo")).toBe(true);
    expect(subjectsCollide("foo.bar.>", "*.bar.foo")).toBe(true);
  });

  test("overlapping deny and subscribe filters collide (the deny cases of Go's client tests)", () => {
    expect(subjectsCollide("*.secret", "foo.*")).toBe(true);
    expect(subjectsCollide("foo.*.bar", "foo.baz.*")).toBe(true);
    expect(subjectsCollide("*.*.bar", "foo.*.*")).toBe(true);
    expect(subjectsCollide("a.>", "*.b")).toBe(true);
  });

  test("subjectsCollide on the Go fuzz corpus (FuzzSubjectsCollide seeds)", () => {
    const collide: Array<[string, string]> = [
      ["a", "a"], ["a.b.c", "a.b.c"], ["$JS.b.c", "$JS.b.c"], ["a.b.c", "a.*.c"], ["a.b.*", "a.*.c"],
      ["aaa.*.ccc", "*.bbb.ccc"], ["*", "*"], ["**", "*"], [">", ">"], [">>", ">"], ["a", ">"], ["a.b.c", ">"],
      ["a.b.c.>", "a.b.>"], ["a.b.c.d.*", "a.b.c.*.e"], ["a.*.*.d.>", "a.bbb.ccc.*.e"],
    ];
    const apart: Array<[string, string]> = [
      ["a.b", "b.a"], ["a.bbbbb.*.d", "a.b.>"], ["a.b", "a.b.c"], ["a.b.c", "a.b"], ["a.*.*.d.e.>", "a.bbb.ccc.*.e"],
    ];
    for (const [a, b] of collide) expect(subjectsCollide(a, b), `${a} / ${b}`).toBe(true);
    for (const [a, b] of apart) expect(subjectsCollide(a, b), `${a} / ${b}`).toBe(false);
  });
});
