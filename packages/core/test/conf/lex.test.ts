// Ports of the Go server's conf/lex_test.go: same inputs, same expected items
// and positions (Go's positions: 0-based on line 1, 1-based on later lines).
import { describe, expect, test } from "vitest";
import type { ItemType } from "../../src/conf/lexer.js";
import { lexAll } from "../../src/conf/lexer-states.js";

type Expected = [ItemType, string, number, number][];

/**
 * Like the Go helper: compare items in order, stop after an Error item, and
 * treat an expected EOF as "the lexer ends here" (its position is not compared).
 */
function expectItems(input: string, expected: Expected): void {
  const received = lexAll(input).map((i): Expected[number] => [i.type, i.value, i.line, i.pos]);
  const eofAt = expected.findIndex(([type]) => type === "EOF");
  const before = eofAt < 0 ? expected : expected.slice(0, eofAt);
  expect(received.slice(0, before.length)).toEqual(before);
  if (eofAt >= 0 && before.at(-1)?.[0] !== "Error") expect(received[before.length]?.[0]).toBe("EOF");
}

test("TestPlainValue: plain value", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo", expected);
});

test("TestSimpleKeyStringValues: simple key string values", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "bar", 1, 7],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = \"bar\"", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["String", "bar", 1, 7],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 'bar'", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["String", "bar", 1, 5],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo='bar'", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["String", "bar", 1, 5],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo='bar'\r\n", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["String", "bar", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo=\t'bar'\t", expected);
});

test("TestComplexStringValues: complex string values", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "bar\\r\\n  \\t", 1, 7],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = 'bar\\r\\n  \\t'", expected);
});

test("TestStringStartingWithNumber: string starting with number", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "3xyz", 1, 6],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = 3xyz", expected);
  expectItems("foo = 3xyz,", expected);
  expectItems("foo = 3xyz;", expected);
  expected = [
    ["Key", "foo", 2, 9],
    ["String", "3xyz", 2, 15],
    ["EOF", "", 2, 0],
  ];
  expectItems("\n        foo = 3xyz\n        ", expected);
  expected = [
    ["Key", "map", 2, 9],
    ["MapStart", "", 2, 14],
    ["Key", "foo", 3, 11],
    ["String", "3xyz", 3, 17],
    ["MapEnd", "", 3, 22],
    ["EOF", "", 2, 0],
  ];
  expectItems("\n        map {\n          foo = 3xyz}\n        ", expected);
  expected = [
    ["Key", "map", 2, 9],
    ["MapStart", "", 2, 14],
    ["Key", "foo", 3, 11],
    ["String", "3xyz", 3, 17],
    ["MapEnd", "", 4, 10],
    ["EOF", "", 2, 0],
  ];
  expectItems("\n        map {\n          foo = 3xyz;\n        }\n        ", expected);
  expected = [
    ["Key", "map", 2, 9],
    ["MapStart", "", 2, 14],
    ["Key", "foo", 3, 11],
    ["String", "3xyz", 3, 17],
    ["Key", "bar", 4, 11],
    ["String", "4wqs", 4, 17],
    ["MapEnd", "", 5, 10],
    ["EOF", "", 2, 0],
  ];
  expectItems("\n        map {\n          foo = 3xyz,\n          bar = 4wqs\n        }\n        ", expected);
});

test("TestBinaryString: binary string", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "e", 1, 9],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = \\x65", expected);
});

test("TestBinaryStringLatin1: binary string latin1", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "é", 1, 9],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = \\xe9", expected);
});

test("TestSimpleKeyIntegerValues: simple key integer values", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 123", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 4],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo=123", expected);
  expectItems("foo=123\r\n", expected);
});

test("TestSimpleKeyNegativeIntegerValues: simple key negative integer values", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "-123", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = -123", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "-123", 1, 4],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo=-123", expected);
  expectItems("foo=-123\r\n", expected);
});

test("TestConvenientIntegerValues: convenient integer values", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "1k", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 1k", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "1K", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 1K", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "1m", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 1m", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "1M", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 1M", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "1g", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 1g", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "1G", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 1G", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "1MB", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 1MB", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "1Gb", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 1Gb", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "-1m", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = -1m", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "-1GB", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = -1GB ", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["String", "1Ghz", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 1Ghz", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["String", "2Pie", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 2Pie", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["String", "3Mbs", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 3Mbs,", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "4Gb", 1, 6],
    ["Key", "bar", 1, 11],
    ["String", "5Gø", 1, 17],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 4Gb, bar = 5Gø", expected);
});

test("TestSimpleKeyFloatValues: simple key float values", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Float", "22.2", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 22.2", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Float", "22.2", 1, 4],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo=22.2", expected);
  expectItems("foo=22.2\r\n", expected);
});

