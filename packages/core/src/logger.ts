import { appendFileSync } from "node:fs";

/** The server's log, with Go's levels. Debug and trace calls are dropped unless enabled. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  fatal(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
  readonly debugEnabled: boolean;
  readonly traceEnabled: boolean;
}

export interface LoggerOptions {
  debug?: boolean;
  trace?: boolean;
  /** Prefix each line with the local date and time (Go's default). */
  logtime?: boolean;
  /** Append to this file instead of writing to stderr. */
  file?: string;
  /** Where lines go; defaults to stderr or `file`. */
  write?: (line: string) => void;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** `2026/01/02 15:04:05.000000`, the layout of Go's log package with microseconds. */
export function goLogTime(d: Date): string {
  return (
    `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}000`
  );
}

/**
 * A logger that prints lines exactly like the Go nats-server:
 * `[1234] 2026/01/02 15:04:05.000000 [INF] Server is ready`.
 *
 * @example
 * const log = createLogger({ debug: true });
 * log.info("Starting nats-ts-server");
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const write =
    opts.write ??
    (opts.file !== undefined
      ? (line: string) => appendFileSync(opts.file!, line + "\n")
      : (line: string) => process.stderr.write(line + "\n"));
  const prefix = `[${process.pid}] `;
  const logtime = opts.logtime ?? true;
  const line = (label: string, msg: string) =>
    write(logtime ? `${prefix}${goLogTime(new Date())} ${label} ${msg}` : `${prefix}${label} ${msg}`);
  const debugEnabled = opts.debug ?? false;
  const traceEnabled = opts.trace ?? false;
  return {
    debugEnabled,
    traceEnabled,
    info: (m) => line("[INF]", m),
    warn: (m) => line("[WRN]", m),
    error: (m) => line("[ERR]", m),
    fatal: (m) => line("[FTL]", m),
    debug: debugEnabled ? (m) => line("[DBG]", m) : () => {},
    trace: traceEnabled ? (m) => line("[TRC]", m) : () => {},
  };
}

/** A logger that drops everything (the default for embedded servers). */
export const silentLogger: Logger = {
  debugEnabled: false,
  traceEnabled: false,
  info() {},
  warn() {},
  error() {},
  fatal() {},
  debug() {},
  trace() {},
};
