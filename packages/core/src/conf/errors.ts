/**
 * A config file problem with its location, `<file>:<line>:<column>: <reason>`.
 * `line` and `column` are 1-based; both are 0 when the problem is not inside
 * the file (it could not be read), and the message is then just the reason.
 *
 * @example
 * try { parseConf("port: [1", { file: "nats.conf" }); }
 * catch (e) { if (e instanceof ConfError) console.error(e.message); } // "nats.conf:1:9: ..."
 */
export class ConfError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The message without the location prefix. */
  readonly reason: string;

  constructor(file: string, line: number, column: number, reason: string, options?: { cause?: unknown }) {
    super(formatMessage(file, line, column, reason), options);
    this.name = "ConfError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

function formatMessage(file: string, line: number, column: number, reason: string): string {
  // Without a position the reason names the file itself, as Go's open errors do.
  if (line === 0) return reason;
  const where = `${line}:${column}`;
  return file ? `${file}:${where}: ${reason}` : `${where}: ${reason}`;
}
