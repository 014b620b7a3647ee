import { describe, expect, test } from "vitest";
import { MappingError, SubjectMappings, SubjectTransform } from "../../src/index.js";

const MAX_INT32 = 2 ** 31 - 1;

describe("subject transforms", () => {
  test("TestSubjectTransforms: invalid transforms are refused", () => {
    const shouldErr = (src: string, dest: string, strict: boolean) => expect(() => SubjectTransform.create(src, dest, strict), `${src} -> ${dest}`).toThrow(MappingError);
    shouldErr("foo..", "bar", false);
    shouldErr("foo.*", "bar.*", false);
    shouldErr("foo.*", "bar.$2", false);
    shouldErr("foo.*", "bar.$1.>", false);
    shouldErr("foo.>", "bar.baz", false);
    shouldErr("foo.*.*", "bar.$2", true);
    shouldErr("foo.*", "foo.$foo", true);
    shouldErr("foo.*", "bar.{{Partition(2,1)}}", true);
    shouldErr("foo.*", "foo.{{wildcard(2)}}", false);
    shouldErr("foo.*", "foo.{{unimplemented(1)}}", false);
    shouldErr("foo.*", "foo.{{partition()}}", false);
    shouldErr("foo.*", "foo.{{random()}}", false);
    shouldErr("foo.*", "foo.{{wildcard(foo)}}", false);
    shouldErr("foo.*", "foo.{{wildcard()}}", false);
    shouldErr("foo.*", "foo.{{wildcard(1,2)}}", false);
    shouldErr("foo.*", "foo.{{ wildcard5) }}", false);
    shouldErr("foo.*", "foo.{{splitLeft(2,2}}", false);
    shouldErr("foo", "bla.{{wildcard(1)}}", false);
    shouldErr("foo.*", `foo.{{partition(${MAX_INT32 + 1})}}`, false);
    shouldErr("foo.*", `foo.{{random(${MAX_INT32 + 1})}}`, false);
  });

  test("TestSubjectTransforms: valid transforms compile", () => {
    const ok: [string, string, boolean][] = [
      ["foo.*", "bar.{{Wildcard(1)}}", true],
      ["foo.*.*", "bar.$2", false],
      ["foo.*.*", "bar.{{wildcard(1)}}", false],
      ["foo.*.*", "bar.{{partition(1)}}", false],
      ["foo.*.*", "bar.{{random(5)}}", false],
      ["foo", "bar", false],
      ["foo.*.bar.*.baz", "req.$2.$1", false],
      ["baz.>", "mybaz.>", false],
      ["*", "{{splitfromleft(1,1)}}", false],
      ["", "prefix.>", false],
      ["*.*", "{{partition(10,1,2)}}", false],
      ["foo.*.*", "foo.{{wildcard(1)}}.{{wildcard(2)}}.{{partition(5,1,2)}}", false],
      ["foo.*", `foo.{{partition(${MAX_INT32})}}`, false],
      ["foo.*", `foo.{{random(${MAX_INT32})}}`, false],
      ["foo.bar", `foo.{{random(${MAX_INT32})}}`, false],
    ];
    for (const [src, dest, strict] of ok) expect(() => SubjectTransform.create(src, dest, strict), `${src} -> ${dest}`).not.toThrow();
  });

  test("TestSubjectTransforms: subjects transform like Go's (partitions use the same hash)", () => {
    const shouldMatch = (src: string, dest: string, sample: string, ...expected: string[]) =>
      expect(expected, `${src} -> ${dest} on ${sample}`).toContain(SubjectTransform.create(src, dest).match(sample));
    shouldMatch("", "prefix.>", "foo", "prefix.foo");
    shouldMatch("foo", "bar", "foo", "bar");
    shouldMatch("foo.*.bar.*.baz", "req.$2.$1", "foo.A.bar.B.baz", "req.B.A");
    shouldMatch("foo.*.bar.*.baz", "req.{{wildcard(2)}}.{{wildcard(1)}}", "foo.A.bar.B.baz", "req.B.A");
    shouldMatch("baz.>", "my.pre.>", "baz.1.2.3", "my.pre.1.2.3");
    shouldMatch("baz.>", "foo.bar.>", "baz.1.2.3", "foo.bar.1.2.3");
    shouldMatch("*", "foo.bar.$1", "foo", "foo.bar.foo");
    shouldMatch("*", "{{splitfromleft(1,3)}}", "12345", "123.45");
    shouldMatch("*", "{{SplitFromRight(1,3)}}", "12345", "12.345");
    shouldMatch("*", "{{SliceFromLeft(1,3)}}", "1234567890", "123.456.789.0");
    shouldMatch("*", "{{SliceFromRight(1,3)}}", "1234567890", "1.234.567.890");
    shouldMatch("*", "{{split(1,-)}}", "-abc-def--ghi-", "abc.def.ghi");
    shouldMatch("*", "{{split(1,-)}}", "abc-def--ghi-", "abc.def.ghi");
    shouldMatch("*.*", "{{split(2,-)}}.{{splitfromleft(1,2)}}", "foo.-abc-def--ghij-", "abc.def.ghij.fo.o");
    shouldMatch("*", "{{right(1,1)}}", "1234", "4");
    shouldMatch("*", "{{right(1,3)}}", "1234", "234");
    shouldMatch("*", "{{right(1,6)}}", "1234", "1234");
    shouldMatch("*", "{{left(1,1)}}", "1234", "1");
    shouldMatch("*", "{{left(1,3)}}", "1234", "123");
    shouldMatch("*", "{{left(1,6)}}", "1234", "1234");
    shouldMatch("*", "bar.{{partition(0)}}", "baz", "bar.0");
    shouldMatch("*", "bar.{{partition(10, 0)}}", "foo", "bar.3");
    shouldMatch("*.*", "bar.{{partition(10)}}", "foo.bar", "bar.6");
    shouldMatch("*", "bar.{{partition(10)}}", "foo", "bar.3");
    shouldMatch("*", "bar.{{partition(10)}}", "baz", "bar.0");
    shouldMatch("*", "bar.{{partition(10)}}", "qux", "bar.9");
    shouldMatch("*", "bar.{{random(0)}}", "qux", "bar.0");
    for (let i = 0; i < 100; i++) shouldMatch("*", "bar.{{random(6)}}", "qux", "bar.0", "bar.1", "bar.2", "bar.3", "bar.4", "bar.5");
    shouldMatch("foo.bar", "baz.{{partition(10)}}", "foo.bar", "baz.6");
    shouldMatch("foo.baz", "qux.{{partition(10)}}", "foo.baz", "qux.4");
    shouldMatch("test.subject", "result.{{partition(5)}}", "test.subject", "result.0");
  });

  test("TestSubjectTransformDoesntPanicTransformingMissingToken", () => {
    expect(SubjectTransform.create("foo.*", "one.two.{{wildcard(1)}}").transformTokens(["foo"])).toBe("one.two.");
  });

  test("a subject the source does not match is not transformed", () => {
    const t = SubjectTransform.create("foo.*", "bar.$1");
    expect(t.match("baz.x")).toBeUndefined();
    expect(t.match("foo.*")).toBeUndefined();
  });
});

