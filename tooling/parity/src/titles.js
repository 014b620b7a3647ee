// Finds the titles of test(...), it(...) and describe(...) blocks in a test file's source.
//
// A light lexer rather than a regex over the raw text: comments and ordinary string
// literals are skipped whole, so a commented-out test or a fixture string that happens to
// contain `test("TestFoo")` is never mistaken for a real test.

/**
 * @typedef {object} TitleBlock
 * @property {"test" | "describe"} kind  `it`/`test` are tests, `describe`/`suite` group them
 * @property {string} title  the first argument as written (template literals keep `${...}`)
 * @property {number} line   1-based line of the call
 */

const TEST_FUNCTIONS = new Map([
  ["test", "test"],
  ["it", "test"],
  ["describe", "describe"],
  ["suite", "describe"],
]);

// A skipped or todo block checks nothing, so it must not count as a port.
const EXCLUDED_MODIFIERS = new Set(["skip", "todo"]);

const REGEX_PRECEDERS = new Set([..."(,=:[!&|?{};+-*%<>~^", ""]);

/**
 * Extracts every test/describe title from JavaScript or TypeScript source.
 *
 * @example
 * extractTitles('test("TestFoo: works", () => {})')
 * // -> [{ kind: "test", title: "TestFoo: works", line: 1 }]
 * @param {string} source
 * @returns {TitleBlock[]}
 */
export function extractTitles(source) {
  const lexer = new Lexer(source);
  /** @type {TitleBlock[]} */
  const blocks = [];
  let previous = "";
  while (lexer.pos < source.length) {
    const ch = source[lexer.pos];
    if (lexer.skipTrivia()) continue;
    if (ch === '"' || ch === "'" || ch === "`") {
      lexer.readString();
      previous = "str";
      continue;
    }
    if (ch === "/" && REGEX_PRECEDERS.has(previous)) {
      lexer.skipRegex();
      previous = "regex";
      continue;
    }
    if (isIdentStart(ch)) {
      const start = lexer.pos;
      const word = lexer.readIdentifier();
      const kind = TEST_FUNCTIONS.get(word);
      if (kind && previous !== ".") {
        const title = lexer.tryReadCallTitle();
        if (title !== undefined) {
          blocks.push({ kind: /** @type {"test"|"describe"} */ (kind), title, line: lineOf(source, start) });
        }
      }
      previous = "ident";
      continue;
    }
    previous = ch;
    lexer.pos++;
  }
  return blocks;
}

class Lexer {
  /** @param {string} src */
  constructor(src) {
    this.src = src;
    this.pos = 0;
  }

  /** Skips whitespace or one comment; returns whether anything was skipped. */
  skipTrivia() {
    const { src } = this;
    const ch = src[this.pos];
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      this.pos++;
      return true;
    }
    if (ch === "/" && src[this.pos + 1] === "/") {
      const end = src.indexOf("\n", this.pos);
      this.pos = end < 0 ? src.length : end + 1;
      return true;
    }
    if (ch === "/" && src[this.pos + 1] === "*") {
      const end = src.indexOf("*/", this.pos + 2);
      this.pos = end < 0 ? src.length : end + 2;
      return true;
    }
    return false;
  }

  skipAllTrivia() {
    while (this.pos < this.src.length && this.skipTrivia());
  }

  readIdentifier() {
    const start = this.pos;
    while (this.pos < this.src.length && isIdentPart(this.src[this.pos])) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /**
   * Reads a string or template literal starting at pos and returns its text: escapes
   * resolved for quoted strings, template substitutions kept verbatim.
   */
  readString() {
    const { src } = this;
    const quote = src[this.pos++];
    let out = "";
    while (this.pos < src.length) {
      const ch = src[this.pos];
      if (ch === quote) {
        this.pos++;
        return out;
      }
      if (ch === "\\") {
        out += unescape(src[this.pos + 1] ?? "");
        this.pos += 2;
        continue;
      }
      if (quote !== "`" && ch === "\n") return out; // unterminated: stop at the line end
      if (quote === "`" && ch === "$" && src[this.pos + 1] === "{") {
        const start = this.pos;
        this.pos += 2;
        this.skipBalanced("}");
        out += src.slice(start, this.pos);
        continue;
      }
      out += ch;
      this.pos++;
    }
    return out;
  }

  skipRegex() {
    const { src } = this;
    this.pos++;
    let inClass = false;
    while (this.pos < src.length) {
      const ch = src[this.pos++];
      if (ch === "\\") this.pos++;
      else if (ch === "[") inClass = true;
      else if (ch === "]") inClass = false;
      else if (ch === "/" && !inClass) break;
      else if (ch === "\n") break;
    }
    while (this.pos < src.length && isIdentPart(src[this.pos])) this.pos++;
  }

  /**
   * Advances past the matching `close`, skipping nested brackets, strings and comments.
   * @param {string} close
   */
  skipBalanced(close) {
    const { src } = this;
    const stack = [close];
    while (this.pos < src.length && stack.length > 0) {
      if (this.skipTrivia()) continue;
      const ch = src[this.pos];
      if (ch === '"' || ch === "'" || ch === "`") {
        this.readString();
        continue;
      }
      this.pos++;
      if (ch === "(") stack.push(")");
      else if (ch === "[") stack.push("]");
      else if (ch === "{") stack.push("}");
      else if (ch === stack[stack.length - 1]) stack.pop();
    }
  }

  /**
   * After `test`/`it`/`describe`: reads modifiers (`.only`, `.each([...])`, `.skipIf(x)`)
   * and the opening `(`; returns the title when the first argument is a string literal.
   * @returns {string | undefined}
   */
  tryReadCallTitle() {
    const { src } = this;
    for (;;) {
      this.skipAllTrivia();
      if (src[this.pos] === ".") {
        this.pos++;
        this.skipAllTrivia();
        const modifier = this.readIdentifier();
        if (EXCLUDED_MODIFIERS.has(modifier)) return undefined;
        this.skipAllTrivia();
        // A modifier followed by its own call, e.g. .each(table) or .skipIf(cond), then
        // the real call follows.
        if (src[this.pos] === "(" && modifierTakesArguments(modifier)) {
          this.pos++;
          this.skipBalanced(")");
        }
        continue;
      }
      if (src[this.pos] !== "(") return undefined;
      this.pos++;
      this.skipAllTrivia();
      const quote = src[this.pos];
      if (quote !== '"' && quote !== "'" && quote !== "`") return undefined;
      return this.readString();
    }
  }
}

/** @param {string} modifier */
function modifierTakesArguments(modifier) {
  return modifier === "each" || modifier === "for" || modifier === "skipIf" || modifier === "runIf";
}

/** @param {string} next */
function unescape(next) {
  switch (next) {
    case "n":
      return "\n";
    case "t":
      return "\t";
    case "r":
      return "\r";
    default:
      return next;
  }
}

/** @param {string | undefined} ch */
function isIdentStart(ch) {
  return ch !== undefined && /[A-Za-z_$]/.test(ch);
}

/** @param {string | undefined} ch */
function isIdentPart(ch) {
  return ch !== undefined && /[A-Za-z0-9_$]/.test(ch);
}

/**
 * @param {string} source
 * @param {number} pos
 */
function lineOf(source, pos) {
  let line = 1;
  for (let i = source.indexOf("\n"); i >= 0 && i < pos; i = source.indexOf("\n", i + 1)) line++;
  return line;
}