test("TestBadBinaryStringEndingAfterZeroHexChars: bad binary string ending after zero hex chars", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Error", "Expected two hexadecimal digits after '\\x', but hit end of line", 2, 1],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = xyz\\x\n", expected);
});

test("TestBadBinaryStringEndingAfterOneHexChar: bad binary string ending after one hex char", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Error", "Expected two hexadecimal digits after '\\x', but hit end of line", 2, 1],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = xyz\\xF\n", expected);
});

test("TestBadBinaryStringWithZeroHexChars: bad binary string with zero hex chars", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Error", "Expected two hexadecimal digits after '\\x', but got ']\"'", 1, 12],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = \"[\\x]\"", expected);
});

test("TestBadBinaryStringWithOneHexChar: bad binary string with one hex char", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Error", "Expected two hexadecimal digits after '\\x', but got 'e]'", 1, 12],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = \"[\\xe]\"", expected);
});

test("TestBadFloatValues: bad float values", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Error", "Floats must start with a digit", 1, 7],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = .2", expected);
});

test("TestBadKey: bad key", () => {
  const expected: Expected = [
    ["Error", "Unexpected key separator ':'", 1, 1],
    ["EOF", "", 1, 0],
  ];
  expectItems(" :foo = 22", expected);
});

test("TestSimpleKeyBoolValues: simple key bool values", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Bool", "true", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = true", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Bool", "true", 1, 4],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo=true", expected);
  expectItems("foo=true\r\n", expected);
});

test("TestComments: comments", () => {
  let expected: Expected = [
    ["CommentStart", "", 1, 1],
    ["Text", " This is a comment", 1, 1],
    ["EOF", "", 1, 0],
  ];
  expectItems("# This is a comment", expected);
  expectItems("# This is a comment\r\n", expected);
  expected = [
    ["CommentStart", "", 1, 2],
    ["Text", " This is a comment", 1, 2],
    ["EOF", "", 1, 0],
  ];
  expectItems("// This is a comment\r\n", expected);
});

test("TestTopValuesWithComments: top values with comments", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 6],
    ["CommentStart", "", 1, 12],
    ["Text", " This is a comment", 1, 12],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 123 // This is a comment", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 4],
    ["CommentStart", "", 1, 12],
    ["Text", " This is a comment", 1, 12],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo=123    # This is a comment", expected);
});

test("TestRawString: raw string", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "bar", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = bar", expected);
  expectItems("foo = bar' ", expected);
});

test("TestDateValues: date values", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Datetime", "2016-05-04T18:53:41Z", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = 2016-05-04T18:53:41Z", expected);
});

test("TestVariableValues: variable values", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Variable", "bar", 1, 7],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = $bar", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Variable", "bar", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo =$bar", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Variable", "bar", 1, 5],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo $bar", expected);
});

test("TestArrays: arrays", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["ArrayStart", "", 1, 7],
    ["Integer", "1", 1, 7],
    ["Integer", "2", 1, 10],
    ["Integer", "3", 1, 13],
    ["String", "bar", 1, 17],
    ["ArrayEnd", "", 1, 22],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = [1, 2, 3, 'bar']", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["ArrayStart", "", 1, 7],
    ["Integer", "1", 1, 7],
    ["Integer", "2", 1, 9],
    ["Integer", "3", 1, 11],
    ["String", "bar", 1, 14],
    ["ArrayEnd", "", 1, 19],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = [1,2,3,'bar']", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["ArrayStart", "", 1, 7],
    ["Integer", "1", 1, 7],
    ["Integer", "2", 1, 10],
    ["Integer", "3", 1, 12],
    ["String", "bar", 1, 15],
    ["ArrayEnd", "", 1, 20],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = [1, 2,3,'bar']", expected);
});

