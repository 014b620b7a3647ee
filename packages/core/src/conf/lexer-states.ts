/**
 * Lexer states for the NATS configuration format.
 *
 * The same states, transitions and quirks as the Go server's conf lexer
 * (conf/lex.go), so every file the Go server accepts lexes to the same items
 * here, with the same line/position numbers, and every file it rejects fails
 * with the same message. Each state consumes input, may queue items, and
 * returns the next state; the lexer's stack says where to continue after a
 * nested value (array, map, comment).
 */
import { EOF, type Item, Lexer, type State } from "./lexer.js";

const SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
const DIGIT = /^\p{Nd}$/u;
const HEX2 = /^[0-9a-fA-F]{2}$/;
const NUMBER_SUFFIX = new Set(["k", "K", "m", "M", "g", "G", "t", "T", "p", "P", "e", "E"]);
const BOOL_WORDS = new Set(["true", "false", "on", "off", "yes", "no"]);
const DATE_AFTER_YEAR = "00-00T00:00:00Z";

/** Unicode white space as Go's unicode.IsSpace defines it. */
function isSpace(r: string): boolean {
  const c = r.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return SPACE.test(r);
}

/** A Unicode decimal digit, as Go's unicode.IsDigit. */
function isDigit(r: string): boolean {
  const c = r.charCodeAt(0);
  if (c < 0x80) return c >= 0x30 && c <= 0x39;
  return DIGIT.test(r);
}

const isWhitespace = (r: string): boolean => r === " " || r === "\t";
const isNL = (r: string): boolean => r === "\n" || r === "\r";
const isKeySeparator = (r: string): boolean => r === "=" || r === ":";

/** How Go's lexer prints a character inside an error message. */
const show = (r: string): string => (r === "\n" ? "\\n" : r);

export function lex(input: string): Lexer {
  return new Lexer(input, lexTop);
}

/** Lex the whole input into items, ending with the first EOF or Error item. */
export function lexAll(input: string): Item[] {
  const lx = lex(input);
  const items: Item[] = [];
  for (;;) {
    const item = lx.nextItem();
    items.push(item);
    if (item.type === "EOF" || item.type === "Error") return items;
  }
}

function isBool(lx: Lexer): boolean {
  return BOOL_WORDS.has(lx.input.slice(lx.start, lx.pos).toLowerCase());
}

/** A value starting with `$` is a variable reference; the `$` is dropped. */
function isVariable(lx: Lexer): boolean {
  if (lx.start >= lx.input.length || lx.input[lx.start] !== "$") return false;
  lx.start += 1;
  return true;
}

/** `include` followed by white space is a directive rather than a key. */
function keyOrInclude(lx: Lexer, afterKey: State, afterInclude: State | null): State {
  if (lx.input.slice(lx.start, lx.pos).toLowerCase() === "include") {
    lx.ignore();
    if (afterInclude) lx.push(afterInclude);
    return lexIncludeStart;
  }
  lx.emit("Key");
  return afterKey;
}

function skip(next: State): State {
  return (lx) => {
    lx.ignore();
    return next;
  };
}

/** The start of a `#` or `//` comment; the `#` or first `/` is already consumed. */
function startsComment(lx: Lexer, r: string): boolean {
  if (r === "#") return true;
  if (r !== "/") return false;
  if (lx.next() === "/") return true;
  lx.backup();
  return false;
}

function lexTop(lx: Lexer): State | null {
  const r = lx.next();
  if (isSpace(r)) return skip(lexTop);
  if (r === "{") {
    lx.push(lexTop);
    return skip(lexBlockStart);
  }
  if (startsComment(lx, r)) {
    lx.push(lexTop);
    return lexCommentStart;
  }
  if (r === "/" || r === EOF) return endOfInput(lx);
  lx.backup();
  lx.push(lexTopValueEnd);
  return lexKeyStart;
}

function endOfInput(lx: Lexer): null {
  if (lx.pos > lx.start) return lx.errorf("Unexpected EOF.");
  lx.emit("EOF");
  return null;
}

function lexTopValueEnd(lx: Lexer): State | null {
  const r = lx.next();
  if (startsComment(lx, r)) {
    lx.push(lexTop);
    return lexCommentStart;
  }
  // A lone '/' after a value is skipped like white space.
  if (r === "/" || isWhitespace(r)) return lexTopValueEnd;
  if (isNL(r) || r === EOF || r === ";" || r === "," || r === "}") {
    lx.ignore();
    return lexTop;
  }
  return lx.errorf(
    `Expected a top-level value to end with a new line, comment or EOF, but got '${show(r)}' instead.`,
  );
}

