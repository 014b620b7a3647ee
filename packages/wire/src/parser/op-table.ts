/**
 * Operation names as a case-insensitive byte trie, so the parser recognises an
 * operation one byte at a time (frames may be split anywhere) without building strings.
 */

export const OP_CONNECT = 1;
export const OP_PUB = 2;
export const OP_HPUB = 3;
export const OP_SUB = 4;
export const OP_UNSUB = 5;
export const OP_PING = 6;
export const OP_PONG = 7;
export const OP_INFO = 8;
export const OP_MSG = 9;
export const OP_HMSG = 10;
export const OP_OK = 11;
export const OP_ERR = 12;
export const OP_RS_PLUS = 13;
export const OP_RS_MINUS = 14;
export const OP_LS_PLUS = 15;
export const OP_LS_MINUS = 16;
export const OP_A_PLUS = 17;
export const OP_A_MINUS = 18;
export const OP_RMSG = 19;
export const OP_LMSG = 20;

/** Operation names as Go writes them in trace lines. */
export const OP_NAMES = [
  "", "CONNECT", "PUB", "HPUB", "SUB", "UNSUB", "PING", "PONG", "INFO", "MSG", "HMSG", "+OK", "-ERR",
  "RS+", "RS-", "LS+", "LS-", "A+", "A-", "RMSG", "LMSG",
];

/** What follows the operation name. */
export const SYNTAX_SPACE_THEN_ARGS = 1; // PUB foo 5: at least one space or tab is required
export const SYNTAX_JSON_ARG = 2; // CONNECT {...}: spaces optional (Go accepts CONNECT{...})
export const SYNTAX_NO_ARGS = 3; // PING: anything up to the newline is ignored, as Go does

const FANOUT = 128;

export class OpTable {
  /** next[node * 128 + byte] = child node, 0 when the byte cannot continue an operation. */
  readonly next: Int16Array;
  /** Operation completed at a node, 0 for inner nodes. */
  readonly opAt: Uint8Array;
  /** Syntax of each operation code. */
  readonly syntax = new Uint8Array(OP_NAMES.length);
  /**
   * The direction's most frequent operation (PUB or MSG, three letters followed by a
   * space), which the parser recognises in one step when it is whole in the chunk; 0 for
   * none (the byte values -1 never match).
   */
  readonly fastOp: number;
  readonly fast0: number;
  readonly fast1: number;
  readonly fast2: number;

  constructor(ops: ReadonlyArray<readonly [op: number, syntax: number]>, fastOp: number) {
    const fastName = OP_NAMES[fastOp].toLowerCase();
    if (fastOp !== 0 && fastName.length !== 3) throw new Error(`fast operation must have three letters: ${fastName}`);
    this.fastOp = fastOp;
    [this.fast0, this.fast1, this.fast2] = [0, 1, 2].map((k) => (fastOp === 0 ? -1 : fastName.charCodeAt(k)));
    const maxNodes = 1 + ops.reduce((n, [op]) => n + OP_NAMES[op].length, 0);
    this.next = new Int16Array(maxNodes * FANOUT);
    this.opAt = new Uint8Array(maxNodes);
    let nodes = 1;
    for (const [op, syntax] of ops) {
      this.syntax[op] = syntax;
      let node = 0;
      for (const ch of OP_NAMES[op]) {
        const upper = ch.toUpperCase().charCodeAt(0);
        const lower = ch.toLowerCase().charCodeAt(0);
        let child = this.next[node * FANOUT + upper];
        if (child === 0) {
          child = nodes++;
          this.next[node * FANOUT + upper] = child;
          this.next[node * FANOUT + lower] = child;
        }
        node = child;
      }
      this.opAt[node] = op;
    }
  }
}