test("TestMultilineArrays: multiline arrays", () => {
  const expected: Expected = [
    ["CommentStart", "", 2, 2],
    ["Text", " top level comment", 2, 2],
    ["Key", "foo", 3, 1],
    ["ArrayStart", "", 3, 8],
    ["Integer", "1", 4, 2],
    ["CommentStart", "", 4, 6],
    ["Text", " One", 4, 6],
    ["Integer", "2", 5, 2],
    ["CommentStart", "", 5, 7],
    ["Text", " Two", 5, 7],
    ["Integer", "3", 6, 2],
    ["CommentStart", "", 6, 5],
    ["Text", " Three", 6, 5],
    ["String", "bar", 7, 3],
    ["String", "bar", 8, 3],
    ["ArrayEnd", "", 9, 2],
    ["EOF", "", 9, 0],
  ];
  expectItems("\n# top level comment\nfoo = [\n 1, # One\n 2, // Two\n 3 # Three\n 'bar'     ,\n \"bar\"\n]\n", expected);
});

test("TestMultilineArraysNoSep: multiline arrays no sep", () => {
  const expected: Expected = [
    ["CommentStart", "", 2, 2],
    ["Text", " top level comment", 2, 2],
    ["Key", "foo", 3, 1],
    ["ArrayStart", "", 3, 8],
    ["Integer", "1", 4, 2],
    ["CommentStart", "", 4, 6],
    ["Text", " foo", 4, 6],
    ["Integer", "2", 5, 2],
    ["Integer", "3", 6, 2],
    ["String", "bar", 7, 3],
    ["String", "bar", 8, 3],
    ["ArrayEnd", "", 9, 2],
    ["EOF", "", 9, 0],
  ];
  expectItems("\n# top level comment\nfoo = [\n 1 // foo\n 2\n 3\n 'bar'\n \"bar\"\n]\n", expected);
});

test("TestSimpleMap: simple map", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["MapStart", "", 1, 7],
    ["Key", "ip", 1, 7],
    ["String", "127.0.0.1", 1, 11],
    ["Key", "port", 1, 23],
    ["Integer", "4242", 1, 30],
    ["MapEnd", "", 1, 35],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = {ip='127.0.0.1', port = 4242}", expected);
});

test("TestMultilineMap: multiline map", () => {
  const expected: Expected = [
    ["Key", "foo", 2, 1],
    ["MapStart", "", 2, 8],
    ["Key", "ip", 3, 3],
    ["String", "127.0.0.1", 3, 9],
    ["CommentStart", "", 3, 21],
    ["Text", " the IP", 3, 21],
    ["Key", "port", 4, 3],
    ["Integer", "4242", 4, 9],
    ["CommentStart", "", 4, 16],
    ["Text", " the port", 4, 16],
    ["MapEnd", "", 5, 2],
    ["EOF", "", 5, 0],
  ];
  expectItems("\nfoo = {\n  ip = '127.0.0.1' # the IP\n  port= 4242 // the port\n}\n", expected);
});

test("TestNestedMaps: nested maps", () => {
  const expected: Expected = [
    ["Key", "foo", 2, 1],
    ["MapStart", "", 2, 8],
    ["Key", "host", 3, 3],
    ["MapStart", "", 3, 11],
    ["Key", "ip", 4, 5],
    ["String", "127.0.0.1", 4, 11],
    ["Key", "port", 5, 5],
    ["Integer", "4242", 5, 11],
    ["MapEnd", "", 6, 4],
    ["MapEnd", "", 7, 2],
    ["EOF", "", 7, 0],
  ];
  expectItems("\nfoo = {\n  host = {\n    ip = '127.0.0.1'\n    port= 4242\n  }\n}\n", expected);
});

test("TestQuotedKeys: quoted keys", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo : 123", expected);
  expected = [
    ["Key", "foo", 1, 1],
    ["Integer", "123", 1, 8],
    ["EOF", "", 1, 0],
  ];
  expectItems("'foo' : 123", expected);
  expectItems("\"foo\" : 123", expected);
});

test("TestQuotedKeysWithSpace: quoted keys with space", () => {
  let expected: Expected = [
    ["Key", " foo", 1, 1],
    ["Integer", "123", 1, 9],
    ["EOF", "", 1, 0],
  ];
  expectItems("' foo' : 123", expected);
  expected = [
    ["Key", " foo", 1, 1],
    ["Integer", "123", 1, 9],
    ["EOF", "", 1, 0],
  ];
  expectItems("\" foo\" : 123", expected);
});

