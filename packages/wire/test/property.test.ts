import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  MsgHeaders,
  decodeHeaders,
  encodeHeaders,
  isValidSubject,
  subjectIsSubsetMatch,
  subjectMatches,
  subjectsCollide,
} from "../src/index.js";
import { type ClientOp, type ServerOp, parseSplit, recordingClientParser, recordingServerParser } from "./recorder.js";

const RUNS = { numRuns: 200 };

// ---- generators of valid frames, each paired with the operation it must parse to ----

const tokenChar = fc.constantFrom(..."abcxyzABC019_-$é✓".split(""));
const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 6 });
const subject = fc.array(token, { minLength: 1, maxLength: 4 }).map((t) => t.join("."));
const wildSubject = fc
  .array(fc.oneof({ weight: 3, arbitrary: token }, { weight: 1, arbitrary: fc.constant("*") }), { minLength: 1, maxLength: 4 })
  .chain((t) => fc.boolean().map((full) => (full ? [...t, ">"] : t).join(".")));
const sid = fc.integer({ min: 1, max: 99999 }).map(String);
/** One or more spaces/tabs: Go accepts any run of them between arguments. */
const sep = fc.string({ unit: fc.constantFrom(" ", "\t"), minLength: 1, maxLength: 3 });
const eol = fc.constantFrom("\r\n", "\n");
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.uint8Array({ minLength: 4000, maxLength: 5000 }),
  fc.constantFrom(new Uint8Array(0), Buffer.from("\r\n"), Buffer.from("PING\r\n")),
);
const headerBlock = fc
  .array(fc.tuple(fc.constantFrom("A", "Nats-Msg-Id", "x-y"), fc.string({ unit: fc.constantFrom("v", "1", " ", ":"), maxLength: 8 })), { maxLength: 3 })
  .map((kv) => Buffer.from(`NATS/1.0\r\n${kv.map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`));

/** Randomly cased operation name: ops are case-insensitive. */
function opName(name: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((lower) =>
    name
      .split("")
      .map((c, i) => (lower[i] ? c.toLowerCase() : c))
      .join(""),
  );
}

type Frame = { bytes: Buffer; op: ClientOp };
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString("latin1");

const pubFrame: fc.Arbitrary<Frame> = fc
  .record({ op: opName("PUB"), s: subject, r: fc.option(subject, { nil: undefined }), p: payload, sep, sep2: sep, e: eol })
  .map(({ op, s, r, p, sep: a, sep2: b, e }) => ({
    bytes: Buffer.concat([Buffer.from(`${op}${a}${s}${a}${r ? r + b : ""}${p.length}${e}`), p, Buffer.from("\r\n")]),
    op: ["PUB", s, r, latin1(p)],
  }));

const hpubFrame: fc.Arbitrary<Frame> = fc
  .record({ op: opName("HPUB"), s: subject, r: fc.option(subject, { nil: undefined }), h: headerBlock, p: payload, sep, e: eol })
  .map(({ op, s, r, h, p, sep: a, e }) => ({
    bytes: Buffer.concat([Buffer.from(`${op}${a}${s}${a}${r ? r + a : ""}${h.length}${a}${h.length + p.length}${e}`), h, p, Buffer.from("\r\n")]),
    op: ["HPUB", s, r, h.length, latin1(Buffer.concat([h, p]))],
  }));

const subFrame: fc.Arbitrary<Frame> = fc
  .record({ op: opName("SUB"), s: wildSubject, q: fc.option(token, { nil: undefined }), id: sid, sep, e: eol })
  .map(({ op, s, q, id, sep: a, e }) => ({ bytes: Buffer.from(`${op}${a}${s}${a}${q ? q + a : ""}${id}${e}`), op: ["SUB", s, q, id] }));

const unsubFrame: fc.Arbitrary<Frame> = fc
  .record({ op: opName("UNSUB"), id: sid, max: fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: undefined }), sep, e: eol })
  .map(({ op, id, max, sep: a, e }) => ({ bytes: Buffer.from(`${op}${a}${id}${max ? a + max : ""}${e}`), op: ["UNSUB", id, max] }));

const simpleFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.tuple(opName("PING"), eol).map(([op, e]) => ({ bytes: Buffer.from(op + e), op: ["PING"] as ClientOp })),
  fc.tuple(opName("PONG"), eol).map(([op, e]) => ({ bytes: Buffer.from(op + e), op: ["PONG"] as ClientOp })),
  fc.tuple(opName("CONNECT"), fc.dictionary(token, fc.oneof(fc.boolean(), fc.string(), fc.integer())), eol).map(([op, o, e]) => ({
    bytes: Buffer.from(`${op} ${JSON.stringify(o)}${e}`),
    op: ["CONNECT", JSON.stringify(o)] as ClientOp,
  })),
);

