/**
 * The machinery of the conf lexer: input cursor, line tracking, item queue and
 * state stack. The states themselves live in lexer-states.ts.
 */

export type ItemType =
  | "Error"
  | "EOF"
  | "Key"
  | "Text"
  | "String"
  | "Bool"
  | "Integer"
  | "Float"
  | "Datetime"
  | "ArrayStart"
  | "ArrayEnd"
  | "MapStart"
  | "MapEnd"
  | "CommentStart"
  | "Variable"
  | "Include";

/**
 * One lexed item. `pos` is counted like Go's lexer counts it: from the start of
 * the input on line 1, and from the newline that ends the previous line on
 * later lines (so it is 0-based on line 1 and 1-based afterwards).
 */
export interface Item {
  type: ItemType;
  value: string;
  line: number;
  pos: number;
}

export type State = (lx: Lexer) => State | null;

/** Text, or raw bytes produced by `\xHH` escapes (decoded when the string ends). */
type StringPart = string | number[];

/** Go's lexer returns rune 0 both at the end of input and for a NUL character. */
export const EOF = "\0";

const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Escaped bytes become UTF-8 text when valid; otherwise each byte maps to U+0000-U+00FF. */
function decodeBytes(bytes: number[]): string {
  try {
    return utf8Strict.decode(Uint8Array.from(bytes));
  } catch {
    return Buffer.from(bytes).toString("latin1");
  }
}

export class Lexer {
  readonly input: string;
  start = 0;
  pos = 0;
  width = 0;
  line = 1;
  /** Offset of the newline that starts the current line (0 on line 1). */
  lineStart = 0;
  /** `lineStart` as it was when the pending item began. */
  itemLineStart = 0;
  stack: State[] = [];
  stringParts: StringPart[] = [];
  /** Where to continue after an escape sequence: the kind of string being lexed. */
  stringState: State | null = null;
  private state: State | null;
  private readonly queue: Item[] = [];

  constructor(input: string, initial: State) {
    this.input = input;
    this.state = initial;
  }

  /** The next item; after an Error or EOF item it keeps answering EOF. */
  nextItem(): Item {
    while (this.queue.length === 0) {
      if (this.state === null) return { type: "EOF", value: "", line: this.line, pos: 0 };
      this.state = this.state(this);
    }
    return this.queue.shift() as Item;
  }

  next(): string {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    if (this.input.charCodeAt(this.pos) === 10) {
      this.line++;
      this.lineStart = this.pos;
    }
    const code = this.input.charCodeAt(this.pos);
    // A surrogate pair is one rune, as Go's UTF-8 decoding sees it.
    const pair = code >= 0xd800 && code <= 0xdbff && (this.input.codePointAt(this.pos) as number) > 0xffff;
    this.width = pair ? 2 : 1;
    const r = pair ? this.input.slice(this.pos, this.pos + 2) : this.input[this.pos];
    this.pos += this.width;
    return r;
  }

  backup(): void {
    this.pos -= this.width;
    if (this.pos < this.input.length && this.input.charCodeAt(this.pos) === 10) this.line--;
  }

  peek(): string {
    const r = this.next();
    this.backup();
    return r;
  }

  ignore(): void {
    this.start = this.pos;
    this.itemLineStart = this.lineStart;
  }

  push(state: State): void {
    this.stack.push(state);
  }

  pop(): State | null {
    const state = this.stack.pop();
    return state ?? this.errorf("BUG in lexer: no states to pop.");
  }

  /** Queue an item made of the pending escaped parts plus the input since `start`. */
  emit(type: ItemType): void {
    const tail = this.input.slice(this.start, this.pos);
    let value = tail;
    // Go measures the item in bytes of its value; escaped bytes count one each.
    let length = tail.length;
    if (this.stringParts.length > 0) {
      value = "";
      let bytes: number[] = [];
      for (const part of this.stringParts) {
        if (typeof part === "string") {
          if (part === "") continue;
          if (bytes.length > 0) value += decodeBytes(bytes);
          bytes = [];
          value += part;
          length += part.length;
        } else {
          bytes.push(...part);
          length += part.length;
        }
      }
      if (bytes.length > 0) value += decodeBytes(bytes);
      value += tail;
      this.stringParts = [];
    }
    this.queue.push({ type, value, line: this.line, pos: this.pos - this.itemLineStart - length });
    this.start = this.pos;
    this.itemLineStart = this.lineStart;
  }

  errorf(message: string): null {
    this.queue.push({ type: "Error", value: message, line: this.line, pos: this.pos - this.lineStart });
    return null;
  }

  addCurrentStringPart(offset: number): void {
    this.stringParts.push(this.input.slice(this.start, this.pos - offset));
    this.start = this.pos;
  }

  addStringPart(part: StringPart): State | null {
    this.stringParts.push(part);
    this.start = this.pos;
    return this.stringState;
  }
}