test("TestColonKeySep: colon key sep", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo : 123", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 4],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo:123", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 5],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo: 123", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 6],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo:  123\r\n", expected);
});

test("TestWhitespaceKeySep: whitespace key sep", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 4],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo 123", expected);
  expectItems("foo 123", expected);
  expectItems("foo\t123", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["Integer", "123", 1, 5],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo\t\t123\r\n", expected);
});

test("TestEscapedString: escaped string", () => {
  const expected: Expected = [
    ["Key", "foo", 2, 1],
    ["String", "\t", 2, 9],
    ["Key", "bar", 3, 1],
    ["String", "\r", 3, 9],
    ["Key", "baz", 4, 1],
    ["String", "\n", 4, 9],
    ["Key", "q", 5, 1],
    ["String", "\"", 5, 9],
    ["Key", "bs", 6, 1],
    ["String", "\\", 6, 9],
    ["EOF", "", 6, 0],
  ];
  expectItems("\nfoo  = \\t\nbar  = \\r\nbaz  = \\n\nq    = \\\"\nbs   = \\\\\n", expected);
});

test("TestCompoundStringES: compound string es", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "\\end", 1, 8],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = \"\\\\end\"", expected);
});

test("TestCompoundStringSE: compound string se", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "start\\", 1, 8],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = \"start\\\\\"", expected);
});

test("TestCompoundStringEE: compound string ee", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "Eq", 1, 12],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = \\x45\\x71", expected);
});

test("TestCompoundStringSEE: compound string see", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "startEq", 1, 12],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = start\\x45\\x71", expected);
});

test("TestCompoundStringSES: compound string ses", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "start|end", 1, 9],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = start\\x7Cend", expected);
});

test("TestCompoundStringEES: compound string ees", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "<>end", 1, 12],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = \\x3c\\x3eend", expected);
});

test("TestCompoundStringESE: compound string ese", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "<middle>", 1, 12],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = \\x3cmiddle\\x3E", expected);
});

test("TestBadStringEscape: bad string escape", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["Error", "Invalid escape character 'y'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.", 1, 8],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = \\y", expected);
});

test("TestNonBool: non bool", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "\\true", 1, 7],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = \\\\true", expected);
});

test("TestNonVariable: non variable", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "\\$var", 1, 7],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = \\\\$var", expected);
});

test("TestEmptyStringDQ: empty string dq", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "", 1, 7],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = \"\"", expected);
});

test("TestEmptyStringSQ: empty string sq", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "", 1, 7],
    ["EOF", "", 2, 0],
  ];
  expectItems("foo = ''", expected);
});

test("TestNestedWhitespaceMaps: nested whitespace maps", () => {
  const expected: Expected = [
    ["Key", "foo", 2, 1],
    ["MapStart", "", 2, 7],
    ["Key", "host", 3, 3],
    ["MapStart", "", 3, 10],
    ["Key", "ip", 4, 5],
    ["String", "127.0.0.1", 4, 11],
    ["Key", "port", 5, 5],
    ["Integer", "4242", 5, 11],
    ["MapEnd", "", 6, 4],
    ["MapEnd", "", 7, 2],
    ["EOF", "", 7, 0],
  ];
  expectItems("\nfoo  {\n  host  {\n    ip = '127.0.0.1'\n    port= 4242\n  }\n}\n", expected);
});

test("TestOptionalSemicolons: optional semicolons", () => {
  const expected: Expected = [
    ["Key", "foo", 2, 1],
    ["Integer", "123", 2, 7],
    ["Key", "bar", 3, 1],
    ["String", "baz", 3, 8],
    ["Key", "baz", 4, 1],
    ["String", "boo", 4, 8],
    ["Key", "map", 5, 1],
    ["MapStart", "", 5, 6],
    ["Key", "id", 6, 2],
    ["Integer", "1", 6, 7],
    ["MapEnd", "", 7, 2],
    ["EOF", "", 8, 0],
  ];
  expectItems("\nfoo = 123;\nbar = 'baz';\nbaz = 'boo'\nmap {\n id = 1;\n}\n", expected);
});

test("TestSemicolonChaining: semicolon chaining", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["String", "1", 1, 5],
    ["Key", "bar", 1, 9],
    ["Float", "2.2", 1, 13],
    ["Key", "baz", 1, 18],
    ["Bool", "true", 1, 22],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo='1'; bar=2.2; baz=true;", expected);
});

