import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfError, GO_COMPAT_VERSION, NATS_TS_VERSION, NatsServer, OptionsError, resolveOptions } from "@nats-ts/core";
import { FlagError, parseFlags, USAGE, type CommandLine } from "./flags.js";
import { buildOptions, loggerFor, reloadFromCommandLine } from "./options.js";
import { portsFilePath, removeFileQuietly, writePortsFile } from "./ports-file.js";
import { serverPlugins } from "./plugins.js";
import { sendSignalCommand } from "./signals.js";

const EXE = "nats-ts-server";

/** Thrown to end the process with a message and an exit code. */
class Exit extends Error {
  constructor(
    readonly code: number,
    message = "",
  ) {
    super(message);
  }
}

/** Writes the pid and ports files and returns a function that removes the ports file. */
function writeRunFiles(server: NatsServer): () => void {
  const { pidFile, portsFileDir } = server.opts;
  if (pidFile !== undefined) writeFileSync(pidFile, String(process.pid));
  if (portsFileDir === undefined) return () => {};
  const path = portsFilePath(resolve(portsFileDir));
  writePortsFile(path, server.listeners);
  return () => removeFileQuietly(path);
}

function installSignalHandlers(server: NatsServer, cl: CommandLine, cleanup: () => void): void {
  const stop = (signal: string) => {
    server.log.info(`Trapped "${signal}" signal`);
    void server.shutdown().then(() => {
      cleanup();
      process.exit(0);
    });
  };
  process.on("SIGINT", () => stop("interrupt"));
  process.on("SIGTERM", () => stop("terminated"));
  process.on("SIGHUP", () => {
    server.log.info(`Trapped "hangup" signal`);
    reloadFromCommandLine(server, cl);
  });
  process.on("SIGUSR2", () => {
    void server.enterLameDuckMode().then(() => {
      cleanup();
      process.exit(0);
    });
  });
}

async function run(argv: readonly string[]): Promise<void> {
  let cl: CommandLine;
  try {
    cl = parseFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) throw new Exit(1, `${EXE}: ${e.message}\n${USAGE}`);
    throw e;
  }
  if (cl.help) throw new Exit(0, USAGE);
  if (cl.version) throw new Exit(0, `${EXE}: v${GO_COMPAT_VERSION} (nats-ts ${NATS_TS_VERSION})`);
  if (cl.signal !== undefined) {
    sendSignalCommand(cl.signal);
    throw new Exit(0);
  }
  const { options, warnings } = buildOptions(cl);
  const resolved = resolveOptions(options);
  if (cl.checkConfig) {
    if (warnings.length > 0) throw new Exit(1, warnings.map((w) => `${EXE}: ${w}`).join("\n"));
    // Building the server (not starting it) also loads the TLS certificates.
    new NatsServer(resolved);
    throw new Exit(0, `${EXE}: configuration file ${cl.configFile ?? "(none)"} is valid`);
  }
  const logger = loggerFor(resolved);
  for (const w of warnings) logger.warn(w);
  const reload = cl.configFile === undefined ? undefined : () => reloadFromCommandLine(server, cl);
  const server: NatsServer = new NatsServer(resolved, { logger, plugins: serverPlugins(reload) });
  await server.start();
  const cleanup = writeRunFiles(server);
  installSignalHandlers(server, cl, cleanup);
}

/**
 * Runs nats-ts-server with nats-server style arguments. Resolves once the server is ready; the
 * process then lives until a signal stops it. Exits the process with 1 on bad flags or config.
 */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  try {
    await run(argv);
  } catch (e) {
    if (e instanceof Exit) {
      if (e.message) (e.code === 0 ? process.stdout : process.stderr).write(e.message + "\n");
      process.exit(e.code);
    }
    if (e instanceof ConfError || e instanceof OptionsError) {
      process.stderr.write(`${EXE}: ${e.message}\n`);
      process.exit(1);
    }
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`${EXE}: ${err.code === "EADDRINUSE" ? `Error listening on port: ${err.message}` : err.message}\n`);
    process.exit(1);
  }
}