/** Inside a top-level `{ ... }` wrapper (JSON-style config files). */
function lexBlockStart(lx: Lexer): State | null {
  const r = lx.next();
  if (isSpace(r)) return skip(lexBlockStart);
  if (r === "{") {
    lx.push(lexBlockEnd);
    return skip(lexBlockStart);
  }
  if (r === "}") {
    lx.ignore();
    return lx.pop();
  }
  if (startsComment(lx, r)) {
    lx.push(lexBlockStart);
    return lexCommentStart;
  }
  if (r === "/" || r === EOF) return endOfInput(lx);
  lx.backup();
  lx.push(lexBlockValueEnd);
  return lexKeyStart;
}

function lexBlockValueEnd(lx: Lexer): State | null {
  const r = lx.next();
  if (startsComment(lx, r)) {
    lx.push(lexBlockValueEnd);
    return lexCommentStart;
  }
  if (r === "/" || isWhitespace(r)) return lexBlockValueEnd;
  if (isNL(r) || r === ";" || r === ",") {
    lx.ignore();
    return lexBlockStart;
  }
  if (r === "}") {
    lx.backup();
    return lexBlockEnd;
  }
  return lx.errorf(
    `Expected a block-level value to end with a new line, comment or EOF, but got '${show(r)}' instead.`,
  );
}

function lexBlockEnd(lx: Lexer): State | null {
  const r = lx.next();
  if (startsComment(lx, r)) {
    lx.push(lexBlockStart);
    return lexCommentStart;
  }
  if (r === "/" || isNL(r) || isWhitespace(r)) return lexBlockEnd;
  if (r === ";" || r === ",") {
    lx.ignore();
    return lexBlockStart;
  }
  if (r === "}") {
    lx.ignore();
    return lx.pop();
  }
  return lx.errorf(`Expected a block-level to end with a '}', but got '${show(r)}' instead.`);
}

function lexKeyStart(lx: Lexer): State | null {
  const r = lx.peek();
  if (isKeySeparator(r)) return lx.errorf(`Unexpected key separator '${r}'`);
  if (isSpace(r)) {
    lx.next();
    return skip(lexKeyStart);
  }
  if (r === '"' || r === "'") {
    lx.next();
    return skip(quotedKey(r));
  }
  lx.ignore();
  lx.next();
  return lexKey;
}

/** A quoted top-level key; escapes are not interpreted in keys. */
function quotedKey(quote: string): State {
  const state: State = (lx) => {
    const r = lx.peek();
    if (r === quote) {
      lx.emit("Key");
      lx.next();
      return skip(lexKeyEnd);
    }
    if (r === EOF) return endOfInput(lx);
    lx.next();
    return state;
  };
  return state;
}

function lexKey(lx: Lexer): State | null {
  const r = lx.peek();
  if (isSpace(r)) return keyOrInclude(lx, lexKeyEnd, null);
  if (isKeySeparator(r) || r === EOF) {
    lx.emit("Key");
    return lexKeyEnd;
  }
  lx.next();
  return lexKey;
}

function lexKeyEnd(lx: Lexer): State | null {
  const r = lx.next();
  if (isSpace(r)) return skip(lexKeyEnd);
  if (isKeySeparator(r)) return skip(lexValue);
  if (r === EOF) {
    lx.emit("EOF");
    return null;
  }
  lx.backup();
  return lexValue;
}

function lexIncludeStart(lx: Lexer): State | null {
  const r = lx.next();
  if (isWhitespace(r)) return skip(lexIncludeStart);
  lx.backup();
  return lexInclude;
}

function lexInclude(lx: Lexer): State | null {
  const r = lx.next();
  if (r === "'") {
    lx.ignore();
    return quotedInclude("'", "Unexpected EOF in quoted include");
  }
  if (r === '"') {
    lx.ignore();
    return quotedInclude('"', "Unexpected EOF in double quoted include");
  }
  const found =
    r === "[" ? "start of an array"
    : r === "{" ? "start of a map"
    : r === "(" ? "start of a block"
    : isDigit(r) || r === "-" ? "start of a number"
    : r === "\\" ? "escape sequence"
    : isNL(r) ? "new line"
    : null;
  if (found !== null) return lx.errorf(`Expected include value but found ${found}`);
  lx.backup();
  return lexIncludeString;
}