test("TestNonQuotedStrings: non quoted strings", () => {
  const expected: Expected = [
    ["Key", "foo", 2, 1],
    ["Integer", "123", 2, 7],
    ["Key", "bar", 3, 1],
    ["String", "baz", 3, 7],
    ["Key", "baz", 4, 1],
    ["String", "boo", 4, 5],
    ["Key", "map", 5, 1],
    ["MapStart", "", 5, 6],
    ["Key", "id", 6, 2],
    ["String", "one", 6, 5],
    ["Key", "id2", 7, 2],
    ["String", "onetwo", 7, 8],
    ["MapEnd", "", 8, 2],
    ["Key", "t", 9, 1],
    ["Bool", "true", 9, 3],
    ["Key", "f", 10, 1],
    ["Bool", "false", 10, 3],
    ["Key", "tstr", 11, 1],
    ["String", "true", 11, 7],
    ["Key", "tkey", 12, 1],
    ["String", "two", 12, 8],
    ["Key", "fkey", 13, 1],
    ["String", "five", 13, 8],
    ["CommentStart", "", 13, 14],
    ["Text", " This should be a string", 13, 14],
    ["EOF", "", 14, 0],
  ];
  expectItems("\nfoo = 123\nbar = baz\nbaz=boo\nmap {\n id:one\n id2 : onetwo\n}\nt true\nf false\ntstr \"true\"\ntkey = two\nfkey = five # This should be a string\n", expected);
});

test("TestDanglingQuotedString: dangling quoted string", () => {
  const expected: Expected = [
    ["Key", "listen", 2, 1],
    ["Error", "Unexpected EOF.", 5, 1],
  ];
  expectItems("\nlisten: \"localhost:4242\n\nhttp: localhost:8222\n", expected);
});

test("TestKeyDanglingQuotedString: key dangling quoted string", () => {
  const expected: Expected = [
    ["Key", "foo", 2, 1],
    ["String", "\nlisten: ", 3, 8],
    ["Key", "http", 5, 1],
    ["String", "localhost:8222", 5, 7],
    ["Error", "Unexpected EOF.", 8, 1],
  ];
  expectItems("\nfoo = \"\nlisten: \"\n\nhttp: localhost:8222\n\n\"\n", expected);
});

test("TestDanglingSingleQuotedString: dangling single quoted string", () => {
  const expected: Expected = [
    ["Key", "listen", 2, 1],
    ["Error", "Unexpected EOF.", 5, 1],
  ];
  expectItems("\nlisten: 'localhost:4242\n\nhttp: localhost:8222\n", expected);
});

test("TestKeyDanglingSingleQuotedString: key dangling single quoted string", () => {
  const expected: Expected = [
    ["Key", "foo", 2, 1],
    ["String", "\nlisten: ", 3, 8],
    ["Key", "http", 5, 1],
    ["String", "localhost:8222", 5, 7],
    ["Error", "Unexpected EOF.", 8, 1],
  ];
  expectItems("\nfoo = '\nlisten: '\n\nhttp: localhost:8222\n\n'\n", expected);
});

test("TestMapDanglingBracket: map dangling bracket", () => {
  const expected: Expected = [
    ["Key", "listen", 2, 1],
    ["Integer", "4222", 2, 10],
    ["Key", "cluster", 4, 1],
    ["MapStart", "", 4, 12],
    ["Key", "foo", 6, 3],
    ["String", "bar", 6, 9],
    ["Error", "Unexpected EOF processing map.", 8, 1],
  ];
  expectItems("\nlisten = 4222\n\ncluster = {\n\n  foo = bar\n\n", expected);
});

test("TestBlockDanglingParens: block dangling parens", () => {
  const expected: Expected = [
    ["Key", "listen", 2, 1],
    ["Integer", "4222", 2, 10],
    ["Key", "quote", 4, 1],
    ["Error", "Unexpected EOF processing block.", 8, 1],
  ];
  expectItems("\nlisten = 4222\n\nquote = (\n\n  foo = bar\n\n", expected);
});

test("TestMapQuotedKeys: map quoted keys", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["MapStart", "", 1, 7],
    ["Key", "bar", 1, 8],
    ["Integer", "4242", 1, 15],
    ["MapEnd", "", 1, 20],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = {'bar' = 4242}", expected);
  expectItems("foo = {\"bar\" = 4242}", expected);
});