describe("weighted mappings", () => {
  test("TestAccountSimpleWeightedRouteMapping: weights under 100% leave the rest on the original subject", () => {
    const m = new SubjectMappings();
    m.add("foo", [{ destination: "bar", weight: 50 }]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const s = m.map("foo");
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["bar", "foo"]);
    expect(Math.abs(counts.get("bar")! / 2000 - 0.5)).toBeLessThan(0.06);
  });

  test("TestAccountMultiWeightedRouteMappings: weights must add up to at most 100 and destinations be unique", () => {
    const m = new SubjectMappings();
    expect(() => m.add("foo", [{ destination: "a", weight: 101 }])).toThrow("individual weights need to be <= 100");
    expect(() => m.add("foo", [{ destination: "a", weight: 60 }, { destination: "b", weight: 41 }])).toThrow("total weight needs to be <= 100");
    expect(() => m.add("foo", [{ destination: "a", weight: 10 }, { destination: "a", weight: 10 }])).toThrow('duplicate entry for "a"');
    m.add("foo", [{ destination: "bar", weight: 50 }, { destination: "baz", weight: 30 }]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const subject = m.map("foo");
      counts.set(subject, (counts.get(subject) ?? 0) + 1);
    }
    for (const [subject, weight] of [["foo", 20], ["bar", 50], ["baz", 30]] as const) {
      const expected = 5000 * (weight / 100);
      expect(Math.abs((counts.get(subject) ?? 0) - expected), subject).toBeLessThanOrEqual(expected / 5);
    }
    m.add("orders.*", [{ destination: "a.$1", weight: 100 }]);
    expect(m.map("orders.eu")).toBe("a.eu");
    expect(m.map("other")).toBe("other");
  });
});