const frames = fc.array(fc.oneof(pubFrame, hpubFrame, subFrame, unsubFrame, simpleFrame), { minLength: 1, maxLength: 25 });

function cutsFor(length: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: length }), { maxLength: 12 });
}

describe("property: parsing", () => {
  test("a stream of valid frames split at random boundaries parses to the generating operations", () => {
    fc.assert(
      fc.property(
        frames.chain((fs) => {
          const stream = Buffer.concat(fs.map((f) => f.bytes));
          return fc.tuple(fc.constant(fs), fc.constant(stream), cutsFor(stream.length));
        }),
        ([fs, stream, cuts]) => {
          const limits = { maxPayload: -1, maxControlLine: 4096 };
          const whole = recordingClientParser(limits);
          whole.parser.parse(stream);
          expect(whole.ops).toEqual(fs.map((f) => f.op));
          const split = recordingClientParser(limits);
          parseSplit(split.parser, stream, cuts);
          expect(split.ops).toEqual(whole.ops);
        },
      ),
      RUNS,
    );
  });

  test("a stream of valid server frames split at random boundaries parses to the generating operations", () => {
    type ServerFrame = { bytes: Buffer; op: ServerOp };
    const msgFrame: fc.Arbitrary<ServerFrame> = fc
      .record({ op: opName("MSG"), s: subject, id: sid, r: fc.option(subject, { nil: undefined }), p: payload, sep, e: eol })
      .map(({ op, s, id, r, p, sep: a, e }) => ({
        bytes: Buffer.concat([Buffer.from(`${op}${a}${s}${a}${id}${a}${r ? r + a : ""}${p.length}${e}`), p, Buffer.from("\r\n")]),
        op: ["MSG", s, id, r, latin1(p)],
      }));
    const hmsgFrame: fc.Arbitrary<ServerFrame> = fc
      .record({ op: opName("HMSG"), s: subject, id: sid, r: fc.option(subject, { nil: undefined }), h: headerBlock, p: payload, e: eol })
      .map(({ op, s, id, r, h, p, e }) => ({
        bytes: Buffer.concat([Buffer.from(`${op} ${s} ${id} ${r ? r + " " : ""}${h.length} ${h.length + p.length}${e}`), h, p, Buffer.from("\r\n")]),
        op: ["HMSG", s, id, r, h.length, latin1(Buffer.concat([h, p]))],
      }));
    const otherFrame: fc.Arbitrary<ServerFrame> = fc.oneof(
      fc.constant({ bytes: Buffer.from("PING\r\n"), op: ["PING"] as ServerOp }),
      fc.constant({ bytes: Buffer.from("PONG\r\n"), op: ["PONG"] as ServerOp }),
      fc.constant({ bytes: Buffer.from("+OK\r\n"), op: ["+OK"] as ServerOp }),
      fc.string({ unit: fc.constantFrom("a", "B", " ", "."), minLength: 1, maxLength: 20 }).map((t) => ({
        bytes: Buffer.from(`-ERR '${t}'\r\n`),
        op: ["-ERR", t] as ServerOp,
      })),
      fc.dictionary(token, fc.oneof(fc.boolean(), fc.integer())).map((o) => ({
        bytes: Buffer.from(`INFO ${JSON.stringify(o)}\r\n`),
        op: ["INFO", JSON.stringify(o)] as ServerOp,
      })),
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(msgFrame, hmsgFrame, otherFrame), { minLength: 1, maxLength: 25 }).chain((fs) => {
          const stream = Buffer.concat(fs.map((f) => f.bytes));
          return fc.tuple(fc.constant(fs), fc.constant(stream), cutsFor(stream.length));
        }),
        ([fs, stream, cuts]) => {
          const { parser, ops } = recordingServerParser();
          parseSplit(parser, stream, cuts);
          expect(ops).toEqual(fs.map((f) => f.op));
        },
      ),
      RUNS,
    );
  });

  test("random garbage never throws out of parse(): errors arrive once, through onProtocolError", () => {
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)),
      // Mostly protocol-looking bytes, so the parser gets deep into its states.
      fc.array(fc.constantFrom("PUB ", "HPUB ", "SUB ", "UNSUB ", "MSG ", "PING", "CONNECT ", "INFO ", "+OK", "-ERR ", " ", "\t", "\r", "\n", "\r\n", "foo", "1", "12", "999999999", "-1", "{}", "x", "\u0000", "é"), { maxLength: 60 }).map((parts) => Buffer.from(parts.join(""))),
      frames.chain((fs) => fc.tuple(fc.constant(Buffer.concat(fs.map((f) => f.bytes))), fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.nat())).map(([valid, junk, at]) => {
        const pos = at % (valid.length + 1);
        return Buffer.concat([valid.subarray(0, pos), junk, valid.subarray(pos)]);
      }),
    );
    fc.assert(
      fc.property(
        garbage.chain((g) => fc.tuple(fc.constant(g), cutsFor(g.length))),
        ([input, cuts]) => {
          for (const limits of [undefined, { maxControlLine: 16, maxPayload: 64 }]) {
            const { parser, ops } = recordingClientParser(limits);
            expect(() => parseSplit(parser, input, cuts)).not.toThrow();
            const errorAt = ops.findIndex((op) => op[0] === "ERROR");
            if (errorAt >= 0) {
              expect(errorAt).toBe(ops.length - 1);
              expect(parser.stopped).toBe(true);
            }
            const server = recordingServerParser(limits);
            expect(() => parseSplit(server.parser, input, cuts)).not.toThrow();
            const serverErrors = server.ops.filter((op) => op[0] === "ERROR");
            expect(serverErrors.length).toBeLessThanOrEqual(1);
          }
        },
      ),
      RUNS,
    );
  });
});