test("TestSpecialCharsMapQuotedKeys: special chars map quoted keys", () => {
  const expected: Expected = [
    ["Key", "foo", 1, 0],
    ["MapStart", "", 1, 7],
    ["Key", "bar-1.2.3", 1, 8],
    ["MapStart", "", 1, 22],
    ["Key", "port", 1, 23],
    ["Integer", "4242", 1, 28],
    ["MapEnd", "", 1, 34],
    ["MapEnd", "", 1, 35],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo = {'bar-1.2.3' = { port:4242 }}", expected);
  expectItems("foo = {\"bar-1.2.3\" = { port:4242 }}", expected);
});

test("TestDoubleNestedMapsNewLines: double nested maps new lines", () => {
  const expected: Expected = [
    ["Key", "systems", 2, 1],
    ["MapStart", "", 2, 10],
    ["Key", "allinone", 3, 3],
    ["MapStart", "", 3, 13],
    ["Key", "description", 4, 5],
    ["String", "This is a description.", 4, 19],
    ["MapEnd", "", 5, 4],
    ["MapEnd", "", 6, 2],
    ["EOF", "", 7, 0],
  ];
  expectItems("\nsystems {\n  allinone {\n    description: \"This is a description.\"\n  }\n}\n", expected);
});

test("TestBlockString: block string", () => {
  const expected: Expected = [
    ["Key", "numbers", 2, 1],
    ["String", "\n1234567890\n", 4, 10],
  ];
  expectItems("\nnumbers (\n1234567890\n)\n", expected);
});

test("TestBlockStringMultiLine: block string multi line", () => {
  const expected: Expected = [
    ["Key", "numbers", 2, 1],
    ["String", "\n  12(34)56\n  (\n    7890\n  )\n", 7, 10],
  ];
  expectItems("\nnumbers (\n  12(34)56\n  (\n    7890\n  )\n)\n", expected);
});

test("TestUnquotedIPAddr: unquoted ipaddr", () => {
  let expected: Expected = [
    ["Key", "listen", 1, 0],
    ["String", "127.0.0.1:4222", 1, 8],
    ["EOF", "", 1, 0],
  ];
  expectItems("listen: 127.0.0.1:4222", expected);
  expected = [
    ["Key", "listen", 1, 0],
    ["String", "127.0.0.1", 1, 8],
    ["EOF", "", 1, 0],
  ];
  expectItems("listen: 127.0.0.1", expected);
  expected = [
    ["Key", "listen", 1, 0],
    ["String", "apcera.me:80", 1, 8],
    ["EOF", "", 1, 0],
  ];
  expectItems("listen: apcera.me:80", expected);
  expected = [
    ["Key", "listen", 1, 0],
    ["String", "nats.io:-1", 1, 8],
    ["EOF", "", 1, 0],
  ];
  expectItems("listen: nats.io:-1", expected);
  expected = [
    ["Key", "listen", 1, 0],
    ["Integer", "-1", 1, 8],
    ["EOF", "", 1, 0],
  ];
  expectItems("listen: -1", expected);
  expected = [
    ["Key", "listen", 1, 0],
    ["String", ":-1", 1, 8],
    ["EOF", "", 1, 0],
  ];
  expectItems("listen: :-1", expected);
  expected = [
    ["Key", "listen", 1, 0],
    ["String", ":80", 1, 9],
    ["EOF", "", 1, 0],
  ];
  expectItems("listen = :80", expected);
  expected = [
    ["Key", "listen", 1, 0],
    ["ArrayStart", "", 1, 10],
    ["String", "localhost:4222", 1, 10],
    ["String", "localhost:4333", 1, 26],
    ["ArrayEnd", "", 1, 41],
    ["EOF", "", 1, 0],
  ];
  expectItems("listen = [localhost:4222, localhost:4333]", expected);
});

test("TestArrayOfMaps: array of maps", () => {
  const expected: Expected = [
    ["Key", "authorization", 2, 1],
    ["MapStart", "", 2, 16],
    ["Key", "users", 3, 5],
    ["ArrayStart", "", 3, 14],
    ["MapStart", "", 4, 8],
    ["Key", "user", 4, 8],
    ["String", "alice", 4, 14],
    ["Key", "password", 4, 21],
    ["String", "foo", 4, 31],
    ["MapEnd", "", 4, 35],
    ["MapStart", "", 5, 8],
    ["Key", "user", 5, 8],
    ["String", "bob", 5, 14],
    ["Key", "password", 5, 21],
    ["String", "bar", 5, 31],
    ["MapEnd", "", 5, 35],
    ["ArrayEnd", "", 6, 6],
    ["Key", "timeout", 7, 5],
    ["Float", "0.5", 7, 14],
    ["MapEnd", "", 8, 2],
    ["EOF", "", 9, 0],
  ];
  expectItems("\nauthorization {\n    users = [\n      {user: alice, password: foo}\n      {user: bob,   password: bar}\n    ]\n    timeout: 0.5\n}\n", expected);
});

test("TestInclude: include", () => {
  let expected: Expected = [
    ["Include", "users.conf", 1, 9],
    ["EOF", "", 1, 0],
  ];
  expectItems("include \"users.conf\"", expected);
  expectItems("include 'users.conf'", expected);
  expected = [
    ["Include", "users.conf", 1, 8],
    ["EOF", "", 1, 0],
  ];
  expectItems("include users.conf", expected);
});

test("TestMapInclude: map include", () => {
  let expected: Expected = [
    ["Key", "foo", 1, 0],
    ["MapStart", "", 1, 5],
    ["Include", "users.conf", 1, 14],
    ["MapEnd", "", 1, 26],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo { include users.conf }", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["MapStart", "", 1, 5],
    ["Include", "users.conf", 1, 13],
    ["MapEnd", "", 1, 24],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo {include users.conf}", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["MapStart", "", 1, 5],
    ["Include", "users.conf", 1, 15],
    ["MapEnd", "", 1, 28],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo { include 'users.conf' }", expected);
  expected = [
    ["Key", "foo", 1, 0],
    ["MapStart", "", 1, 5],
    ["Include", "users.conf", 1, 15],
    ["MapEnd", "", 1, 27],
    ["EOF", "", 1, 0],
  ];
  expectItems("foo { include \"users.conf\"}", expected);
});


test("TestBlockStringEOF: a block closed by ')' before a NUL, which lexes as end of input", () => {
  const expected: Expected = [
    ["Key", "numbers", 2, 1],
    ["String", "\n1234567890\n", 4, 10],
  ];
  expectItems("\nnumbers (\n1234567890\n)\0", expected);
});

describe("TestJSONCompat: JSON-style files wrapped in braces", () => {
  // The Go table also lists a trailing `}` key after the last value, but the Go
  // lexer ends there and its helper stops at EOF without comparing: we assert the EOF.
  const cases: { name: string; input: string; expected: Expected }[] = [
    {
      name: "should omit initial and final brackets at top level with a single item",
      input: "\n                        {\n                          \"http_port\": 8223\n                        }\n                        ",
      expected: [
        ["Key", "http_port", 3, 28],
        ["Integer", "8223", 3, 40],
        ["EOF", "", 0, 0],
      ],
    },
    {
      name: "should omit trailing commas at top level with two items",
      input: "\n                        {\n                          \"http_port\": 8223,\n                          \"port\": 4223\n                        }\n                        ",
      expected: [
        ["Key", "http_port", 3, 28],
        ["Integer", "8223", 3, 40],
        ["Key", "port", 4, 28],
        ["Integer", "4223", 4, 35],
        ["EOF", "", 0, 0],
      ],
    },
    {
      name: "should omit trailing commas at top level with multiple items",
      input: "\n                        {\n                          \"http_port\": 8223,\n                          \"port\": 4223,\n                          \"max_payload\": \"5MB\",\n                          \"debug\": true,\n                          \"max_control_line\": 1024\n                        }\n                        ",
      expected: [
        ["Key", "http_port", 3, 28],
        ["Integer", "8223", 3, 40],
        ["Key", "port", 4, 28],
        ["Integer", "4223", 4, 35],
        ["Key", "max_payload", 5, 28],
        ["String", "5MB", 5, 43],
        ["Key", "debug", 6, 28],
        ["Bool", "true", 6, 36],
        ["Key", "max_control_line", 7, 28],
        ["Integer", "1024", 7, 47],
        ["EOF", "", 0, 0],
      ],
    },
    {
      name: "should support JSON not prettified",
      input: "{\"http_port\": 8224,\"port\": 4224}\n                        ",
      expected: [
        ["Key", "http_port", 1, 2],
        ["Integer", "8224", 1, 14],
        ["Key", "port", 1, 20],
        ["Integer", "4224", 1, 27],
        ["EOF", "", 0, 0],
      ],
    },
    {
      name: "should support JSON not prettified with final bracket after newline",
      input: "{\"http_port\": 8225,\"port\": 4225\n                        }\n                        ",
      expected: [
        ["Key", "http_port", 1, 2],
        ["Integer", "8225", 1, 14],
        ["Key", "port", 1, 20],
        ["Integer", "4225", 1, 27],
        ["EOF", "", 0, 0],
      ],
    },
    {
      name: "should support uglified JSON with inner blocks",
      input: "{\"http_port\": 8227,\"port\": 4227,\"write_deadline\": \"1h\",\"cluster\": {\"port\": 6222,\"routes\": [\"nats://127.0.0.1:4222\",\"nats://127.0.0.1:4223\",\"nats://127.0.0.1:4224\"]}}\n                        ",
      expected: [
        ["Key", "http_port", 1, 2],
        ["Integer", "8227", 1, 14],
        ["Key", "port", 1, 20],
        ["Integer", "4227", 1, 27],
        ["Key", "write_deadline", 1, 33],
        ["String", "1h", 1, 51],
        ["Key", "cluster", 1, 56],
        ["MapStart", "", 1, 67],
        ["Key", "port", 1, 68],
        ["Integer", "6222", 1, 75],
        ["Key", "routes", 1, 81],
        ["ArrayStart", "", 1, 91],
        ["String", "nats://127.0.0.1:4222", 1, 92],
        ["String", "nats://127.0.0.1:4223", 1, 116],
        ["String", "nats://127.0.0.1:4224", 1, 140],
        ["ArrayEnd", "", 1, 163],
        ["MapEnd", "", 1, 164],
        ["EOF", "", 0, 0],
      ],
    },
    {
      name: "should support prettified JSON with inner blocks",
      input: "\n                        {\n                          \"http_port\": 8227,\n                          \"port\": 4227,\n                          \"write_deadline\": \"1h\",\n                          \"cluster\": {\n                            \"port\": 6222,\n                            \"routes\": [\n                              \"nats://127.0.0.1:4222\",\n                              \"nats://127.0.0.1:4223\",\n                              \"nats://127.0.0.1:4224\"\n                            ]\n                          }\n                        }\n                        ",
      expected: [
        ["Key", "http_port", 3, 28],
        ["Integer", "8227", 3, 40],
        ["Key", "port", 4, 28],
        ["Integer", "4227", 4, 35],
        ["Key", "write_deadline", 5, 28],
        ["String", "1h", 5, 46],
        ["Key", "cluster", 6, 28],
        ["MapStart", "", 6, 39],
        ["Key", "port", 7, 30],
        ["Integer", "6222", 7, 37],
        ["Key", "routes", 8, 30],
        ["ArrayStart", "", 8, 40],
        ["String", "nats://127.0.0.1:4222", 9, 32],
        ["String", "nats://127.0.0.1:4223", 10, 32],
        ["String", "nats://127.0.0.1:4224", 11, 32],
        ["ArrayEnd", "", 12, 30],
        ["MapEnd", "", 13, 28],
        ["EOF", "", 0, 0],
      ],
    },
    {
      name: "should support JSON with blocks",
      input: "{\n                          \"jetstream\": {\n                            \"store_dir\": \"/tmp/nats\"\n                            \"max_mem\": 1000000,\n                          },\n                          \"port\": 4222,\n                          \"server_name\": \"nats1\"\n                        }\n                        ",
      expected: [
        ["Key", "jetstream", 2, 28],
        ["MapStart", "", 2, 41],
        ["Key", "store_dir", 3, 30],
        ["String", "/tmp/nats", 3, 43],
        ["Key", "max_mem", 4, 30],
        ["Integer", "1000000", 4, 40],
        ["MapEnd", "", 5, 28],
        ["Key", "port", 6, 28],
        ["Integer", "4222", 6, 35],
        ["Key", "server_name", 7, 28],
        ["String", "nats1", 7, 43],
        ["EOF", "", 0, 0],
      ],
    },

  ];
  for (const c of cases) test(c.name, () => expectItems(c.input, c.expected));
});
