import { describe, expect, test } from "vitest";
import {
  isReservedWildcardSubject,
  mqttFilterToNatsSubject,
  mqttTopicToNatsSubject,
  natsSubjectToMqttTopic,
  needsParentLevelSubject,
} from "../src/topic.js";

describe("topic <-> subject", () => {
  test("TestMQTTTopicAndSubjectConversion: topics convert to subjects and back", () => {
    const table: [string, string][] = [
      ["/", "/./"],
      ["//", "/././"],
      ["///", "/./././"],
      ["////", "/././././"],
      ["foo", "foo"],
      ["/foo", "/.foo"],
      ["//foo", "/./.foo"],
      ["///foo", "/././.foo"],
      ["///foo/", "/././.foo./"],
      ["///foo//", "/././.foo././"],
      ["///foo///", "/././.foo./././"],
      ["//.foo.//", "/././/foo//././"],
      ["foo/bar", "foo.bar"],
      ["/foo/bar", "/.foo.bar"],
      ["/foo/bar/", "/.foo.bar./"],
      ["foo/bar/baz", "foo.bar.baz"],
      ["/foo/bar/baz", "/.foo.bar.baz"],
      ["/foo/bar/baz/", "/.foo.bar.baz./"],
      ["bar/", "bar./"],
      ["bar//", "bar././"],
      ["bar///", "bar./././"],
      ["foo//bar", "foo./.bar"],
      ["foo///bar", "foo././.bar"],
      ["foo////bar", "foo./././.bar"],
      [".", "//"],
      ["..", "////"],
      ["...", "//////"],
      ["./", "//./"],
      [".//.", "//././/"],
      ["././.", "//.//.//"],
      ["././/.", "//.//././/"],
      [".foo", "//foo"],
      ["foo.", "foo//"],
      [".foo.", "//foo//"],
      ["foo../bar/", "foo////.bar./"],
      ["foo../bar/.", "foo////.bar.//"],
      ["/foo/", "/.foo./"],
      ["./foo/.", "//.foo.//"],
      ["foo.bar/baz", "foo//bar.baz"],
    ];
    for (const [topic, subject] of table) {
      expect(mqttTopicToNatsSubject(topic), topic).toBe(subject);
      expect(natsSubjectToMqttTopic(subject), subject).toBe(topic);
    }
    for (const [topic, err] of [
      ["foo/+", "wildcards not allowed in publish"],
      ["foo/#", "wildcards not allowed in publish"],
      ["foo bar", "not supported"],
      ["foo\x7fbar", "not supported"],
    ]) {
      expect(() => mqttTopicToNatsSubject(topic!), topic).toThrow(err);
    }
  });

  test("TestMQTTFilterConversion: wildcard filters convert to NATS wildcards", () => {
    const table: [string, string][] = [
      ["+", "*"],
      ["/+", "/.*"],
      ["+/", "*./"],
      ["/+/", "/.*./"],
      ["foo/+", "foo.*"],
      ["foo/+/", "foo.*./"],
      ["foo/+/bar", "foo.*.bar"],
      ["foo/+/+", "foo.*.*"],
      ["foo/+/+/", "foo.*.*./"],
      ["foo/+/+/bar", "foo.*.*.bar"],
      ["foo//+", "foo./.*"],
      ["foo//+/", "foo./.*./"],
      ["foo//+//", "foo./.*././"],
      ["foo//+//bar", "foo./.*./.bar"],
      ["foo///+///bar", "foo././.*././.bar"],
      ["foo.bar///+///baz", "foo//bar././.*././.baz"],
      ["#", ">"],
      ["/#", "/.>"],
      ["/foo/#", "/.foo.>"],
      ["foo/#", "foo.>"],
      ["foo//#", "foo./.>"],
      ["foo///#", "foo././.>"],
      ["foo/bar/#", "foo.bar.>"],
      ["foo/bar.baz/#", "foo.bar//baz.>"],
      ["foo*/bar", "foo*.bar"],
      ["foo>/bar", "foo>.bar"],
      ["foo/*/bar", "foo.*.bar"],
      ["foo/*/bar/*", "foo.*.bar.*"],
      ["foo/>", "foo.>"],
      ["foo/*/bar/>", "foo.*.bar.>"],
    ];
    for (const [filter, subject] of table) expect(mqttFilterToNatsSubject(filter), filter).toBe(subject);
  });

  test("whitespace and control characters are refused in filters too", () => {
    for (const f of ["a b", "a\tb", "a\nb", "a\rb", "a\fb", "a\x7f"]) expect(() => mqttFilterToNatsSubject(f)).toThrow("not supported");
  });

  test("reserved wildcard filters and parent-level subscriptions", () => {
    expect(["#", "+", "+/a", "+/+"].map((f) => isReservedWildcardSubject(mqttFilterToNatsSubject(f)))).toEqual([true, true, true, true]);
    expect(["a/#", "a/+", "$SYS/#", "/+"].map((f) => isReservedWildcardSubject(mqttFilterToNatsSubject(f)))).toEqual([false, false, false, false]);
    expect(needsParentLevelSubject("foo.>")).toBe(true);
    expect(needsParentLevelSubject(">")).toBe(false);
    expect(needsParentLevelSubject("foo.bar")).toBe(false);
  });
});