function quotedInclude(quote: string, eofMessage: string): State {
  const state: State = (lx) => {
    const r = lx.next();
    if (r === quote) {
      lx.backup();
      lx.emit("Include");
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    if (r === EOF) return lx.errorf(eofMessage);
    return state;
  };
  return state;
}

function lexIncludeString(lx: Lexer): State | null {
  const r = lx.next();
  if (isNL(r) || r === EOF || r === ";" || r === "}" || isWhitespace(r)) {
    lx.backup();
    lx.emit("Include");
    return lx.pop();
  }
  if (r === "'") {
    lx.backup();
    lx.emit("Include");
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  return lexIncludeString;
}

/** Any value: white space before it is skipped, but not a new line. */
function lexValue(lx: Lexer): State | null {
  const r = lx.next();
  if (isWhitespace(r)) return skip(lexValue);
  switch (r) {
    case "[":
      lx.ignore();
      lx.emit("ArrayStart");
      return lexArrayValue;
    case "{":
      lx.ignore();
      lx.emit("MapStart");
      return lexMapKeyStart;
    case "'":
      lx.ignore();
      return lexQuotedString;
    case '"':
      lx.ignore();
      lx.stringState = lexDubQuotedString;
      return lexDubQuotedString;
    case "-":
      return lexNegNumberStart;
    case "(":
      lx.ignore();
      return lexBlock;
    case ".":
      return lx.errorf("Floats must start with a digit");
  }
  if (isDigit(r)) {
    lx.backup();
    return lexNumberOrDateOrStringOrIPStart;
  }
  if (isNL(r)) return lx.errorf("Expected value but found new line");
  lx.backup();
  lx.stringState = lexString;
  return lexString;
}

function lexArrayValue(lx: Lexer): State | null {
  const r = lx.next();
  if (isSpace(r)) return skip(lexArrayValue);
  if (startsComment(lx, r)) {
    lx.push(lexArrayValue);
    return lexCommentStart;
  }
  if (r === "/" || r === ",") return lx.errorf("Unexpected array value terminator ','.");
  if (r === "]") return lexArrayEnd;
  lx.backup();
  lx.push(lexArrayValueEnd);
  return lexValue;
}

function lexArrayValueEnd(lx: Lexer): State | null {
  const r = lx.next();
  if (isWhitespace(r)) return skip(lexArrayValueEnd);
  if (startsComment(lx, r)) {
    lx.push(lexArrayValueEnd);
    return lexCommentStart;
  }
  if (r === "/" || r === "," || isNL(r)) return skip(lexArrayValue);
  if (r === "]") return lexArrayEnd;
  return lx.errorf(
    `Expected an array value terminator "," or an array terminator "]", but got '${show(r)}' instead.`,
  );
}

function lexArrayEnd(lx: Lexer): State | null {
  lx.ignore();
  lx.emit("ArrayEnd");
  return lx.pop();
}

function lexMapKeyStart(lx: Lexer): State | null {
  const r = lx.peek();
  if (isKeySeparator(r)) return lx.errorf(`Unexpected key separator '${r}'.`);
  if (r === "]") return lx.errorf(`Unexpected array end '${r}' processing map.`);
  if (isSpace(r)) {
    lx.next();
    return skip(lexMapKeyStart);
  }
  switch (r) {
    case "}":
      lx.next();
      return skip(lexMapEnd);
    case "#":
      lx.next();
      lx.push(lexMapKeyStart);
      return lexCommentStart;
    case "/":
      lx.next();
      if (lx.next() === "/") {
        lx.push(lexMapKeyStart);
        return lexCommentStart;
      }
      // Go drops a single leading '/' from a map key.
      lx.backup();
      break;
    case "'":
      lx.next();
      return skip(mapQuotedKey("'", "Unexpected EOF processing quoted map key."));
    case '"':
      lx.next();
      return skip(mapQuotedKey('"', "Unexpected EOF processing double quoted map key."));
    case EOF:
      return lx.errorf("Unexpected EOF processing map.");
  }
  lx.ignore();
  lx.next();
  return lexMapKey;
}

function mapQuotedKey(quote: string, eofMessage: string): State {
  const state: State = (lx) => {
    const r = lx.peek();
    if (r === EOF) return lx.errorf(eofMessage);
    if (r === quote) {
      lx.emit("Key");
      lx.next();
      return skip(lexMapKeyEnd);
    }
    lx.next();
    return state;
  };
  return state;
}

function lexMapKey(lx: Lexer): State | null {
  const r = lx.peek();
  if (r === EOF) return lx.errorf("Unexpected EOF processing map key.");
  if (isSpace(r)) return keyOrInclude(lx, lexMapKeyEnd, lexMapValueEnd);
  if (isKeySeparator(r)) {
    lx.emit("Key");
    return lexMapKeyEnd;
  }
  lx.next();
  return lexMapKey;
}

function lexMapKeyEnd(lx: Lexer): State | null {
  const r = lx.next();
  if (isSpace(r)) return skip(lexMapKeyEnd);
  if (isKeySeparator(r)) return skip(lexMapValue);
  lx.backup();
  return lexMapValue;
}

function lexMapValue(lx: Lexer): State | null {
  const r = lx.next();
  if (isSpace(r)) return skip(lexMapValue);
  if (r === ",") return lx.errorf(`Unexpected map value terminator ",".`);
  if (r === "}") return skip(lexMapEnd);
  lx.backup();
  lx.push(lexMapValueEnd);
  return lexValue;
}

function lexMapValueEnd(lx: Lexer): State | null {
  const r = lx.next();
  if (isWhitespace(r)) return skip(lexMapValueEnd);
  if (startsComment(lx, r)) {
    lx.push(lexMapValueEnd);
    return lexCommentStart;
  }
  if (r === "/" || r === ";" || r === "," || isNL(r)) return skip(lexMapKeyStart);
  if (r === "}") return skip(lexMapEnd);
  return lx.errorf(
    `Expected a map value terminator "," or a map terminator "}", but got '${show(r)}' instead.`,
  );
}

function lexMapEnd(lx: Lexer): State | null {
  lx.ignore();
  lx.emit("MapEnd");
  return lx.pop();
}

/** A single-quoted string: taken verbatim, no escapes. */
function lexQuotedString(lx: Lexer): State | null {
  const r = lx.next();
  if (r === "'") {
    lx.backup();
    lx.emit("String");
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  if (r === EOF) return endOfInput(lx);
  return lexQuotedString;
}

function lexDubQuotedString(lx: Lexer): State | null {
  const r = lx.next();
  if (r === "\\") {
    lx.addCurrentStringPart(1);
    return lexStringEscape;
  }
  if (r === '"') {
    lx.backup();
    lx.emit("String");
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  if (r === EOF) return endOfInput(lx);
  return lexDubQuotedString;
}

/** An unquoted value: a string, a boolean word or a `$variable`. */
function lexString(lx: Lexer): State | null {
  const r = lx.next();
  if (r === "\\") {
    lx.addCurrentStringPart(1);
    return lexStringEscape;
  }
  if (isNL(r) || r === EOF || r === ";" || r === "," || r === "]" || r === "}" || isWhitespace(r)) {
    lx.backup();
    if (lx.stringParts.length > 0) lx.emit("String");
    else if (isBool(lx)) lx.emit("Bool");
    else if (isVariable(lx)) lx.emit("Variable");
    else lx.emit("String");
    return lx.pop();
  }
  if (r === "'") {
    lx.backup();
    lx.emit("String");
    lx.next();
    lx.ignore();
    return lx.pop();
  }
  return lexString;
}

/** `( ... )`: everything up to a `)` alone on its line, verbatim. */
function lexBlock(lx: Lexer): State | null {
  const r = lx.next();
  if (r === ")") {
    lx.backup();
    lx.backup();
    if (lx.next() !== "\n") {
      lx.next();
      return lexBlock;
    }
    lx.next();
    const after = lx.next();
    if (after === "\n" || after === EOF) {
      lx.backup();
      lx.backup();
      lx.emit("String");
      lx.next();
      lx.ignore();
      return lx.pop();
    }
    lx.backup();
  } else if (r === EOF) {
    return lx.errorf("Unexpected EOF processing block.");
  }
  return lexBlock;
}

const ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", '"': '"', "\\": "\\" };

function lexStringEscape(lx: Lexer): State | null {
  const r = lx.next();
  if (r === "x") return lexStringBinary;
  const escaped = ESCAPES[r];
  if (escaped !== undefined) return lx.addStringPart(escaped);
  return lx.errorf(
    `Invalid escape character '${show(r)}'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\", \\\\.`,
  );
}

function lexStringBinary(lx: Lexer): State | null {
  const endOfLine = "Expected two hexadecimal digits after '\\x', but hit end of line";
  if (isNL(lx.next())) return lx.errorf(endOfLine);
  if (isNL(lx.next())) return lx.errorf(endOfLine);
  const hex = lx.input.slice(lx.pos - 2, lx.pos);
  if (!HEX2.test(hex)) return lx.errorf(`Expected two hexadecimal digits after '\\x', but got '${hex}'`);
  return lx.addStringPart([parseInt(hex, 16)]);
}

function lexNumberOrDateOrStringOrIPStart(lx: Lexer): State | null {
  return firstDigit(lx) ?? lexNumberOrDateOrStringOrIP;
}

/** Consumes the first digit of a number, or fails the way Go does. */
function firstDigit(lx: Lexer): null | undefined {
  const r = lx.next();
  if (isDigit(r)) return undefined;
  if (r === ".") return lx.errorf("Floats must start with a digit, not '.'.");
  return lx.errorf(`Expected a digit but got '${show(r)}'.`);
}

/** Ends a number: white space, new line, EOF, `}`, `;` or `,` (but not `]`). */
const endsNumber = (r: string): boolean =>
  isNL(r) || r === EOF || r === "}" || r === ";" || r === "," || isWhitespace(r) || isDigit(r);

function lexNumberOrDateOrStringOrIP(lx: Lexer): State | null {
  const r = lx.next();
  if (r === "-") {
    if (lx.pos - lx.start !== 5) return lx.errorf("All ISO8601 dates must be in full Zulu form.");
    return lexDateAfterYear;
  }
  if (isDigit(r)) return lexNumberOrDateOrStringOrIP;
  if (r === ".") return lexFloatStart;
  if (NUMBER_SUFFIX.has(r)) return lexConvenientNumber;
  if (!endsNumber(r)) {
    lx.stringState = lexString;
    return lexString;
  }
  lx.backup();
  lx.emit("Integer");
  return lx.pop();
}

/** After a size suffix (`k`, `M`, `G`...): optional `b`/`i` letters. */
function lexConvenientNumber(lx: Lexer): State | null {
  const r = lx.next();
  if (r === "b" || r === "B" || r === "i" || r === "I") return lexConvenientNumber;
  lx.backup();
  if (endsNumber(r)) {
    lx.emit("Integer");
    return lx.pop();
  }
  lx.stringState = lexString;
  return lexString;
}

function lexDateAfterYear(lx: Lexer): State | null {
  for (const f of DATE_AFTER_YEAR) {
    const r = lx.next();
    if (f === "0") {
      if (!isDigit(r)) return lx.errorf(`Expected digit in ISO8601 datetime, but found '${show(r)}' instead.`);
    } else if (f !== r) {
      return lx.errorf(`Expected '${f}' in ISO8601 datetime, but found '${show(r)}' instead.`);
    }
  }
  lx.emit("Datetime");
  return lx.pop();
}

function lexNegNumberStart(lx: Lexer): State | null {
  return firstDigit(lx) ?? lexNegNumber;
}

function lexNegNumber(lx: Lexer): State | null {
  const r = lx.next();
  if (isDigit(r)) return lexNegNumber;
  if (r === ".") return lexFloatStart;
  if (NUMBER_SUFFIX.has(r)) return lexConvenientNumber;
  lx.backup();
  lx.emit("Integer");
  return lx.pop();
}

function lexFloatStart(lx: Lexer): State | null {
  const r = lx.next();
  if (!isDigit(r)) return lx.errorf(`Floats must have a digit after the '.', but got '${show(r)}' instead.`);
  return lexFloat;
}

function lexFloat(lx: Lexer): State | null {
  const r = lx.next();
  if (isDigit(r)) return lexFloat;
  // A second '.' means this was an IP address, not a float.
  if (r === ".") return lexIPAddr;
  lx.backup();
  lx.emit("Float");
  return lx.pop();
}

function lexIPAddr(lx: Lexer): State | null {
  const r = lx.next();
  if (isDigit(r) || r === "." || r === ":" || r === "-") return lexIPAddr;
  lx.backup();
  lx.emit("String");
  return lx.pop();
}

function lexCommentStart(lx: Lexer): State | null {
  lx.ignore();
  lx.emit("CommentStart");
  return lexComment;
}

function lexComment(lx: Lexer): State | null {
  const r = lx.peek();
  if (isNL(r) || r === EOF) {
    lx.emit("Text");
    return lx.pop();
  }
  lx.next();
  return lexComment;
}