describe("property: headers", () => {
  const key = fc.string({ unit: fc.constantFrom(..."abcXYZ-_09".split("")), minLength: 1, maxLength: 10 });
  const value = fc.string({ unit: fc.constantFrom(..."ab c:;/é✓-_=".split("")), maxLength: 20 }).map((v) => v.trim());
  const headers = fc
    .record({
      entries: fc.array(fc.tuple(key, value), { maxLength: 8 }),
      status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
      description: fc.option(fc.string({ unit: fc.constantFrom(..."abc XYZ".split("")), minLength: 1, maxLength: 12 }).map((d) => d.trim()).filter((d) => d.length > 0), { nil: undefined }),
    })
    .map(({ entries, status, description }) => {
      const h = new MsgHeaders(status, status ? description : undefined);
      for (const [k, v] of entries) h.append(k, v);
      return h;
    });

  test("decodeHeaders(encodeHeaders(h)) gives back the same keys, values, status and description", () => {
    fc.assert(
      fc.property(headers, (h) => {
        const back = decodeHeaders(encodeHeaders(h));
        expect(back.status).toBe(h.status);
        expect(back.description).toBe(h.description);
        expect([...back]).toEqual([...h]);
        expect(encodeHeaders(back).equals(encodeHeaders(h))).toBe(true);
      }),
      RUNS,
    );
  });
});

describe("property: subjects", () => {
  /** Reference matcher: token lists, recursion, no cleverness. */
  function refMatch(filter: string[], subj: string[]): boolean {
    if (filter.length === 0) return subj.length === 0;
    const [f, ...rest] = filter;
    if (f === ">") return subj.length > 0 && rest.length === 0;
    if (subj.length === 0) return false;
    return (f === "*" || f === subj[0]) && refMatch(rest, subj.slice(1));
  }
  const small = fc.array(fc.constantFrom("a", "b", "c"), { minLength: 1, maxLength: 4 });
  const literal = small.map((t) => t.join("."));
  const filter = fc
    .array(fc.constantFrom("a", "b", "*"), { minLength: 1, maxLength: 4 })
    .chain((t) => fc.boolean().map((full) => (full ? [...t, ">"] : t).join(".")));

  test("subjectMatches agrees with a reference matcher", () => {
    fc.assert(
      fc.property(filter, literal, (f, s) => {
        expect(subjectMatches(f, s)).toBe(refMatch(f.split("."), s.split(".")));
      }),
      { numRuns: 1000 },
    );
  });

  test("subjectIsSubsetMatch: a subset filter matches every literal the narrower one matches", () => {
    const literals = ["a", "b", "a.a", "a.b", "b.a", "a.a.a", "a.b.c", "c.c.c.c", "a.a.a.a.a"];
    fc.assert(
      fc.property(filter, filter, (narrow, wide) => {
        if (subjectIsSubsetMatch(narrow, wide)) {
          for (const s of literals) if (subjectMatches(narrow, s)) expect(subjectMatches(wide, s)).toBe(true);
        }
        // A literal is a subset of a filter exactly when the filter matches it.
        for (const s of literals) expect(subjectIsSubsetMatch(s, wide)).toBe(subjectMatches(wide, s));
      }),
      { numRuns: 500 },
    );
  });

  test("subjectsCollide is true exactly when some literal matches both (checked on a finite universe)", () => {
    const universe: string[] = [];
    const tokens = ["a", "b", "c"];
    const grow = (prefix: string[], depth: number): void => {
      if (prefix.length > 0) universe.push(prefix.join("."));
      if (depth === 0) return;
      for (const t of tokens) grow([...prefix, t], depth - 1);
    };
    grow([], 6);
    fc.assert(
      fc.property(filter, filter, (x, y) => {
        expect(isValidSubject(x) && isValidSubject(y)).toBe(true);
        const common = universe.some((s) => subjectMatches(x, s) && subjectMatches(y, s));
        expect(subjectsCollide(x, y)).toBe(common);
      }),
      { numRuns: 500 },
    );
  });
});
