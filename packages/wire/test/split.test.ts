import { describe, expect, test } from "vitest";
import { parseSplit, recordingClientParser, recordingServerParser } from "./recorder.js";

const bigPayload = Buffer.alloc(5000, "q").toString("latin1");

/** One of every client operation, in every syntax variant worth splitting. */
const clientCorpus = Buffer.from(
  [
    'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n',
    "PING\r\n",
    "PONG\r\n",
    "SUB foo.* 1\r\n",
    "SUB foo.> workers 2\r\n",
    "sub\tbar\t\tq 3\n",
    "PUB foo.bar 5\r\nhello\r\n",
    "PUB foo.bar _INBOX.abc 11\r\nhello world\r\n",
    "PUB empty 0\r\n\r\n",
    "PUB crlf 4\r\n\r\n\r\n\r\n",
    "HPUB foo 24 29\r\nNATS/1.0\r\nA: b\r\nC: d\r\n\r\nhello\r\n",
    "HPUB foo reply 12 12\r\nNATS/1.0\r\n\r\n\r\n",
    `PUB big ${bigPayload.length}\r\n${bigPayload}\r\n`,
    "UNSUB 1\r\n",
    "UNSUB 2 10\r\n",
    "+OK\r\n",
    "INFO {}\r\n",
    "-ERR 'x y'\r\n",
    "PING   junk\r\n",
    "PUB añb 2\r\nhi\r\n",
  ].join(""),
  "utf8",
);

describe("frames split at any byte", () => {
  test("client corpus: every single split point gives the same operations", () => {
    const { parser: whole, ops: expected } = recordingClientParser();
    whole.parse(clientCorpus);
    expect(expected).toHaveLength(20);
    expect(expected.some((op) => op[0] === "ERROR")).toBe(false);
    // Inside the 5000-byte payload every cut takes the same path: sample it, cut everywhere else.
    const bigStart = clientCorpus.indexOf(`PUB big ${bigPayload.length}\r\n`) + `PUB big ${bigPayload.length}\r\n`.length;
    const bigEnd = bigStart + bigPayload.length;
    for (let cut = 1; cut < clientCorpus.length; cut++) {
      if (cut > bigStart + 2 && cut < bigEnd - 2 && cut % 97 !== 0) continue;
      const { parser, ops } = recordingClientParser();
      parseSplit(parser, clientCorpus, [cut]);
      expect(ops, `cut at ${cut}`).toEqual(expected);
    }
  });

  test("client corpus: one byte at a time", () => {
    const { parser: whole, ops: expected } = recordingClientParser();
    whole.parse(clientCorpus);
    const { parser, ops } = recordingClientParser();
    for (let i = 0; i < clientCorpus.length; i++) parser.parse(clientCorpus.subarray(i, i + 1));
    expect(ops).toEqual(expected);
  });

  test("client corpus: every pair of split points around the HPUB frame", () => {
    const start = clientCorpus.indexOf("HPUB foo 24");
    const end = clientCorpus.indexOf("HPUB foo reply");
    const { parser: whole, ops: expected } = recordingClientParser();
    whole.parse(clientCorpus);
    for (let a = start; a <= end; a++) {
      for (let b = a + 1; b <= end + 1; b++) {
        const { parser, ops } = recordingClientParser();
        parseSplit(parser, clientCorpus, [a, b]);
        expect(ops).toEqual(expected);
      }
    }
  });

  test("errors are the same wherever the stream is split", () => {
    const streams = [
      "PING\r\nPUB foo 2\r\nokX\r\n",
      "SUB foo 1\r\nPUB foo bar\r\n",
      "PUB foo 3\r\nabc\r\nHPUB foo 9 3\r\n",
      "PING\r\nPUB foo 2\r\nok\r\nPUB foo 99999999\r\n",
      "PING\r\nSUB aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1\r\n",
      "PING\r\nCONNECT {\r\n",
    ];
    for (const s of streams) {
      const input = Buffer.from(s);
      const limits = { maxControlLine: 32, maxPayload: 1000 };
      const { parser: whole, ops: expected } = recordingClientParser(limits);
      whole.parse(input);
      expect(expected.at(-1)![0], s).toBe("ERROR");
      for (let cut = 1; cut < input.length; cut++) {
        const { parser, ops } = recordingClientParser(limits);
        parseSplit(parser, input, [cut]);
        expect(ops, `${JSON.stringify(s)} cut at ${cut}`).toEqual(expected);
      }
    }
  });

  test("server corpus: every single split point gives the same operations", () => {
    const corpus = Buffer.from(
      'INFO {"server_id":"x","headers":true}\r\nPING\r\nPONG\r\n+OK\r\n-ERR \'Stale Connection\'\r\n' +
        "MSG foo 1 5\r\nhello\r\nMSG foo 1 _INBOX.a 0\r\n\r\nHMSG foo 2 16 18\r\nNATS/1.0 503\r\n\r\nhi\r\n" +
        "hmsg foo 2 r 12 12\r\nNATS/1.0\r\n\r\n\r\nmsg\tfoo\t3\t2\r\nok\r\n",
    );
    const { parser: whole, ops: expected } = recordingServerParser();
    whole.parse(corpus);
    expect(expected).toEqual([
      ["INFO", '{"server_id":"x","headers":true}'],
      ["PING"],
      ["PONG"],
      ["+OK"],
      ["-ERR", "Stale Connection"],
      ["MSG", "foo", "1", undefined, "hello"],
      ["MSG", "foo", "1", "_INBOX.a", ""],
      ["HMSG", "foo", "2", undefined, 16, "NATS/1.0 503\r\n\r\nhi"],
      ["HMSG", "foo", "2", "r", 12, "NATS/1.0\r\n\r\n"],
      ["MSG", "foo", "3", undefined, "ok"],
    ]);
    for (let cut = 1; cut < corpus.length; cut++) {
      const { parser, ops } = recordingServerParser();
      parseSplit(parser, corpus, [cut]);
      expect(ops, `cut at ${cut}`).toEqual(expected);
    }
  });
});
