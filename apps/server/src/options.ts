import { createLogger, loadConfFile, optionsFromConf, type Logger, type NatsServer, type ServerOptions, type ServerOptionsInput } from "@nats-ts/core";
import { applyClusterFlags, type CommandLine } from "./flags.js";

/** Config file options with the command line's on top (flags win, as in Go). */
export function buildOptions(cl: CommandLine): { options: ServerOptionsInput; warnings: string[] } {
  let options: Record<string, unknown> = {};
  let warnings: string[] = [];
  if (cl.configFile !== undefined) {
    ({ options, warnings } = optionsFromConf(loadConfFile(cl.configFile)) as { options: Record<string, unknown>; warnings: string[] });
  }
  const merged: Record<string, unknown> = { ...options, ...cl.options };
  if (cl.options.authorization !== undefined) {
    merged.authorization = { ...((options.authorization as object) ?? {}), ...cl.options.authorization };
  }
  if (cl.jetstream === true || cl.storeDir !== undefined) {
    const js = typeof options.jetstream === "object" && options.jetstream !== null ? options.jetstream : {};
    merged.jetstream = cl.jetstream === false ? false : { ...js, ...(cl.storeDir !== undefined ? { store_dir: cl.storeDir } : {}) };
  } else if (cl.jetstream === false) {
    merged.jetstream = false;
  }
  if (cl.tls !== undefined) {
    const { enabled, verify, ...files } = cl.tls;
    if (enabled === true || verify === true || options.tls !== undefined) {
      merged.tls = { ...((options.tls as object) ?? {}), ...files, ...(verify !== undefined ? { verify } : {}) };
    }
  }
  if (cl.cluster !== undefined) merged.blocks = applyClusterFlags((options.blocks ?? {}) as Record<string, unknown>, cl.cluster);
  return { options: merged as ServerOptionsInput, warnings };
}

/** The logger the logging options ask for. */
export function loggerFor(opts: ServerOptions): Logger {
  return createLogger({ debug: opts.debug, trace: opts.trace, logtime: opts.logtime, file: opts.logFile });
}

/**
 * SIGHUP: reads the config file again and applies it (Go's reload). A bad file or a change Go
 * refuses is logged and the running configuration stays.
 */
export function reloadFromCommandLine(server: NatsServer, cl: CommandLine): void {
  try {
    const { options, warnings } = buildOptions(cl);
    const before = server.opts;
    const next = { ...options };
    // Only replace the logger when logging changed, so log lines keep flowing to the same place.
    const probe = { debug: next.debug ?? false, trace: next.trace ?? false, logtime: next.logtime ?? true, logFile: next.logFile };
    const loggingChanged =
      probe.debug !== before.debug || probe.trace !== before.trace || probe.logtime !== before.logtime || probe.logFile !== before.logFile;
    server.reload(next, loggingChanged ? loggerFor({ ...before, ...probe }) : undefined);
    for (const w of warnings) server.log.warn(w);
  } catch (e) {
    server.log.error(`Failed to reload server configuration: ${(e as Error).message}`);
  }
}
